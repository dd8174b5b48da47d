//! `terralux._terralux`: the native half of the Python package. Each
//! function takes plain Python values (paths, names, WKB bytes), builds a
//! request of [`terralux::workflow`], runs it with the GIL released, and
//! hands back the results as columns (lists) for `terralux/__init__.py`
//! to turn into pandas, GeoPandas or Arrow objects.
//!
//! The run goes on a thread of its own while the calling thread waits
//! without the GIL and, every 50 ms or when progress moves, takes the GIL
//! back to check for signals (Ctrl-C) and to call the progress callback:
//! all Python code runs on the calling thread. A KeyboardInterrupt (or an
//! exception of the callback) stops the run at its next progress report
//! (the report panics with [`Stop`], which the engine turns into a failed
//! run) and is raised once the run has stopped. Library errors become the
//! `terralux.errors` classes with the library's one-line messages; a panic
//! becomes a `TerraluxError`, never a crash.

use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::Duration;

use gdal::vector::ToGdal;
use geo_types::MultiPolygon;
mod arrow_export;
mod distributed;
mod distributed_county;

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList};
use terralux::coverage::{CoverageIndex, CoverageMode};
use terralux::index::poverty::{
    IndexSettings, NormalisationSetting, PovertyError, WeightsSetting, parse_goalposts,
};
use terralux::index::{Aggregation, Missing, Normalisation};
use terralux::map::MapOptions;
use terralux::ntl::{CountyNtlRun, ProductChoice, RunEvent};
use terralux::raster::RasterOptions;
use terralux::results::ZonalTable;
use terralux::stats::{ModeTies, Stat, StatValue, Weighting};
use terralux::table::TableOptions;
use terralux::workflow::county_ntl::{self as county_workflow, CountyNtlRequest};
use terralux::workflow::poverty::{
    IndicatorSource, PovertyEvent, PovertyIndexRequest, run_poverty_index_with_progress,
};
use terralux::workflow::zonal::{self, ZonalEvent, ZonalInputs, ZonalRequest};
use terralux::zones::{
    Attributes, PreparedZones, Zone, ZoneId, ZoneOptions, ZoneSet, multipolygon_from_wkb,
};
use terralux::{Crs, Error, RasterSource};

/// The payload of the panic that stops a run from its progress report.
struct Stop;

/// A failure of a run: the library's error, a refusal of the poverty
/// workflow (a request that cannot be, or data that do not allow it), a
/// stop asked for, or a panic.
enum Failure {
    Library(Error),
    Refused(String),
    Stopped,
    Panic(String),
}

impl From<PovertyError> for Failure {
    fn from(e: PovertyError) -> Self {
        match e {
            PovertyError::Usage(message) | PovertyError::Data(message) => Failure::Refused(message),
            PovertyError::Library(e) => Failure::Library(e),
        }
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::Library(e)
    }
}

/// The `terralux.errors` class for a library error: file not found, a
/// request or input that cannot be (ValueError), a file that cannot be
/// read (OSError), or the base class.
fn error_class(error: &Error) -> &'static str {
    match error {
        Error::NotFound { .. } => "InputNotFoundError",
        // A table or list read as a plain file (poverty_index --table, --poor).
        Error::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound => {
            "InputNotFoundError"
        }
        Error::Open { .. } | Error::Read { .. } | Error::Io { .. } => "ReadError",
        Error::OutputConflict { .. } => "OutputConflictError",
        Error::MissingCrs { .. }
        | Error::Crs { .. }
        | Error::Grid { .. }
        | Error::BandOutOfRange { .. }
        | Error::Shape { .. }
        | Error::Layer { .. }
        | Error::FieldNotFound { .. }
        | Error::Feature { .. }
        | Error::UnknownStatistic { .. }
        | Error::Mismatch { .. }
        | Error::Request { .. } => "InvalidInputError",
        _ => "TerraluxError",
    }
}

/// An instance of `terralux.errors.<class>` with `message`.
fn raise(py: Python<'_>, class: &str, message: String) -> PyErr {
    let made = py
        .import("terralux.errors")
        .and_then(|m| m.getattr(class))
        .and_then(|c| c.call1((message.clone(),)));
    match made {
        Ok(instance) => PyErr::from_value(instance),
        Err(e) => e,
    }
}

fn library_error(py: Python<'_>, error: &Error) -> PyErr {
    raise(py, error_class(error), error.to_string())
}

fn invalid(py: Python<'_>, message: String) -> PyErr {
    raise(py, "InvalidInputError", message)
}

fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic".to_string()
    }
}

