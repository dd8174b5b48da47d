//! The engine: every statistic against an independent computation, thread
//! counts, bands in one pass, semantics from PEERS.md, and bad inputs.

mod common;

use std::collections::BTreeMap;

use common::random::{Rng, random_zone};
use geo_types::{MultiPolygon, polygon};
use ndarray::Array2;
use terralux::coverage::{Coverage, CoverageIndex, CoverageMode};
use terralux::stats::{Stat, StatValue, Weighting};
use terralux::zones::{Attributes, Zone, ZoneId, ZoneSet};
use terralux::{Crs, Error, GeoTransform, Grid, Raster, ZonalStats};

const ALL_STATS: &str = "count,sum,mean,min,max,variance,stdev,cv,median,p10,p90,p99.5,majority,minority,variety,frac,weighted_sum,weighted_mean,valid_frac,outside_frac,tnl,tnl_area,mean_area,area_km2,density,lit_area_km2,lit_frac,ali,cnli,gini,theil,per_capita,lit_pop_frac";

fn grid() -> Grid {
    Grid::new(GeoTransform::new(100.0, 0.25, 40.0, -0.25).unwrap(), 37, 53)
        .unwrap()
        .with_crs(Crs::wgs84())
}

/// Values on a few levels (so categories repeat), ~5 % nodata (-9999).
fn raster(rng: &mut Rng, grid: &Grid) -> Raster<f32> {
    let data = Array2::from_shape_fn(grid.shape(), |_| {
        if rng.uniform() < 0.05 {
            -9999.0
        } else {
            (rng.uniform() * 8.0).floor() as f32 * 1.5 - 2.0
        }
    });
    Raster::new(grid.clone(), data)
        .unwrap()
        .with_nodata(Some(-9999.0))
        .with_block_shape(8, 16)
}

fn weights_raster(rng: &mut Rng, grid: &Grid) -> Raster<f64> {
    let data = Array2::from_shape_fn(grid.shape(), |_| {
        if rng.uniform() < 0.03 {
            f64::NAN
        } else {
            rng.uniform() * 3.0
        }
    });
    Raster::new(grid.clone(), data).unwrap()
}

fn zones(rng: &mut Rng, grid: &Grid, n: usize) -> ZoneSet {
    let zones = (0..n)
        .map(|i| Zone {
            id: ZoneId::Int(i as i64),
            attributes: Attributes::default(),
            geometry: random_zone(rng, grid, i),
        })
        .collect();
    ZoneSet::new(zones, Some(Crs::wgs84()))
}

