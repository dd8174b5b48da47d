//! CSV output of a zonal table.

use std::io::{self, Write};

use crate::results::ZonalTable;
use crate::stats::{Stat, StatValue};

/// Write `table` as CSV: the id column (named `id_column`), then one column
/// per statistic, one row per zone in input order. Numbers are written in
/// full (shortest round-trip form), exact integers (the values of a 64-bit
/// integer band, [`StatValue::Integer`]) as all their digits, missing values
/// as empty fields, and `frac` as `value:share` pairs joined by `;` in
/// increasing value order.
///
/// ```
/// # fn main() -> terralux::Result<()> {
/// use geo_types::{polygon, MultiPolygon};
/// use ndarray::array;
/// use terralux::stats::Stat;
/// use terralux::zones::{Attributes, Zone, ZoneId, ZoneSet};
/// use terralux::{GeoTransform, Grid, Raster, ZonalStats};
/// let grid = Grid::new(GeoTransform::new(0.0, 1.0, 1.0, -1.0)?, 1, 2)?;
/// let raster = Raster::new(grid, array![[1.0, 4.0]])?;
/// let square = polygon![(x: 0.0, y: 0.0), (x: 1.5, y: 0.0), (x: 1.5, y: 1.0), (x: 0.0, y: 1.0)];
/// let zones = ZoneSet::new(vec![Zone { id: ZoneId::Text("a,1".into()), attributes: Attributes::default(),
///     geometry: MultiPolygon(vec![square]) }], None);
/// let table = ZonalStats::new(&zones).band(&raster, 1).stats(&[Stat::Count, Stat::Mean, Stat::Frac]).run()?;
/// let mut out = Vec::new();
/// terralux::write::write_csv(&table, "code", &mut out).unwrap();
/// assert_eq!(String::from_utf8(out).unwrap(), "code,count,mean,frac\n\"a,1\",1.5,2,1:0.6666666666666666;4:0.3333333333333333\n");
/// # Ok(())
/// # }
/// ```
pub fn write_csv(table: &ZonalTable, id_column: &str, out: &mut dyn Write) -> io::Result<()> {
    write_csv_with(table, id_column, &CsvOptions::default(), out)
}

/// Options of [`write_csv_with`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CsvOptions {
    /// Guard against formula injection when the file is opened in a
    /// spreadsheet: a text field (an id, a `frac` list) that begins with
    /// `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading `'`.
    /// Numbers are never changed. Off by default, since it changes ids.
    pub formula_safe: bool,
    /// Write each `frac` and `weighted_frac` column as one column per
    /// distinct value over all zones, `<column>_<value>` (e.g. `frac_3`),
    /// holding that value's share (0 when the zone has none of it, empty
    /// when the zone has no valid cell), in increasing value order; a
    /// land-cover table as spreadsheets want it (a 64-bit integer band's
    /// values with all their digits, `frac_2397083434877565865`). Off by
    /// default (one `value:share;...` column).
    pub frac_columns: bool,
}

