//! Running one work unit: its chunks gathered as the engine gathers them,
//! into the zones' partial accumulators, and those as bytes.

use super::bytes::{UNIT_WHAT, unit_body, unit_bytes, unit_error};
use super::{WorkPlan, WorkUnit};
use crate::codec::{Reader, Writer};
use crate::engine::SharedRaster;
use crate::engine::gather::{Buffers, Gather, ZoneState};
use crate::error::{Error, Result};
use crate::raster::RasterSource;
use crate::stats::{Accumulator, Stat};

/// How a worker opens a plan's rasters: by the name the plan gives them
/// ([`RasterSource::name`] on the driver: the path for GDAL rasters).
/// Any `Fn(&str) -> Result<Box<dyn RasterSource + Sync>>` is one, such as
/// `|path: &str| Ok(Box::new(GdalRaster::open(path)?) as Box<dyn RasterSource + Sync>)`.
///
/// ```
/// # fn main() -> terralux::Result<()> {
/// use ndarray::array;
/// use terralux::engine::partials::OpenRaster;
/// use terralux::{GeoTransform, Grid, Raster, RasterSource};
/// let grid = Grid::new(GeoTransform::new(0.0, 1.0, 1.0, -1.0)?, 1, 2)?;
/// // In-memory rasters, found by their names.
/// fn by_name<'r>(rasters: &'r [Raster<f64>]) -> impl OpenRaster<'r> {
///     move |name: &str| -> terralux::Result<Box<dyn RasterSource + Sync + 'r>> {
///         let found = rasters.iter().find(|r| r.name() == name);
///         Ok(Box::new(found.ok_or_else(|| terralux::Error::NotFound { path: name.into() })?))
///     }
/// }
/// let rasters = [Raster::new(grid, array![[1.0, 2.0]])?.with_name("a")];
/// let open = by_name(&rasters);
/// assert_eq!(open.open("a")?.grid().cols(), 2);
/// assert!(open.open("b").is_err());
/// # Ok(())
/// # }
/// ```
pub trait OpenRaster<'r> {
    /// Open the raster named `name`.
    fn open(&self, name: &str) -> Result<Box<dyn RasterSource + Sync + 'r>>;
}

impl<'r, F> OpenRaster<'r> for F
where
    F: Fn(&str) -> Result<Box<dyn RasterSource + Sync + 'r>> + ?Sized,
{
    fn open(&self, name: &str) -> Result<Box<dyn RasterSource + Sync + 'r>> {
        self(name)
    }
}

/// The partial accumulators of one work unit: for each zone its chunks
/// touch, in chunk order, one accumulator per layer of the date; see the
/// [module docs](super) for which partials are folded.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitPartials {
    plan: [u8; 16],
    unit: WorkUnit,
    /// `(zone, one accumulator per layer)`, in chunk order.
    entries: Vec<(u32, Vec<Accumulator>)>,
}

