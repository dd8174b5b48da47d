//! Provenance: what produced an output, recorded next to it as JSON.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use super::atomic::write_atomically;
use super::json::Json;
use super::transaction::OutputFile;
use crate::error::Result;
use crate::results::ZonalTable;

/// An input file as recorded in provenance: its role, path, size and modification time.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct InputFile {
    /// What the file is for (`raster`, `zones`, `weights`...).
    pub role: String,
    /// The path as given.
    pub path: String,
    /// Size in bytes (`None` for GDAL virtual paths and unreadable files).
    pub size_bytes: Option<u64>,
    /// Last modification, RFC 3339 UTC.
    pub modified: Option<String>,
}

impl InputFile {
    /// Describe `path` from the file system.
    pub fn describe(role: &str, path: &str) -> Self {
        let meta = std::fs::metadata(path).ok();
        InputFile {
            role: role.to_string(),
            path: path.to_string(),
            size_bytes: meta.as_ref().map(|m| m.len()),
            modified: meta.and_then(|m| m.modified().ok()).map(rfc3339),
        }
    }
}

impl InputFile {
    /// The provenance record of the file: role, path, size and modification time.
    pub fn to_json(&self) -> Json {
        Json::object([
            ("role", Json::str(&self.role)),
            ("path", Json::str(&self.path)),
            (
                "size_bytes",
                self.size_bytes.map_or(Json::Null, |s| Json::Int(s as i64)),
            ),
            (
                "modified",
                self.modified.clone().map_or(Json::Null, Json::Str),
            ),
        ])
    }
}

/// Everything recorded about one run, besides what the table itself carries.
#[derive(Debug, Clone)]
pub struct RunRecord<'a> {
    /// The program's command line, arguments included.
    pub command_line: Vec<String>,
    /// The input files.
    pub inputs: Vec<InputFile>,
    /// The zones' CRS as read (before any conversion).
    pub zones_crs: Option<String>,
    /// Conversions applied to the zones (GCJ-02, reprojection), in order.
    pub zone_transformations: Vec<String>,
    /// When the run started.
    pub started: SystemTime,
    /// When it ended.
    pub finished: SystemTime,
    /// The result.
    pub table: &'a ZonalTable,
    /// Remarks on the inputs worth keeping with the result (e.g. DMSP saturation).
    pub notes: Vec<String>,
    /// The data files of the run (tables, maps, roll-ups), with size and
    /// SHA-256, as staged by its [`OutputSet`](super::OutputSet).
    pub outputs: Vec<OutputFile>,
}

/// The provenance record of an output file: path, size and SHA-256.
///
/// ```
/// use terralux::write::{output_json, OutputFile};
/// let file = OutputFile { path: "out/a.csv".into(), size_bytes: 3, sha256: "ab".into() };
/// let text = output_json(&file).to_string_pretty();
/// assert!(text.contains(r#""path": "out/a.csv""#) && text.contains(r#""sha256": "ab""#));
/// ```
pub fn output_json(file: &OutputFile) -> Json {
    Json::object([
        ("path", Json::str(file.path.display().to_string())),
        ("size_bytes", Json::Int(file.size_bytes as i64)),
        ("sha256", Json::str(&file.sha256)),
    ])
}

/// `<output>.provenance.json`.
pub fn provenance_path(output: &Path) -> PathBuf {
    let mut name = output.as_os_str().to_owned();
    name.push(".provenance.json");
    PathBuf::from(name)
}