/// The reference: every statistic straight from the definitions, cell by cell.
fn naive(
    coverage: &Coverage,
    values: &Array2<f64>,
    weights: &Array2<f64>,
    row_areas: &[f64],
    weighting: Weighting,
    area_km2: Option<f64>,
    stat: &Stat,
) -> StatValue {
    let mut cells = Vec::new(); // (value, weight, fraction, weights-raster value)
    let mut total_fraction = 0.0;
    for (row, runs) in coverage.rows() {
        for run in runs {
            for col in run.col as usize..run.col_end() as usize {
                total_fraction += run.fraction;
                let v = values[[row, col]];
                if v.is_nan() {
                    continue;
                }
                let w = match weighting {
                    Weighting::Fraction => run.fraction,
                    Weighting::None => 1.0,
                    Weighting::AreaKm2 => run.fraction * row_areas[row],
                };
                cells.push((v, w, run.fraction, weights[[row, col]], row_areas[row]));
            }
        }
    }
    let n = |v: f64| StatValue::Number(v);
    let w_total: f64 = cells.iter().map(|c| c.1).sum();
    let sum: f64 = cells.iter().map(|c| c.0 * c.1).sum();
    let empty = cells.is_empty();
    let mean = sum / w_total;
    let variance = cells
        .iter()
        .map(|c| c.1 * (c.0 - mean).powi(2))
        .sum::<f64>()
        / w_total;
    let mut cats: BTreeMap<i64, f64> = BTreeMap::new();
    for c in &cells {
        *cats.entry((c.0 * 1000.0).round() as i64).or_default() += c.1;
    }
    let quantile = |q: f64| {
        let mut sorted = cells.clone();
        sorted.sort_by(|a, b| a.0.partial_cmp(&b.0).unwrap());
        let mut cumulative = 0.0;
        for c in &sorted {
            cumulative += c.1;
            if cumulative >= q * w_total * (1.0 - 1e-12) {
                return c.0;
            }
        }
        sorted.last().unwrap().0
    };
    let missing_if_empty = |v: f64| if empty { StatValue::Missing } else { n(v) };
    match stat {
        Stat::Count => n(w_total),
        Stat::Sum => n(sum),
        Stat::Mean => missing_if_empty(mean),
        Stat::Min => missing_if_empty(cells.iter().map(|c| c.0).fold(f64::INFINITY, f64::min)),
        Stat::Max => missing_if_empty(cells.iter().map(|c| c.0).fold(f64::NEG_INFINITY, f64::max)),
        Stat::Variance => missing_if_empty(variance),
        Stat::Stdev => missing_if_empty(variance.sqrt()),
        Stat::Cv => {
            if empty || mean == 0.0 {
                StatValue::Missing
            } else {
                n(variance.sqrt() / mean)
            }
        }
        Stat::Median => missing_if_empty(if empty { 0.0 } else { quantile(0.5) }),
        Stat::Quantile(p) => missing_if_empty(if empty { 0.0 } else { quantile(p / 100.0) }),
        Stat::Majority | Stat::Minority => {
            let mut best: Option<(i64, f64)> = None;
            for (&k, &w) in &cats {
                let better = match best {
                    None => true,
                    Some((_, bw)) => {
                        if *stat == Stat::Majority {
                            w >= bw
                        } else {
                            w < bw
                        }
                    }
                };
                if better {
                    best = Some((k, w));
                }
            }
            best.map_or(StatValue::Missing, |(k, _)| n(k as f64 / 1000.0))
        }
        Stat::Variety => n(cats.len() as f64),
        Stat::Frac => StatValue::Fractions(
            cats.iter()
                .map(|(&k, &w)| (k as f64 / 1000.0, w / w_total))
                .collect(),
        ),
        Stat::Unique => {
            StatValue::Fractions(cats.iter().map(|(&k, &w)| (k as f64 / 1000.0, w)).collect())
        }
        Stat::WeightedVariance | Stat::WeightedStdev => {
            let both: Vec<_> = cells
                .iter()
                .filter(|c| !c.3.is_nan() && c.1 * c.3 > 0.0)
                .collect();
            let wu: f64 = both.iter().map(|c| c.1 * c.3).sum();
            if wu == 0.0 {
                return StatValue::Missing;
            }
            let m = both.iter().map(|c| c.1 * c.3 * c.0).sum::<f64>() / wu;
            let var = both
                .iter()
                .map(|c| c.1 * c.3 * (c.0 - m).powi(2))
                .sum::<f64>()
                / wu;
            n(if *stat == Stat::WeightedStdev {
                var.sqrt()
            } else {
                var
            })
        }
        Stat::WeightedFrac => {
            let mut wcats: BTreeMap<i64, f64> = BTreeMap::new();
            for c in cells.iter().filter(|c| !c.3.is_nan() && c.1 > 0.0) {
                *wcats.entry((c.0 * 1000.0).round() as i64).or_default() += c.1 * c.3;
            }
            let total: f64 = wcats.values().sum();
            StatValue::Fractions(if total == 0.0 {
                Vec::new()
            } else {
                wcats
                    .iter()
                    .map(|(&k, &wu)| (k as f64 / 1000.0, wu / total))
                    .collect()
            })
        }
        Stat::WeightedSum => n(cells
            .iter()
            .filter(|c| !c.3.is_nan())
            .map(|c| c.1 * c.3 * c.0)
            .sum()),
        Stat::WeightedMean => {
            let wu: f64 = cells
                .iter()
                .filter(|c| !c.3.is_nan())
                .map(|c| c.1 * c.3)
                .sum();
            let wuv: f64 = cells
                .iter()
                .filter(|c| !c.3.is_nan())
                .map(|c| c.1 * c.3 * c.0)
                .sum();
            if wu == 0.0 {
                StatValue::Missing
            } else {
                n(wuv / wu)
            }
        }
        Stat::ValidFrac => match coverage.outside_fraction() {
            None => StatValue::Missing,
            Some(_) if total_fraction == 0.0 => n(0.0),
            Some(out) => n(cells.iter().map(|c| c.2).sum::<f64>() / total_fraction * (1.0 - out)),
        },
        Stat::OutsideFrac => coverage.outside_fraction().map_or(StatValue::Missing, n),
        Stat::Tnl => n(cells.iter().map(|c| c.2 * c.0).sum()),
        Stat::TnlArea => n(cells.iter().map(|c| c.2 * c.4 * c.0).sum()),
        Stat::AreaMean => {
            let a: f64 = cells.iter().map(|c| c.2 * c.4).sum();
            if a == 0.0 {
                StatValue::Missing
            } else {
                n(cells.iter().map(|c| c.2 * c.4 * c.0).sum::<f64>() / a)
            }
        }
        Stat::AreaKm2 => area_km2.map_or(StatValue::Missing, n),
        Stat::Density => area_km2.map_or(StatValue::Missing, |a| {
            n(cells.iter().map(|c| c.2 * c.4 * c.0).sum::<f64>() / a)
        }),
        Stat::LitAreaKm2(t) => n(cells.iter().filter(|c| c.0 > *t).map(|c| c.2 * c.4).sum()),
        Stat::LitFrac(t) => area_km2.map_or(StatValue::Missing, |a| {
            n(cells
                .iter()
                .filter(|c| c.0 > *t)
                .map(|c| c.2 * c.4)
                .sum::<f64>()
                / a)
        }),
        Stat::Ali { threshold, dn_max } => {
            let lit: Vec<_> = cells.iter().filter(|c| c.0 > *threshold).collect();
            if empty {
                StatValue::Missing
            } else if lit.is_empty() {
                n(0.0)
            } else {
                let mean_lit = lit.iter().map(|c| c.2 * c.0).sum::<f64>()
                    / lit.iter().map(|c| c.2).sum::<f64>();
                n(mean_lit / dn_max.expect("the reference takes a fixed normaliser"))
            }
        }
        Stat::Cnli { threshold, dn_max } => {
            let lit: Vec<_> = cells.iter().filter(|c| c.0 > *threshold).collect();
            let max = dn_max.expect("the reference takes a fixed normaliser");
            if empty {
                StatValue::Missing
            } else if lit.is_empty() {
                n(0.0)
            } else {
                let mean_lit = lit.iter().map(|c| c.2 * c.0).sum::<f64>()
                    / lit.iter().map(|c| c.2).sum::<f64>();
                let s = lit.iter().map(|c| c.2 * c.4).sum::<f64>() / area_km2.unwrap();
                n(mean_lit / max * s)
            }
        }
        Stat::Gini => {
            let min = cells.iter().map(|c| c.0).fold(f64::INFINITY, f64::min);
            let wx: f64 = cells.iter().map(|c| c.1 * c.0).sum();
            if empty || min < 0.0 || wx <= 0.0 {
                return StatValue::Missing;
            }
            let mut pairs = 0.0;
            for a in &cells {
                for b in &cells {
                    pairs += a.1 * b.1 * (a.0 - b.0).abs();
                }
            }
            n(pairs / (2.0 * w_total * wx))
        }
        Stat::Theil => {
            let min = cells.iter().map(|c| c.0).fold(f64::INFINITY, f64::min);
            if empty || min < 0.0 || mean <= 0.0 {
                return StatValue::Missing;
            }
            n(cells
                .iter()
                .filter(|c| c.0 > 0.0)
                .map(|c| c.1 / w_total * (c.0 / mean) * (c.0 / mean).ln())
                .sum())
        }
        Stat::PerCapita => {
            let both: Vec<_> = cells.iter().filter(|c| !c.3.is_nan()).collect();
            let pop: f64 = both.iter().map(|c| c.2 * c.3).sum();
            if pop == 0.0 {
                StatValue::Missing
            } else {
                n(both.iter().map(|c| c.2 * c.0).sum::<f64>() / pop)
            }
        }
        Stat::LitPopFrac(t) => {
            let both: Vec<_> = cells.iter().filter(|c| !c.3.is_nan()).collect();
            let pop: f64 = both.iter().map(|c| c.2 * c.3).sum();
            if pop == 0.0 {
                StatValue::Missing
            } else {
                n(both
                    .iter()
                    .filter(|c| c.0 > *t)
                    .map(|c| c.2 * c.3)
                    .sum::<f64>()
                    / pop)
            }
        }
    }
}

