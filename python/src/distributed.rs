//! The native half of `terralux.distributed`: a zonal run over one or more
//! dates planned once on the driver ([`zonal_plan`], a
//! [`terralux::engine::partials::WorkPlan`] kept as [`NativeZonalPlan`]),
//! its work units run anywhere from the plan's bytes ([`run_unit`]: a
//! pure function of its arguments; the plan decoded once per process and
//! cached by fingerprint), and the units' partials merged on the driver
//! ([`NativeZonalPlan::merge`]) into the tables `terralux.zonal_stats`
//! gives, bit for bit. Every native step runs with the GIL released.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use pyo3::prelude::*;
use pyo3::pybacked::PyBackedBytes;
use pyo3::types::{PyBytes, PyList};
use terralux::engine::partials::{UnitPartials, WorkPlan, WorkUnit, merge_dates, run_unit as run};
use terralux::raster::RasterOptions;
use terralux::results::ZonalTable;
use terralux::workflow::zonal::{self, ZonalEvent, ZonalInputs};
use terralux::write::parquet::record_batch;
use terralux::write::partitions::DatePartitions;
use terralux::zones::PreparedZones;
use terralux::{Error, GdalRaster, RasterSource};

use super::{
    RequestOptions, crs, finish, invalid, library_error, run_interruptibly, zonal_request,
    zonal_result, zones_source,
};

/// A planned zonal run: the plan, the zones as prepared (for the outputs)
/// and the messages of the planning (empty zones, preparation steps).
#[pyclass(frozen, module = "terralux._terralux")]
pub(crate) struct NativeZonalPlan {
    plan: WorkPlan,
    zones: PreparedZones,
    id_column: String,
    messages: Vec<String>,
}

#[pymethods]
impl NativeZonalPlan {
    /// The plan as bytes (what the workers get, once).
    fn to_bytes<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        let bytes = py.allow_threads(|| self.plan.as_bytes());
        PyBytes::new(py, bytes)
    }

    /// The plan's fingerprint (32 hex digits).
    #[getter]
    fn fingerprint(&self) -> String {
        self.plan.fingerprint()
    }

    /// The number of dates.
    #[getter]
    fn dates(&self) -> usize {
        self.plan.dates()
    }

    /// The number of chunks of `date` that some zone touches.
    fn chunk_count(&self, date: usize) -> usize {
        self.plan.chunk_count(date)
    }

    /// The units of `chunks_per_unit` chunks: `[(date, start, end)]`.
    fn units(&self, chunks_per_unit: usize) -> Vec<(usize, usize, usize)> {
        self.plan
            .units(chunks_per_unit)
            .into_iter()
            .map(|u| (u.date, u.chunks.start, u.chunks.end))
            .collect()
    }

    /// The messages of the planning.
    #[getter]
    fn messages(&self) -> Vec<String> {
        self.messages.clone()
    }

    /// One fingerprint per date (see `WorkPlan::date_fingerprints`).
    fn date_fingerprints(&self, py: Python<'_>) -> Vec<String> {
        py.allow_threads(|| self.plan.date_fingerprints())
    }

    /// Merge `date`'s partials (bytes, any order) and write its table as
    /// the partition `label` under `root` with `key`, atomically, refusing
    /// to write over any of `inputs`; the file's path. The id column is
    /// named `id_column` (default: the zones' id field, or `fid`).
    #[pyo3(signature = (partials, date, root, label, key, inputs, id_column=None))]
    #[allow(clippy::too_many_arguments)]
    fn write_partition(
        &self,
        py: Python<'_>,
        partials: Vec<PyBackedBytes>,
        date: usize,
        root: PathBuf,
        label: String,
        key: String,
        inputs: Vec<String>,
        id_column: Option<String>,
    ) -> PyResult<String> {
        let id_column = id_column.as_deref().unwrap_or(&self.id_column);
        let outcome = run_interruptibly(py, None, |_| {
            let mut tables = self.tables(&partials, &[date])?;
            let table = tables.pop().ok_or_else(|| Error::Mismatch {
                context: "work plan".into(),
                reason: format!("no table of date {date}"),
            })?;
            let batch = record_batch(&table, id_column)?;
            let inputs: Vec<&str> = inputs.iter().map(String::as_str).collect();
            let path = DatePartitions::at(root).write(&label, &batch, &key, &inputs)?;
            Ok(path.to_string_lossy().into_owned())
        })?;
        finish(py, outcome)
    }

    /// The tables of `dates` (in that order) from the units' partials
    /// (bytes, any order), each as `terralux.zonal_stats`'s native result.
    #[pyo3(signature = (partials, dates, with_geometry, as_arrow))]
    fn merge<'py>(
        &self,
        py: Python<'py>,
        partials: Vec<PyBackedBytes>,
        dates: Vec<usize>,
        with_geometry: bool,
        as_arrow: bool,
    ) -> PyResult<Bound<'py, PyList>> {
        let outcome = run_interruptibly(py, None, |_| Ok(self.tables(&partials, &dates)?))?;
        let tables = finish(py, outcome)?;
        let out = PyList::empty(py);
        for table in &tables {
            let messages: Vec<String> = ZonalEvent::repaired(table)
                .and_then(|event| event.message())
                .into_iter()
                .collect();
            out.append(zonal_result(
                py,
                &self.id_column,
                table,
                &self.zones,
                Mutex::new(messages),
                with_geometry,
                as_arrow,
            )?)?;
        }
        Ok(out)
    }
}