/// The provenance of a run as JSON.
pub fn provenance_json(record: &RunRecord<'_>) -> Json {
    let table = record.table;
    let p = &table.provenance;
    let grid = &p.grid;
    let t = grid.transform();
    let layer = |l: &crate::results::LayerInfo| {
        Json::object([
            ("source", Json::str(&l.source)),
            ("raster", Json::Int(l.raster as i64)),
            ("band", Json::Int(l.band as i64)),
        ])
    };
    let inputs = record.inputs.iter().map(InputFile::to_json).collect();
    Json::object([
        ("library", Json::str("terralux")),
        ("library_version", Json::str(&p.library_version)),
        (
            "command_line",
            Json::Array(record.command_line.iter().map(Json::str).collect()),
        ),
        ("inputs", Json::Array(inputs)),
        (
            "outputs",
            Json::Array(record.outputs.iter().map(output_json).collect()),
        ),
        (
            "raster",
            Json::object([
                (
                    "crs",
                    grid.crs().map_or(Json::Null, |c| Json::str(c.definition())),
                ),
                ("rows", Json::Int(grid.rows() as i64)),
                ("cols", Json::Int(grid.cols() as i64)),
                (
                    "geotransform",
                    Json::Array(t.to_gdal().iter().map(|&v| Json::Number(v)).collect()),
                ),
                (
                    "layers",
                    Json::Array(table.layers.iter().map(layer).collect()),
                ),
                ("weights", p.weights.as_ref().map_or(Json::Null, layer)),
            ]),
        ),
        (
            "zones",
            Json::object([
                ("source", Json::str(&p.zones_source)),
                ("layer", Json::str(&p.zones_layer)),
                ("id_field", p.id_field.clone().map_or(Json::Null, Json::Str)),
                ("count", Json::Int(table.zones.len() as i64)),
                (
                    "crs",
                    record.zones_crs.clone().map_or(Json::Null, Json::Str),
                ),
                (
                    "transformations",
                    Json::Array(record.zone_transformations.iter().map(Json::str).collect()),
                ),
                (
                    "repaired",
                    Json::Array(
                        p.repaired_zones
                            .iter()
                            .map(|id| Json::Str(id.to_string()))
                            .collect(),
                    ),
                ),
            ]),
        ),
        ("coverage", Json::str(p.coverage.name())),
        ("weighting", Json::str(p.weighting.name())),
        ("min_coverage_frac", Json::Number(p.min_coverage_frac)),
        (
            "default_value",
            p.default_value.map_or(Json::Null, Json::Number),
        ),
        (
            "default_weight",
            p.default_weight.map_or(Json::Null, Json::Number),
        ),
        ("mode_ties", Json::str(p.mode_ties.name())),
        (
            "statistics",
            Json::Array(
                table
                    .columns
                    .iter()
                    .map(|c| {
                        Json::object([
                            ("column", Json::str(&c.name)),
                            ("statistic", Json::str(c.stat.name())),
                            ("definition", Json::str(c.stat.definition_with(p.mode_ties))),
                        ])
                    })
                    .collect(),
            ),
        ),
        ("threads", Json::Int(p.threads as i64)),
        (
            "memory",
            Json::object([
                (
                    "limit_bytes",
                    p.memory_limit.map_or(Json::Null, |b| Json::Int(b as i64)),
                ),
                ("spilled_bytes", Json::Int(p.spilled_bytes as i64)),
                (
                    "peak_rss_bytes",
                    peak_rss_bytes().map_or(Json::Null, |b| Json::Int(b as i64)),
                ),
            ]),
        ),
        (
            "notes",
            Json::Array(record.notes.iter().map(Json::str).collect()),
        ),
        ("started", Json::str(rfc3339(record.started))),
        ("finished", Json::str(rfc3339(record.finished))),
    ])
}

/// The process's peak resident memory so far (`VmHWM` on Linux; `None` elsewhere).
pub fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// The text of a provenance file: the record as pretty JSON and a line break.
pub fn provenance_text(record: &RunRecord<'_>) -> String {
    provenance_json(record).to_string_pretty() + "\n"
}

/// Write `<output>.provenance.json` atomically, on its own (for several
/// files that must change together, stage it in the run's [`OutputSet`](super::OutputSet)).
pub fn write_provenance(output: &Path, record: &RunRecord<'_>) -> Result<PathBuf> {
    let path = provenance_path(output);
    let text = provenance_text(record);
    write_atomically(&path, |w| w.write_all(text.as_bytes()))?;
    Ok(path)
}

/// A time as RFC 3339 UTC with milliseconds, e.g. `2026-11-23T04:31:16.123Z`.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// let t = UNIX_EPOCH + Duration::from_millis(1_795_411_876_123);
/// assert_eq!(terralux::write::rfc3339(t), "2026-11-23T05:31:16.123Z");
/// ```
pub fn rfc3339(time: SystemTime) -> String {
    chrono::DateTime::<chrono::Utc>::from(time).to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}
