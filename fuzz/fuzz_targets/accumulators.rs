//! Statistics accumulators: gathering runs of cells in pieces and merging
//! the pieces (in order or reversed) gives the statistics of one pass
//! (`tests/common/invariants.rs`).
//!
//! Values, fractions, cell areas and weights are dyadic (k / 2^n), so most
//! sums are exact in floating point; the comparison still allows for
//! rounding in the moments, Gini and Theil.

#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;

#[path = "../../tests/common/invariants.rs"]
mod invariants;

use invariants::CellRun;

#[derive(Arbitrary, Debug)]
struct RunInput {
    /// Cell values in eighths; `None` is an invalid cell (NaN).
    values: Vec<Option<i16>>,
    /// Coverage fraction in 64ths (0 is taken as 64).
    fraction: u8,
    /// Cell area in 16ths of a km^2.
    area: u8,
    /// Weights raster values in quarters; `None` is invalid.
    weights: Vec<Option<u8>>,
    /// Weight by area instead of by fraction.
    area_weighted: bool,
}

#[derive(Arbitrary, Debug)]
struct Input {
    runs: Vec<RunInput>,
    /// Where the runs are cut into pieces (indices modulo the run count + 1).
    cuts: Vec<u8>,
    reversed: bool,
}

fuzz_target!(|input: Input| {
    let runs: Vec<CellRun> = input
        .runs
        .iter()
        .take(64)
        .map(|r| {
            let values: Vec<f64> = r
                .values
                .iter()
                .take(256)
                .map(|v| v.map_or(f64::NAN, |v| v as f64 / 8.0))
                .collect();
            let weights = (0..values.len())
                .map(|i| {
                    r.weights
                        .get(i)
                        .copied()
                        .flatten()
                        .map_or(f64::NAN, |w| w as f64 / 4.0)
                })
                .collect();
            CellRun {
                values,
                weights,
                fraction: if r.fraction % 64 == 0 {
                    1.0
                } else {
                    (r.fraction % 64) as f64 / 64.0
                },
                area: r.area as f64 / 16.0,
                area_weighted: r.area_weighted,
            }
        })
        .collect();
    let cuts: Vec<usize> = input
        .cuts
        .iter()
        .map(|&c| c as usize % (runs.len() + 1))
        .collect();
    invariants::check_merge(&runs, &cuts, input.reversed);
});
