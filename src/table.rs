//! Reading per-zone tables from CSV (RFC 4180: quoted fields, doubled
//! quotes, commas and line breaks inside quotes), such as terralux's own
//! outputs, to build indices from.
//!
//! ```
//! use terralux::table::Table;
//! let table = Table::parse("code,name,density\n500101,\"Yuzhong, CQ\",12.5\n500102,Fuling,\n", "t.csv")?;
//! assert_eq!(table.column("name")?, vec!["Yuzhong, CQ", "Fuling"]);
//! assert_eq!(table.numbers("density")?, vec![Some(12.5), None]);
//! # Ok::<(), terralux::Error>(())
//! ```

use std::path::Path;

use crate::error::{Error, Result};

/// `bytes` as UTF-8 text without its byte-order mark, or an error naming
/// `source` and the line where the first byte that is not UTF-8 is.
fn utf8_text<'b>(bytes: &'b [u8], source: &str) -> Result<&'b str> {
    if bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") {
        return Err(Error::Mismatch {
            context: format!("{source}, line 1"),
            reason: "the file is UTF-16, not UTF-8 (save it as UTF-8)".into(),
        });
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    std::str::from_utf8(bytes).map_err(|e| {
        let line = 1 + bytes[..e.valid_up_to()]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        Error::Mismatch {
            context: format!("{source}, line {line}"),
            reason: "not valid UTF-8 (the file may be in another encoding such as GBK or \
                     Latin-1; save it as UTF-8)"
                .into(),
        }
    })
}

/// A table of text cells: a header and rows of the same width.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    source: String,
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// Read a CSV file (UTF-8, optional byte-order mark).
    ///
    /// A file in another encoding (GBK, Latin-1, UTF-16...) is an error
    /// naming the file and the line of the first byte that is not UTF-8.
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use terralux::table::Table;
    /// let path = std::env::temp_dir().join(format!("terralux-table-doc-{}.csv", std::process::id()));
    /// std::fs::write(&path, b"\xEF\xBB\xBFcode,name\n1,Yubei\n")?;
    /// let table = Table::read(&path)?;
    /// assert_eq!(table.header(), ["code", "name"]);
    /// std::fs::write(&path, b"code,name\n1,\xD3\xE5\xB1\xB1\n")?; // GBK
    /// let err = Table::read(&path).unwrap_err().to_string();
    /// assert!(err.ends_with(", line 2: not valid UTF-8 (the file may be in another encoding \
    ///     such as GBK or Latin-1; save it as UTF-8)"));
    /// std::fs::remove_file(&path)?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn read(path: &Path) -> Result<Self> {
        let bytes = std::fs::read(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let source = path.display().to_string();
        Self::parse(utf8_text(&bytes, &source)?, &source)
    }

    /// Parse CSV `text`; `source` names it in errors.
    pub fn parse(text: &str, source: &str) -> Result<Self> {
        let fail = |line: usize, reason: String| Error::Mismatch {
            context: format!("{source}, line {line}"),
            reason,
        };
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut records: Vec<(usize, Vec<String>)> = Vec::new();
        let mut field = String::new();
        let mut record: Vec<String> = Vec::new();
        let mut quoted = false;
        let mut line = 1;
        let mut record_line = 1;
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            match (quoted, c) {
                (true, '"') if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                (true, '"') => quoted = false,
                (true, c) => {
                    if c == '\n' {
                        line += 1;
                    }
                    field.push(c);
                }
                (false, '"') if field.is_empty() => quoted = true,
                (false, ',') => record.push(std::mem::take(&mut field)),
                (false, '\r') if chars.peek() == Some(&'\n') => {}
                (false, '\n') => {
                    record.push(std::mem::take(&mut field));
                    records.push((record_line, std::mem::take(&mut record)));
                    line += 1;
                    record_line = line;
                }
                (false, c) => field.push(c),
            }
        }
        if quoted {
            return Err(fail(record_line, "a quoted field is not closed".into()));
        }
        if !field.is_empty() || !record.is_empty() {
            record.push(field);
            records.push((record_line, record));
        }
        records.retain(|(_, r)| !(r.len() == 1 && r[0].is_empty()));
        let mut records = records.into_iter();
        let (_, header) = records
            .next()
            .ok_or_else(|| fail(1, "the file is empty (no header)".into()))?;
        let mut rows = Vec::new();
        for (line, row) in records {
            if row.len() != header.len() {
                return Err(fail(
                    line,
                    format!("{} fields where the header has {}", row.len(), header.len()),
                ));
            }
            rows.push(row);
        }
        Ok(Table {
            source: source.to_string(),
            header,
            rows,
        })
    }

    /// The column names.
    pub fn header(&self) -> &[String] {
        &self.header
    }

    /// The rows, in file order.
    pub fn rows(&self) -> &[Vec<String>] {
        &self.rows
    }

    /// Where the table came from.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The position of column `name`, or an error listing the columns.
    pub fn position(&self, name: &str) -> Result<usize> {
        self.header
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| Error::Mismatch {
                context: self.source.clone(),
                reason: format!(
                    "no column named '{name}' (columns: {})",
                    self.header.join(", ")
                ),
            })
    }

    /// The cells of column `name`.
    pub fn column(&self, name: &str) -> Result<Vec<&str>> {
        let i = self.position(name)?;
        Ok(self.rows.iter().map(|r| r[i].as_str()).collect())
    }

    /// Column `name` as numbers: an empty cell is missing; `inf`, `-inf`
    /// and `nan` (as terralux and numpy write them) are kept as such, for
    /// the caller to say what it does with them (see
    /// [`crate::index::screen_indicators`]); any other text is an error
    /// naming the row.
    pub fn numbers(&self, name: &str) -> Result<Vec<Option<f64>>> {
        let i = self.position(name)?;
        self.rows
            .iter()
            .enumerate()
            .map(|(r, row)| {
                let cell = row[i].trim();
                if cell.is_empty() {
                    return Ok(None);
                }
                cell.parse::<f64>().map(Some).map_err(|_| Error::Mismatch {
                    context: format!("{}, row {}", self.source, r + 1),
                    reason: format!("'{cell}' in column '{name}' is not a number"),
                })
            })
            .collect()
    }

    /// The columns whose every non-empty cell is a number (and one at least).
    pub fn numeric_columns(&self) -> Vec<&str> {
        self.header
            .iter()
            .enumerate()
            .filter(|(i, _)| {
                let cells: Vec<&str> = self
                    .rows
                    .iter()
                    .map(|r| r[*i].trim())
                    .filter(|c| !c.is_empty())
                    .collect();
                !cells.is_empty() && cells.iter().all(|c| c.parse::<f64>().is_ok())
            })
            .map(|(_, h)| h.as_str())
            .collect()
    }

    /// The rows whose column `name` equals `value`.
    pub fn filtered(&self, name: &str, value: &str) -> Result<Table> {
        let i = self.position(name)?;
        Ok(Table {
            source: format!("{} ({name} = {value})", self.source),
            header: self.header.clone(),
            rows: self
                .rows
                .iter()
                .filter(|r| r[i] == value)
                .cloned()
                .collect(),
        })
    }
}