fn close(a: &StatValue, b: &StatValue) -> bool {
    let near = |x: f64, y: f64| (x - y).abs() <= 1e-9 * x.abs().max(y.abs()) + 1e-12;
    match (a, b) {
        (StatValue::Number(x), StatValue::Number(y)) => near(*x, *y),
        (StatValue::Fractions(x), StatValue::Fractions(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|(p, q)| near(p.0, q.0) && near(p.1, q.1))
        }
        (StatValue::Missing, StatValue::Missing) => true,
        _ => false,
    }
}

#[test]
fn every_statistic_matches_an_independent_computation() {
    let mut rng = Rng::new(2024);
    let grid = grid();
    let raster = raster(&mut rng, &grid);
    let weights = weights_raster(&mut rng, &grid);
    let zones = zones(&mut rng, &grid, 36);
    let stats = Stat::parse_list(ALL_STATS).unwrap();
    let values = raster_values(&raster);
    let weight_values = weights.band(1).unwrap().to_owned();
    let row_areas = grid.cell_areas_km2(&grid.full_window()).unwrap();
    for mode in [
        CoverageMode::Exact,
        CoverageMode::Center,
        CoverageMode::AllTouched,
    ] {
        for weighting in [Weighting::Fraction, Weighting::None, Weighting::AreaKm2] {
            let table = ZonalStats::new(&zones)
                .band(&raster, 1)
                .weights(&weights, 1)
                .stats(&stats)
                .coverage_mode(mode)
                .weighting(weighting)
                .chunk_cells(300)
                .run()
                .unwrap();
            assert_eq!(
                table.column_names(),
                ALL_STATS.split(',').collect::<Vec<_>>()
            );
            let index = CoverageIndex::build(&zones, &grid, mode);
            // ALI and CNLI divide by the run's largest value: the largest of
            // the zones' maxima, each computed naively.
            let run_max = (0..zones.len())
                .filter_map(|z| {
                    let max = naive(
                        index.coverage(z),
                        &values,
                        &weight_values,
                        &row_areas,
                        weighting,
                        None,
                        &Stat::Max,
                    );
                    max.as_f64().filter(|v| !v.is_nan())
                })
                .reduce(f64::max);
            let with_run_max = |stat: &Stat| match *stat {
                Stat::Ali {
                    threshold,
                    dn_max: None,
                } => Stat::Ali {
                    threshold,
                    dn_max: run_max,
                },
                Stat::Cnli {
                    threshold,
                    dn_max: None,
                } => Stat::Cnli {
                    threshold,
                    dn_max: run_max,
                },
                other => other,
            };
            for (z, zone) in table.zones.iter().enumerate() {
                assert_eq!(zone.id, ZoneId::Int(z as i64), "input order");
                for (stat, got) in stats.iter().map(with_run_max).zip(&zone.values) {
                    let stat = &stat;
                    let area =
                        terralux::grid::ellipsoidal_polygon_area_km2(&zones.zones()[z].geometry);
                    let expected = naive(
                        index.coverage(z),
                        &values,
                        &weight_values,
                        &row_areas,
                        weighting,
                        Some(area),
                        stat,
                    );
                    assert!(
                        close(got, &expected),
                        "{mode:?}/{weighting:?} zone {z} {stat}: got {got:?}, expected {expected:?}"
                    );
                }
            }
        }
    }
}