/// Run `work` on a thread of its own, the GIL released, checking for
/// signals and calling `progress(done, total)` on this thread as it goes
/// (see the module docs). `work` gets the report to hand to the library.
fn run_interruptibly<T: Send>(
    py: Python<'_>,
    progress: Option<&Bound<'_, PyAny>>,
    work: impl FnOnce(&(dyn Fn(usize, usize) + Sync)) -> Result<T, Failure> + Send,
) -> PyResult<Result<T, Failure>> {
    let stop = AtomicBool::new(false);
    let done = AtomicUsize::new(0);
    let total = AtomicUsize::new(0);
    let finished = (Mutex::new(false), Condvar::new());
    let report = |d: usize, t: usize| {
        total.store(t, Ordering::SeqCst);
        done.store(d, Ordering::SeqCst);
        finished.1.notify_all();
        if stop.load(Ordering::SeqCst) {
            // resume_unwind: no panic hook, nothing printed.
            resume_unwind(Box::new(Stop));
        }
    };
    let mut pending: Option<PyErr> = None;
    let outcome = std::thread::scope(|scope| {
        let handle = scope.spawn(|| {
            let outcome = catch_unwind(AssertUnwindSafe(|| work(&report)));
            if let Ok(mut flag) = finished.0.lock() {
                *flag = true;
            }
            finished.1.notify_all();
            match outcome {
                Ok(result) => result,
                Err(payload) if payload.is::<Stop>() => Err(Failure::Stopped),
                Err(payload) => Err(Failure::Panic(panic_text(payload.as_ref()))),
            }
        });
        let mut shown = (usize::MAX, usize::MAX);
        loop {
            let over = py.allow_threads(|| {
                let Ok(guard) = finished.0.lock() else {
                    return true;
                };
                if *guard {
                    return true;
                }
                finished
                    .1
                    .wait_timeout(guard, Duration::from_millis(50))
                    .map(|(g, _)| *g)
                    .unwrap_or(true)
            });
            let now = (done.load(Ordering::SeqCst), total.load(Ordering::SeqCst));
            if pending.is_none() {
                if let Err(e) = py.check_signals() {
                    pending = Some(e);
                } else if let Some(callback) = progress
                    && now != shown
                    && now.1 > 0
                {
                    shown = now;
                    if let Err(e) = callback.call1(now) {
                        pending = Some(e);
                    }
                }
                if pending.is_some() {
                    stop.store(true, Ordering::SeqCst);
                }
            }
            if over {
                break;
            }
        }
        py.allow_threads(|| handle.join())
            .unwrap_or_else(|payload| Err(Failure::Panic(panic_text(payload.as_ref()))))
    });
    match pending {
        // Stopped on purpose: whatever the run says, the reason is raised.
        Some(e) => Err(e),
        None => Ok(outcome),
    }
}

/// The outcome of a run as a Python result.
fn finish<T>(py: Python<'_>, outcome: Result<T, Failure>) -> PyResult<T> {
    outcome.map_err(|failure| match failure {
        Failure::Library(e) => library_error(py, &e),
        Failure::Refused(message) => invalid(py, message),
        Failure::Stopped => raise(py, "TerraluxError", "the run was stopped".into()),
        Failure::Panic(text) => raise(
            py,
            "TerraluxError",
            format!("internal error (please report it): {text}"),
        ),
    })
}

fn coverage_mode(py: Python<'_>, name: &str) -> PyResult<CoverageMode> {
    match name.to_ascii_lowercase().as_str() {
        "exact" => Ok(CoverageMode::Exact),
        "center" | "centre" => Ok(CoverageMode::Center),
        "all-touched" | "all_touched" => Ok(CoverageMode::AllTouched),
        _ => Err(invalid(
            py,
            format!("coverage: unknown mode '{name}' (valid: exact, center, all-touched)"),
        )),
    }
}

fn coverage_name(mode: CoverageMode) -> &'static str {
    match mode {
        CoverageMode::Exact => "exact",
        CoverageMode::Center => "center",
        CoverageMode::AllTouched => "all-touched",
    }
}

fn mode_ties(py: Python<'_>, name: &str) -> PyResult<ModeTies> {
    match name.to_ascii_lowercase().as_str() {
        "exactextract" => Ok(ModeTies::Exactextract),
        "smallest" => Ok(ModeTies::Smallest),
        _ => Err(invalid(
            py,
            format!("mode_ties: unknown rule '{name}' (valid: exactextract, smallest)"),
        )),
    }
}

fn crs(py: Python<'_>, definition: Option<&str>) -> PyResult<Option<Crs>> {
    definition
        .map(|d| Crs::from_user_input(d).map_err(|e| library_error(py, &e)))
        .transpose()
}

/// Zones handed over in memory: ids (int or str) and WKB (or None).
fn zones_from_wkb(
    py: Python<'_>,
    ids: &Bound<'_, PyList>,
    wkb: &Bound<'_, PyList>,
    crs: Option<Crs>,
    keep_bad_geometry: bool,
) -> PyResult<ZoneSet> {
    if ids.len() != wkb.len() {
        return Err(invalid(
            py,
            format!("zones: {} ids for {} geometries", ids.len(), wkb.len()),
        ));
    }
    let mut zones = Vec::with_capacity(ids.len());
    for (position, (id, geometry)) in ids.iter().zip(wkb.iter()).enumerate() {
        let id = if let Ok(text) = id.extract::<String>() {
            ZoneId::Text(text)
        } else if let Ok(number) = id.extract::<i64>() {
            ZoneId::Int(number)
        } else {
            return Err(PyTypeError::new_err(format!(
                "zones: the id of zone #{position} is {}, not an integer or a string",
                id.repr()?
            )));
        };
        let polygons = if geometry.is_none() {
            Err("has no geometry".to_string())
        } else {
            let bytes = geometry.downcast::<PyBytes>()?;
            match multipolygon_from_wkb(bytes.as_bytes()) {
                Ok(p) if p.0.is_empty() => Err("has an empty geometry".to_string()),
                other => other,
            }
        };
        let geometry = match polygons {
            Ok(p) => p,
            Err(_) if keep_bad_geometry => MultiPolygon(Vec::new()),
            Err(reason) => {
                let e = Error::Feature {
                    source_name: "in-memory zones".into(),
                    layer: String::new(),
                    feature: format!("#{position} (id {id})"),
                    reason,
                };
                return Err(library_error(py, &e));
            }
        };
        zones.push(Zone {
            id,
            attributes: Attributes::default(),
            geometry,
        });
    }
    if zones.is_empty() {
        return Err(invalid(py, "zones: no zone was given".into()));
    }
    Ok(ZoneSet::new(zones, crs))
}

