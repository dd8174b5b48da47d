//! The `zonal` binary as library calls: zonal statistics of raster bands
//! over polygon zones, from a [`ZonalRequest`] to the table, its roll-ups,
//! the per-cell table and their provenance files.
//!
//! A run is three steps, as the binary takes them:
//! 1. [`plan_outputs`]: every input and output resolved to its file
//!    identity before any work (an output that is an input is refused);
//! 2. [`run`] (or [`ZonalInputs::open`], [`read_zones`] and [`run_on`], to
//!    tell the failures of each input apart): the rasters opened, the zones
//!    read and prepared for the raster ([`ZoneSet::prepare_for`]), the
//!    statistics and roll-ups computed in one pass;
//! 3. [`write_outputs`]: the table in the format of its file name
//!    ([`Format::from_path`]), the roll-ups beside it
//!    ([`write::roll_up_path`]), the cells table and every provenance file,
//!    staged and renamed into place together ([`OutputSet`]).
//!
//! [`run_to_files`] is the three in one call. Nothing is printed: what the
//! binary says on stderr comes as [`ZonalEvent`]s through the callback, in
//! the order it happens ([`ZonalEvent::message`] is the text).
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use terralux::workflow::zonal::{self, ZonalOutput, ZonalRequest};
//! let data = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata");
//! let dir = std::env::temp_dir().join(format!("terralux-zonal-mod-{}", std::process::id()));
//! std::fs::create_dir_all(&dir)?;
//! let mut request = ZonalRequest::new(format!("{data}/ntl.tif"), format!("{data}/counties.gpkg"));
//! request.id_field = Some("code".into());
//! request.roll_ups = vec!["province".into()];
//! let output = ZonalOutput::new(dir.join("counties.csv"));
//! let request = request.for_output(&output)?;
//! let (run, files) = zonal::run_to_files(&request, &output, &|_event| {})?;
//! assert_eq!(run.id_column(), "code");
//! // The table, the roll-up, and a provenance file for each.
//! assert_eq!(files.len(), 4);
//! assert!(dir.join("counties_by_province.csv").exists());
//! # std::fs::remove_dir_all(&dir)?;
//! # Ok(())
//! # }
//! ```

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::ZonalStats;
use crate::cells::{CELL_COLUMNS, CellLayers, CellOptions, write_cells_csv};
use crate::coverage::{CoverageIndex, CoverageMode};
use crate::crs::Crs;
use crate::error::{Error, Result};
use crate::raster::{GdalRaster, RasterOptions, RasterSource};
use crate::results::ZonalTable;
use crate::stats::{ModeTies, Stat, Weighting};
use crate::write::{
    self, CsvOptions, Format, InputFile, OutputFile, OutputSet, RunRecord, declare_with_provenance,
    roll_up_path, stage_provenance,
};
use crate::zones::{BadGeometry, PrepareOptions, PrepareStep, PreparedZones, ZoneOptions, ZoneSet};

use super::{id_list, path_text};

/// The statistics of a run that names none, as `zonal` without `--stats`.
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use terralux::stats::Stat;
/// use terralux::workflow::zonal::{DEFAULT_STATS, ZonalRequest};
/// assert_eq!(DEFAULT_STATS, "count,sum,mean,min,max,stdev");
/// assert_eq!(ZonalRequest::new("r.tif", "z.gpkg").stats, Stat::parse_list(DEFAULT_STATS)?);
/// # Ok(())
/// # }
/// ```
pub const DEFAULT_STATS: &str = "count,sum,mean,min,max,stdev";