fn raster_values(raster: &Raster<f32>) -> Array2<f64> {
    use terralux::RasterSource;
    raster
        .read_window_f64(1, raster.grid().full_window())
        .unwrap()
}

#[test]
fn one_and_two_threads_give_identical_bits() {
    let mut rng = Rng::new(5);
    let grid = grid();
    let raster = raster(&mut rng, &grid);
    let zones = zones(&mut rng, &grid, 30);
    let stats = Stat::parse_list(
        "count,sum,mean,min,max,variance,stdev,cv,median,p90,majority,frac,valid_frac",
    )
    .unwrap();
    let run = |threads| {
        ZonalStats::new(&zones)
            .band(&raster, 1)
            .stats(&stats)
            .threads(threads)
            .chunk_cells(200)
            .run()
            .unwrap()
    };
    let (one, two, four) = (run(1), run(2), run(4));
    assert_eq!(one.zones, two.zones);
    assert_eq!(one.zones, four.zones);
    assert_eq!((one.provenance.threads, two.provenance.threads), (1, 2));
    // Bit for bit, not just equal as floats.
    for (a, b) in one.zones.iter().zip(&two.zones) {
        for (x, y) in a.values.iter().zip(&b.values) {
            if let (StatValue::Number(x), StatValue::Number(y)) = (x, y) {
                assert_eq!(x.to_bits(), y.to_bits());
            }
        }
    }
}

