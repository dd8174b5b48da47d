//! Invariants of coverage and of the statistics accumulators, checked by
//! the property tests (`tests/properties.rs`, in CI) and by the fuzz
//! targets (`fuzz/`, which include this file by path). Each check panics
//! with a message saying what broke.

use geo::{BoundingRect, Validation};
use geo_types::MultiPolygon;
use terralux::Grid;
use terralux::coverage::{Coverage, CoverageMode};
use terralux::stats::{Accumulator, RunWeights, Stat, StatValue, ZoneFacts};

/// Coverage of `zone` on `grid` in every mode: no panic, runs inside the
/// grid and sorted, fractions in (0, 1] (exactly 1 outside exact mode), an
/// outside share in [0, 1]; and for a measurable zone (see [`measurable`])
/// no repair, fractions adding up to the area inside the grid, and every
/// exactly covered or centre cell also touched.
pub fn check_coverage(zone: &MultiPolygon<f64>, grid: &Grid) {
    let exact = Coverage::compute(zone, grid, CoverageMode::Exact);
    let center = Coverage::compute(zone, grid, CoverageMode::Center);
    let touched = Coverage::compute(zone, grid, CoverageMode::AllTouched);
    check_runs(&exact, grid, CoverageMode::Exact);
    check_runs(&center, grid, CoverageMode::Center);
    check_runs(&touched, grid, CoverageMode::AllTouched);
    if !measurable(zone, grid) {
        return;
    }
    assert!(
        exact.repaired_geometry().is_none(),
        "a valid zone was repaired: {zone:?}"
    );
    let inside = exact.inside_area_cells();
    let total = exact.total_fraction();
    assert!(
        (total - inside).abs() <= 1e-7 * (1.0 + inside),
        "fractions add up to {total}, the area inside the grid is {inside}: {zone:?}"
    );
    for (row, runs) in exact.rows() {
        for run in runs.iter().filter(|r| r.fraction > 1e-7) {
            for col in run.col..run.col_end() {
                assert_eq!(
                    touched.fraction_at(row, col as usize),
                    1.0,
                    "cell ({row}, {col}) is covered by {} but not touched: {zone:?}",
                    run.fraction
                );
            }
        }
    }
    for (row, runs) in center.rows() {
        for run in runs {
            for col in run.col..run.col_end() {
                assert_eq!(
                    touched.fraction_at(row, col as usize),
                    1.0,
                    "centre cell ({row}, {col}) not touched: {zone:?}"
                );
            }
        }
    }
}

/// Finite, moderate coordinates, a valid multipolygon (by `geo`), and, on
/// a grid whose longitudes wrap, a zone no wider than one turn (a wider one
/// overlaps itself once wrapped): the zones whose area is well defined.
pub fn measurable(zone: &MultiPolygon<f64>, grid: &Grid) -> bool {
    let moderate = zone
        .0
        .iter()
        .flat_map(|p| {
            p.exterior()
                .0
                .iter()
                .chain(p.interiors().iter().flat_map(|r| r.0.iter()))
        })
        .all(|c| c.x.is_finite() && c.y.is_finite() && c.x.abs() < 1e4 && c.y.abs() < 1e4);
    if !moderate || zone.0.is_empty() {
        return false;
    }
    if grid.longitude_period_cols().is_some()
        && zone.bounding_rect().is_some_and(|r| r.width() > 360.0)
    {
        return false;
    }
    // Rings of fewer than 4 points are invalid anyway, and geo's validation
    // can panic on them (a 1-point ring trips an assertion in its relate).
    let well_formed = |r: &geo_types::LineString<f64>| r.0.len() >= 4 && r.is_closed();
    let rings_well_formed = zone
        .0
        .iter()
        .all(|p| well_formed(p.exterior()) && p.interiors().iter().all(well_formed));
    rings_well_formed && zone.is_valid()
}