impl NativeZonalPlan {
    /// The tables of `dates` from the units' partials (bytes, any order).
    fn tables(
        &self,
        partials: &[PyBackedBytes],
        dates: &[usize],
    ) -> Result<Vec<ZonalTable>, Error> {
        let decoded = partials
            .iter()
            .map(|bytes| UnitPartials::from_bytes(&self.plan, bytes))
            .collect::<Result<Vec<_>, Error>>()?;
        merge_dates(&self.plan, decoded, dates)
    }
}

/// Plan a zonal run of `rasters` (dates on one grid) with
/// `terralux.zonal_stats`'s arguments: the rasters opened (metadata only),
/// the zones read and prepared once for the first, their coverage
/// computed once.
#[pyfunction]
#[pyo3(signature = (
    rasters, zones_path, zones_ids, zones_wkb, zones_given_crs, options, chunk_cells
))]
#[allow(clippy::too_many_arguments)]
fn zonal_plan<'py>(
    py: Python<'py>,
    rasters: Vec<PathBuf>,
    zones_path: Option<PathBuf>,
    zones_ids: Option<Bound<'py, PyList>>,
    zones_wkb: Option<Bound<'py, PyList>>,
    zones_given_crs: Option<String>,
    options: RequestOptions,
    chunk_cells: Option<usize>,
) -> PyResult<NativeZonalPlan> {
    let Some(first) = rasters.first().cloned() else {
        return Err(invalid(py, "raster: no raster was given".into()));
    };
    let (zones_label, in_memory) = zones_source(
        py,
        zones_path.as_ref(),
        zones_ids.as_ref(),
        zones_wkb.as_ref(),
        zones_given_crs.as_deref(),
        options.keep_bad_geometry,
    )?;
    // Threads are the workers'; the plan is made on all of this process's.
    let options = RequestOptions {
        threads: None,
        ..options
    };
    let request = zonal_request(py, first, zones_label, options)?;
    request.check().map_err(|e| library_error(py, &e))?;
    let messages = Mutex::new(Vec::<String>::new());
    let outcome = run_interruptibly(py, None, |_| {
        let on_event = |event: &ZonalEvent| {
            if let (Some(text), Ok(mut all)) = (event.message(), messages.lock()) {
                all.push(text);
            }
        };
        // Each date's raster; the weights raster (one for every date)
        // opened once, with the first date's inputs.
        let inputs = rasters
            .iter()
            .enumerate()
            .map(|(date, raster)| {
                let mut of_date = request.clone();
                of_date.raster = raster.clone();
                if date > 0 {
                    of_date.weights = None;
                }
                ZonalInputs::open(&of_date)
            })
            .collect::<Result<Vec<_>, Error>>()?;
        let zones = match in_memory {
            Some(zones) => zones,
            None => zonal::read_zones(&request)?,
        };
        if let Some(event) = ZonalEvent::empty_zones(&zones) {
            on_event(&event);
        }
        let zones = request.prepare_zones(&inputs[0], zones, &on_event)?;
        let shared_weights = inputs[0].weights.as_ref();
        let runs: Vec<_> = inputs
            .iter()
            .map(|of_date| {
                let mut engine = request.engine(&zones.zones, of_date);
                if let Some(w) = shared_weights {
                    engine = engine.weights(w, 1);
                }
                if let Some(cells) = chunk_cells {
                    engine = engine.chunk_cells(cells);
                }
                engine
            })
            .collect();
        let plan = WorkPlan::new(&runs)?;
        drop(runs);
        Ok((plan, zones))
    })?;
    let (plan, zones) = finish(py, outcome)?;
    let id_column = zones.zones.id_field().unwrap_or("fid").to_string();
    Ok(NativeZonalPlan {
        plan,
        zones,
        id_column,
        messages: messages.into_inner().unwrap_or_default(),
    })
}