#[test]
fn several_bands_in_one_pass_equal_separate_runs() {
    let mut rng = Rng::new(11);
    let grid = grid();
    let a = Array2::from_shape_fn(grid.shape(), |_| rng.uniform() as f32);
    let b = Array2::from_shape_fn(grid.shape(), |_| rng.uniform() as f32 * 10.0);
    let two_bands = Raster::from_bands(grid.clone(), vec![a.clone(), b.clone()]).unwrap();
    let only_b = Raster::new(grid.clone(), b).unwrap();
    let zones = zones(&mut rng, &grid, 12);
    let stats = [Stat::Sum, Stat::Median];
    let index = CoverageIndex::build(&zones, &grid, CoverageMode::Exact);
    let both = ZonalStats::new(&zones)
        .coverage_index(&index)
        .bands(&two_bands, &[1, 2])
        .stats(&stats)
        .run()
        .unwrap();
    assert_eq!(
        both.column_names(),
        ["b1_sum", "b1_median", "b2_sum", "b2_median"]
    );
    let single = ZonalStats::new(&zones)
        .coverage_index(&index)
        .band(&only_b, 1)
        .stats(&stats)
        .run()
        .unwrap();
    for (x, y) in both.zones.iter().zip(&single.zones) {
        assert_eq!(x.values[2..], y.values[..]);
    }
    // Two rasters: columns name the raster too.
    let mixed = ZonalStats::new(&zones)
        .band(&two_bands, 1)
        .band(&only_b, 1)
        .stats(&[Stat::Mean])
        .run()
        .unwrap();
    assert_eq!(mixed.column_names(), ["r1_b1_mean", "r2_b1_mean"]);
}

fn square_zone(id: i64, x0: f64, y0: f64, x1: f64, y1: f64) -> Zone {
    Zone {
        id: ZoneId::Int(id),
        attributes: Attributes::default(),
        geometry: MultiPolygon(vec![
            polygon![(x: x0, y: y0), (x: x1, y: y0), (x: x1, y: y1), (x: x0, y: y1)],
        ]),
    }
}

#[test]
fn peers_semantics_quantiles_empty_zones_and_outside_zones() {
    let grid = Grid::new(GeoTransform::new(0.0, 1.0, 2.0, -1.0).unwrap(), 2, 3).unwrap();
    let data = ndarray::array![[0.0f32, 0.0, -1.0], [0.0, 10.0, -1.0]];
    let raster = Raster::new(grid, data).unwrap().with_nodata(Some(-1.0));
    let zones = ZoneSet::new(
        vec![
            square_zone(1, 0.0, 0.0, 2.0, 2.0),   // {0, 0, 0, 10}
            square_zone(2, 2.0, 0.0, 3.0, 2.0),   // only nodata
            square_zone(3, 10.0, 0.0, 11.0, 1.0), // outside
            square_zone(4, 1.0, 0.0, 4.0, 1.0),   // a third outside
        ],
        None,
    );
    let stats = Stat::parse_list(
        "count,sum,mean,min,median,p75,majority,minority,variety,valid_frac,outside_frac",
    )
    .unwrap();
    let table = ZonalStats::new(&zones)
        .band(&raster, 1)
        .stats(&stats)
        .run()
        .unwrap();
    let num = StatValue::Number;
    let missing = StatValue::Missing;
    assert_eq!(
        table.zones[0].values,
        [
            num(4.0),
            num(10.0),
            num(2.5),
            num(0.0),
            num(0.0),
            num(0.0),
            num(0.0),
            num(10.0),
            num(2.0),
            num(1.0),
            num(0.0)
        ]
    );
    assert_eq!(
        table.zones[1].values,
        [
            num(0.0),
            num(0.0),
            missing.clone(),
            missing.clone(),
            missing.clone(),
            missing.clone(),
            missing.clone(),
            missing.clone(),
            num(0.0),
            num(0.0),
            num(0.0)
        ]
    );
    assert_eq!(table.zones[2].values[0], num(0.0));
    assert_eq!(table.zones[2].values[9..], [num(0.0), num(1.0)]);
    // Zone 4 covers (row 1, cols 1..3) and one cell-width outside: 10 and nodata.
    let z4 = &table.zones[3].values;
    assert_eq!(z4[0], num(1.0));
    assert!((z4[9].as_f64().unwrap() - 1.0 / 3.0).abs() < 1e-15);
    assert!((z4[10].as_f64().unwrap() - 1.0 / 3.0).abs() < 1e-15);
}