fn id_object<'py>(py: Python<'py>, id: &ZoneId) -> PyResult<Bound<'py, PyAny>> {
    Ok(match id {
        ZoneId::Int(v) => v.into_pyobject(py)?.into_any(),
        ZoneId::Text(s) => s.into_pyobject(py)?.into_any(),
    })
}

/// A table's columns: `[(name, kind, values)]`, kind `float` (floats, None
/// where missing), `int` (exact integers of 64-bit bands) or `text`
/// (frac/unique as the CSV writes them).
fn columns<'py>(py: Python<'py>, table: &ZonalTable) -> PyResult<Bound<'py, PyList>> {
    let out = PyList::empty(py);
    for (i, column) in table.columns.iter().enumerate() {
        let values = table.zones.iter().map(|z| &z.values[i]);
        let kind = if values
            .clone()
            .any(|v| matches!(v, StatValue::Fractions(_) | StatValue::IntegerFractions(_)))
        {
            "text"
        } else if values.clone().any(|v| matches!(v, StatValue::Integer(_))) {
            "int"
        } else {
            "float"
        };
        let list = PyList::empty(py);
        for value in values {
            let item: Bound<'py, PyAny> = match (kind, value) {
                (_, StatValue::Missing) => py.None().into_bound(py),
                ("text", v) => terralux::write::format_value(v)
                    .into_pyobject(py)?
                    .into_any(),
                (_, StatValue::Integer(v)) => v.into_pyobject(py)?.into_any(),
                (_, v) => v.as_f64().unwrap_or(f64::NAN).into_pyobject(py)?.into_any(),
            };
            list.append(item)?;
        }
        out.append((column.name.as_str(), kind, list))?;
    }
    Ok(out)
}

fn ids_list<'py>(py: Python<'py>, table: &ZonalTable) -> PyResult<Bound<'py, PyList>> {
    let ids = PyList::empty(py);
    for zone in &table.zones {
        ids.append(id_object(py, &zone.id)?)?;
    }
    Ok(ids)
}

/// WKB of each zone (None for a zone without geometry).
fn geometry_wkb<'py>(py: Python<'py>, zones: &ZoneSet) -> PyResult<Bound<'py, PyList>> {
    let out = PyList::empty(py);
    for zone in zones.iter() {
        if zone.geometry.0.is_empty() {
            out.append(py.None())?;
            continue;
        }
        let wkb = zone
            .geometry
            .to_gdal()
            .and_then(|g| g.wkb())
            .map_err(|e| raise(py, "TerraluxError", format!("zone {}: {e}", zone.id)))?;
        out.append(PyBytes::new(py, &wkb))?;
    }
    Ok(out)
}

/// Zonal statistics; see `terralux.zonal_stats` for the arguments.
#[pyfunction]
#[pyo3(signature = (
    raster, zones_path, zones_ids, zones_wkb, zones_given_crs, options, as_arrow, progress,
    coverage_index, chunk_cells = None
))]
#[allow(clippy::too_many_arguments)]
fn zonal_stats<'py>(
    py: Python<'py>,
    raster: PathBuf,
    zones_path: Option<PathBuf>,
    zones_ids: Option<Bound<'py, PyList>>,
    zones_wkb: Option<Bound<'py, PyList>>,
    zones_given_crs: Option<String>,
    options: RequestOptions,
    as_arrow: bool,
    progress: Option<Bound<'py, PyAny>>,
    coverage_index: Option<Bound<'py, NativeCoverageIndex>>,
    chunk_cells: Option<usize>,
) -> PyResult<Bound<'py, PyDict>> {
    let (zones_label, in_memory) = zones_source(
        py,
        zones_path.as_ref(),
        zones_ids.as_ref(),
        zones_wkb.as_ref(),
        zones_given_crs.as_deref(),
        options.keep_bad_geometry,
    )?;
    let with_geometry = options.with_geometry;
    let request = zonal_request(py, raster, zones_label, options)?;
    request.check().map_err(|e| library_error(py, &e))?;
    let index = coverage_index.as_ref().map(|i| i.get());
    if let Some(index) = index
        && index.index.mode() != request.coverage
    {
        return Err(invalid(
            py,
            format!(
                "coverage: the coverage index holds {} coverage, not {}",
                coverage_name(index.index.mode()),
                coverage_name(request.coverage)
            ),
        ));
    }

    let messages = Mutex::new(Vec::<String>::new());
    let outcome = run_interruptibly(py, progress.as_ref(), |report| {
        let on_event = |event: &ZonalEvent| match event {
            ZonalEvent::Progress { done, total } => report(*done, *total),
            other => {
                if let (Some(text), Ok(mut all)) = (other.message(), messages.lock()) {
                    all.push(text);
                }
            }
        };
        let inputs = ZonalInputs::open(&request)?;
        let zones = match in_memory {
            Some(zones) => zones,
            None => zonal::read_zones(&request)?,
        };
        if index.is_some() || chunk_cells.is_some() {
            // The zones measured on coverage computed beforehand, or in
            // chunks of another budget: prepared as `zonal::run_on`
            // prepares them (the index checked by the engine).
            let index = index.map(|i| &i.index);
            let zones = request.prepare_zones(&inputs, zones, &on_event)?;
            let table = measure(
                &request,
                &inputs,
                &zones.zones,
                index,
                chunk_cells,
                &on_event,
            )?;
            let id_column = zones.zones.id_field().unwrap_or("fid").to_string();
            Ok((id_column, table, zones))
        } else {
            let run = zonal::run_on(&request, inputs, zones, &on_event)?;
            Ok((run.id_column().to_string(), run.table, run.zones))
        }
    })?;
    let (id_column, table, zones) = finish(py, outcome)?;
    zonal_result(
        py,
        &id_column,
        &table,
        &zones,
        messages,
        with_geometry,
        as_arrow,
    )
}