/// Everything a zonal run computes from: the inputs, the statistics and
/// how cells are counted, as `zonal`'s flags give them (each field names
/// its flag). Build one with [`ZonalRequest::new`] and set the fields.
///
/// ```
/// use terralux::coverage::CoverageMode;
/// use terralux::workflow::zonal::ZonalRequest;
/// let mut request = ZonalRequest::new("ntl.tif", "counties.gpkg");
/// request.bands = vec![1, 2];
/// request.coverage = CoverageMode::Center;
/// assert!(request.check().is_ok());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct ZonalRequest {
    /// The raster (`--raster`): any GDAL path.
    pub raster: PathBuf,
    /// Its bands, from 1 (`--band`; default `[1]`). With several, the
    /// columns are named `b{N}_{stat}`.
    pub bands: Vec<usize>,
    /// The polygon zones (`--zones`): any OGR source.
    pub zones: PathBuf,
    /// The layer of the zones source (`--layer`; needed when it has several).
    pub layer: Option<String>,
    /// The field of the zone ids (`--id-field`; default: feature ids, column `fid`).
    pub id_field: Option<String>,
    /// The statistics (`--stats`; default [`DEFAULT_STATS`]).
    pub stats: Vec<Stat>,
    /// How cells are covered (`--coverage`; default exact).
    pub coverage: CoverageMode,
    /// A raster on the same grid whose band 1 weights the `weighted_*`
    /// statistics (`--weights`).
    pub weights: Option<PathBuf>,
    /// Coverage fractions or covered km² (`--area-weighted`).
    pub weighting: Weighting,
    /// The zones' CRS (`--zones-crs`): for sources that declare none, and
    /// instead of a declared one ([`PrepareOptions::crs_override`]).
    pub zones_crs: Option<Crs>,
    /// The rasters' CRS when they declare none (`--raster-crs`; a declared
    /// one wins).
    pub raster_crs: Option<Crs>,
    /// The zones are in GCJ-02: convert them to WGS84 (`--gcj02`).
    pub gcj02: bool,
    /// Keep features without a usable polygon as zones of no cells
    /// (`--keep-bad-geometry`) instead of failing.
    pub keep_bad_geometry: bool,
    /// Snap a geographic grid to exact degree fractions (`--snap-grid`,
    /// [`RasterOptions::snap_geographic`]).
    pub snap_grid: bool,
    /// Count cells the GDAL mask marks invalid (`--ignore-mask`).
    pub ignore_mask: bool,
    /// Read VRTs with raw bands (`--allow-raw-vrt`).
    pub allow_raw_vrt: bool,
    /// Worker threads (`--threads`; default all cores). Results do not depend on it.
    pub threads: Option<usize>,
    /// Bytes the values kept for quantiles and `gini` may take in memory
    /// before going to a spill file (`--memory-limit`, in MiB there; default
    /// [`crate::engine::default_memory_limit`]; see [`ZonalStats::memory_limit`]).
    pub memory_limit: Option<usize>,
    /// Leave out cells covered less than this (`--min-coverage-frac`).
    pub min_coverage_frac: Option<f64>,
    /// The value of invalid cells, instead of skipping them (`--default-value`).
    pub default_value: Option<f64>,
    /// The weight where the weights raster is invalid (`--default-weight`).
    pub default_weight: Option<f64>,
    /// How ties of `majority`/`minority` are broken (`--mode-ties`).
    pub mode_ties: ModeTies,
    /// Attribute fields to roll the zones up by, from the same pass (`--roll-up`).
    pub roll_ups: Vec<String>,
    /// Keep the coverage of the zones for a cells table
    /// ([`ZonalOutput::cells`], `--cells`); set by [`ZonalRequest::for_output`].
    pub cells: bool,
    /// Keep the zones as given (before reprojection) for outputs that carry
    /// geometry ([`PrepareOptions::keep_as_given`]); set by
    /// [`ZonalRequest::for_output`] for a GeoJSON or GeoPackage output.
    pub keep_zones_as_given: bool,
}

impl ZonalRequest {
    /// A request with `zonal`'s defaults: band 1, [`DEFAULT_STATS`], exact
    /// coverage weighted by fraction, exactextract's ties, no options.
    ///
    /// ```
    /// use terralux::workflow::zonal::ZonalRequest;
    /// let request = ZonalRequest::new("ntl.tif", "counties.gpkg");
    /// assert_eq!(request.bands, [1]);
    /// assert!(request.roll_ups.is_empty() && !request.cells);
    /// ```
    pub fn new(raster: impl Into<PathBuf>, zones: impl Into<PathBuf>) -> Self {
        ZonalRequest {
            raster: raster.into(),
            bands: vec![1],
            zones: zones.into(),
            layer: None,
            id_field: None,
            stats: vec![
                Stat::Count,
                Stat::Sum,
                Stat::Mean,
                Stat::Min,
                Stat::Max,
                Stat::Stdev,
            ],
            coverage: CoverageMode::default(),
            weights: None,
            weighting: Weighting::default(),
            zones_crs: None,
            raster_crs: None,
            gcj02: false,
            keep_bad_geometry: false,
            snap_grid: false,
            ignore_mask: false,
            allow_raw_vrt: false,
            threads: None,
            memory_limit: None,
            min_coverage_frac: None,
            default_value: None,
            default_weight: None,
            mode_ties: ModeTies::default(),
            roll_ups: Vec::new(),
            cells: false,
            keep_zones_as_given: false,
        }
    }

    /// Refuse what cannot be run whatever the data ([`Error::Request`]):
    /// no band, band 0 or a band twice; a statistic twice (two columns of
    /// one name, compared case-insensitively); `weighted_*` statistics or a
    /// default weight without a weights raster; a roll-up field twice.
    ///
    /// ```
    /// use terralux::stats::Stat;
    /// use terralux::workflow::zonal::ZonalRequest;
    /// let mut request = ZonalRequest::new("ntl.tif", "counties.gpkg");
    /// request.stats = vec![Stat::WeightedMean];
    /// let error = request.check().unwrap_err();
    /// assert!(matches!(error, terralux::Error::Request { .. }));
    /// assert!(error.to_string().contains("need a weights raster"));
    /// ```
    pub fn check(&self) -> Result<()> {
        let refuse = |context: &str, reason: String| {
            Err(Error::Request {
                context: context.to_string(),
                reason,
            })
        };
        if self.bands.is_empty() {
            return refuse("bands", "at least one band is needed".into());
        }
        for (i, band) in self.bands.iter().enumerate() {
            if *band == 0 {
                return refuse("bands", "bands are numbered from 1".into());
            }
            if self.bands[..i].contains(band) {
                return refuse("bands", format!("band {band} is given twice"));
            }
        }
        for (i, stat) in self.stats.iter().enumerate() {
            let name = stat.name();
            if self.stats[..i]
                .iter()
                .any(|s| s.name().eq_ignore_ascii_case(&name))
            {
                return refuse("stats", format!("statistic '{name}' is given twice"));
            }
        }
        if self.weights.is_none() {
            if self.stats.iter().any(Stat::needs_weights_raster) {
                return refuse(
                    "stats",
                    "the weighted_* statistics need a weights raster".into(),
                );
            }
            if self.default_weight.is_some() {
                return refuse(
                    "default_weight",
                    "is the weight where the weights raster is invalid; give a weights raster"
                        .into(),
                );
            }
        }
        for (i, field) in self.roll_ups.iter().enumerate() {
            if self.roll_ups[..i].contains(field) {
                return refuse("roll_ups", format!("'{field}' is given twice"));
            }
        }
        Ok(())
    }

