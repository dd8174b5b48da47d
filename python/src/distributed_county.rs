//! The native half of `terralux.distributed.county_ntl`: a county run
//! planned once on the driver ([`county_plan`], a
//! [`terralux::ntl::CountyPlan`] kept as [`NativeCountyPlan`]), its units
//! run anywhere from a pass's plan bytes and the request's arguments
//! ([`run_county_unit`]: the plan decoded once per process, cached by
//! fingerprint as the zonal plans are), and the partials of every pass
//! finished on the driver into `terralux.county_ntl`'s result, bit for bit.

use std::path::PathBuf;
use std::sync::Mutex;

use pyo3::prelude::*;
use pyo3::pybacked::PyBackedBytes;
use pyo3::types::{PyBytes, PyDict};
use terralux::Error;
use terralux::engine::partials::{UnitPartials, WorkPlan, WorkUnit};
use terralux::ntl::{CountyPass, CountyPlan, RunEvent, county_unit};
use terralux::workflow::county_ntl::CountyNtlRequest;
use terralux::zones::ZoneSet;

use super::distributed::cached_plan;
use super::{county_message, county_request, county_result, finish, invalid, run_interruptibly};

/// A planned county run (taken by its finish) and the messages of the
/// planning.
#[pyclass(frozen, module = "terralux._terralux")]
pub(crate) struct NativeCountyPlan {
    plan: Mutex<Option<CountyPlan>>,
    /// Each pass's name, bytes and fingerprint, made once.
    passes: Vec<(CountyPass, Vec<u8>, String)>,
    dates: Vec<String>,
    messages: Vec<String>,
}

/// The pass named `name`.
fn pass_named(py: Python<'_>, name: &str) -> PyResult<CountyPass> {
    [CountyPass::Indicators, CountyPass::MaskedShare]
        .into_iter()
        .find(|p| p.name() == name)
        .ok_or_else(|| {
            invalid(
                py,
                format!("pass: unknown pass '{name}' (valid: indicators, masked_share)"),
            )
        })
}

impl NativeCountyPlan {
    fn entry(&self, py: Python<'_>, pass: &str) -> PyResult<&(CountyPass, Vec<u8>, String)> {
        let wanted = pass_named(py, pass)?;
        self.passes
            .iter()
            .find(|(p, _, _)| *p == wanted)
            .ok_or_else(|| invalid(py, format!("pass: this run makes no '{pass}' pass")))
    }

    fn with_plan<T>(
        &self,
        py: Python<'_>,
        pass: &str,
        f: impl FnOnce(&WorkPlan) -> T,
    ) -> PyResult<T> {
        let wanted = self.entry(py, pass)?.0;
        let held = self
            .plan
            .lock()
            .map_err(|_| invalid(py, "county plan: poisoned".into()))?;
        let plan = held
            .as_ref()
            .ok_or_else(|| invalid(py, "county plan: already finished".into()))?;
        plan.pass(wanted)
            .map(f)
            .ok_or_else(|| invalid(py, format!("pass: this run makes no '{pass}' pass")))
    }
}

#[pymethods]
impl NativeCountyPlan {
    /// The passes' names, in order.
    #[getter]
    fn passes(&self) -> Vec<&'static str> {
        self.passes.iter().map(|(p, _, _)| p.name()).collect()
    }

    /// A pass's plan as bytes (what the workers get, once).
    fn to_bytes<'py>(&self, py: Python<'py>, pass: &str) -> PyResult<Bound<'py, PyBytes>> {
        Ok(PyBytes::new(py, &self.entry(py, pass)?.1))
    }

    /// A pass's fingerprint (32 hex digits).
    fn fingerprint(&self, py: Python<'_>, pass: &str) -> PyResult<String> {
        Ok(self.entry(py, pass)?.2.clone())
    }

    /// The date labels, in order.
    #[getter]
    fn dates(&self) -> Vec<String> {
        self.dates.clone()
    }

    /// The messages of the planning.
    #[getter]
    fn messages(&self) -> Vec<String> {
        self.messages.clone()
    }

    /// The number of chunks of a pass's `date` that some zone touches.
    fn chunk_count(&self, py: Python<'_>, pass: &str, date: usize) -> PyResult<usize> {
        self.with_plan(py, pass, |plan| plan.chunk_count(date))
    }

    /// A pass's units of `chunks_per_unit` chunks: `[(date, start, end)]`.
    fn units(
        &self,
        py: Python<'_>,
        pass: &str,
        chunks_per_unit: usize,
    ) -> PyResult<Vec<(usize, usize, usize)>> {
        self.with_plan(py, pass, |plan| {
            plan.units(chunks_per_unit)
                .into_iter()
                .map(|u| (u.date, u.chunks.start, u.chunks.end))
                .collect()
        })
    }

    /// The run of `dates` (positions, in order) from `partials`, `[(pass,
    /// bytes)]` of every unit of those dates (any order), as
    /// `terralux.county_ntl`'s native result (its messages those of the
    /// finish). The plan is taken: a second finish is refused.
    fn finish<'py>(
        &self,
        py: Python<'py>,
        partials: Vec<(String, PyBackedBytes)>,
        dates: Vec<usize>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let plan = self
            .plan
            .lock()
            .map_err(|_| invalid(py, "county plan: poisoned".into()))?
            .take()
            .ok_or_else(|| invalid(py, "county plan: already finished".into()))?;
        let named = partials
            .into_iter()
            .map(|(pass, bytes)| Ok((pass_named(py, &pass)?, bytes)))
            .collect::<PyResult<Vec<_>>>()?;
        let messages = Mutex::new(Vec::<String>::new());
        let outcome = run_interruptibly(py, None, |_| {
            let decoded = named
                .iter()
                .map(|(pass, bytes)| {
                    let of_pass = plan.pass(*pass).ok_or_else(|| Error::Mismatch {
                        context: "county plan".into(),
                        reason: format!(
                            "partials of a '{}' pass, which this run does not make",
                            pass.name()
                        ),
                    })?;
                    Ok((*pass, UnitPartials::from_bytes(of_pass, bytes)?))
                })
                .collect::<Result<Vec<_>, Error>>()?;
            let on_event = |event: RunEvent<'_>| county_message(&messages, event);
            Ok(plan.finish(decoded, &dates, &on_event)?)
        })?;
        let run = finish(py, outcome)?;
        county_result(py, &run, messages.into_inner().unwrap_or_default())
    }
}