/// The options of a zonal request as `terralux` hands them over: a dict
/// with one item per field (see `_request_options` in `terralux/__init__.py`).
#[derive(FromPyObject)]
#[pyo3(from_item_all)]
pub(crate) struct RequestOptions {
    stats: Option<String>,
    bands: Vec<usize>,
    layer: Option<String>,
    id_field: Option<String>,
    coverage: String,
    weights: Option<PathBuf>,
    area_weighted: bool,
    zones_crs: Option<String>,
    raster_crs: Option<String>,
    gcj02: bool,
    keep_bad_geometry: bool,
    snap_grid: bool,
    ignore_mask: bool,
    allow_raw_vrt: bool,
    threads: Option<usize>,
    /// Bytes (`memory_limit` MiB in Python).
    memory_limit: Option<usize>,
    min_coverage_frac: Option<f64>,
    default_value: Option<f64>,
    default_weight: Option<f64>,
    mode_ties: String,
    with_geometry: bool,
}

/// The request of `terralux.zonal_stats`'s arguments (unchecked).
fn zonal_request(
    py: Python<'_>,
    raster: PathBuf,
    zones_label: PathBuf,
    o: RequestOptions,
) -> PyResult<ZonalRequest> {
    let mut request = ZonalRequest::new(raster, zones_label);
    request.bands = o.bands;
    request.layer = o.layer;
    request.id_field = o.id_field;
    if let Some(list) = o.stats {
        request.stats = Stat::parse_list(&list).map_err(|e| library_error(py, &e))?;
    }
    request.coverage = coverage_mode(py, &o.coverage)?;
    request.weights = o.weights;
    if o.area_weighted {
        request.weighting = Weighting::AreaKm2;
    }
    request.zones_crs = crs(py, o.zones_crs.as_deref())?;
    request.raster_crs = crs(py, o.raster_crs.as_deref())?;
    request.gcj02 = o.gcj02;
    request.keep_bad_geometry = o.keep_bad_geometry;
    request.snap_grid = o.snap_grid;
    request.ignore_mask = o.ignore_mask;
    request.allow_raw_vrt = o.allow_raw_vrt;
    request.threads = o.threads;
    request.memory_limit = o.memory_limit;
    request.min_coverage_frac = o.min_coverage_frac;
    request.default_value = o.default_value;
    request.default_weight = o.default_weight;
    request.mode_ties = mode_ties(py, &o.mode_ties)?;
    request.keep_zones_as_given = o.with_geometry;
    Ok(request)
}

/// What `zonal_stats` hands back: the id column's name, the run's
/// messages, then either (`as_arrow`) the table as an Arrow batch under
/// `arrow`, or its ids and columns as Python lists; with `with_geometry`
/// also the zones as given (WKB) and their CRS.
#[allow(clippy::too_many_arguments)]
fn zonal_result<'py>(
    py: Python<'py>,
    id_column: &str,
    table: &ZonalTable,
    zones: &PreparedZones,
    messages: Mutex<Vec<String>>,
    with_geometry: bool,
    as_arrow: bool,
) -> PyResult<Bound<'py, PyDict>> {
    let out = PyDict::new(py);
    out.set_item("id_column", id_column)?;
    if as_arrow {
        let batch = terralux::write::parquet::record_batch(table, id_column)
            .map_err(|e| library_error(py, &e))?;
        out.set_item("arrow", arrow_export::ArrowBatch::new(batch))?;
    } else {
        out.set_item("ids", ids_list(py, table)?)?;
        out.set_item("columns", columns(py, table)?)?;
    }
    out.set_item("messages", messages.into_inner().unwrap_or_default())?;
    if with_geometry {
        let given = zones.for_output();
        out.set_item("geometry", geometry_wkb(py, given)?)?;
        out.set_item("crs", given.crs().map(|c| c.definition().to_string()))?;
    }
    Ok(out)
}

