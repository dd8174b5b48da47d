//! The `county_ntl` binary as library calls: night-light indicators per
//! county and date, from a [`CountyNtlRequest`] to the long table, the
//! trends and their provenance files.
//!
//! A run is three steps, as the binary takes them:
//! 1. [`plan_outputs`]: every input (the folder, each raster and its
//!    `cf_cvg` companion, the population raster, the zones) and every output
//!    resolved to its file identity before any work; an output that is an
//!    input is refused;
//! 2. [`run`]: the zones read and [`county_ntl`] over the collection;
//! 3. [`write_outputs`]: the long table (CSV, or GeoPackage with the zones'
//!    geometry, re-read to check it), the trends and every provenance
//!    file, staged and renamed into place together ([`OutputSet`]).
//!
//! [`run_to_files`] is the three in one call. Nothing is printed: warnings,
//! notes, steps and progress come as [`RunEvent`]s through the callback.
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use terralux::ntl::ProductChoice;
//! use terralux::workflow::county_ntl::{self, CountyNtlOutput, CountyNtlRequest};
//! let data = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata");
//! let dir = std::env::temp_dir().join(format!("terralux-county-mod-{}", std::process::id()));
//! std::fs::create_dir_all(&dir)?;
//! let mut request = CountyNtlRequest::from_folder(
//!     format!("{data}/products/vnl"), ProductChoice::Auto, format!("{data}/counties.gpkg"))?;
//! request.zone_options.id_field = Some("code".into());
//! let mut output = CountyNtlOutput::new(dir.join("county_ntl.csv"));
//! output.trends = Some(dir.join("trends.csv"));
//! let (run, files) = county_ntl::run_to_files(&request, &output, &|_event| {})?;
//! assert_eq!(run.series.tables.len(), 3); // three VNL years
//! // The table, the trends, and a provenance file for each.
//! assert_eq!(files.len(), 4);
//! let table = std::fs::read_to_string(dir.join("county_ntl.csv"))?;
//! assert!(table.starts_with("code,date,tnl,"));
//! # std::fs::remove_dir_all(&dir)?;
//! # Ok(())
//! # }
//! ```

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::error::{Error, Result};
use crate::ntl::{Collection, CountyNtlOptions, CountyNtlRun, ProductChoice, RunEvent, county_ntl};
use crate::write::{
    self, Format, OutputFile, OutputSet, RunRecord, VectorFormat, declare_with_provenance,
    stage_provenance,
};
use crate::zones::{ZoneOptions, ZoneSet};

use super::path_text;

/// What a `county_ntl` run measures: the dated files, the zones and how.
#[derive(Debug, Clone)]
pub struct CountyNtlRequest {
    /// The night-light files, dates and products.
    pub collection: Collection,
    /// The folder the collection was listed from (`--dir`), if any: an
    /// input, so that no output is written into its listing unnoticed.
    pub folder: Option<PathBuf>,
    /// The zones (any OGR source).
    pub zones: PathBuf,
    /// Layer and id field of the zones.
    pub zone_options: ZoneOptions,
    /// Thresholds, masks, calibration, population, threads...
    pub options: CountyNtlOptions,
}

impl CountyNtlRequest {
    /// The rasters of `folder` ([`Collection::from_folder`]) over `zones`,
    /// with the default options.
    pub fn from_folder(
        folder: impl Into<PathBuf>,
        choice: ProductChoice,
        zones: impl Into<PathBuf>,
    ) -> Result<Self> {
        let folder = folder.into();
        let collection = Collection::from_folder(&folder, choice)?;
        Ok(CountyNtlRequest {
            folder: Some(folder),
            ..Self::new(collection, zones)
        })
    }

    /// The rasters at `paths` ([`Collection::from_paths`]) over `zones`,
    /// with the default options. An [`Error::Request`] for a path that is
    /// not UTF-8 (GDAL takes paths as text).
    pub fn from_paths(
        paths: Vec<PathBuf>,
        choice: ProductChoice,
        zones: impl Into<PathBuf>,
    ) -> Result<Self> {
        for path in &paths {
            path_text("raster", path)?;
        }
        Ok(Self::new(Collection::from_paths(paths, choice)?, zones))
    }