/// Plan a county run with `terralux.county_ntl`'s arguments (but
/// `threads` and `progress`): every file opened (metadata), the zones read
/// and prepared, their coverage computed once, each pass planned.
#[pyfunction]
#[pyo3(signature = (
    zones, folder, paths, product, layer, id_field, threshold, population, gcj02,
    masked_frac, snap_grid, ignore_mask
))]
#[allow(clippy::too_many_arguments)]
fn county_plan(
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
    masked_frac: bool,
    snap_grid: bool,
    ignore_mask: bool,
) -> PyResult<NativeCountyPlan> {
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
        None,
        masked_frac,
        snap_grid,
        ignore_mask,
    )?;
    let messages = Mutex::new(Vec::<String>::new());
    let outcome = run_interruptibly(py, None, |_| {
        let on_event = |event: RunEvent<'_>| county_message(&messages, event);
        let zones = read_zones(&request)?;
        let plan = CountyPlan::new(&request.collection, zones, &request.options, &on_event)?;
        let passes = plan
            .passes()
            .into_iter()
            .filter_map(|pass| {
                let of_pass = plan.pass(pass)?;
                Some((pass, of_pass.to_bytes(), of_pass.fingerprint()))
            })
            .collect();
        Ok((plan, passes))
    })?;
    let (plan, passes) = finish(py, outcome)?;
    Ok(NativeCountyPlan {
        dates: plan.dates().to_vec(),
        plan: Mutex::new(Some(plan)),
        passes,
        messages: messages.into_inner().unwrap_or_default(),
    })
}

/// The zones of `request`, as `county_ntl` reads them.
fn read_zones(request: &CountyNtlRequest) -> Result<ZoneSet, Error> {
    ZoneSet::read(&request.zones, &request.zone_options)
}

/// Run one unit (date, chunks `start..end`) of a pass's plan `plan_bytes`,
/// the collection and options rebuilt from the request's arguments (as
/// [`county_plan`] got them); the partials as bytes.
#[pyfunction]
#[pyo3(signature = (
    plan_bytes, date, start, end, folder, paths, product, threshold, population,
    masked_frac, snap_grid, ignore_mask
))]
#[allow(clippy::too_many_arguments)]
fn run_county_unit<'py>(
    py: Python<'py>,
    plan_bytes: &[u8],
    date: usize,
    start: usize,
    end: usize,
    folder: Option<PathBuf>,
    paths: Option<Vec<PathBuf>>,
    product: &str,
    threshold: Option<f64>,
    population: Option<PathBuf>,
    masked_frac: bool,
    snap_grid: bool,
    ignore_mask: bool,
) -> PyResult<Bound<'py, PyBytes>> {
    // The zones are the plan's: a worker never reads them.
    let request = county_request(
        py,
        PathBuf::new(),
        folder,
        paths,
        product,
        None,
        None,
        threshold,
        population,
        false,
        None,
        masked_frac,
        snap_grid,
        ignore_mask,
    )?;
    let outcome = run_interruptibly(py, None, |_| {
        let plan = cached_plan(plan_bytes)?;
        let unit = WorkUnit {
            date,
            chunks: start..end,
        };
        Ok(county_unit(&plan, &request.collection, &request.options, &unit)?.to_bytes())
    })?;
    let bytes = finish(py, outcome)?;
    Ok(PyBytes::new(py, &bytes))
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<NativeCountyPlan>()?;
    m.add_function(wrap_pyfunction!(county_plan, m)?)?;
    m.add_function(wrap_pyfunction!(run_county_unit, m)?)?;
    Ok(())
}