/// Gather the chunks of `unit` (on the calling thread: parallelism is
/// across units), opening the date's rasters with `open` (once each). Every raster
/// must have the plan's grid.
pub fn run_unit<'r>(
    plan: &WorkPlan,
    unit: &WorkUnit,
    open: &(impl OpenRaster<'r> + ?Sized),
) -> Result<UnitPartials> {
    plan.check_unit(unit)?;
    let spec = &plan.spec;
    let date = &spec.dates[unit.date];
    let stats = &plan.derived.computed;
    let needs_weights = stats.iter().any(Stat::needs_weights_raster);
    // Each raster of the date opened once.
    let mut opened: Vec<(usize, Box<dyn RasterSource + Sync + 'r>)> = Vec::new();
    let wanted = date
        .layers
        .iter()
        .chain(date.weights.iter().filter(|_| needs_weights));
    for &(raster, band) in wanted {
        let at = match opened.iter().position(|(i, _)| *i == raster) {
            Some(at) => at,
            None => {
                let name = &spec.rasters[raster];
                let source = open.open(name)?;
                if !source.grid().same_as(spec.index.grid()) {
                    return Err(Error::Mismatch {
                        context: name.clone(),
                        reason: "its grid differs from the work plan's".into(),
                    });
                }
                opened.push((raster, source));
                opened.len() - 1
            }
        };
        opened[at].1.band_info(band)?;
    }
    let shared = |raster: usize| -> Result<SharedRaster<'_>> {
        opened
            .iter()
            .find(|(i, _)| *i == raster)
            .map(|(_, source)| &**source as SharedRaster<'_>)
            .ok_or_else(|| unit_error(format!("raster {raster} was not opened")))
    };
    let layers = date
        .layers
        .iter()
        .map(|&(raster, band)| Ok((shared(raster)?, band)))
        .collect::<Result<Vec<_>>>()?;
    let weights = match date.weights.filter(|_| needs_weights) {
        Some((raster, band)) => Some((shared(raster)?, band)),
        None => None,
    };
    let gather = Gather {
        layers: &layers,
        weights,
        weighting: spec.weighting,
        row_areas: &plan.derived.row_areas,
        min_coverage_frac: spec.min_coverage_frac,
        default_value: spec.default_value,
        default_weight: spec.default_weight,
        zones: plan.zone_state(layers.len()),
    };
    let layout = plan
        .layout(unit.date)
        .ok_or_else(|| unit_error(format!("date {} has no chunk layout", unit.date)))?;
    let mut buffers = Buffers::default();
    let mut entries: Vec<(u32, Vec<Accumulator>)> = Vec::new();
    // Where the fold of each zone whose first chunk is in this unit is.
    let mut folds: std::collections::HashMap<u32, usize> = std::collections::HashMap::new();
    for c in unit.chunks.clone() {
        let window = layout.plan.window(layout.active[c]);
        for (z, accs) in gather.chunk(window, &layout.chunk_zones[c], &mut buffers)? {
            let begins_here =
                layout.first_chunk[z as usize].is_some_and(|f| f >= unit.chunks.start);
            match folds.get(&z) {
                Some(&at) => {
                    let mut open = Some(std::mem::take(&mut entries[at].1));
                    crate::engine::merge::fold(&mut open, accs, z as usize);
                    entries[at].1 = open.unwrap_or_default();
                }
                None => {
                    if begins_here {
                        folds.insert(z, entries.len());
                    }
                    entries.push((z, accs));
                }
            }
        }
    }
    Ok(UnitPartials {
        plan: plan.fingerprint,
        unit: unit.clone(),
        entries,
    })
}

impl WorkPlan {
    /// How the zones' accumulators of a date of `layers` layers are made and finished.
    pub(super) fn zone_state(&self, layers: usize) -> ZoneState<'_> {
        ZoneState {
            stats: &self.derived.computed,
            mode_ties: self.spec.mode_ties,
            layers,
            index: &self.spec.index,
            zone_areas: &self.spec.zone_areas,
        }
    }
}

impl UnitPartials {
    /// The unit these are the partials of.
    pub fn unit(&self) -> &WorkUnit {
        &self.unit
    }

    /// The number of zone partials held (a zone that began in an earlier
    /// unit has one per chunk of this unit it touches).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when no zone touches the unit's chunks.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The partials as bytes (see the [module docs](super) for the layout).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::default();
        w.put(&self.entries);
        unit_bytes(&self.plan, &self.unit, &w.bytes)
    }

    /// The partials `bytes` hold ([`UnitPartials::to_bytes`]), checked to
    /// be of `plan`: an error for bytes of another format version or
    /// another plan, and for truncated or corrupt ones.
    pub fn from_bytes(plan: &WorkPlan, bytes: &[u8]) -> Result<UnitPartials> {
        let (unit, body) = unit_body(plan, bytes)?;
        let mut r = Reader::new(body, UNIT_WHAT);
        let entries: Vec<(u32, Vec<Accumulator>)> = r.get()?;
        r.finish()?;
        let layers = plan.spec.dates[unit.date].layers.len();
        let zones = plan.spec.index.len();
        if entries
            .iter()
            .any(|(z, accs)| *z as usize >= zones || accs.len() != layers)
        {
            return Err(r.error(format!(
                "corrupt: a partial for no zone of the plan ({zones} zones, {layers} layers)"
            )));
        }
        Ok(UnitPartials {
            plan: plan.fingerprint,
            unit,
            entries,
        })
    }

    pub(super) fn plan_fingerprint(&self) -> &[u8; 16] {
        &self.plan
    }

    pub(super) fn into_entries(self) -> Vec<(u32, Vec<Accumulator>)> {
        self.entries
    }
}

/// Open a raster of a plan with GDAL, by its path ([`crate::GdalRaster::open`]).
///
/// ```no_run
/// # fn main() -> terralux::Result<()> {
/// use terralux::engine::partials::{open_gdal, run_unit, WorkPlan};
/// # let bytes: Vec<u8> = Vec::new();
/// let plan = WorkPlan::from_bytes(&bytes)?;
/// let partials = run_unit(&plan, &plan.units(4)[0], &open_gdal)?;
/// # Ok(())
/// # }
/// ```
#[cfg(feature = "gdal")]
pub fn open_gdal(path: &str) -> Result<Box<dyn RasterSource + Sync>> {
    Ok(Box::new(crate::GdalRaster::open(path)?))
}
