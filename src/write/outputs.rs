//! Where a run's companion files go, and the notes and provenance files
//! every run of the binaries writes beside its table.

use std::path::{Path, PathBuf};

use super::{OutputSet, RunRecord, provenance_path, provenance_text};
use crate::error::Result;

/// `<dir>/<stem>_by_<field>.csv` beside `output`: where a roll-up of the
/// table at `output` by the attribute `field` goes.
///
/// Field names come from the zones file, so every character that could
/// leave the folder or trouble a file system (`/`, `\`, `:`, `*`, `?`,
/// `"`, `<`, `>`, `|`, control characters) becomes `_`; the stem of
/// `output` is kept as it is (it need not be UTF-8). Two fields that end up
/// with one file name are refused by the [`OutputSet`] they are declared in.
///
/// ```
/// use std::path::{Path, PathBuf};
/// use terralux::write::roll_up_path;
/// assert_eq!(roll_up_path(Path::new("out/counties.gpkg"), "province"),
///            PathBuf::from("out/counties_by_province.csv"));
/// assert_eq!(roll_up_path(Path::new("out/t.csv"), "../a:b"),
///            PathBuf::from("out/t_by_.._a_b.csv"));
/// ```
pub fn roll_up_path(output: &Path, field: &str) -> PathBuf {
    let mut name = output.file_stem().unwrap_or_default().to_owned();
    let safe: String = field
        .chars()
        .map(|c| {
            if c.is_control() || matches!(c, '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|') {
                '_'
            } else {
                c
            }
        })
        .collect();
    name.push(format!("_by_{safe}.csv"));
    output.with_file_name(name)
}

/// Declare `path` and its provenance file ([`provenance_path`]) as outputs
/// of `set`.
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use terralux::write::{OutputSet, declare_with_provenance};
/// let dir = std::env::temp_dir();
/// let mut set = OutputSet::new();
/// declare_with_provenance(&mut set, &dir.join("declared.csv"))?;
/// assert_eq!(set.targets().count(), 2);
/// # Ok(())
/// # }
/// ```
pub fn declare_with_provenance(set: &mut OutputSet, path: &Path) -> Result<()> {
    set.output(path)?;
    set.output(provenance_path(path))?;
    Ok(())
}

/// Stage `path`'s provenance file in `set` (declared with
/// [`declare_with_provenance`]): `record`, naming every data file staged
/// so far in its `outputs`.
///
/// ```
/// # #[cfg(feature = "gdal")]
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use terralux::write::{OutputSet, RunRecord, declare_with_provenance, stage_provenance};
/// use terralux::{GdalRaster, zones::{ZoneOptions, ZoneSet}};
/// let data = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata");
/// let raster = GdalRaster::open(format!("{data}/ntl.tif"))?;
/// let zones = ZoneSet::read(format!("{data}/counties.gpkg"), &ZoneOptions::default())?;
/// let table = terralux::ZonalStats::new(&zones).band(&raster, 1).run()?;
/// let dir = std::env::temp_dir().join(format!("terralux-stage-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// let path = dir.join("t.csv");
/// let mut set = OutputSet::new();
/// declare_with_provenance(&mut set, &path)?;
/// set.write_bytes(&path, b"fid\n")?;
/// let now = std::time::SystemTime::now();
/// let record = RunRecord { command_line: vec![], inputs: vec![], zones_crs: None,
///     zone_transformations: vec![], started: now, finished: now, table: &table,
///     notes: vec![], outputs: set.written() };
/// stage_provenance(&mut set, &path, &record)?;
/// set.commit()?;
/// assert!(std::fs::read_to_string(dir.join("t.csv.provenance.json"))?.contains("t.csv"));
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok(())
/// # }
/// # #[cfg(not(feature = "gdal"))] fn main() {}
/// ```
pub fn stage_provenance(set: &mut OutputSet, path: &Path, record: &RunRecord<'_>) -> Result<()> {
    let text = provenance_text(record);
    set.write_bytes(&provenance_path(path), text.as_bytes())
}

/// The note (for stderr, as a warning, and for the provenance) that a
/// vector output at `path` in `format` stores some NaN values of `table`
/// as null (a GeoPackage does: SQLite has no NaN); `None` when no value
/// is lost.
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use std::path::Path;
/// use terralux::write::{VectorFormat, nan_in_geopackage_note};
/// use terralux::{GeoTransform, Grid, Raster, ZonalStats};
/// use terralux::zones::{Attributes, Zone, ZoneId, ZoneSet};
/// use geo_types::{polygon, MultiPolygon};
/// let grid = Grid::new(GeoTransform::new(0.0, 1.0, 1.0, -1.0)?, 1, 1)?;
/// let raster = Raster::new(grid, ndarray::array![[f64::INFINITY]])?;
/// let square = polygon![(x: 0.0, y: 0.0), (x: 1.0, y: 0.0), (x: 1.0, y: 1.0), (x: 0.0, y: 1.0)];
/// let zones = ZoneSet::new(vec![Zone { id: ZoneId::Int(1), attributes: Attributes::default(),
///     geometry: MultiPolygon(vec![square]) }], None);
/// let table = ZonalStats::new(&zones).band(&raster, 1)
///     .stats(&[terralux::stats::Stat::Variance]).run()?; // the variance with inf is NaN
/// let note = nan_in_geopackage_note(Path::new("t.gpkg"), &table, VectorFormat::GeoPackage);
/// assert_eq!(note.as_deref(), Some("t.gpkg: 1 value(s) are NaN, which a GeoPackage (SQLite) \
///     stores as null; a CSV output keeps them as nan"));
/// assert_eq!(nan_in_geopackage_note(Path::new("t.geojson"), &table, VectorFormat::GeoJson), None);
/// # Ok(())
/// # }
/// ```
#[cfg(feature = "gdal")]
pub fn nan_in_geopackage_note(
    path: &Path,
    table: &crate::results::ZonalTable,
    format: super::VectorFormat,
) -> Option<String> {
    let lost = super::nan_values_lost(table, format);
    (lost > 0).then(|| {
        format!(
            "{}: {lost} value(s) are NaN, which a GeoPackage (SQLite) stores as null; a CSV output keeps them as nan",
            path.display()
        )
    })
}