    /// The request made ready for `output`: the coverage kept when it
    /// writes a cells table, the zones as given kept when its format
    /// carries geometry. An [`Error::Request`] when the output's file name
    /// names no format.
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use terralux::workflow::zonal::{ZonalOutput, ZonalRequest};
    /// let mut output = ZonalOutput::new("out/counties.gpkg");
    /// output.cells = Some("out/cells.csv".into());
    /// let request = ZonalRequest::new("ntl.tif", "counties.gpkg").for_output(&output)?;
    /// assert!(request.cells && request.keep_zones_as_given);
    /// # Ok(())
    /// # }
    /// ```
    pub fn for_output(mut self, output: &ZonalOutput) -> Result<Self> {
        self.cells = output.cells.is_some();
        self.keep_zones_as_given = matches!(output.format()?, Format::Vector(_));
        Ok(self)
    }

    /// The inputs as the provenance lists them (role, path, size, time):
    /// `raster`, `zones`, then `weights`. An [`Error::Request`] for a path
    /// that is not UTF-8 (GDAL takes paths as text).
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use terralux::workflow::zonal::ZonalRequest;
    /// let data = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata");
    /// let request = ZonalRequest::new(format!("{data}/ntl.tif"), format!("{data}/counties.gpkg"));
    /// let inputs = request.input_files()?;
    /// assert_eq!(inputs.iter().map(|i| i.role.as_str()).collect::<Vec<_>>(), ["raster", "zones"]);
    /// assert!(inputs[0].size_bytes.is_some());
    /// # Ok(())
    /// # }
    /// ```
    pub fn input_files(&self) -> Result<Vec<InputFile>> {
        self.input_paths()
            .map(|(role, path)| Ok(InputFile::describe(role, path_text(role, path)?)))
            .collect()
    }

    /// The engine as [`run_on`] runs it: `zones` (prepared for the raster)
    /// over the request's bands of `inputs`, with its statistics, coverage
    /// mode, weighting, ties, weights raster, threads, coverage threshold
    /// and default values. The caller adds what is its own (a progress
    /// callback, a [`CoverageIndex`] it keeps).
    pub fn engine<'a>(&self, zones: &'a ZoneSet, inputs: &'a ZonalInputs) -> ZonalStats<'a> {
        let mut engine = ZonalStats::new(zones)
            .bands(&inputs.raster, &self.bands)
            .stats(&self.stats)
            .coverage_mode(self.coverage)
            .weighting(self.weighting)
            .mode_ties(self.mode_ties);
        if let Some(w) = &inputs.weights {
            engine = engine.weights(w, 1);
        }
        if let Some(n) = self.threads {
            engine = engine.threads(n);
        }
        if let Some(bytes) = self.memory_limit {
            engine = engine.memory_limit(bytes);
        }
        if let Some(fraction) = self.min_coverage_frac {
            engine = engine.min_coverage_frac(fraction);
        }
        if let Some(value) = self.default_value {
            engine = engine.default_value(value);
        }
        if let Some(weight) = self.default_weight {
            engine = engine.default_weight(weight);
        }
        engine
    }

    fn input_paths(&self) -> impl Iterator<Item = (&'static str, &Path)> {
        [
            ("raster", Some(self.raster.as_path())),
            ("zones", Some(self.zones.as_path())),
            ("weights", self.weights.as_deref()),
        ]
        .into_iter()
        .filter_map(|(role, path)| path.map(|p| (role, p)))
    }

    fn raster_options(&self) -> RasterOptions {
        RasterOptions {
            assume_crs: self.raster_crs.clone(),
            allow_raw_vrt: self.allow_raw_vrt,
            snap_geographic: self.snap_grid,
            ignore_mask: self.ignore_mask,
            ..RasterOptions::default()
        }
    }

    /// `zones` made ready for the raster of `inputs`, as [`run_on`] makes
    /// them: the CRS override, GCJ-02 and reprojection of
    /// [`ZoneSet::prepare_for`], each step said as a
    /// [`ZonalEvent::Preparing`] before it is taken; the zones as given kept
    /// when the request asks. For a caller that measures the zones itself
    /// (on a [`CoverageIndex`] it keeps, with [`ZonalRequest::engine`]).
    pub fn prepare_zones(
        &self,
        inputs: &ZonalInputs,
        zones: ZoneSet,
        on_event: &(dyn Fn(&ZonalEvent) + Sync),
    ) -> Result<PreparedZones> {
        let target = inputs
            .raster
            .grid()
            .crs()
            .cloned()
            .ok_or_else(|| Error::MissingCrs {
                source_name: inputs.raster.name().to_string(),
            })?;
        let options = self.prepare_options();
        for step in planned_steps(&zones, &target, &options) {
            on_event(&ZonalEvent::Preparing(step));
        }
        zones.prepare_for(&target, &options)
    }

    fn prepare_options(&self) -> PrepareOptions {
        PrepareOptions {
            crs_override: self.zones_crs.clone(),
            gcj02: self.gcj02,
            keep_as_given: self.keep_zones_as_given,
        }
    }
}

