//! The validation of a run, before any raster is read.

use super::{SharedRaster, ZonalStats};
use crate::error::{Error, Result};
use crate::grid::Grid;
use crate::stats::{Stat, Weighting};

impl ZonalStats<'_> {
    /// Validate the inputs; return the shared grid.
    pub(super) fn check_inputs(&self) -> Result<Grid> {
        let mismatch = |context: &str, reason: String| Error::Mismatch {
            context: context.to_string(),
            reason,
        };
        let (first, _) = self
            .layers
            .first()
            .ok_or_else(|| mismatch("zonal statistics", "no raster band was given".into()))?;
        if self.stats.is_empty() {
            return Err(mismatch(
                "zonal statistics",
                "no statistic was asked for".into(),
            ));
        }
        if !(0.0..=1.0).contains(&self.min_coverage_frac) {
            return Err(mismatch(
                "min_coverage_frac",
                format!(
                    "{} is not a coverage fraction in [0, 1]",
                    self.min_coverage_frac
                ),
            ));
        }
        for (name, value) in [
            ("default_value", self.default_value),
            ("default_weight", self.default_weight),
        ] {
            if let Some(v) = value
                && !v.is_finite()
            {
                return Err(mismatch(name, format!("{v} is not a finite number")));
            }
        }
        // Two statistics of one name would be two columns of one name.
        for (i, stat) in self.stats.iter().enumerate() {
            let name = stat.name();
            if self.stats[..i]
                .iter()
                .any(|s| s.name().eq_ignore_ascii_case(&name))
            {
                return Err(mismatch(
                    "zonal statistics",
                    format!("statistic '{name}' is asked twice"),
                ));
            }
        }
        let grid = first.grid().clone();
        for (i, (raster, band)) in self.layers.iter().enumerate() {
            let same = |(other, other_band): &(SharedRaster<'_>, usize)| {
                std::ptr::addr_eq(*raster as *const _, *other as *const _) && band == other_band
            };
            if self.layers[..i].iter().any(same) {
                return Err(mismatch(
                    raster.name(),
                    format!("band {band} is given twice"),
                ));
            }
        }
        let all = self.layers.iter().chain(self.weights.iter());
        for (raster, band) in all {
            raster.band_info(*band)?;
            if !grid.same_as(raster.grid()) {
                return Err(mismatch(
                    raster.name(),
                    format!(
                        "its grid differs from {}'s; all rasters of a run must share one grid",
                        first.name()
                    ),
                ));
            }
        }
        if let Some(stat) = self.stats.iter().find(|s| s.needs_weights_raster())
            && self.weights.is_none()
        {
            return Err(mismatch(&stat.name(), "needs a weights raster".into()));
        }
        // The night-light sums keep one lit threshold per run.
        let mut thresholds = self.stats.iter().filter_map(Stat::lit_threshold);
        if let Some(first) = thresholds.next()
            && let Some(other) = thresholds.find(|t| *t != first)
        {
            return Err(mismatch(
                "zonal statistics",
                format!(
                    "lit statistics with different thresholds ({first} and {other}); run once per threshold"
                ),
            ));
        }
        if let (Some(zones_crs), Some(grid_crs)) = (self.zones.crs(), grid.crs())
            && !zones_crs.matches(grid_crs)
        {
            return Err(mismatch(
                self.zones.source_name(),
                format!(
                    "the zones are in {} but the raster is in {}; reproject the zones first (ZoneSet::reprojected)",
                    zones_crs.definition(),
                    grid_crs.definition()
                ),
            ));
        }
        if let Some(index) = self.coverage {
            index.check_zones(self.zones)?;
            if !index.grid().same_as(&grid) {
                return Err(mismatch(
                    "coverage index",
                    format!("it was built for another grid than {}'s", first.name()),
                ));
            }
        }
        if self.weighting == Weighting::AreaKm2 {
            grid.cell_area_km2(0)
                .map_err(|e| e.for_source(first.name()))?;
        }
        Ok(grid)
    }
}
