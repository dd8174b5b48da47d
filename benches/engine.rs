//! Throughput of the zonal-statistics kernels on seeded synthetic data
//! (about 2 % nodata): coverage (edges per second, each mode), accumulation
//! (cells per second per statistic family) and the whole pipeline on an
//! in-memory raster (cells and zones per second, two sizes, 1 and 2 threads).
//!
//! `cargo bench --bench engine`

use std::f64::consts::TAU;
use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use geo_types::{Coord, LineString, MultiPolygon, Polygon};
use ndarray::Array2;
use terralux::coverage::{Coverage, CoverageMode};
use terralux::stats::{Accumulator, RunWeights, Stat, ZoneFacts};
use terralux::zones::{Attributes, Zone, ZoneId, ZoneSet};
use terralux::{Crs, GeoTransform, Grid, Raster, ZonalStats};

/// SplitMix64.
struct Rng(u64);

impl Rng {
    fn uniform(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// A 15" grid of `rows x cols` cells.
fn grid(rows: usize, cols: usize) -> Grid {
    let cell = 1.0 / 240.0;
    Grid::new(
        GeoTransform::new(100.0, cell, 40.0, -cell).unwrap(),
        rows,
        cols,
    )
    .unwrap()
    .with_crs(Crs::wgs84())
}

/// Night-light-like values with about 2 % nodata (NaN).
fn raster(rng: &mut Rng, grid: &Grid) -> Raster<f32> {
    let data = Array2::from_shape_fn(grid.shape(), |_| {
        let u = rng.uniform();
        if u < 0.02 {
            f32::NAN
        } else {
            (u * u * 60.0) as f32
        }
    });
    Raster::new(grid.clone(), data)
        .unwrap()
        .with_block_shape(256, 256)
}

/// `ny x nx` star-shaped zones of `vertices` vertices each, tiling the grid loosely.
fn zones(rng: &mut Rng, grid: &Grid, ny: usize, nx: usize, vertices: usize) -> ZoneSet {
    let b = grid.bounds();
    let (w, h) = (b.width() / nx as f64, b.height() / ny as f64);
    let mut out = Vec::new();
    for j in 0..ny {
        for i in 0..nx {
            let centre = Coord {
                x: b.min().x + (i as f64 + 0.5) * w,
                y: b.min().y + (j as f64 + 0.5) * h,
            };
            // A wavy outline with short edges, like a county boundary.
            let phase = TAU * rng.uniform();
            let points: Vec<Coord<f64>> = (0..vertices)
                .map(|k| {
                    let a = TAU * k as f64 / vertices as f64;
                    let r = 0.45
                        * w.min(h)
                        * (1.0 + 0.1 * (7.0 * a + phase).sin() + 0.002 * rng.uniform());
                    Coord {
                        x: centre.x + r * a.cos(),
                        y: centre.y + r * a.sin(),
                    }
                })
                .collect();
            let mut ring = LineString(points);
            ring.close();
            out.push(Zone {
                id: ZoneId::Int((j * nx + i) as i64),
                attributes: Attributes::default(),
                geometry: MultiPolygon(vec![Polygon::new(ring, vec![])]),
            });
        }
    }
    ZoneSet::new(out, Some(Crs::wgs84()))
}

fn coverage(c: &mut Criterion) {
    let mut rng = Rng(1);
    let grid = grid(2000, 2000);
    let zones = zones(&mut rng, &grid, 10, 10, 1000);
    let edges: usize = zones
        .iter()
        .map(|z| {
            z.geometry
                .0
                .iter()
                .map(|p| p.exterior().0.len() - 1)
                .sum::<usize>()
        })
        .sum();
    let mut group = c.benchmark_group("coverage");
    group.sample_size(10);
    group.throughput(Throughput::Elements(edges as u64));
    for mode in [
        CoverageMode::Exact,
        CoverageMode::Center,
        CoverageMode::AllTouched,
    ] {
        group.bench_function(BenchmarkId::new("edges", mode.name()), |b| {
            b.iter(|| {
                zones
                    .iter()
                    .map(|z| Coverage::compute(black_box(&z.geometry), &grid, mode).cell_count())
                    .sum::<usize>()
            })
        });
    }
    group.finish();
}

fn accumulation(c: &mut Criterion) {
    let mut rng = Rng(2);
    let cells = 1 << 20;
    let values: Vec<f64> = (0..cells)
        .map(|_| {
            let u = rng.uniform();
            if u < 0.02 {
                f64::NAN
            } else {
                ((u * u * 60.0) as f32) as f64
            }
        })
        .collect();
    // Runs of 200 whole cells, then one partial cell, as along a zone's rows.
    let families: [(&str, Vec<Stat>); 3] = [
        (
            "moments",
            Stat::parse_list("count,sum,mean,min,max,stdev").unwrap(),
        ),
        ("quantiles", Stat::parse_list("median,p90").unwrap()),
        ("categorical", Stat::parse_list("majority,variety").unwrap()),
    ];
    let mut group = c.benchmark_group("accumulation");
    group.sample_size(10);
    group.throughput(Throughput::Elements(cells as u64));
    for (name, stats) in &families {
        let values = if *name == "categorical" {
            values.iter().map(|v| v.round()).collect()
        } else {
            values.clone()
        };
        group.bench_function(BenchmarkId::new("cells", name), |b| {
            b.iter(|| {
                let mut acc = Accumulator::new(stats);
                for run in values.chunks(201) {
                    let (whole, partial) = run.split_at(run.len().min(200));
                    acc.add_run(whole, &RunWeights::fraction(1.0));
                    acc.add_run(partial, &RunWeights::fraction(0.37));
                }
                let zone = ZoneFacts {
                    total_coverage: cells as f64,
                    outside: Some(0.0),
                    area_km2: None,
                };
                acc.finish(stats, &zone)
            })
        });
    }
    group.finish();
}

fn pipeline(c: &mut Criterion) {
    let stats = Stat::parse_list("count,sum,mean,min,max,stdev,median,p90").unwrap();
    for (rows, cols, ny, nx) in [(1000, 1000, 10, 10), (2000, 3000, 20, 30)] {
        let mut rng = Rng(3);
        let grid = grid(rows, cols);
        let raster = raster(&mut rng, &grid);
        let zones = zones(&mut rng, &grid, ny, nx, 400);
        for (unit, count) in [("cells", rows * cols), ("zones", ny * nx)] {
            let mut group = c.benchmark_group(format!("pipeline_{unit}"));
            group.sample_size(10);
            group.throughput(Throughput::Elements(count as u64));
            for threads in [1, 2] {
                let id = BenchmarkId::new(format!("{rows}x{cols}"), format!("{threads}_threads"));
                group.bench_function(id, |b| {
                    b.iter(|| {
                        ZonalStats::new(&zones)
                            .band(&raster, 1)
                            .stats(&stats)
                            .threads(threads)
                            .run()
                            .unwrap()
                    })
                });
            }
            group.finish();
        }
    }
}

/// Dates through one coverage index (`run_series`) against one full run per
/// date (coverage recomputed each time): the series adds about one raster
/// pass per date.
fn series(c: &mut Criterion) {
    use terralux::ntl::series::{Dated, run_series};
    let mut rng = Rng(4);
    let grid = grid(1000, 1000);
    let dates: Vec<Raster<f32>> = (0..8).map(|_| raster(&mut rng, &grid)).collect();
    let zones = zones(&mut rng, &grid, 10, 10, 4000);
    let stats = Stat::parse_list("tnl,tnl_area,lit_area_km2,mean").unwrap();
    let mut group = c.benchmark_group("series");
    group.sample_size(10);
    for n in [1, 4, 8] {
        group.bench_function(BenchmarkId::new("one_coverage", n), |b| {
            b.iter(|| {
                let dated: Vec<Dated<'_>> = dates[..n]
                    .iter()
                    .enumerate()
                    .map(|(i, r)| Dated {
                        date: format!("{}", 2014 + i),
                        raster: r,
                        band: 1,
                        weights: None,
                    })
                    .collect();
                run_series(&zones, &dated, &stats, Some(2), &|_, _| {}).unwrap()
            })
        });
        group.bench_function(BenchmarkId::new("coverage_per_date", n), |b| {
            b.iter(|| {
                dates[..n]
                    .iter()
                    .map(|r| {
                        ZonalStats::new(&zones)
                            .band(r, 1)
                            .stats(&stats)
                            .threads(2)
                            .run()
                            .unwrap()
                    })
                    .collect::<Vec<_>>()
            })
        });
    }
    group.finish();
}

/// The fingerprint a `CoverageIndex` keeps of its zones: a SHA-256 of every
/// vertex, paid once per index built with `CoverageIndex::build`.
fn fingerprint(c: &mut Criterion) {
    let mut rng = Rng(3);
    let grid = grid(2000, 2000);
    let zones = zones(&mut rng, &grid, 40, 50, 2000);
    let vertices: usize = zones
        .iter()
        .map(|z| {
            z.geometry
                .0
                .iter()
                .map(|p| p.exterior().0.len())
                .sum::<usize>()
        })
        .sum();
    let mut group = c.benchmark_group("fingerprint");
    group.sample_size(10);
    group.throughput(Throughput::Elements(vertices as u64));
    group.bench_function("vertices", |b| {
        b.iter(|| black_box(zones.clone()).fingerprint())
    });
    group.finish();
}

criterion_group!(
    benches,
    coverage,
    accumulation,
    pipeline,
    series,
    fingerprint
);
criterion_main!(benches);
