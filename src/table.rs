//! Reading per-zone tables from CSV (RFC 4180: quoted fields, doubled
//! quotes, delimiters and line breaks inside quotes, CRLF or LF), such as
//! terralux's own outputs or a spreadsheet's export, to build indices from.
//!
//! The delimiter is a comma, a semicolon or a tab: the one the header line
//! uses most (outside quotes), or the one given in [`TableOptions`]. Text is
//! UTF-8 (a byte-order mark is skipped), or any encoding given by its WHATWG
//! label (`gbk`, `gb18030`, `big5`, `shift_jis`, `windows-1252`...). A
//! quoted field must end at its closing quote: `"a"b` is an error naming
//! the line, not the text `ab` (the `csv` crate and Python's default
//! reader accept it and drop the quotes; that is why this reader is not
//! the `csv` crate).
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

/// How to read a table file: the delimiter and the encoding, each found
/// from the file when not given.
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use terralux::table::{Table, TableOptions};
/// let path = std::env::temp_dir().join(format!("terralux-gbk-doc-{}.csv", std::process::id()));
/// std::fs::write(&path, b"code;name\r\n1;\xD3\xE5\xB1\xB1\r\n")?; // GBK, as Excel saves it in China
/// let options = TableOptions { encoding: Some("gbk".into()), ..TableOptions::default() };
/// let table = Table::read_with(&path, &options)?;
/// assert_eq!(table.column("name")?, ["渝北"]);
/// std::fs::remove_file(&path)?;
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TableOptions {
    /// The field delimiter; `None`: the header's most used of `,`, `;` and tab.
    pub delimiter: Option<char>,
    /// The text encoding as a WHATWG label (`gbk`, `utf-8`, `windows-1252`...);
    /// `None`: UTF-8.
    pub encoding: Option<String>,
}

/// The delimiters found by themselves, in order of preference on a tie.
const DELIMITERS: [char; 3] = [',', ';', '\t'];

/// The delimiter of `text`: the most used of [`DELIMITERS`] outside quotes
/// on its first line (a comma when none is).
fn detect_delimiter(text: &str) -> char {
    let mut counts = [0usize; 3];
    let mut quoted = false;
    for c in text.chars() {
        match c {
            '"' => quoted = !quoted,
            '\n' if !quoted => break,
            c if !quoted => {
                if let Some(i) = DELIMITERS.iter().position(|&d| d == c) {
                    counts[i] += 1;
                }
            }
            _ => {}
        }
    }
    let best = (0..3).fold(0, |best, i| if counts[i] > counts[best] { i } else { best });
    DELIMITERS[best]
}

/// `bytes` decoded from the encoding labelled `label`, or an error naming
/// `source` and the line of the first byte that is not of that encoding.
fn decoded_text(bytes: &[u8], label: &str, source: &str) -> Result<String> {
    let encoding = encoding_rs::Encoding::for_label(label.trim().as_bytes()).ok_or_else(|| {
        Error::Mismatch {
            context: source.to_string(),
            reason: format!(
                "unknown encoding '{label}' (use a WHATWG label such as utf-8, gbk, gb18030, \
                 big5, shift_jis or windows-1252)"
            ),
        }
    })?;
    if encoding == encoding_rs::UTF_8 {
        return utf8_text(bytes, source).map(str::to_string);
    }
    let mut decoder = encoding.new_decoder_without_bom_handling();
    let mut text = String::with_capacity(
        decoder
            .max_utf8_buffer_length_without_replacement(bytes.len())
            .unwrap_or(bytes.len() * 3),
    );
    let (result, read) = decoder.decode_to_string_without_replacement(bytes, &mut text, true);
    match result {
        encoding_rs::DecoderResult::InputEmpty => Ok(text),
        _ => {
            let line = 1 + bytes[..read.min(bytes.len())]
                .iter()
                .filter(|&&b| b == b'\n')
                .count();
            Err(Error::Mismatch {
                context: format!("{source}, line {line}"),
                reason: format!("not valid {} text", encoding.name()),
            })
        }
    }
}

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
        Self::read_with(path, &TableOptions::default())
    }

    /// Read a CSV file with `options` (delimiter, encoding); see
    /// [`TableOptions`].
    pub fn read_with(path: &Path, options: &TableOptions) -> Result<Self> {
        let bytes = std::fs::read(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let source = path.display().to_string();
        let text = match &options.encoding {
            None => utf8_text(&bytes, &source)?.to_string(),
            Some(label) => decoded_text(&bytes, label, &source)?,
        };
        Self::parse_with(&text, &source, options.delimiter)
    }

    /// Parse CSV `text`, delimiter found from the header; `source` names it in errors.
    pub fn parse(text: &str, source: &str) -> Result<Self> {
        Self::parse_with(text, source, None)
    }

    /// Parse CSV `text` with fields separated by `delimiter` (`None`: the
    /// header's most used of `,`, `;` and tab); `source` names it in errors.
    ///
    /// ```
    /// use terralux::table::Table;
    /// let semicolons = Table::parse_with("code;density\n1;0,5\n", "t.csv", None)?;
    /// assert_eq!(semicolons.column("density")?, ["0,5"]);
    /// let tabs = Table::parse("code\tname\n1\tYubei\n", "t.tsv")?;
    /// assert_eq!(tabs.column("name")?, ["Yubei"]);
    /// let err = Table::parse("a,b\n\"x\"y,1\n", "t.csv").unwrap_err().to_string();
    /// assert!(err.starts_with("t.csv, line 2: text after the closing quote"), "{err}");
    /// # Ok::<(), terralux::Error>(())
    /// ```
    pub fn parse_with(text: &str, source: &str, delimiter: Option<char>) -> Result<Self> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let delimiter = delimiter.unwrap_or_else(|| detect_delimiter(text));
        if matches!(delimiter, '"' | '\r' | '\n') {
            return Err(Error::Mismatch {
                context: source.to_string(),
                reason: format!("{delimiter:?} cannot be a delimiter"),
            });
        }
        let fail = |line: usize, reason: String| Error::Mismatch {
            context: format!("{source}, line {line}"),
            reason,
        };
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
                (true, '"') => {
                    quoted = false;
                    if chars
                        .peek()
                        .is_some_and(|&n| n != delimiter && n != '\r' && n != '\n')
                    {
                        return Err(fail(
                            line,
                            "text after the closing quote of a field (quote the whole field, \
                             and double any quote inside it)"
                                .into(),
                        ));
                    }
                }
                (true, c) => {
                    if c == '\n' {
                        line += 1;
                    }
                    field.push(c);
                }
                (false, '"') if field.is_empty() => quoted = true,
                (false, c) if c == delimiter => record.push(std::mem::take(&mut field)),
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