/// The plans this process has decoded, by fingerprint (the latest last).
static PLANS: Mutex<Vec<([u8; 16], Arc<WorkPlan>)>> = Mutex::new(Vec::new());
/// How many decoded plans a process keeps.
const PLANS_KEPT: usize = 4;

/// The plan of `bytes`, decoded once per process: its fingerprint is bytes
/// 10..26 of the plan's bytes (after the magic and the format version).
pub(crate) fn cached_plan(bytes: &[u8]) -> Result<Arc<WorkPlan>, Error> {
    let key: Option<[u8; 16]> = bytes.get(10..26).and_then(|k| k.try_into().ok());
    if let Some(key) = key
        && let Ok(plans) = PLANS.lock()
        && let Some((_, plan)) = plans.iter().find(|(k, _)| *k == key)
    {
        return Ok(Arc::clone(plan));
    }
    let plan = Arc::new(WorkPlan::from_bytes(bytes)?);
    if let (Some(key), Ok(mut plans)) = (key, PLANS.lock()) {
        plans.retain(|(k, _)| *k != key);
        if plans.len() >= PLANS_KEPT {
            plans.remove(0);
        }
        plans.push((key, Arc::clone(&plan)));
    }
    Ok(plan)
}

/// Run one unit of the plan `plan_bytes` (date, chunks `start..end`),
/// opening its rasters by path with GDAL as the driver opened them
/// (`raster_crs`, `snap_grid`, `ignore_mask`, `allow_raw_vrt`); the
/// partials as bytes.
#[pyfunction]
#[pyo3(signature = (plan_bytes, date, start, end, raster_crs, snap_grid, ignore_mask, allow_raw_vrt))]
#[allow(clippy::too_many_arguments)]
fn run_unit<'py>(
    py: Python<'py>,
    plan_bytes: &[u8],
    date: usize,
    start: usize,
    end: usize,
    raster_crs: Option<String>,
    snap_grid: bool,
    ignore_mask: bool,
    allow_raw_vrt: bool,
) -> PyResult<Bound<'py, PyBytes>> {
    let options = RasterOptions {
        assume_crs: crs(py, raster_crs.as_deref())?,
        allow_raw_vrt,
        snap_geographic: snap_grid,
        ignore_mask,
        ..RasterOptions::default()
    };
    let outcome = run_interruptibly(py, None, |_| {
        let plan = cached_plan(plan_bytes)?;
        let open = |path: &str| -> Result<Box<dyn RasterSource + Sync>, Error> {
            Ok(Box::new(GdalRaster::open_with(path, &options)?))
        };
        let unit = WorkUnit {
            date,
            chunks: start..end,
        };
        Ok(run(&plan, &unit, &open)?.to_bytes())
    })?;
    let bytes = finish(py, outcome)?;
    Ok(PyBytes::new(py, &bytes))
}

/// Whether the partition `label` under `root` is written whole with `key`
/// (see `DatePartitions::finished`); an error for a label that cannot name
/// a partition folder.
#[pyfunction]
fn partition_finished(py: Python<'_>, root: PathBuf, label: &str, key: &str) -> PyResult<bool> {
    let parts = DatePartitions::at(root);
    parts.file(label).map_err(|e| library_error(py, &e))?;
    Ok(py.allow_threads(|| parts.finished(label, key)))
}

/// The file of partition `label` under `root` (`root/date=LABEL/part-0.parquet`).
#[pyfunction]
fn partition_file(py: Python<'_>, root: PathBuf, label: &str) -> PyResult<String> {
    let file = DatePartitions::at(root)
        .file(label)
        .map_err(|e| library_error(py, &e))?;
    Ok(file.to_string_lossy().into_owned())
}

/// The process's cached plans (for tests): their fingerprints, latest last.
#[pyfunction]
fn cached_plans() -> Vec<String> {
    PLANS
        .lock()
        .map(|plans| plans.iter().map(|(_, p)| p.fingerprint()).collect())
        .unwrap_or_default()
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<NativeZonalPlan>()?;
    m.add_function(wrap_pyfunction!(zonal_plan, m)?)?;
    m.add_function(wrap_pyfunction!(run_unit, m)?)?;
    m.add_function(wrap_pyfunction!(cached_plans, m)?)?;
    m.add_function(wrap_pyfunction!(partition_finished, m)?)?;
    m.add_function(wrap_pyfunction!(partition_file, m)?)?;
    Ok(())
}