/// Where a zonal run writes (`zonal --output`, `--cells`, `--csv-safe`,
/// `--frac-columns`): the table at `path` in the format its extension
/// names, the roll-ups beside it ([`write::roll_up_path`]), the cells
/// table, and a provenance file beside each ([`write::provenance_path`]).
///
/// ```
/// use terralux::workflow::zonal::ZonalOutput;
/// let mut output = ZonalOutput::new("out/counties.csv");
/// output.csv.formula_safe = true;
/// assert_eq!(output.cells, None);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct ZonalOutput {
    /// The table: `.csv`, `.geojson`/`.json` or `.gpkg` ([`Format::from_path`]).
    pub path: PathBuf,
    /// A `.csv` of one row per zone and covered cell (`--cells`).
    pub cells: Option<PathBuf>,
    /// How CSV tables are written (the table, the roll-ups; `formula_safe`
    /// also for the cells table).
    pub csv: CsvOptions,
    /// The command line, for the provenance (empty for a library call).
    pub command_line: Vec<String>,
}

impl ZonalOutput {
    /// The table at `path`, no cells table, CSV options by default.
    ///
    /// ```
    /// use terralux::workflow::zonal::ZonalOutput;
    /// let output = ZonalOutput::new("t.csv");
    /// assert!(output.command_line.is_empty());
    /// ```
    pub fn new(path: impl Into<PathBuf>) -> Self {
        ZonalOutput {
            path: path.into(),
            cells: None,
            csv: CsvOptions::default(),
            command_line: Vec::new(),
        }
    }

    /// The table's format, from its file name ([`Format::from_path`]); an
    /// [`Error::Request`] for a name that names none.
    ///
    /// ```
    /// use terralux::write::{Format, VectorFormat};
    /// use terralux::workflow::zonal::ZonalOutput;
    /// assert_eq!(ZonalOutput::new("a.GeoJSON").format().ok(), Some(Format::Vector(VectorFormat::GeoJson)));
    /// assert!(ZonalOutput::new("a.xlsx").format().is_err());
    /// ```
    pub fn format(&self) -> Result<Format> {
        Format::from_path(&self.path).ok_or_else(|| Error::Request {
            context: self.path.display().to_string(),
            reason: "an output must end in .csv, .geojson (.json) or .gpkg".into(),
        })
    }
}

/// What a zonal run has to say, as it happens (the binary prints each
/// [`message`](ZonalEvent::message) on stderr, after its name).
///
/// ```
/// use terralux::workflow::zonal::ZonalEvent;
/// let event = ZonalEvent::Repaired { ids: vec!["B".into(), "O".into()] };
/// assert_eq!(event.message().as_deref(),
///            Some("2 zone(s) with invalid geometry measured as repaired: B, O"));
/// assert_eq!(ZonalEvent::Progress { done: 1, total: 2 }.message(), None);
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ZonalEvent {
    /// Zones without a usable polygon, kept with no cells
    /// ([`ZonalRequest::keep_bad_geometry`]).
    EmptyZones {
        /// Their ids, in input order.
        ids: Vec<String>,
    },
    /// A step about to be done to the zones for the raster (a CRS
    /// override, GCJ-02, reprojection); the steps done are in
    /// [`PreparedZones::steps`].
    Preparing(PrepareStep),
    /// `done` of `total` units of the statistics pass.
    Progress {
        /// Units done.
        done: usize,
        /// Units in all.
        total: usize,
    },
    /// The statistics pass is over (a progress bar ends here).
    Measured,
    /// Zones with invalid geometry, measured as repaired.
    Repaired {
        /// Their ids, in input order.
        ids: Vec<String>,
    },
    /// A GeoPackage output stores NaN values as null
    /// ([`write::nan_in_geopackage_note`]); also a provenance note.
    NanInGeoPackage {
        /// The note.
        note: String,
    },
}

impl ZonalEvent {
    /// [`ZonalEvent::EmptyZones`] for the zones of `zones` without a usable
    /// polygon; `None` when every zone has one.
    ///
    /// ```
    /// use terralux::workflow::zonal::ZonalEvent;
    /// use terralux::zones::{Attributes, Zone, ZoneId, ZoneSet};
    /// let zone = Zone { id: ZoneId::Int(7), attributes: Attributes::default(),
    ///     geometry: geo_types::MultiPolygon(vec![]) };
    /// let zones = ZoneSet::new(vec![zone], None);
    /// assert_eq!(ZonalEvent::empty_zones(&zones), Some(ZonalEvent::EmptyZones { ids: vec!["7".into()] }));
    /// ```
    pub fn empty_zones(zones: &ZoneSet) -> Option<ZonalEvent> {
        let ids: Vec<String> = zones
            .iter()
            .filter(|z| z.geometry.0.is_empty())
            .map(|z| z.id.to_string())
            .collect();
        (!ids.is_empty()).then_some(ZonalEvent::EmptyZones { ids })
    }

    /// [`ZonalEvent::Repaired`] for the zones `table` measured as repaired
    /// (its provenance's `repaired_zones`); `None` when there are none.
    pub fn repaired(table: &ZonalTable) -> Option<ZonalEvent> {
        let ids: Vec<String> = table
            .provenance
            .repaired_zones
            .iter()
            .map(ToString::to_string)
            .collect();
        (!ids.is_empty()).then_some(ZonalEvent::Repaired { ids })
    }

