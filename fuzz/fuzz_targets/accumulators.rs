//! Statistics accumulators: gathering runs of cells in pieces and merging
//! the pieces (in order or reversed) gives the statistics of one pass.
//!
//! Values, fractions, cell areas and weights are dyadic (k / 2^n), so most
//! sums are exact in floating point; the comparison still allows for
//! rounding in the moments, Gini and Theil.

#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use terralux::stats::{Accumulator, RunWeights, Stat, StatValue, ZoneFacts};

const STATS: &str = "count,sum,mean,min,max,variance,stdev,cv,median,p10,p90,p99.5,majority,minority,variety,frac,weighted_sum,weighted_mean,valid_frac,outside_frac,tnl,tnl_area,mean_area,area_km2,density,lit_area_km2,lit_frac,ali,cnli,gini,theil,per_capita,lit_pop_frac";

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
    /// Where the runs are cut into pieces (indices modulo the run count).
    cuts: Vec<u8>,
    reversed: bool,
}

struct Run {
    values: Vec<f64>,
    weights: Vec<f64>,
    fraction: f64,
    area: f64,
    area_weighted: bool,
}

impl Run {
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

fuzz_target!(|input: Input| {
    let stats = Stat::parse_list(STATS).unwrap();
    let runs: Vec<Run> = input
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
            Run {
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
    for run in &runs {
        run.add_to(&mut whole);
    }

    let mut cuts: Vec<usize> = input
        .cuts
        .iter()
        .map(|&c| {
            if runs.is_empty() {
                0
            } else {
                c as usize % (runs.len() + 1)
            }
        })
        .collect();
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
    if input.reversed {
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
});