    /// `collection` over `zones`, with the default options.
    pub fn new(collection: Collection, zones: impl Into<PathBuf>) -> Self {
        CountyNtlRequest {
            collection,
            folder: None,
            zones: zones.into(),
            zone_options: ZoneOptions::default(),
            options: CountyNtlOptions::default(),
        }
    }

    /// Every input path with its role, in the order the checks take them.
    fn input_paths(&self) -> Vec<(&'static str, &Path)> {
        let mut paths = Vec::new();
        for file in &self.collection.files {
            paths.push(("raster", file.path.as_path()));
            if let Some(companion) = &file.companion {
                paths.push(("companion", companion.as_path()));
            }
        }
        if let Some(population) = &self.options.population {
            paths.push(("population", population.as_path()));
        }
        paths.push(("zones", self.zones.as_path()));
        paths
    }
}

/// Where a `county_ntl` run writes (`--output`, `--trends`): the long table
/// (one row per county and date) as CSV or GeoPackage, the trends as CSV,
/// and a provenance file beside each ([`write::provenance_path`]).
#[derive(Debug, Clone, PartialEq)]
pub struct CountyNtlOutput {
    /// The long table: `.csv` or `.gpkg`.
    pub path: PathBuf,
    /// The per-county trends over the dates (`.csv`), if wanted.
    pub trends: Option<PathBuf>,
    /// The command line the provenance records (empty for a library call).
    pub command_line: Vec<String>,
}

impl CountyNtlOutput {
    /// The long table at `path`, no trends.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        CountyNtlOutput {
            path: path.into(),
            trends: None,
            command_line: Vec::new(),
        }
    }

    /// The long table's format: CSV, GeoPackage or Parquet. An
    /// [`Error::Request`] for a name that is none of `.csv`, `.gpkg` and
    /// `.parquet`, or trends that are not `.csv`.
    ///
    /// ```
    /// use terralux::workflow::county_ntl::CountyNtlOutput;
    /// use terralux::write::{Format, VectorFormat};
    /// assert_eq!(CountyNtlOutput::new("out/t.csv").format().unwrap(), Format::Csv);
    /// assert_eq!(CountyNtlOutput::new("out/t.gpkg").format().unwrap(), Format::Vector(VectorFormat::GeoPackage));
    /// assert_eq!(CountyNtlOutput::new("out/t.parquet").format().unwrap(), Format::Parquet);
    /// assert!(CountyNtlOutput::new("out/t.geojson").format().is_err());
    /// ```
    pub fn format(&self) -> Result<Format> {
        if let Some(trends) = &self.trends
            && Format::from_path(trends) != Some(Format::Csv)
        {
            return Err(Error::Request {
                context: trends.display().to_string(),
                reason: "the trends table must end in .csv".into(),
            });
        }
        match Format::from_path(&self.path) {
            Some(
                f @ (Format::Csv | Format::Parquet | Format::Vector(VectorFormat::GeoPackage)),
            ) => Ok(f),
            _ => Err(Error::Request {
                context: self.path.display().to_string(),
                reason: "the long table must end in .csv, .gpkg or .parquet".into(),
            }),
        }
    }

    /// The files of the run, each followed by its provenance file.
    fn paths(&self) -> impl Iterator<Item = &Path> {
        std::iter::once(self.path.as_path()).chain(self.trends.as_deref())
    }
}

/// Resolve every input and output of `request` to its file identity and
/// prepare the outputs' folders, before any work: an output that is an
/// input (or the provenance file of one) is an
/// [`Error::OutputConflict`].
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use terralux::ntl::ProductChoice;
/// use terralux::workflow::county_ntl::{self, CountyNtlOutput, CountyNtlRequest};
/// let data = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata");
/// let request = CountyNtlRequest::from_paths(
///     vec![format!("{data}/ntl.tif").into()], ProductChoice::Auto, format!("{data}/counties.gpkg"))?;
/// let output = CountyNtlOutput::new(format!("{data}/counties.gpkg"));
/// let error = county_ntl::plan_outputs(&request, &output).err();
/// assert!(matches!(error, Some(terralux::Error::OutputConflict { .. })));
/// # Ok(())
/// # }
/// ```
pub fn plan_outputs(request: &CountyNtlRequest, output: &CountyNtlOutput) -> Result<OutputSet> {
    let mut set = OutputSet::new();
    if let Some(folder) = &request.folder {
        set.input_folder(folder)?;
    }
    for (role, path) in request.input_paths() {
        set.input(path_text(role, path)?)?;
    }
    output.format()?;
    for path in output.paths() {
        declare_with_provenance(&mut set, path)?;
    }
    set.prepare()?;
    Ok(set)
}