    /// The line `zonal` prints for the event on stderr (after `zonal: `);
    /// `None` for progress and for steps that have nothing to tell.
    ///
    /// ```
    /// use terralux::workflow::zonal::ZonalEvent;
    /// let event = ZonalEvent::EmptyZones { ids: vec!["7".into()] };
    /// assert_eq!(event.message().as_deref(), Some(
    ///     "1 zone(s) without a usable polygon kept with no cells (--keep-bad-geometry): 7"));
    /// ```
    pub fn message(&self) -> Option<String> {
        match self {
            ZonalEvent::EmptyZones { ids } => Some(format!(
                "{} zone(s) without a usable polygon kept with no cells (--keep-bad-geometry): {}",
                ids.len(),
                id_list(ids)
            )),
            ZonalEvent::Preparing(step) => step.message(),
            ZonalEvent::Progress { .. } | ZonalEvent::Measured => None,
            ZonalEvent::Repaired { ids } => Some(format!(
                "{} zone(s) with invalid geometry measured as repaired: {}",
                ids.len(),
                id_list(ids)
            )),
            ZonalEvent::NanInGeoPackage { note } => Some(format!("warning: {note}")),
        }
    }
}

/// The rasters of a request, opened: every band checked, the weights on
/// the same options.
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use terralux::workflow::zonal::{ZonalInputs, ZonalRequest};
/// let data = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata");
/// let mut request = ZonalRequest::new(format!("{data}/ntl.tif"), format!("{data}/counties.gpkg"));
/// assert!(ZonalInputs::open(&request)?.weights.is_none());
/// request.bands = vec![9];
/// assert!(ZonalInputs::open(&request).is_err()); // the file has one band
/// # Ok(())
/// # }
/// ```
pub struct ZonalInputs {
    /// The raster.
    pub raster: GdalRaster,
    /// The weights raster, if any.
    pub weights: Option<GdalRaster>,
}

impl ZonalInputs {
    /// Open the raster (checking each band) and the weights of `request`.
    /// A raster without a CRS and no [`ZonalRequest::raster_crs`] is an
    /// [`Error::MissingCrs`].
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use terralux::RasterSource;
    /// use terralux::workflow::zonal::{ZonalInputs, ZonalRequest};
    /// let data = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata");
    /// let request = ZonalRequest::new(format!("{data}/ntl.tif"), format!("{data}/counties.gpkg"));
    /// let inputs = ZonalInputs::open(&request)?;
    /// assert!(inputs.raster.grid().crs().is_some());
    /// # Ok(())
    /// # }
    /// ```
    pub fn open(request: &ZonalRequest) -> Result<Self> {
        let options = request.raster_options();
        let raster = GdalRaster::open_with(&request.raster, &options)?;
        for &band in &request.bands {
            raster.band_info(band)?;
        }
        let weights = request
            .weights
            .as_deref()
            .map(|path| GdalRaster::open_with(path, &options))
            .transpose()?;
        Ok(ZonalInputs { raster, weights })
    }
}

/// Read the zones of `request` (its layer, id field, CRS and bad-geometry
/// rule). A source without a CRS and no [`ZonalRequest::zones_crs`] is an
/// [`Error::MissingCrs`].
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use terralux::workflow::zonal::{read_zones, ZonalRequest};
/// let data = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata");
/// let mut request = ZonalRequest::new(format!("{data}/ntl.tif"), format!("{data}/counties.gpkg"));
/// request.id_field = Some("code".into());
/// assert_eq!(read_zones(&request)?.id_field(), Some("code"));
/// # Ok(())
/// # }
/// ```
pub fn read_zones(request: &ZonalRequest) -> Result<ZoneSet> {
    let options = ZoneOptions {
        layer: request.layer.clone(),
        id_field: request.id_field.clone(),
        assume_crs: request.zones_crs.clone(),
        bad_geometry: if request.keep_bad_geometry {
            BadGeometry::KeepEmpty
        } else {
            BadGeometry::Error
        },
    };
    ZoneSet::read(&request.zones, &options)
}

/// A zonal run done: the tables and all that its outputs are written from.
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use terralux::workflow::zonal::{self, ZonalRequest};
/// let data = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata");
/// let request = ZonalRequest::new(format!("{data}/ntl.tif"), format!("{data}/counties.gpkg"));
/// let run = zonal::run(&request, &|_| {})?;
/// assert_eq!(run.table.zones.len(), run.zones.zones.len());
/// assert!(run.notes.is_empty() && run.roll_ups.is_empty());
/// # Ok(())
/// # }
/// ```
pub struct ZonalRun {
    /// The request run.
    pub request: ZonalRequest,
    /// The raster.
    pub raster: GdalRaster,
    /// The weights raster.
    pub weights: Option<GdalRaster>,
    /// The zones as measured, as given, their CRS as read and the steps
    /// done to them (the provenance's transformations).
    pub zones: PreparedZones,
    /// The coverage of the zones, kept for the cells table
    /// ([`ZonalRequest::cells`]).
    pub coverage: Option<CoverageIndex>,
    /// The statistics of each zone, in input order.
    pub table: ZonalTable,
    /// The roll-ups, one per [`ZonalRequest::roll_ups`] field, in order.
    pub roll_ups: Vec<(String, ZonalTable)>,
    /// The provenance notes of the run (what `--snap-grid` did to each grid).
    pub notes: Vec<String>,
    /// When the run started.
    pub started: SystemTime,
}