/// Where the zones come from: the path, or zones handed over in memory
/// (ids and WKB, with their CRS) labelled "in-memory zones".
fn zones_source(
    py: Python<'_>,
    zones_path: Option<&PathBuf>,
    zones_ids: Option<&Bound<'_, PyList>>,
    zones_wkb: Option<&Bound<'_, PyList>>,
    zones_given_crs: Option<&str>,
    keep_bad_geometry: bool,
) -> PyResult<(PathBuf, Option<ZoneSet>)> {
    let in_memory = match (zones_ids, zones_wkb) {
        (Some(ids), Some(wkb)) => Some(zones_from_wkb(
            py,
            ids,
            wkb,
            crs(py, zones_given_crs)?,
            keep_bad_geometry,
        )?),
        _ => None,
    };
    let label = zones_path
        .cloned()
        .unwrap_or_else(|| PathBuf::from("in-memory zones"));
    Ok((label, in_memory))
}

/// The statistics of `request` over prepared `zones` (on `index`'s
/// coverage, if given; in chunks of `chunk_cells` cells, if given), the
/// engine configured as [`zonal::run_on`] configures it.
fn measure(
    request: &ZonalRequest,
    inputs: &ZonalInputs,
    zones: &ZoneSet,
    index: Option<&CoverageIndex>,
    chunk_cells: Option<usize>,
    on_event: &(dyn Fn(&ZonalEvent) + Sync),
) -> Result<ZonalTable, Error> {
    if let Some(event) = ZonalEvent::empty_zones(zones) {
        on_event(&event);
    }
    let report = |done: usize, total: usize| on_event(&ZonalEvent::Progress { done, total });
    let mut engine = request.engine(zones, inputs).on_progress(&report);
    if let Some(index) = index {
        engine = engine.coverage_index(index);
    }
    if let Some(cells) = chunk_cells {
        engine = engine.chunk_cells(cells);
    }
    let table = engine.run()?;
    if let Some(event) = ZonalEvent::repaired(&table) {
        on_event(&event);
    }
    Ok(table)
}

/// The coverage of zones on a raster's grid, computed once: the native
/// half of `terralux.CoverageIndex`. It keeps the zones as prepared for
/// the grid (in its CRS, and as given for outputs with geometry) and the
/// request that read them.
#[pyclass(frozen, module = "terralux._terralux")]
struct NativeCoverageIndex {
    index: CoverageIndex,
    zones: PreparedZones,
    request: ZonalRequest,
}

#[pymethods]
impl NativeCoverageIndex {
    /// Number of zones.
    fn __len__(&self) -> usize {
        self.index.len()
    }

    /// The coverage mode: exact, center or all-touched.
    #[getter]
    fn coverage(&self) -> &'static str {
        coverage_name(self.index.mode())
    }

    /// The fingerprint of the zones (ids and every vertex, as measured).
    #[getter]
    fn fingerprint(&self) -> String {
        self.zones.zones.fingerprint().to_string()
    }

    /// The grid's (rows, columns).
    #[getter]
    fn shape(&self) -> (usize, usize) {
        let grid = self.index.grid();
        (grid.rows(), grid.cols())
    }

    /// The name of the id column (the id field, or `fid`).
    #[getter]
    fn id_column(&self) -> String {
        self.zones.zones.id_field().unwrap_or("fid").to_string()
    }
}

/// Read and prepare the zones for `raster`'s grid and compute their
/// coverage; see `terralux.CoverageIndex`.
#[pyfunction]
#[pyo3(signature = (
    raster, zones_path, zones_ids, zones_wkb, zones_given_crs, layer, id_field, coverage,
    zones_crs, raster_crs, gcj02, keep_bad_geometry, snap_grid, allow_raw_vrt
))]
#[allow(clippy::too_many_arguments)]
fn coverage_index(
    py: Python<'_>,
    raster: PathBuf,
    zones_path: Option<PathBuf>,
    zones_ids: Option<Bound<'_, PyList>>,
    zones_wkb: Option<Bound<'_, PyList>>,
    zones_given_crs: Option<String>,
    layer: Option<String>,
    id_field: Option<String>,
    coverage: &str,
    zones_crs: Option<String>,
    raster_crs: Option<String>,
    gcj02: bool,
    keep_bad_geometry: bool,
    snap_grid: bool,
    allow_raw_vrt: bool,
) -> PyResult<NativeCoverageIndex> {
    let (zones_label, in_memory) = zones_source(
        py,
        zones_path.as_ref(),
        zones_ids.as_ref(),
        zones_wkb.as_ref(),
        zones_given_crs.as_deref(),
        keep_bad_geometry,
    )?;
    let mut request = ZonalRequest::new(raster, zones_label);
    request.layer = layer;
    request.id_field = id_field;
    request.coverage = coverage_mode(py, coverage)?;
    request.zones_crs = crs(py, zones_crs.as_deref())?;
    request.raster_crs = crs(py, raster_crs.as_deref())?;
    request.gcj02 = gcj02;
    request.keep_bad_geometry = keep_bad_geometry;
    request.snap_grid = snap_grid;
    request.allow_raw_vrt = allow_raw_vrt;
    request.keep_zones_as_given = true;
    request.check().map_err(|e| library_error(py, &e))?;
    let outcome = run_interruptibly(py, None, |_| {
        let inputs = ZonalInputs::open(&request)?;
        let zones = match in_memory {
            Some(zones) => zones,
            None => zonal::read_zones(&request)?,
        };
        let zones = request.prepare_zones(&inputs, zones, &|_| {})?;
        let index = CoverageIndex::build(&zones.zones, inputs.raster.grid(), request.coverage);
        Ok((index, zones))
    })?;
    let (index, zones) = finish(py, outcome)?;
    Ok(NativeCoverageIndex {
        index,
        zones,
        request,
    })
}

