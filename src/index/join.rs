//! Joining a table's rows to zones by id, and choosing a table's rows of
//! one date.

use std::collections::{HashMap, HashSet};

use crate::error::{Error, Result};
use crate::table::Table;

/// How a table's rows met the zones: the row of each zone, and the counts
/// of what did not match ([`join`]).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Join {
    /// The row matched to each zone, in zone order (`None`: no row has its id).
    pub zone_rows: Vec<Option<usize>>,
    /// Zones that no row matches.
    pub zones_without_row: usize,
    /// Rows whose id is no zone's id.
    pub rows_without_zone: usize,
    /// Ids given in more than one row, each once, in the order their
    /// second row comes (a zone matches the first of them).
    pub duplicate_ids: Vec<String>,
}

impl Join {
    /// Zones with a row.
    pub fn matched_zones(&self) -> usize {
        self.zone_rows.len() - self.zones_without_row
    }

    /// A column of the table (one value per row) as one value per zone,
    /// missing for zones without a row.
    pub fn column<T: Copy>(&self, column: &[Option<T>]) -> Vec<Option<T>> {
        self.zone_rows
            .iter()
            .map(|r| r.and_then(|r| column.get(r).copied().flatten()))
            .collect()
    }
}

/// Match the rows of a table (their ids, `row_ids`) to zones (their ids,
/// `zone_ids`, as text): each zone gets the first row with its id. Several
/// zones may share an id (a county stored in parts): they share the row, and
/// rows are counted, not zones.
///
/// ```
/// use terralux::index::join;
/// let joined = join(&["1", "2", "2", "3"], &["3", "1", "9", "1"]);
/// assert_eq!(joined.zone_rows, [Some(1), None, None, Some(0)]);
/// assert_eq!(joined.zones_without_row, 2); // both features of zone 2
/// assert_eq!(joined.rows_without_zone, 1); // the row of 9
/// assert_eq!(joined.duplicate_ids, ["1"]);
/// assert_eq!(joined.column(&[Some(30.0), Some(10.0), Some(90.0), Some(11.0)]),
///     [Some(10.0), None, None, Some(30.0)]);
/// ```
pub fn join<Z: AsRef<str>, R: AsRef<str>>(zone_ids: &[Z], row_ids: &[R]) -> Join {
    let mut row_of: HashMap<&str, usize> = HashMap::new();
    let mut duplicate_ids: Vec<String> = Vec::new();
    for (r, id) in row_ids.iter().enumerate() {
        let id = id.as_ref();
        if row_of.contains_key(id) {
            if !duplicate_ids.iter().any(|d| d == id) {
                duplicate_ids.push(id.to_string());
            }
        } else {
            row_of.insert(id, r);
        }
    }
    let zone_rows: Vec<Option<usize>> = zone_ids
        .iter()
        .map(|z| row_of.get(z.as_ref()).copied())
        .collect();
    let zones_without_row = zone_rows.iter().filter(|r| r.is_none()).count();
    let zone_set: HashSet<&str> = zone_ids.iter().map(AsRef::as_ref).collect();
    let rows_without_zone = row_ids
        .iter()
        .filter(|id| !zone_set.contains(id.as_ref()))
        .count();
    Join {
        zone_rows,
        zones_without_row,
        rows_without_zone,
        duplicate_ids,
    }
}

/// Why [`rows_of_date`] refused a table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DateError {
    /// A date was asked for, but the table has no `date` column.
    NoDateColumn {
        /// The table's source.
        source: String,
    },
    /// No date was asked for, and the table holds several.
    SeveralDates {
        /// The table's source.
        source: String,
        /// The distinct dates, sorted.
        dates: Vec<String>,
    },
    /// Another error (reading the column).
    Table(String),
}

impl std::fmt::Display for DateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DateError::NoDateColumn { source } => {
                write!(
                    f,
                    "{source}: --date given but the table has no 'date' column"
                )
            }
            DateError::SeveralDates { source, dates } => write!(
                f,
                "{source} holds {} dates ({}...); choose one with --date",
                dates.len(),
                dates[..dates.len().min(3)].join(", ")
            ),
            DateError::Table(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for DateError {}

/// The rows of `table` for one date (`poverty_index --date`): with `date`,
/// the rows whose `date` column is `date` (the table must have that
/// column); without, the table as it is, which must then hold at most one
/// date.
///
/// ```
/// use terralux::index::{DateError, rows_of_date};
/// use terralux::table::Table;
/// let table = Table::parse("code,date,x\n1,2022,5\n1,2023,7\n", "t.csv")?;
/// let one = rows_of_date(table.clone(), Some("2023")).unwrap();
/// assert_eq!(one.column("x")?, ["7"]);
/// let err = rows_of_date(table, None).unwrap_err();
/// assert!(matches!(err, DateError::SeveralDates { ref dates, .. } if dates == &["2022", "2023"]));
/// assert_eq!(err.to_string(), "t.csv holds 2 dates (2022, 2023...); choose one with --date");
/// # Ok::<(), terralux::Error>(())
/// ```
pub fn rows_of_date(table: Table, date: Option<&str>) -> std::result::Result<Table, DateError> {
    let table_error = |e: Error| DateError::Table(e.to_string());
    let has_date = table.header().iter().any(|h| h == "date");
    match (date, has_date) {
        (Some(d), true) => table.filtered("date", d).map_err(table_error),
        (Some(_), false) => Err(DateError::NoDateColumn {
            source: table.source().to_string(),
        }),
        (None, true) => {
            let mut distinct: Vec<String> = table
                .column("date")
                .map_err(table_error)?
                .into_iter()
                .map(str::to_string)
                .collect();
            distinct.sort_unstable();
            distinct.dedup();
            if distinct.len() > 1 {
                return Err(DateError::SeveralDates {
                    source: table.source().to_string(),
                    dates: distinct,
                });
            }
            Ok(table)
        }
        (None, false) => Ok(table),
    }
}

/// Check that `table`'s column `id_column` gives each id once, and join its
/// rows to the zones' ids (see [`join`]); an id given twice is an error
/// naming it.
pub fn join_table<Z: AsRef<str>>(table: &Table, id_column: &str, zone_ids: &[Z]) -> Result<Join> {
    let ids = table.column(id_column)?;
    let joined = join(zone_ids, &ids);
    if let Some(id) = joined.duplicate_ids.first() {
        return Err(Error::Mismatch {
            context: table.source().to_string(),
            reason: format!("id '{id}' appears twice in column '{id_column}'"),
        });
    }
    Ok(joined)
}