impl ZonalRun {
    /// The name of the tables' id column: the id field, or `fid`.
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use terralux::workflow::zonal::{self, ZonalRequest};
    /// let data = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata");
    /// let request = ZonalRequest::new(format!("{data}/ntl.tif"), format!("{data}/counties.gpkg"));
    /// assert_eq!(zonal::run(&request, &|_| {})?.id_column(), "fid");
    /// # Ok(())
    /// # }
    /// ```
    pub fn id_column(&self) -> &str {
        self.zones.zones.id_field().unwrap_or("fid")
    }

    /// Write the table as CSV to `w` (what `zonal --output -` prints).
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use terralux::write::CsvOptions;
    /// use terralux::workflow::zonal::{self, ZonalRequest};
    /// let data = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata");
    /// let mut request = ZonalRequest::new(format!("{data}/ntl.tif"), format!("{data}/counties.gpkg"));
    /// request.id_field = Some("code".into());
    /// let mut csv = Vec::new();
    /// zonal::run(&request, &|_| {})?.write_csv(&CsvOptions::default(), &mut csv)?;
    /// assert!(String::from_utf8_lossy(&csv).starts_with("code,count,sum,mean,min,max,stdev\n"));
    /// # Ok(())
    /// # }
    /// ```
    pub fn write_csv(&self, options: &CsvOptions, w: &mut dyn Write) -> io::Result<()> {
        write::write_csv_with(&self.table, self.id_column(), options, w)
    }
}

/// Open, read, prepare and measure: [`ZonalInputs::open`], [`read_zones`]
/// and [`run_on`] in one call.
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use std::sync::Mutex;
/// use terralux::workflow::zonal::{self, ZonalEvent, ZonalRequest};
/// let data = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata");
/// let mut request = ZonalRequest::new(format!("{data}/ntl.tif"), format!("{data}/counties.gpkg"));
/// request.roll_ups = vec!["province".into()];
/// let events = Mutex::new(Vec::new());
/// let run = zonal::run(&request, &|e| events.lock().unwrap().push(e.clone()))?;
/// assert_eq!(run.roll_ups[0].0, "province");
/// assert!(events.into_inner().unwrap().contains(&ZonalEvent::Measured));
/// # Ok(())
/// # }
/// ```
pub fn run(request: &ZonalRequest, on_event: &(dyn Fn(&ZonalEvent) + Sync)) -> Result<ZonalRun> {
    request.check()?;
    let inputs = ZonalInputs::open(request)?;
    let zones = read_zones(request)?;
    run_on(request, inputs, zones, on_event)
}

/// Measure `zones` (read by [`read_zones`]) on `inputs`: the zones
/// prepared for the raster's CRS ([`ZoneSet::prepare_for`]: the CRS
/// override, GCJ-02, reprojection), the statistics and roll-ups computed
/// in one pass. Events, in order: [`ZonalEvent::EmptyZones`], each
/// [`ZonalEvent::Preparing`] step (before it is done), progress,
/// [`ZonalEvent::Measured`], [`ZonalEvent::Repaired`].
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use terralux::workflow::zonal::{self, read_zones, ZonalInputs, ZonalRequest};
/// let data = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata");
/// let mut request = ZonalRequest::new(format!("{data}/ntl.tif"), format!("{data}/counties.gpkg"));
/// request.zones_crs = Some(terralux::Crs::from_user_input("EPSG:4326")?);
/// let run = zonal::run_on(&request, ZonalInputs::open(&request)?, read_zones(&request)?, &|_| {})?;
/// assert!(run.zones.steps.is_empty()); // declared as EPSG:4326 already, and so is the raster
/// # Ok(())
/// # }
/// ```
pub fn run_on(
    request: &ZonalRequest,
    inputs: ZonalInputs,
    zones: ZoneSet,
    on_event: &(dyn Fn(&ZonalEvent) + Sync),
) -> Result<ZonalRun> {
    request.check()?;
    let started = SystemTime::now();
    if let Some(event) = ZonalEvent::empty_zones(&zones) {
        on_event(&event);
    }
    let zones = request.prepare_zones(&inputs, zones, on_event)?;

    let fields: Vec<&str> = request.roll_ups.iter().map(String::as_str).collect();
    // The cells table and the statistics share one coverage of the zones.
    let coverage = request
        .cells
        .then(|| CoverageIndex::build(&zones.zones, inputs.raster.grid(), request.coverage));
    let (table, levels) = {
        let report = |done: usize, total: usize| on_event(&ZonalEvent::Progress { done, total });
        let mut engine = request.engine(&zones.zones, &inputs).on_progress(&report);
        if let Some(index) = &coverage {
            engine = engine.coverage_index(index);
        }
        engine.run_with_roll_ups(&fields)?
    };
    on_event(&ZonalEvent::Measured);
    if let Some(event) = ZonalEvent::repaired(&table) {
        on_event(&event);
    }
    let notes = std::iter::once(&inputs.raster)
        .chain(inputs.weights.as_ref())
        .filter_map(GdalRaster::snap_note)
        .collect();
    Ok(ZonalRun {
        request: request.clone(),
        raster: inputs.raster,
        weights: inputs.weights,
        zones,
        coverage,
        table,
        roll_ups: request.roll_ups.iter().cloned().zip(levels).collect(),
        notes,
        started,
    })
}