/// [`write_csv`] with options. Statistic columns whose name equals the id
/// column's (ignoring case) are renamed `zs_<name>` (see
/// [`unique_column_names`](super::unique_column_names)).
///
/// ```
/// # fn main() -> terralux::Result<()> {
/// use geo_types::{polygon, MultiPolygon};
/// use ndarray::array;
/// use terralux::stats::Stat;
/// use terralux::write::{write_csv_with, CsvOptions};
/// use terralux::zones::{Attributes, Zone, ZoneId, ZoneSet};
/// use terralux::{GeoTransform, Grid, Raster, ZonalStats};
/// let grid = Grid::new(GeoTransform::new(0.0, 1.0, 1.0, -1.0)?, 1, 1)?;
/// let raster = Raster::new(grid, array![[-2.0]])?;
/// let square = polygon![(x: 0.0, y: 0.0), (x: 1.0, y: 0.0), (x: 1.0, y: 1.0), (x: 0.0, y: 1.0)];
/// let zones = ZoneSet::new(vec![Zone { id: ZoneId::Text("=1+1".into()), attributes: Attributes::default(),
///     geometry: MultiPolygon(vec![square]) }], None);
/// let table = ZonalStats::new(&zones).band(&raster, 1).stats(&[Stat::Sum]).run()?;
/// let mut out = Vec::new();
/// write_csv_with(&table, "sum", &CsvOptions { formula_safe: true, ..CsvOptions::default() }, &mut out).unwrap();
/// assert_eq!(String::from_utf8(out).unwrap(), "sum,zs_sum\n'=1+1,-2\n");
/// # Ok(())
/// # }
/// ```
pub fn write_csv_with(
    table: &ZonalTable,
    id_column: &str,
    options: &CsvOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    let layout = Layout::of(table, options.frac_columns);
    let names = super::unique_column_names(&[id_column], &layout.names);
    let text = |field: &str| -> String {
        if options.formula_safe {
            formula_safe(field).into_owned()
        } else {
            field.to_string()
        }
    };
    let mut line = String::new();
    push_field(&mut line, &text(id_column));
    for name in &names {
        line.push(',');
        push_field(&mut line, &text(name));
    }
    line.push('\n');
    out.write_all(line.as_bytes())?;
    for zone in &table.zones {
        line.clear();
        push_field(&mut line, &text(&zone.id.to_string()));
        for (value, spread) in zone.values.iter().zip(&layout.spread) {
            match (value, spread) {
                (StatValue::Fractions(_) | StatValue::IntegerFractions(_), Some(categories)) => {
                    for category in categories {
                        line.push(',');
                        // Pairs come in increasing value order.
                        let (share, empty) = match (value, category) {
                            (StatValue::Fractions(pairs), Category::Float(c)) => (
                                pairs
                                    .binary_search_by(|(v, _)| v.total_cmp(c))
                                    .map_or(0.0, |i| pairs[i].1),
                                pairs.is_empty(),
                            ),
                            (StatValue::IntegerFractions(pairs), Category::Integer(c)) => (
                                pairs
                                    .binary_search_by(|(v, _)| v.cmp(c))
                                    .map_or(0.0, |i| pairs[i].1),
                                pairs.is_empty(),
                            ),
                            (StatValue::Fractions(pairs), _) => (0.0, pairs.is_empty()),
                            (StatValue::IntegerFractions(pairs), _) => (0.0, pairs.is_empty()),
                            _ => (0.0, true),
                        };
                        if !empty {
                            line.push_str(&format_value(&StatValue::Number(share)));
                        }
                    }
                }
                (StatValue::Fractions(_) | StatValue::IntegerFractions(_), None) => {
                    line.push(',');
                    push_field(&mut line, &text(&format_value(value)));
                }
                _ => {
                    line.push(',');
                    push_field(&mut line, &format_value(value));
                }
            }
        }
        line.push('\n');
        out.write_all(line.as_bytes())?;
    }
    out.flush()
}

/// The CSV's statistic columns: one per table column, or one per category
/// for `frac` columns spread out.
struct Layout {
    names: Vec<String>,
    /// Per table column: the categories it is spread over, if it is.
    spread: Vec<Option<Vec<Category>>>,
}

/// A distinct value of a `frac` column spread out: an `f64`, or an exact
/// integer (64-bit integer bands).
#[derive(Debug, Clone, Copy)]
enum Category {
    Float(f64),
    Integer(i128),
}

impl Category {
    /// Increasing value (an integer and a float of the same `f64` value: the integer first).
    fn order(&self, other: &Category) -> std::cmp::Ordering {
        match (self, other) {
            (Category::Float(a), Category::Float(b)) => a.total_cmp(b),
            (Category::Integer(a), Category::Integer(b)) => a.cmp(b),
            (Category::Integer(a), Category::Float(b)) => {
                (*a as f64).total_cmp(b).then(std::cmp::Ordering::Less)
            }
            (Category::Float(a), Category::Integer(b)) => {
                a.total_cmp(&(*b as f64)).then(std::cmp::Ordering::Greater)
            }
        }
    }

    fn text(&self) -> String {
        match self {
            Category::Float(v) => format_value(&StatValue::Number(*v)),
            Category::Integer(v) => v.to_string(),
        }
    }
}