/// Zonal statistics of `raster` over the zones of `index` on its coverage;
/// see `terralux.CoverageIndex.zonal_stats`.
#[pyfunction]
#[pyo3(signature = (
    index, raster, stats, bands, weights, area_weighted, raster_crs, snap_grid, ignore_mask,
    allow_raw_vrt, threads, min_coverage_frac, default_value, default_weight, mode_ties_rule,
    with_geometry, as_arrow, progress, memory_limit = None
))]
#[allow(clippy::too_many_arguments)]
fn coverage_zonal_stats<'py>(
    py: Python<'py>,
    index: Bound<'py, NativeCoverageIndex>,
    raster: PathBuf,
    stats: Option<String>,
    bands: Vec<usize>,
    weights: Option<PathBuf>,
    area_weighted: bool,
    raster_crs: Option<String>,
    snap_grid: bool,
    ignore_mask: bool,
    allow_raw_vrt: bool,
    threads: Option<usize>,
    min_coverage_frac: Option<f64>,
    default_value: Option<f64>,
    default_weight: Option<f64>,
    mode_ties_rule: &str,
    with_geometry: bool,
    as_arrow: bool,
    progress: Option<Bound<'py, PyAny>>,
    memory_limit: Option<usize>,
) -> PyResult<Bound<'py, PyDict>> {
    let index = index.get();
    let mut request = index.request.clone();
    request.raster = raster;
    request.bands = bands;
    if let Some(list) = stats {
        request.stats = Stat::parse_list(&list).map_err(|e| library_error(py, &e))?;
    }
    request.weights = weights;
    if area_weighted {
        request.weighting = Weighting::AreaKm2;
    }
    request.raster_crs = crs(py, raster_crs.as_deref())?;
    request.snap_grid = snap_grid;
    request.ignore_mask = ignore_mask;
    request.allow_raw_vrt = allow_raw_vrt;
    request.threads = threads;
    request.memory_limit = memory_limit;
    request.min_coverage_frac = min_coverage_frac;
    request.default_value = default_value;
    request.default_weight = default_weight;
    request.mode_ties = mode_ties(py, mode_ties_rule)?;
    request.check().map_err(|e| library_error(py, &e))?;
    let messages = Mutex::new(Vec::<String>::new());
    let outcome = run_interruptibly(py, progress.as_ref(), |report| {
        let on_event = |event: &ZonalEvent| match event {
            ZonalEvent::Progress { done, total } => report(*done, *total),
            other => {
                if let (Some(text), Ok(mut all)) = (other.message(), messages.lock()) {
                    all.push(text);
                }
            }
        };
        let inputs = ZonalInputs::open(&request)?;
        Ok(measure(
            &request,
            &inputs,
            &index.zones.zones,
            Some(&index.index),
            None,
            &on_event,
        )?)
    })?;
    let table = finish(py, outcome)?;
    let id_column = index.zones.zones.id_field().unwrap_or("fid").to_string();
    zonal_result(
        py,
        &id_column,
        &table,
        &index.zones,
        messages,
        with_geometry,
        as_arrow,
    )
}

fn product_choice(py: Python<'_>, name: &str) -> PyResult<ProductChoice> {
    name.parse::<ProductChoice>()
        .map_err(|e| library_error(py, &e))
}

/// The night-light indicators of `county_ntl`; see `terralux.county_ntl`.
#[pyfunction]
#[pyo3(signature = (
    zones, folder, paths, product, layer, id_field, threshold, population, gcj02, threads,
    masked_frac, snap_grid, ignore_mask, progress
))]
#[allow(clippy::too_many_arguments)]
fn county_ntl<'py>(
    py: Python<'py>,
    zones: PathBuf,
    folder: Option<PathBuf>,
    paths: Option<Vec<PathBuf>>,
    product: &str,
    layer: Option<String>,
    id_field: Option<String>,
    threshold: Option<f64>,
    population: Option<PathBuf>,
    gcj02: bool,
    threads: Option<usize>,
    masked_frac: bool,
    snap_grid: bool,
    ignore_mask: bool,
    progress: Option<Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyDict>> {
    let request = county_request(
        py,
        zones,
        folder,
        paths,
        product,
        layer,
        id_field,
        threshold,
        population,
        gcj02,
        threads,
        masked_frac,
        snap_grid,
        ignore_mask,
    )?;
    let messages = Mutex::new(Vec::<String>::new());
    let outcome = run_interruptibly(py, progress.as_ref(), |report| {
        let on_event = |event: RunEvent<'_>| match event {
            RunEvent::Progress { done, total } => report(done, total),
            other => county_message(&messages, other),
        };
        Ok(county_workflow::run(&request, &on_event)?)
    })?;
    let run: CountyNtlRun = finish(py, outcome)?;
    county_result(py, &run, messages.into_inner().unwrap_or_default())
}

