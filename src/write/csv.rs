//! CSV output of a zonal table.

use std::io::{self, Write};

use crate::results::ZonalTable;
use crate::stats::StatValue;

/// Write `table` as CSV: the id column (named `id_column`), then one column
/// per statistic, one row per zone in input order. Numbers are written in
/// full (shortest round-trip form), missing values as empty fields, and
/// `frac` as `value:share` pairs joined by `;` in increasing value order.
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
    let mut line = String::new();
    push_field(&mut line, id_column);
    for column in &table.columns {
        line.push(',');
        push_field(&mut line, &column.name);
    }
    line.push('\n');
    out.write_all(line.as_bytes())?;
    for zone in &table.zones {
        line.clear();
        push_field(&mut line, &zone.id.to_string());
        for value in &zone.values {
            line.push(',');
            push_field(&mut line, &format_value(value));
        }
        line.push('\n');
        out.write_all(line.as_bytes())?;
    }
    out.flush()
}

/// A statistic's value as text: full number, empty when missing, `v:share;...` for fractions.
pub fn format_value(value: &StatValue) -> String {
    match value {
        StatValue::Missing => String::new(),
        StatValue::Number(v) if v.is_finite() => format!("{v}"),
        StatValue::Number(_) => String::new(),
        StatValue::Fractions(pairs) => pairs
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
