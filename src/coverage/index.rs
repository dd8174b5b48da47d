//! The coverage index: the coverage of every zone of a set on one grid.

use rayon::prelude::*;

use super::{Coverage, CoverageMode};
use crate::grid::Grid;
use crate::zones::ZoneSet;

/// The coverage of every zone of a [`ZoneSet`] on one grid, in zone order.
///
/// Computed once (in parallel over zones) and reused for every band,
/// raster and date on the same grid.
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
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct CoverageIndex {
    grid: Grid,
    mode: CoverageMode,
    coverages: Vec<Coverage>,
}

impl CoverageIndex {
    /// Compute the coverage of every zone (coordinates in the grid's CRS).
    pub fn build(zones: &ZoneSet, grid: &Grid, mode: CoverageMode) -> Self {
        let coverages = zones
            .zones()
            .par_iter()
            .map(|zone| Coverage::compute(&zone.geometry, grid, mode))
            .collect();
        CoverageIndex {
            grid: grid.clone(),
            mode,
            coverages,
        }
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

    /// All coverages, in zone order.
    pub fn coverages(&self) -> &[Coverage] {
        &self.coverages
    }
}