/// A `county_ntl` request from `terralux.county_ntl`'s arguments.
#[allow(clippy::too_many_arguments)]
pub(crate) fn county_request(
    py: Python<'_>,
    zones: PathBuf,
    folder: Option<PathBuf>,
    paths: Option<Vec<PathBuf>>,
    product: &str,
    layer: Option<String>,
    id_field: Option<String>,
    threshold: Option<f64>,
    population: Option<PathBuf>,
    gcj02: bool,
    threads: Option<usize>,
    masked_frac: bool,
    snap_grid: bool,
    ignore_mask: bool,
) -> PyResult<CountyNtlRequest> {
    let choice = product_choice(py, product)?;
    let mut request = match (folder, paths) {
        (Some(folder), None) => CountyNtlRequest::from_folder(folder, choice, zones),
        (None, Some(paths)) => CountyNtlRequest::from_paths(paths, choice, zones),
        _ => {
            return Err(invalid(
                py,
                "county_ntl: give either a folder or a list of paths".into(),
            ));
        }
    }
    .map_err(|e| library_error(py, &e))?;
    request.zone_options.layer = layer;
    request.zone_options.id_field = id_field;
    request.options.threshold = threshold;
    request.options.population = population;
    request.options.zones.gcj02 = gcj02;
    request.options.threads = threads;
    request.options.masked_frac = masked_frac;
    request.options.raster_options.snap_geographic = snap_grid;
    request.options.raster_options.ignore_mask = ignore_mask;
    Ok(request)
}

/// A county run's event (but progress) as the message `county_ntl` says.
pub(crate) fn county_message(messages: &Mutex<Vec<String>>, event: RunEvent<'_>) {
    let text = match event {
        RunEvent::Progress { .. } => return,
        RunEvent::Warning(w) => format!("warning: {w}"),
        RunEvent::Note(n) => n.to_string(),
        RunEvent::Step(s) => s.to_string(),
    };
    if let Ok(mut all) = messages.lock() {
        all.push(text);
    }
}

/// `terralux.county_ntl`'s native result of `run`: the long table and
/// the trends as CSV bytes, the id column, the dates and `messages`.
pub(crate) fn county_result<'py>(
    py: Python<'py>,
    run: &CountyNtlRun,
    messages: Vec<String>,
) -> PyResult<Bound<'py, PyDict>> {
    let id_column = run.zones.id_field().unwrap_or("fid").to_string();
    let mut long = Vec::new();
    let mut trends = Vec::new();
    run.series
        .write_long_csv(&id_column, None, &mut long)
        .and_then(|()| run.series.write_trends_csv(&id_column, None, &mut trends))
        .map_err(|e| raise(py, "TerraluxError", e.to_string()))?;
    let text_ids = run.zones.iter().any(|z| matches!(z.id, ZoneId::Text(_)));
    let out = PyDict::new(py);
    out.set_item("id_column", id_column)?;
    out.set_item("text_ids", text_ids)?;
    out.set_item("long_csv", PyBytes::new(py, &long))?;
    out.set_item("trends_csv", PyBytes::new(py, &trends))?;
    out.set_item("dates", run.series.dates.clone())?;
    out.set_item("messages", messages)?;
    Ok(out)
}

/// A parsed choice of `poverty_index`, or the binary's message for it.
fn choice<T>(py: Python<'_>, what: &str, parsed: Result<T, String>) -> PyResult<T> {
    parsed.map_err(|reason| invalid(py, format!("{what}: {reason}")))
}