/// The steps [`ZoneSet::prepare_for`] will take, in order, known before
/// they are taken (so that each is said before the work, as it would be
/// before a failure of the next): a GCJ-02 conversion it will refuse ends
/// the list.
fn planned_steps(zones: &ZoneSet, target: &Crs, options: &PrepareOptions) -> Vec<PrepareStep> {
    let mut steps = Vec::new();
    let mut crs = zones.crs().cloned();
    if let Some(wanted) = &options.crs_override
        && let Some(declared) = crs.as_ref().filter(|d| !d.matches(wanted))
    {
        steps.push(PrepareStep::CrsOverride {
            from: declared.definition().to_string(),
            to: wanted.definition().to_string(),
            source: zones.source_name().to_string(),
        });
        crs = Some(wanted.clone());
    }
    if options.gcj02 {
        if crs.as_ref().is_some_and(|c| !c.is_geographic()) {
            return steps;
        }
        steps.push(PrepareStep::Gcj02);
        crs = Some(Crs::wgs84());
    }
    if let Some(from) = crs.filter(|c| !c.matches(target)) {
        steps.push(PrepareStep::Reprojected {
            from: from.definition().to_string(),
            to: target.definition().to_string(),
        });
    }
    steps
}

/// Resolve every input of `request` and every file of `output` before any
/// work (see [`OutputSet`]): the table, its roll-ups, the cells table and a
/// provenance file for each, in that order; an output that is an input or
/// another output is refused ([`Error::OutputConflict`]), and so is a
/// folder that cannot take them. With no `output` (a table for a stream,
/// as `zonal --output -`), the inputs only, and roll-ups or cells are an
/// [`Error::Request`], as are a cells table not named `.csv` and a request
/// that does not fit `output` ([`ZonalRequest::for_output`]).
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use terralux::workflow::zonal::{self, ZonalOutput, ZonalRequest};
/// let data = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata");
/// let request = ZonalRequest::new(format!("{data}/ntl.tif"), format!("{data}/counties.gpkg"));
/// // Writing over an input is refused before any work.
/// let output = ZonalOutput::new(format!("{data}/counties.gpkg"));
/// let error = zonal::plan_outputs(&request.clone().for_output(&output)?, Some(&output)).err();
/// assert!(matches!(error, Some(terralux::Error::OutputConflict { .. })));
/// # Ok(())
/// # }
/// ```
pub fn plan_outputs(request: &ZonalRequest, output: Option<&ZonalOutput>) -> Result<OutputSet> {
    request.check()?;
    let mut set = OutputSet::new();
    for (role, path) in request.input_paths() {
        set.input(path_text(role, path)?)?;
    }
    let Some(output) = output else {
        if !request.roll_ups.is_empty() || request.cells {
            return Err(Error::Request {
                context: "output".into(),
                reason: "roll-ups and a cells table are files beside the table's file; \
                         a table for a stream has none"
                    .into(),
            });
        }
        return Ok(set);
    };
    check_fits(request, output)?;
    if let Some(cells) = &output.cells
        && !cells
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("csv"))
    {
        return Err(Error::Request {
            context: cells.display().to_string(),
            reason: "a cells table must end in .csv".into(),
        });
    }
    declare_with_provenance(&mut set, &output.path)?;
    for field in &request.roll_ups {
        declare_with_provenance(&mut set, &roll_up_path(&output.path, field))?;
    }
    if let Some(cells) = &output.cells {
        declare_with_provenance(&mut set, cells)?;
    }
    set.prepare()?;
    Ok(set)
}

/// Refuse an output the request was not made ready for.
fn check_fits(request: &ZonalRequest, output: &ZonalOutput) -> Result<()> {
    let vector = matches!(output.format()?, Format::Vector(_));
    if output.cells.is_some() && !request.cells {
        return Err(Error::Request {
            context: "cells".into(),
            reason: "a cells table needs the request's coverage kept (ZonalRequest::cells; \
                     see ZonalRequest::for_output)"
                .into(),
        });
    }
    if vector && !request.keep_zones_as_given {
        return Err(Error::Request {
            context: output.path.display().to_string(),
            reason: "an output with geometry needs the zones as given kept \
                     (ZonalRequest::keep_zones_as_given; see ZonalRequest::for_output)"
                .into(),
        });
    }
    Ok(())
}

