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
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList};
use terralux::coverage::CoverageMode;
use terralux::ntl::{CountyNtlRun, ProductChoice, RunEvent};
use terralux::results::ZonalTable;
use terralux::stats::{ModeTies, Stat, StatValue, Weighting};
use terralux::workflow::county_ntl::{self as county_workflow, CountyNtlRequest};
use terralux::workflow::zonal::{self, ZonalEvent, ZonalInputs, ZonalRequest};
use terralux::zones::{Attributes, Zone, ZoneId, ZoneSet, multipolygon_from_wkb};
use terralux::{Crs, Error};

/// The payload of the panic that stops a run from its progress report.
struct Stop;

/// A failure of a run: the library's error, a stop asked for, or a panic.
enum Failure {
    Library(Error),
    Stopped,
    Panic(String),
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
    raster, zones_path, zones_ids, zones_wkb, zones_given_crs, stats, bands, layer, id_field,
    coverage, weights, area_weighted, zones_crs, raster_crs, gcj02, keep_bad_geometry,
    snap_grid, ignore_mask, allow_raw_vrt, threads, min_coverage_frac, default_value,
    default_weight, mode_ties_rule, with_geometry, progress
))]
#[allow(clippy::too_many_arguments)]
fn zonal_stats<'py>(
    py: Python<'py>,
    raster: PathBuf,
    zones_path: Option<PathBuf>,
    zones_ids: Option<Bound<'py, PyList>>,
    zones_wkb: Option<Bound<'py, PyList>>,
    zones_given_crs: Option<String>,
    stats: Option<String>,
    bands: Vec<usize>,
    layer: Option<String>,
    id_field: Option<String>,
    coverage: &str,
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
    min_coverage_frac: Option<f64>,
    default_value: Option<f64>,
    default_weight: Option<f64>,
    mode_ties_rule: &str,
    with_geometry: bool,
    progress: Option<Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyDict>> {
    let in_memory = match (&zones_ids, &zones_wkb) {
        (Some(ids), Some(wkb)) => Some(zones_from_wkb(
            py,
            ids,
            wkb,
            crs(py, zones_given_crs.as_deref())?,
            keep_bad_geometry,
        )?),
        _ => None,
    };
    let zones_label = zones_path
        .clone()
        .unwrap_or_else(|| PathBuf::from("in-memory zones"));
    let mut request = ZonalRequest::new(raster, zones_label);
    request.bands = bands;
    request.layer = layer;
    request.id_field = id_field;
    if let Some(list) = stats {
        request.stats = Stat::parse_list(&list).map_err(|e| library_error(py, &e))?;
    }
    request.coverage = coverage_mode(py, coverage)?;
    request.weights = weights;
    if area_weighted {
        request.weighting = Weighting::AreaKm2;
    }
    request.zones_crs = crs(py, zones_crs.as_deref())?;
    request.raster_crs = crs(py, raster_crs.as_deref())?;
    request.gcj02 = gcj02;
    request.keep_bad_geometry = keep_bad_geometry;
    request.snap_grid = snap_grid;
    request.ignore_mask = ignore_mask;
    request.allow_raw_vrt = allow_raw_vrt;
    request.threads = threads;
    request.min_coverage_frac = min_coverage_frac;
    request.default_value = default_value;
    request.default_weight = default_weight;
    request.mode_ties = mode_ties(py, mode_ties_rule)?;
    request.keep_zones_as_given = with_geometry;
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
        let run = match in_memory {
            Some(zones) => {
                let inputs = ZonalInputs::open(&request)?;
                zonal::run_on(&request, inputs, zones, &on_event)?
            }
            None => zonal::run(&request, &on_event)?,
        };
        Ok(run)
    })?;
    let run = finish(py, outcome)?;

    let out = PyDict::new(py);
    out.set_item("id_column", run.id_column())?;
    out.set_item("ids", ids_list(py, &run.table)?)?;
    out.set_item("columns", columns(py, &run.table)?)?;
    out.set_item("messages", messages.into_inner().unwrap_or_default())?;
    if with_geometry {
        let given = run.zones.for_output();
        out.set_item("geometry", geometry_wkb(py, given)?)?;
        out.set_item("crs", given.crs().map(|c| c.definition().to_string()))?;
    }
    Ok(out)
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

    let messages = Mutex::new(Vec::<String>::new());
    let outcome = run_interruptibly(py, progress.as_ref(), |report| {
        let on_event = |event: RunEvent<'_>| {
            let text = match event {
                RunEvent::Progress { done, total } => return report(done, total),
                RunEvent::Warning(w) => format!("warning: {w}"),
                RunEvent::Note(n) => n.to_string(),
                RunEvent::Step(s) => s.to_string(),
            };
            if let Ok(mut all) = messages.lock() {
                all.push(text);
            }
        };
        Ok(county_workflow::run(&request, &on_event)?)
    })?;
    let run: CountyNtlRun = finish(py, outcome)?;
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
    out.set_item("messages", messages.into_inner().unwrap_or_default())?;
    Ok(out)
}

#[pymodule]
fn _terralux(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_function(wrap_pyfunction!(zonal_stats, m)?)?;
    m.add_function(wrap_pyfunction!(county_ntl, m)?)?;
    Ok(())
}