impl Layout {
    fn of(table: &ZonalTable, frac_columns: bool) -> Self {
        let mut names = Vec::new();
        let mut spread = Vec::new();
        for (c, column) in table.columns.iter().enumerate() {
            let is_frac = matches!(column.stat, Stat::Frac | Stat::WeightedFrac);
            if !(frac_columns && is_frac) {
                names.push(column.name.clone());
                spread.push(None);
                continue;
            }
            let mut categories: Vec<Category> = Vec::new();
            for zone in &table.zones {
                match zone.values.get(c) {
                    Some(StatValue::Fractions(pairs)) => {
                        categories.extend(pairs.iter().map(|p| Category::Float(p.0)))
                    }
                    Some(StatValue::IntegerFractions(pairs)) => {
                        categories.extend(pairs.iter().map(|p| Category::Integer(p.0)))
                    }
                    _ => {}
                }
            }
            categories.sort_by(Category::order);
            categories.dedup_by(|a, b| a.order(b).is_eq());
            names.extend(
                categories
                    .iter()
                    .map(|v| format!("{}_{}", column.name, v.text())),
            );
            spread.push(Some(categories));
        }
        Layout { names, spread }
    }
}

/// A text field made safe to open in a spreadsheet: a leading `'` when it
/// begins with `=`, `+`, `-`, `@`, a tab or a carriage return (OWASP's rule
/// against CSV formula injection); other fields unchanged.
///
/// ```
/// use terralux::write::formula_safe;
/// assert_eq!(formula_safe("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
/// assert_eq!(formula_safe("500101"), "500101");
/// ```
pub fn formula_safe(field: &str) -> std::borrow::Cow<'_, str> {
    if field.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{field}").into()
    } else {
        field.into()
    }
}

/// A statistic's value as text: full number (`inf`, `-inf` and `nan` for
/// non-finite ones, as numpy and pandas read them), an exact integer with
/// all its digits (for values below 2^53 the same text as the number),
/// empty when missing, `v:share;...` for fractions.
///
/// ```
/// use terralux::stats::StatValue;
/// use terralux::write::format_value;
/// assert_eq!(format_value(&StatValue::Number(0.1)), "0.1");
/// assert_eq!(format_value(&StatValue::Number(f64::NEG_INFINITY)), "-inf");
/// assert_eq!(format_value(&StatValue::Missing), "");
/// assert_eq!(format_value(&StatValue::Integer(2397083434877565865)), "2397083434877565865");
/// assert_eq!(format_value(&StatValue::Number(2397083434877565865u64 as f64)), "2397083434877566000");
/// assert_eq!(format_value(&StatValue::Integer(5)), format_value(&StatValue::Number(5.0)));
/// assert_eq!(format_value(&StatValue::IntegerFractions(vec![(-3, 0.25), (7, 0.75)])), "-3:0.25;7:0.75");
/// ```
pub fn format_value(value: &StatValue) -> String {
    match value {
        StatValue::Missing => String::new(),
        StatValue::Number(v) if v.is_finite() => format!("{v}"),
        StatValue::Number(v) if v.is_nan() => "nan".to_string(),
        StatValue::Number(v) if *v > 0.0 => "inf".to_string(),
        StatValue::Number(_) => "-inf".to_string(),
        StatValue::Fractions(pairs) => pairs
            .iter()
            .map(|(v, share)| format!("{v}:{share}"))
            .collect::<Vec<_>>()
            .join(";"),
        StatValue::Integer(v) => v.to_string(),
        StatValue::IntegerFractions(pairs) => pairs
            .iter()
            .map(|(v, share)| format!("{v}:{share}"))
            .collect::<Vec<_>>()
            .join(";"),
    }
}

/// One CSV record (without the line break): the fields quoted as needed, comma separated.
///
/// ```
/// assert_eq!(terralux::write::csv_record(["code", "name, full"]), "code,\"name, full\"");
/// ```
pub fn csv_record<S: AsRef<str>>(fields: impl IntoIterator<Item = S>) -> String {
    fields
        .into_iter()
        .map(|f| csv_field(f.as_ref()).into_owned())
        .collect::<Vec<_>>()
        .join(",")
}

/// Append one CSV field, quoted when it holds a comma, quote or line break.
fn push_field(line: &mut String, field: &str) {
    line.push_str(&csv_field(field));
}

/// One CSV field, quoted (quotes doubled) when it holds a comma, quote or line break.
///
/// ```
/// use terralux::write::csv_field;
/// assert_eq!(csv_field("Fuling"), "Fuling");
/// assert_eq!(csv_field("Yuzhong, \"CQ\""), "\"Yuzhong, \"\"CQ\"\"\"");
/// ```
pub fn csv_field(field: &str) -> std::borrow::Cow<'_, str> {
    if field.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", field.replace('"', "\"\"")).into()
    } else {
        field.into()
    }
}