/// Write every file of `run` into `set` (from [`plan_outputs`] with the
/// same `output`) and rename them into place together: the table (CSV, or
/// GeoJSON/GeoPackage with the zones as given, re-read to check it), the
/// cells table, the roll-ups, then the provenance files, which list each
/// output with its size and SHA-256. A failure leaves the previous files
/// untouched. Events: [`ZonalEvent::NanInGeoPackage`].
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use terralux::workflow::zonal::{self, ZonalOutput, ZonalRequest};
/// let data = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata");
/// let dir = std::env::temp_dir().join(format!("terralux-zonal-write-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// let mut output = ZonalOutput::new(dir.join("t.geojson"));
/// output.cells = Some(dir.join("cells.csv"));
/// let request = ZonalRequest::new(format!("{data}/ntl.tif"), format!("{data}/counties.gpkg"))
///     .for_output(&output)?;
/// let set = zonal::plan_outputs(&request, Some(&output))?;
/// let run = zonal::run(&request, &|_| {})?;
/// let files = zonal::write_outputs(set, &run, &output, &|_| {})?;
/// assert_eq!(files.iter().map(|f| f.path.file_name().unwrap().to_str().unwrap()).collect::<Vec<_>>(),
///     ["t.geojson", "t.geojson.provenance.json", "cells.csv", "cells.csv.provenance.json"]);
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok(())
/// # }
/// ```
pub fn write_outputs(
    mut set: OutputSet,
    run: &ZonalRun,
    output: &ZonalOutput,
    on_event: &(dyn Fn(&ZonalEvent) + Sync),
) -> Result<Vec<OutputFile>> {
    check_fits(&run.request, output)?;
    let format = output.format()?;
    let path = &output.path;
    let table = &run.table;
    let id_column = run.id_column();
    match format {
        Format::Csv => set.write(path, |w| {
            write::write_csv_with(table, id_column, &output.csv, w)
        })?,
        Format::Vector(kind) => {
            let original = run.zones.for_output();
            set.write_with_path(
                path,
                |file| write::write_vector_file(table, original, id_column, path, file, kind),
                |file| write::check_vector(file, path, kind, table, original, id_column),
            )?
        }
        Format::Parquet => {
            let batch = write::parquet::record_batch(table, id_column)?;
            set.write_with_path(
                path,
                |file| write::parquet::write_parquet_file(&batch, file),
                |file| write::parquet::check_parquet(file, &batch),
            )?
        }
    }
    if let Some(cells) = &output.cells {
        let index = run.coverage.as_ref().ok_or_else(|| Error::Request {
            context: "cells".into(),
            reason: "the run kept no coverage (ZonalRequest::cells)".into(),
        })?;
        let request = &run.request;
        let weights = run
            .weights
            .as_ref()
            .map(|w| (w as &(dyn RasterSource + Sync), 1));
        let mut failure = None;
        set.write(cells, |w| {
            write_cells_csv(
                &run.zones.zones,
                index,
                &CellLayers {
                    raster: &run.raster,
                    band: request.bands[0],
                    weights,
                },
                &CellOptions {
                    min_coverage_frac: request.min_coverage_frac.unwrap_or(0.0),
                    default_value: request.default_value,
                    default_weight: request.default_weight,
                    formula_safe: output.csv.formula_safe,
                },
                id_column,
                w,
            )
            .map_err(|e| {
                let message = e.to_string();
                failure = Some(e);
                io::Error::other(message)
            })
        })
        .map_err(|e| failure.take().map_or(e, |f| f))?;
    }
    for (field, level) in &run.roll_ups {
        set.write(&roll_up_path(path, field), |w| {
            write::write_csv_with(level, field, &output.csv, w)
        })?;
    }

    let inputs = run.request.input_files()?;
    let mut notes = run.notes.clone();
    if let Some(kind) = format.vector()
        && let Some(note) = write::nan_in_geopackage_note(path, table, kind)
    {
        on_event(&ZonalEvent::NanInGeoPackage { note: note.clone() });
        notes.push(note);
    }
    let finished = SystemTime::now();
    let written = set.written();
    let transformations = run.zones.transformations();
    let record = |table, note: Option<String>| RunRecord {
        command_line: output.command_line.clone(),
        inputs: inputs.clone(),
        zones_crs: run.zones.crs_as_read.clone(),
        zone_transformations: transformations.clone(),
        started: run.started,
        finished,
        table,
        notes: notes.iter().cloned().chain(note).collect(),
        outputs: written.clone(),
    };
    stage_provenance(&mut set, path, &record(table, None))?;
    if let Some(cells) = &output.cells {
        let note = format!(
            "one row per zone and covered cell of band {} (columns: {}), beside {}",
            run.request.bands[0],
            CELL_COLUMNS.join(", "),
            path.display()
        );
        stage_provenance(&mut set, cells, &record(table, Some(note)))?;
    }
    for (field, level) in &run.roll_ups {
        let note = format!("zones rolled up by '{field}' from {}", path.display());
        stage_provenance(
            &mut set,
            &roll_up_path(path, field),
            &record(level, Some(note)),
        )?;
    }
    // Every file complete and checked: all into place together.
    set.commit()
}

/// A whole zonal run to files: [`plan_outputs`], [`run`] and
/// [`write_outputs`]; the run comes back with the files written.
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use terralux::workflow::zonal::{self, ZonalOutput, ZonalRequest};
/// let data = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata");
/// let dir = std::env::temp_dir().join(format!("terralux-zonal-files-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// let output = ZonalOutput::new(dir.join("t.csv"));
/// let request = ZonalRequest::new(format!("{data}/ntl.tif"), format!("{data}/counties.gpkg"))
///     .for_output(&output)?;
/// let (run, files) = zonal::run_to_files(&request, &output, &|_| {})?;
/// assert_eq!(files[0].size_bytes, std::fs::metadata(dir.join("t.csv"))?.len());
/// assert_eq!(run.table.zones.len() + 1, std::fs::read_to_string(dir.join("t.csv"))?.lines().count());
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok(())
/// # }
/// ```
pub fn run_to_files(
    request: &ZonalRequest,
    output: &ZonalOutput,
    on_event: &(dyn Fn(&ZonalEvent) + Sync),
) -> Result<(ZonalRun, Vec<OutputFile>)> {
    let set = plan_outputs(request, Some(output))?;
    let done = run(request, on_event)?;
    let files = write_outputs(set, &done, output, on_event)?;
    Ok((done, files))
}