#[test]
fn gdal_and_in_memory_rasters_give_the_same_results() {
    #[cfg(feature = "gdal")]
    {
        use terralux::RasterSource;
        let gdal = terralux::GdalRaster::open(common::testdata("ntl.tif")).unwrap();
        let info = gdal.band_info(1).unwrap();
        let memory = Raster::new(
            gdal.grid().clone(),
            gdal.read_window::<f32>(1, gdal.grid().full_window())
                .unwrap(),
        )
        .unwrap()
        .with_nodata(info.encoding.nodata)
        .with_block_shape(info.block_shape.0, info.block_shape.1);
        let zones = common::test_counties();
        let stats =
            Stat::parse_list("count,sum,mean,min,max,stdev,median,p90,valid_frac,outside_frac")
                .unwrap();
        for threads in [1, 2] {
            let a = ZonalStats::new(&zones)
                .band(&gdal, 1)
                .stats(&stats)
                .threads(threads)
                .chunk_cells(2048)
                .run()
                .unwrap();
            let b = ZonalStats::new(&zones)
                .band(&memory, 1)
                .stats(&stats)
                .threads(threads)
                .chunk_cells(2048)
                .run()
                .unwrap();
            assert_eq!(a.zones, b.zones);
            assert_eq!(a.zones.len(), 24);
            // The test data's promises: nothing in the far-east zone, nothing valid on the nodata patch,
            // a tiny zone counting its fraction of one cell.
            let row = |code: &str| {
                a.zones
                    .iter()
                    .find(|z| z.id == ZoneId::Text(code.into()))
                    .unwrap()
            };
            assert_eq!(row("510122").values[0], StatValue::Number(0.0));
            assert_eq!(row("510122").values[9], StatValue::Number(1.0));
            assert_eq!(row("510124").values[0], StatValue::Number(0.0));
            assert_eq!(row("510124").values[2], StatValue::Missing);
            let tiny = row("500123").values[0].as_f64().unwrap();
            assert!(tiny > 0.0 && tiny < 1.0, "{tiny}");
            let partly = row("510105").values[9].as_f64().unwrap();
            assert!(partly > 0.05 && partly < 0.9, "{partly}");
        }
    }
}

#[test]
fn bad_combinations_are_clear_errors() {
    let mut rng = Rng::new(3);
    let grid = grid();
    let raster = raster(&mut rng, &grid);
    let zones = zones(&mut rng, &grid, 3);
    let other = Raster::new(
        Grid::new(GeoTransform::new(0.0, 1.0, 0.0, -1.0).unwrap(), 37, 53).unwrap(),
        Array2::<u8>::zeros((37, 53)),
    )
    .unwrap()
    .with_name("other.tif");
    let err = ZonalStats::new(&zones)
        .band(&raster, 1)
        .band(&other, 1)
        .run()
        .unwrap_err();
    assert!(
        matches!(err, Error::Mismatch { .. })
            && err.to_string().starts_with("other.tif: its grid differs"),
        "{err}"
    );
    let err = ZonalStats::new(&zones)
        .band(&raster, 1)
        .stats(&[Stat::WeightedMean])
        .run()
        .unwrap_err();
    assert_eq!(err.to_string(), "weighted_mean: needs a weights raster");
    let err = ZonalStats::new(&zones)
        .band(&raster, 1)
        .stats(&[Stat::LitAreaKm2(0.5), Stat::LitFrac(7.0)])
        .run()
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("lit statistics with different thresholds (0.5 and 7)"),
        "{err}"
    );
    let err = ZonalStats::new(&zones).band(&raster, 2).run().unwrap_err();
    assert!(matches!(err, Error::BandOutOfRange { band: 2, .. }));
    assert!(ZonalStats::new(&zones).run().is_err());
    let elsewhere = ZoneSet::new(
        zones.zones().to_vec(),
        Some(Crs::projected("EPSG:3857", 1.0)),
    );
    let err = ZonalStats::new(&elsewhere)
        .band(&raster, 1)
        .run()
        .unwrap_err();
    assert!(
        err.to_string().contains("reproject the zones first"),
        "{err}"
    );
    let no_crs = Raster::new(
        Grid::new(GeoTransform::new(100.0, 0.25, 40.0, -0.25).unwrap(), 37, 53).unwrap(),
        Array2::<u8>::zeros((37, 53)),
    )
    .unwrap();
    let bare_zones = ZoneSet::new(zones.zones().to_vec(), None);
    let err = ZonalStats::new(&bare_zones)
        .band(&no_crs, 1)
        .weighting(Weighting::AreaKm2)
        .run()
        .unwrap_err();
    assert!(matches!(err, Error::Grid { .. }), "{err}");
}