/// The composite index of `poverty_index`; see `terralux.poverty_index`.
#[pyfunction]
#[pyo3(signature = (
    zones, table, raster, table_id, date, delimiter, encoding, band, roll_ups, layer, id_field,
    indicators, worse, normalisation, goalposts, weights, aggregation, missing, classes,
    reference, poor, group_field, label_field, map_title, map_subtitle, map_source, map_width,
    dpi, snap_grid, ignore_mask, allow_raw_vrt, output, command_line, progress
))]
#[allow(clippy::too_many_arguments)]
fn poverty_index<'py>(
    py: Python<'py>,
    zones: String,
    table: Option<String>,
    raster: Option<String>,
    table_id: Option<String>,
    date: Option<String>,
    delimiter: Option<char>,
    encoding: Option<String>,
    band: usize,
    roll_ups: Vec<String>,
    layer: Option<String>,
    id_field: Option<String>,
    indicators: Option<Vec<String>>,
    worse: Vec<String>,
    normalisation: &str,
    goalposts: Option<String>,
    weights: &str,
    aggregation: &str,
    missing: &str,
    classes: usize,
    reference: Option<String>,
    poor: Option<String>,
    group_field: Option<String>,
    label_field: Option<String>,
    map_title: Option<String>,
    map_subtitle: Option<String>,
    map_source: Option<String>,
    map_width: u32,
    dpi: u32,
    snap_grid: bool,
    ignore_mask: bool,
    allow_raw_vrt: bool,
    output: PathBuf,
    command_line: Vec<String>,
    progress: Option<Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyDict>> {
    let normalisation = match (goalposts, normalisation) {
        (Some(posts), _) => {
            NormalisationSetting::Goalposts(choice(py, "goalposts", parse_goalposts(&posts))?)
        }
        (None, "min-max") => NormalisationSetting::Plain(Normalisation::MinMax),
        (None, "z-score") => NormalisationSetting::Plain(Normalisation::ZScore),
        (None, "rank") => NormalisationSetting::Plain(Normalisation::Rank),
        (None, other) => {
            return Err(invalid(
                py,
                format!("normalisation: unknown method '{other}' (valid: min-max, z-score, rank)"),
            ));
        }
    };
    let aggregation = match aggregation {
        "arithmetic" => Aggregation::Arithmetic,
        "geometric" => Aggregation::Geometric,
        other => {
            return Err(invalid(
                py,
                format!("aggregation: unknown mean '{other}' (valid: arithmetic, geometric)"),
            ));
        }
    };
    let missing = match missing {
        "propagate" => Missing::Propagate,
        "reweight" => Missing::Reweight,
        other => {
            return Err(invalid(
                py,
                format!("missing: unknown rule '{other}' (valid: propagate, reweight)"),
            ));
        }
    };
    let settings = IndexSettings {
        worse,
        normalisation,
        weights: choice(py, "weights", WeightsSetting::parse(weights))?,
        aggregation,
        missing,
        classes,
    };
    let source = match (table, raster) {
        (Some(path), None) => IndicatorSource::Table {
            path,
            id_column: table_id,
            date,
            options: TableOptions {
                delimiter,
                encoding,
            },
            reference,
        },
        (None, Some(path)) => IndicatorSource::Raster {
            path,
            band,
            roll_ups,
            options: RasterOptions {
                snap_geographic: snap_grid,
                ignore_mask,
                allow_raw_vrt,
                ..RasterOptions::default()
            },
        },
        _ => {
            return Err(invalid(
                py,
                "poverty_index: give either table or raster".into(),
            ));
        }
    };
    let request = PovertyIndexRequest {
        program: "terralux.poverty_index".into(),
        command_line,
        source,
        zones,
        zone_options: ZoneOptions {
            layer,
            id_field,
            ..ZoneOptions::default()
        },
        indicators,
        settings,
        poor,
        group_field,
        label_field,
        output,
    };
    let maps = MapOptions {
        title: map_title,
        subtitle: map_subtitle,
        source: map_source,
        width: map_width,
        dpi,
        ..MapOptions::default()
    };

    let messages = Mutex::new(Vec::<String>::new());
    let outcome = run_interruptibly(py, progress.as_ref(), |report| {
        let mut on_event = |event: PovertyEvent<'_>| {
            let text = match event {
                PovertyEvent::Repaired(ids) => format!(
                    "{} zone(s) with invalid geometry measured as repaired: {}",
                    ids.len(),
                    terralux::workflow::id_list(ids)
                ),
                PovertyEvent::Warning(note) => format!("warning: {note}"),
                // Returned as the validation figures.
                PovertyEvent::Figure(..) => return,
            };
            if let Ok(mut all) = messages.lock() {
                all.push(text);
            }
        };
        Ok(run_poverty_index_with_progress(
            &request,
            &maps,
            &mut on_event,
            report,
        )?)
    })?;
    let run = finish(py, outcome)?;
    let out = PyDict::new(py);
    let figures = PyDict::new(py);
    for (name, value) in run.provenance.validation.figures() {
        figures.set_item(name, value)?;
    }
    out.set_item("validation", figures)?;
    out.set_item("provenance", run.provenance.to_text())?;
    let files = PyList::empty(py);
    for file in &run.files {
        files.append(file.path.clone())?;
    }
    out.set_item("files", files)?;
    let levels = PyList::empty(py);
    for record in &run.provenance.roll_ups {
        levels.append((record.field.as_str(), record.output.as_str()))?;
    }
    out.set_item("roll_ups", levels)?;
    out.set_item("zones_without_table_row", run.indicators.zones_without_row)?;
    out.set_item("table_rows_without_zone", run.indicators.rows_without_zone)?;
    out.set_item("messages", messages.into_inner().unwrap_or_default())?;
    Ok(out)
}

#[pymodule]
fn _terralux(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_function(wrap_pyfunction!(zonal_stats, m)?)?;
    m.add_function(wrap_pyfunction!(county_ntl, m)?)?;
    m.add_function(wrap_pyfunction!(poverty_index, m)?)?;
    m.add_class::<NativeCoverageIndex>()?;
    m.add_class::<arrow_export::ArrowBatch>()?;
    m.add_function(wrap_pyfunction!(coverage_index, m)?)?;
    m.add_function(wrap_pyfunction!(coverage_zonal_stats, m)?)?;
    distributed::register(m)?;
    distributed_county::register(m)?;
    Ok(())
}