/// Read the zones of `request` and run [`county_ntl`] over its collection.
pub fn run(
    request: &CountyNtlRequest,
    on_event: &(dyn Fn(RunEvent<'_>) + Sync),
) -> Result<CountyNtlRun> {
    path_text("zones", &request.zones)?;
    let zones = ZoneSet::read(&request.zones, &request.zone_options)?;
    county_ntl(&request.collection, zones, &request.options, on_event)
}

/// Write the files of `run` into `set` (from [`plan_outputs`] with the
/// same `output`) and rename them into place together: the long table
/// (CSV, or a GeoPackage with one feature per county and date, re-read to
/// check it), the trends, then the provenance files, which list each
/// output with its size and SHA-256. `started` is when the run began, for
/// the provenance. A failure leaves the previous files untouched. Events:
/// a [`RunEvent::Warning`] when a GeoPackage stores NaN values as null.
pub fn write_outputs(
    mut set: OutputSet,
    run: &CountyNtlRun,
    output: &CountyNtlOutput,
    started: SystemTime,
    on_event: &(dyn Fn(RunEvent<'_>) + Sync),
) -> Result<Vec<OutputFile>> {
    let format = output.format()?;
    let series = &run.series;
    let first = series.tables.first().ok_or_else(|| Error::Request {
        context: output.path.display().to_string(),
        reason: "the run has no date to write".into(),
    })?;
    let id_column = run.zones.id_field().unwrap_or("fid");
    let path = &output.path;
    let mut notes = run.notes.clone();
    match format {
        Format::Csv => set.write(path, |w| series.write_long_csv(id_column, None, w))?,
        Format::Parquet => {
            let batch = series
                .record_batch(id_column)?
                .ok_or_else(|| Error::Request {
                    context: path.display().to_string(),
                    reason: "the run has no date to write".into(),
                })?;
            set.write_with_path(
                path,
                |file| write::parquet::write_parquet_file(&batch, file),
                |file| write::parquet::check_parquet(file, &batch),
            )?;
        }
        Format::Vector(kind) => {
            let (table, zones) = series.long_form(&run.zones).ok_or_else(|| Error::Request {
                context: path.display().to_string(),
                reason: "the run has no date to write".into(),
            })?;
            if let Some(note) = write::nan_in_geopackage_note(path, &table, kind) {
                on_event(RunEvent::Warning(&note));
                notes.push(note);
            }
            set.write_with_path(
                path,
                |file| write::write_vector_file(&table, &zones, id_column, path, file, kind),
                |file| write::check_vector(file, path, kind, &table, &zones, id_column),
            )?;
        }
    }
    if let Some(trends) = &output.trends {
        set.write(trends, |w| series.write_trends_csv(id_column, None, w))?;
    }
    let record = RunRecord {
        command_line: output.command_line.clone(),
        inputs: run.inputs.clone(),
        zones_crs: run.zones_crs_as_read.clone(),
        zone_transformations: run.zone_transformations.clone(),
        started,
        finished: SystemTime::now(),
        table: first,
        notes,
        outputs: set.written(),
    };
    for path in output.paths() {
        stage_provenance(&mut set, path, &record)?;
    }
    // Every file complete and checked: all into place together.
    set.commit()
}

/// A whole `county_ntl` run to files: [`plan_outputs`], [`run`] and
/// [`write_outputs`]; the run comes back with the files written (see the
/// module's example).
pub fn run_to_files(
    request: &CountyNtlRequest,
    output: &CountyNtlOutput,
    on_event: &(dyn Fn(RunEvent<'_>) + Sync),
) -> Result<(CountyNtlRun, Vec<OutputFile>)> {
    let started = SystemTime::now();
    let set = plan_outputs(request, output)?;
    let done = run(request, on_event)?;
    let files = write_outputs(set, &done, output, started, on_event)?;
    Ok((done, files))
}