#[test]
fn rasters_read_as_f32_or_f64_give_the_same_bits() {
    let mut rng = Rng::new(17);
    let grid = grid();
    let narrow = raster(&mut rng, &grid); // Float32: read as f32
    let wide_data = narrow.band(1).unwrap().mapv(|v| v as f64);
    let wide = Raster::new(grid.clone(), wide_data)
        .unwrap()
        .with_nodata(Some(-9999.0))
        .with_block_shape(8, 16); // read as f64
    let zones = zones(&mut rng, &grid, 20);
    let stats =
        Stat::parse_list("count,sum,mean,min,max,variance,median,p90,majority,frac").unwrap();
    let a = ZonalStats::new(&zones)
        .band(&narrow, 1)
        .stats(&stats)
        .run()
        .unwrap();
    let b = ZonalStats::new(&zones)
        .band(&wide, 1)
        .stats(&stats)
        .run()
        .unwrap();
    assert_eq!(a.zones, b.zones);
    let mut out = Vec::new();
    use terralux::RasterSource;
    assert!(
        narrow
            .read_window_f32_into(1, grid.full_window(), &mut out)
            .unwrap()
    );
    assert!(
        !wide
            .read_window_f32_into(1, grid.full_window(), &mut out)
            .unwrap()
    );
}

#[test]
fn night_light_indicators_on_non_negative_lights() {
    let mut rng = Rng::new(31);
    let grid = grid();
    // Radiance-like: mostly dim, some bright, a few nodata.
    let data = Array2::from_shape_fn(grid.shape(), |_| {
        let u = rng.uniform();
        if u < 0.03 {
            -9999.0
        } else {
            (u * u * 60.0) as f32
        }
    });
    let lights = Raster::new(grid.clone(), data)
        .unwrap()
        .with_nodata(Some(-9999.0))
        .with_block_shape(8, 16);
    let population = weights_raster(&mut rng, &grid);
    let zones = zones(&mut rng, &grid, 24);
    let stats = vec![
        Stat::Tnl,
        Stat::TnlArea,
        Stat::AreaMean,
        Stat::AreaKm2,
        Stat::Density,
        Stat::LitAreaKm2(5.0),
        Stat::LitFrac(5.0),
        Stat::Ali {
            threshold: 5.0,
            dn_max: Some(63.0),
        },
        Stat::Cnli {
            threshold: 5.0,
            dn_max: Some(63.0),
        },
        Stat::Gini,
        Stat::Theil,
        Stat::PerCapita,
        Stat::LitPopFrac(5.0),
    ];
    let table = ZonalStats::new(&zones)
        .band(&lights, 1)
        .weights(&population, 1)
        .stats(&stats)
        .chunk_cells(400)
        .run()
        .unwrap();
    let index = CoverageIndex::build(&zones, &grid, CoverageMode::Exact);
    let values = raster_values(&lights);
    let pop = population.band(1).unwrap().to_owned();
    let row_areas = grid.cell_areas_km2(&grid.full_window()).unwrap();
    let mut ginis = 0;
    for (z, zone) in table.zones.iter().enumerate() {
        let area = terralux::grid::ellipsoidal_polygon_area_km2(&zones.zones()[z].geometry);
        for (stat, got) in stats.iter().zip(&zone.values) {
            let expected = naive(
                index.coverage(z),
                &values,
                &pop,
                &row_areas,
                Weighting::Fraction,
                Some(area),
                stat,
            );
            assert!(
                close(got, &expected),
                "zone {z} {stat}: got {got:?}, expected {expected:?}"
            );
        }
        if zone.values[9].as_f64().is_some_and(|g| g > 0.0 && g < 1.0) {
            ginis += 1;
        }
    }
    assert!(ginis > 10, "Gini is computed for most zones ({ginis})");
    // The zone area from the geometry agrees with the sum of its cells' ellipsoidal areas
    // for a zone well inside the grid (exact coverage, 0.25 degree cells).
    let inner = zones.zones().iter().position(|z| {
        use geo::BoundingRect;
        let b = z.geometry.bounding_rect().unwrap();
        grid.bounds().min().x < b.min().x
            && b.max().x < grid.bounds().max().x
            && grid.bounds().min().y < b.min().y
            && b.max().y < grid.bounds().max().y
    });
    if let Some(z) = inner {
        let cells: f64 = index
            .coverage(z)
            .rows()
            .map(|(r, runs)| {
                runs.iter()
                    .map(|run| run.len as f64 * run.fraction * row_areas[r])
                    .sum::<f64>()
            })
            .sum();
        let area = table.zones[z].values[3].as_f64().unwrap();
        assert!((cells / area - 1.0).abs() < 2e-3, "{cells} vs {area}");
    }
}

