//! The coverage index: the coverage of every zone of a set on one grid.

use std::sync::OnceLock;

use rayon::prelude::*;

use super::{Coverage, CoverageMode};
use crate::codec::{Codec, Reader, Writer};
use crate::error::{Error, Result};
use crate::grid::Grid;
use crate::zones::{Fingerprint, ZoneSet};

/// The coverage of every zone of a [`ZoneSet`] on one grid, in zone order.
///
/// Computed once (in parallel over zones) and reused for every band,
/// raster and date on the same grid. The index knows the zones it was
/// built for by their [`Fingerprint`] (ids and coordinates): a run given
/// the index with other zones, even as many, is refused
/// ([`CoverageIndex::check_zones`]) instead of measuring them with the
/// wrong coverage.
///
/// ```
/// # fn main() -> terralux::Result<()> {
/// use geo_types::{polygon, MultiPolygon};
/// use terralux::coverage::{CoverageIndex, CoverageMode};
/// use terralux::zones::{Attributes, Zone, ZoneId, ZoneSet};
/// use terralux::{Crs, GeoTransform, Grid};
/// let grid = Grid::new(GeoTransform::new(0.0, 1.0, 3.0, -1.0)?, 3, 3)?.with_crs(Crs::wgs84());
/// let zone = |id, x: f64| Zone {
///     id: ZoneId::Int(id),
///     attributes: Attributes::default(),
///     geometry: MultiPolygon(vec![polygon![(x: x, y: 0.0), (x: x + 1.0, y: 0.0), (x: x + 1.0, y: 3.0), (x: x, y: 3.0)]]),
/// };
/// let zones = ZoneSet::new(vec![zone(1, 0.0), zone(2, 1.5)], Some(Crs::wgs84()));
/// let index = CoverageIndex::build(&zones, &grid, CoverageMode::Exact);
/// assert_eq!(index.len(), 2);
/// assert_eq!(index.coverage(1).fraction_at(0, 1), 0.5);
/// let other = ZoneSet::new(vec![zone(1, 0.0), zone(2, 1.0)], Some(Crs::wgs84()));
/// assert!(index.check_zones(&zones).is_ok());
/// assert!(index.check_zones(&other).is_err()); // as many zones, not the same
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct CoverageIndex {
    grid: Grid,
    mode: CoverageMode,
    coverages: Vec<Coverage>,
    /// The zones the coverages are of (`None` for an index the engine
    /// builds for one run and never hands out).
    zones: Option<Fingerprint>,
    /// Each zone's area in km^2, computed on first use (the same for every
    /// band, raster and date run on this index).
    zone_areas: OnceLock<Vec<Option<f64>>>,
}

impl CoverageIndex {
    /// Compute the coverage of every zone (coordinates in the grid's CRS).
    pub fn build(zones: &ZoneSet, grid: &Grid, mode: CoverageMode) -> Self {
        CoverageIndex {
            zones: Some(zones.fingerprint()),
            ..Self::build_for_one_run(zones, grid, mode)
        }
    }

    /// [`CoverageIndex::build`] without the fingerprint (a hash of every
    /// vertex), for the index a run builds, uses and drops.
    pub(crate) fn build_for_one_run(zones: &ZoneSet, grid: &Grid, mode: CoverageMode) -> Self {
        let coverages = zones
            .zones()
            .par_iter()
            .map(|zone| Coverage::compute(&zone.geometry, grid, mode))
            .collect();
        CoverageIndex {
            grid: grid.clone(),
            mode,
            coverages,
            zones: None,
            zone_areas: OnceLock::new(),
        }
    }

    /// `Ok` when `zones` are the zones the index was built for (same ids
    /// and coordinates, in the same order); otherwise an error naming
    /// `zones`' source and both fingerprints.
    pub fn check_zones(&self, zones: &ZoneSet) -> Result<()> {
        let Some(built_for) = self.zones else {
            return Ok(());
        };
        let given = zones.fingerprint();
        if given == built_for {
            return Ok(());
        }
        Err(Error::Mismatch {
            context: "coverage index".into(),
            reason: format!(
                "it was built for other zones (fingerprint {}, {} zones) than those of {} \
                 (fingerprint {given}, {} zones); build the index from these zones",
                built_for,
                self.coverages.len(),
                zones.source_name(),
                zones.len()
            ),
        })
    }

    /// The grid the coverages are on.
    pub fn grid(&self) -> &Grid {
        &self.grid
    }

    /// The coverage mode.
    pub fn mode(&self) -> CoverageMode {
        self.mode
    }

    /// Number of zones.
    pub fn len(&self) -> usize {
        self.coverages.len()
    }

    /// True for an index of no zones.
    pub fn is_empty(&self) -> bool {
        self.coverages.is_empty()
    }

    /// The coverage of zone `i` (in zone order).
    pub fn coverage(&self, i: usize) -> &Coverage {
        &self.coverages[i]
    }

    /// Each zone's area in km^2 (see `zone_area_km2`), in zone order,
    /// computed once per index: a repaired zone's is its repaired
    /// geometry's, as its coverage is. `zones` must be those the index was
    /// built from (the engine checks with [`CoverageIndex::check_zones`]).
    pub(crate) fn zone_areas_km2(&self, zones: &ZoneSet) -> &[Option<f64>] {
        self.zone_areas.get_or_init(|| {
            zones
                .zones()
                .par_iter()
                .zip(&self.coverages)
                .map(|(z, c)| {
                    zone_area_km2(c.repaired_geometry().unwrap_or(&z.geometry), &self.grid)
                })
                .collect()
        })
    }

    /// All coverages, in zone order.
    pub fn coverages(&self) -> &[Coverage] {
        &self.coverages
    }
}

/// The grid, the mode, the zones' fingerprint and every coverage (not
/// the zone areas, computed again where they are needed).
impl Codec for CoverageIndex {
    fn encode(&self, w: &mut Writer) {
        w.put(&self.grid);
        w.put(&self.mode);
        w.put(&self.zones.map(|f| *f.as_bytes()));
        w.put(&self.coverages);
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self> {
        let grid: Grid = r.get()?;
        let mode = r.get()?;
        let zones: Option<[u8; 32]> = r.get()?;
        let coverages: Vec<Coverage> = r.get()?;
        if !coverages.iter().all(|c| c.fits(grid.rows(), grid.cols())) {
            return Err(r.error("corrupt: a coverage outside its grid"));
        }
        Ok(CoverageIndex {
            grid,
            mode,
            coverages,
            zones: zones.map(Fingerprint::from_bytes),
            zone_areas: OnceLock::new(),
        })
    }
}

/// A zone's area in km^2: on the WGS84 ellipsoid with edges straight in
/// longitude/latitude (as coverage sees them) for geographic grids, planar
/// (in the CRS's unit) for projected ones, `None` without a CRS.
fn zone_area_km2(zone: &geo_types::MultiPolygon<f64>, grid: &Grid) -> Option<f64> {
    use crate::crs::CrsKind;
    use geo::Area;
    let crs = grid.crs()?;
    match crs.kind() {
        CrsKind::Geographic => Some(crate::grid::ellipsoidal_polygon_area_km2(zone)),
        CrsKind::Projected => {
            let unit = crs.linear_unit_m().unwrap_or(1.0);
            Some(zone.unsigned_area() * unit * unit / 1e6)
        }
        CrsKind::Other => None,
    }
}