fn check_runs(coverage: &Coverage, grid: &Grid, mode: CoverageMode) {
    let mut last_row = None;
    for (row, runs) in coverage.rows() {
        assert!(row < grid.rows(), "row {row} outside the grid");
        assert!(last_row.is_none_or(|r| r < row), "rows out of order");
        last_row = Some(row);
        let mut col_end = 0;
        for (i, run) in runs.iter().enumerate() {
            assert!(run.len > 0);
            assert!(
                i == 0 || run.col >= col_end,
                "overlapping runs in row {row}"
            );
            col_end = run.col_end();
            assert!(col_end as usize <= grid.cols(), "run past the last column");
            assert!(
                run.fraction > 0.0 && run.fraction <= 1.0,
                "fraction {} outside (0, 1]",
                run.fraction
            );
            if mode != CoverageMode::Exact {
                assert_eq!(run.fraction, 1.0);
            }
        }
    }
    assert!(coverage.total_fraction().is_finite());
    if let Some(outside) = coverage.outside_fraction() {
        assert!((0.0..=1.0).contains(&outside), "outside fraction {outside}");
    }
}

/// Every statistic the accumulators have, night-light indicators included.
pub const ALL_STATS: &str = "count,sum,mean,min,max,variance,stdev,cv,median,p10,p90,p99.5,majority,minority,variety,frac,weighted_sum,weighted_mean,valid_frac,outside_frac,tnl,tnl_area,mean_area,area_km2,density,lit_area_km2,lit_frac,ali,cnli,gini,theil,per_capita,lit_pop_frac";

/// A run of cells sharing a coverage fraction and a cell area, with the
/// weights raster's values (NaN where invalid).
pub struct CellRun {
    pub values: Vec<f64>,
    pub weights: Vec<f64>,
    pub fraction: f64,
    pub area: f64,
    pub area_weighted: bool,
}

impl CellRun {
    fn add_to(&self, acc: &mut Accumulator) {
        let weight = if self.area_weighted {
            self.fraction * self.area
        } else {
            self.fraction
        };
        acc.add_run(
            &self.values,
            &RunWeights {
                fraction: self.fraction,
                weight,
                cell_area_km2: self.area,
                weights: Some(&self.weights),
            },
        );
    }
}

/// Gathering `runs` in pieces cut at `cuts` (indices into `runs`) and
/// merging the pieces, in order or reversed, gives every statistic of one
/// pass (to 1e-9 relative; frac values exactly).
pub fn check_merge(runs: &[CellRun], cuts: &[usize], reversed: bool) {
    let stats = Stat::parse_list(ALL_STATS).unwrap();
    let total_coverage: f64 = runs
        .iter()
        .map(|r| r.fraction * r.values.len() as f64)
        .sum();
    let facts = ZoneFacts {
        total_coverage,
        outside: Some(0.25),
        area_km2: Some(100.0),
    };
    let mut whole = Accumulator::new(&stats);
    for run in runs {
        run.add_to(&mut whole);
    }
    let mut cuts: Vec<usize> = cuts.iter().map(|&c| c.min(runs.len())).collect();
    cuts.extend([0, runs.len()]);
    cuts.sort_unstable();
    cuts.dedup();
    let mut pieces: Vec<Accumulator> = cuts
        .windows(2)
        .map(|w| {
            let mut piece = Accumulator::new(&stats);
            for run in &runs[w[0]..w[1]] {
                run.add_to(&mut piece);
            }
            piece
        })
        .collect();
    if reversed {
        pieces.reverse();
    }
    let mut merged = Accumulator::new(&stats);
    for piece in pieces {
        merged.merge(piece);
    }
    assert_eq!(merged.valid_cells(), whole.valid_cells());
    let one_pass = whole.finish(&stats, &facts);
    let in_pieces = merged.finish(&stats, &facts);
    for ((stat, a), b) in stats.iter().zip(&one_pass).zip(&in_pieces) {
        assert!(same(a, b), "{stat}: one pass {a:?}, merged {b:?}");
    }
}

fn close(a: f64, b: f64) -> bool {
    a == b || (a.is_nan() && b.is_nan()) || (a - b).abs() <= 1e-9 * (1.0 + a.abs().max(b.abs()))
}

fn same(a: &StatValue, b: &StatValue) -> bool {
    match (a, b) {
        (StatValue::Missing, StatValue::Missing) => true,
        (StatValue::Number(x), StatValue::Number(y)) => close(*x, *y),
        (StatValue::Fractions(x), StatValue::Fractions(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| p.0 == q.0 && close(p.1, q.1))
        }
        _ => false,
    }
}