#[test]
fn population_on_a_coarser_grid_is_split_by_area_not_copied() {
    use terralux::raster::{Quantity, Resampled};
    let mut rng = Rng::new(41);
    let grid = grid(); // 0.25 degree cells
    let lights = raster(&mut rng, &grid);
    let coarse_grid = Grid::new(GeoTransform::new(100.0, 0.5, 40.0, -0.5).unwrap(), 19, 27)
        .unwrap()
        .with_crs(Crs::wgs84());
    let coarse = Array2::from_shape_fn((19, 27), |_| (rng.uniform() * 1000.0).round());
    // The truth: each coarse cell's people spread evenly over its four fine cells.
    let fine = Array2::from_shape_fn(grid.shape(), |(r, c)| coarse[[r / 2, c / 2]] / 4.0);
    let zones = zones(&mut rng, &grid, 12);
    let stats = [Stat::PerCapita, Stat::LitPopFrac(1.0), Stat::WeightedSum];
    let split = Resampled::new(
        Raster::new(coarse_grid, coarse).unwrap(),
        grid.clone(),
        Quantity::Extensive,
    )
    .unwrap();
    let same_grid = Raster::new(grid.clone(), fine).unwrap();
    let a = ZonalStats::new(&zones)
        .band(&lights, 1)
        .weights(&split, 1)
        .stats(&stats)
        .run()
        .unwrap();
    let b = ZonalStats::new(&zones)
        .band(&lights, 1)
        .weights(&same_grid, 1)
        .stats(&stats)
        .run()
        .unwrap();
    for (x, y) in a.zones.iter().zip(&b.zones) {
        for (p, q) in x.values.iter().zip(&y.values) {
            assert!(close(p, q), "{p:?} vs {q:?}");
        }
    }
}

/// A raster that panics when asked for rows from `panic_from` on.
struct PanickingRaster {
    inner: Raster<f32>,
    panic_from: usize,
}

impl terralux::RasterSource for PanickingRaster {
    fn name(&self) -> &str {
        "panicking"
    }
    fn grid(&self) -> &Grid {
        self.inner.grid()
    }
    fn band_count(&self) -> usize {
        self.inner.band_count()
    }
    fn band_info(&self, band: usize) -> terralux::Result<terralux::raster::BandInfo> {
        self.inner.band_info(band)
    }
    fn read_window_f64(
        &self,
        band: usize,
        window: terralux::Window,
    ) -> terralux::Result<Array2<f64>> {
        assert!(window.row_end() <= self.panic_from, "simulated driver bug");
        self.inner.read_window_f64(band, window)
    }
    fn read_window<T: terralux::raster::CellType>(
        &self,
        band: usize,
        window: terralux::Window,
    ) -> terralux::Result<Array2<T>> {
        self.inner.read_window(band, window)
    }
}

#[test]
fn a_panic_while_reading_fails_the_run_instead_of_hanging() {
    let grid = grid();
    let inner = raster(&mut Rng::new(3), &grid);
    let source = PanickingRaster {
        inner,
        panic_from: 10,
    };
    let zones = ZoneSet::new(
        vec![square_zone(1, 100.0, 30.0, 113.0, 40.0)],
        Some(Crs::wgs84()),
    );
    // Many small chunks on two workers: the panic stops a chunk the merge waits for.
    let err = ZonalStats::new(&zones)
        .band(&source, 1)
        .stats(&[Stat::Sum])
        .threads(2)
        .chunk_cells(53)
        .run()
        .unwrap_err();
    assert!(matches!(err, Error::Threads { .. }), "{err}");
}
