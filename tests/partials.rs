//! Distributed runs (`engine::partials`): a plan cut into units in any
//! grouping, units run in any order and shipped as bytes, then merged,
//! give exactly the bits of `ZonalStats::run` for every date; and bytes of
//! another version or plan, truncated or corrupt bytes, and missing or
//! repeated units are refused with an error.

mod common;

use common::random::{Rng, random_zone};
use geo_types::polygon;
use ndarray::Array2;
use terralux::coverage::CoverageMode;
use terralux::engine::partials::{UnitPartials, WorkPlan, WorkUnit, merge, run_unit};
use terralux::results::ZonalTable;
use terralux::stats::{ModeTies, Stat, StatValue, Weighting};
use terralux::zones::{Attributes, Zone, ZoneId, ZoneSet};
use terralux::{Crs, GeoTransform, Grid, Raster, RasterSource, Result, ZonalStats};

/// Every statistic `Stat::parse` knows (percentiles as p0, p10, p90, p99.5;
/// ali and cnli without a normaliser, so the run-wide maximum path too).
const ALL_STATS: &str = "count,sum,mean,min,max,variance,stdev,cv,median,p0,p10,p90,p99.5,majority,minority,variety,frac,unique,weighted_sum,weighted_mean,weighted_variance,weighted_stdev,weighted_frac,valid_frac,outside_frac,tnl,tnl_area,mean_area,area_km2,density,lit_area_km2,lit_frac,ali,cnli,gini,theil,per_capita,lit_pop_frac";

fn grid() -> Grid {
    Grid::new(GeoTransform::new(100.0, 0.25, 40.0, -0.25).unwrap(), 37, 53)
        .unwrap()
        .with_crs(Crs::wgs84())
}

/// Values on a few levels (categories repeat), ~5 % nodata, partial whole-cell weights.
fn values(seed: u64, name: &str, block: (usize, usize)) -> Raster<f32> {
    let mut rng = Rng::new(seed);
    let data = Array2::from_shape_fn(grid().shape(), |_| {
        if rng.uniform() < 0.05 {
            -9999.0
        } else {
            (rng.uniform() * 8.0).floor() as f32 * 1.5 - 2.0 + (rng.uniform() as f32) * 1e-3
        }
    });
    Raster::new(grid(), data)
        .unwrap()
        .with_nodata(Some(-9999.0))
        .with_block_shape(block.0, block.1)
        .with_name(name)
}

fn weights(seed: u64) -> Raster<f64> {
    let mut rng = Rng::new(seed);
    let data = Array2::from_shape_fn(grid().shape(), |_| {
        if rng.uniform() < 0.03 {
            f64::NAN
        } else {
            rng.uniform() * 3.0
        }
    });
    Raster::new(grid(), data).unwrap().with_name("population")
}

/// 64-bit integers beyond 2^53 (kept exactly by the engine), a few nodata.
fn integers(seed: u64) -> Raster<i64> {
    let mut rng = Rng::new(seed);
    let data = Array2::from_shape_fn(grid().shape(), |_| {
        if rng.uniform() < 0.04 {
            -1
        } else {
            (1i64 << 60) + (rng.next_u64() % 9) as i64
        }
    });
    Raster::new(grid(), data)
        .unwrap()
        .with_nodata(Some(-1.0))
        .with_block_shape(5, 53)
        .with_name("integers")
}

fn zones(n: usize) -> ZoneSet {
    let mut rng = Rng::new(7);
    let grid = grid();
    let zones = (0..n)
        .map(|i| Zone {
            id: ZoneId::Int(i as i64),
            attributes: Attributes::default(),
            geometry: random_zone(&mut rng, &grid, i),
        })
        .collect();
    ZoneSet::new(zones, Some(Crs::wgs84()))
}

/// The same statistic values, bit for bit (NaN, -0 and missing included).
fn assert_same_bits(got: &ZonalTable, want: &ZonalTable, context: &str) {
    assert_eq!(got.columns, want.columns, "{context}: columns");
    assert_eq!(got.layers, want.layers, "{context}: layers");
    assert_eq!(got.zones.len(), want.zones.len(), "{context}: zones");
    let bits = |v: &StatValue| -> Vec<u128> {
        match v {
            StatValue::Missing => vec![u128::MAX],
            StatValue::Number(x) => vec![x.to_bits() as u128],
            StatValue::Integer(i) => vec![1 << 100, *i as u128],
            StatValue::Fractions(p) => p
                .iter()
                .flat_map(|(a, b)| [a.to_bits() as u128, b.to_bits() as u128])
                .collect(),
            StatValue::IntegerFractions(p) => p
                .iter()
                .flat_map(|(a, b)| [*a as u128, b.to_bits() as u128])
                .collect(),
        }
    };
    for (g, w) in got.zones.iter().zip(&want.zones) {
        assert_eq!(g.id, w.id, "{context}");
        assert_eq!(g.attributes, w.attributes, "{context}");
        for ((gv, wv), column) in g.values.iter().zip(&w.values).zip(&want.columns) {
            assert_eq!(
                bits(gv),
                bits(wv),
                "{context}: zone {}, {}: {gv:?} != {wv:?}",
                w.id,
                column.name
            );
        }
    }
    let p = (&got.provenance, &want.provenance);
    assert_eq!(p.0.stats, p.1.stats, "{context}: provenance statistics");
    assert_eq!(p.0.weights, p.1.weights, "{context}: provenance weights");
    assert_eq!(p.0.repaired_zones, p.1.repaired_zones, "{context}");
}

/// How a date's chunks are cut into units.
#[derive(Clone, Copy, Debug)]
enum Grouping {
    One,
    PerChunk,
    /// Sizes 1, 2, 3, 1, 2, 3...
    Uneven,
}

fn units(plan: &WorkPlan, grouping: Grouping) -> Vec<WorkUnit> {
    match grouping {
        Grouping::One => plan.units(usize::MAX),
        Grouping::PerChunk => plan.units(1),
        Grouping::Uneven => (0..plan.dates())
            .flat_map(|date| {
                let count = plan.chunk_count(date);
                let mut out = Vec::new();
                let (mut start, mut size) = (0, 1);
                while start < count {
                    let end = (start + size).min(count);
                    out.push(WorkUnit {
                        date,
                        chunks: start..end,
                    });
                    start = end;
                    size = size % 3 + 1;
                }
                out
            })
            .collect(),
    }
}

/// Fisher-Yates with a fixed seed.
fn shuffle<T>(items: &mut [T], seed: u64) {
    let mut rng = Rng::new(seed);
    for i in (1..items.len()).rev() {
        let j = (rng.next_u64() % (i as u64 + 1)) as usize;
        items.swap(i, j);
    }
}

/// The distributed flow: the plan through its bytes to the worker, units
/// run in shuffled order, their bytes decoded by the driver, merged.
fn distributed<'r>(
    runs: &[ZonalStats<'_>],
    grouping: Grouping,
    open: &dyn Fn(&str) -> Result<Box<dyn RasterSource + Sync + 'r>>,
) -> Vec<ZonalTable> {
    let plan = WorkPlan::new(runs).unwrap();
    let worker = WorkPlan::from_bytes(&plan.to_bytes()).unwrap();
    assert_eq!(worker.fingerprint(), plan.fingerprint());
    let mut todo = units(&worker, grouping);
    let seed = todo.len() as u64;
    shuffle(&mut todo, seed);
    let shipped: Vec<Vec<u8>> = todo
        .iter()
        .map(|unit| run_unit(&worker, unit, open).unwrap().to_bytes())
        .collect();
    let partials: Vec<UnitPartials> = shipped
        .iter()
        .map(|bytes| UnitPartials::from_bytes(&plan, bytes).unwrap())
        .collect();
    merge(&plan, partials).unwrap()
}

/// Check every grouping of `runs` against `ZonalStats::run`, date by date.
fn check_all_groupings<'r>(
    runs: &[ZonalStats<'_>],
    open: &dyn Fn(&str) -> Result<Box<dyn RasterSource + Sync + 'r>>,
    context: &str,
) {
    let want: Vec<ZonalTable> = runs.iter().map(|r| r.run().unwrap()).collect();
    let plan = WorkPlan::new(runs).unwrap();
    assert!(
        (0..plan.dates()).all(|d| plan.chunk_count(d) > 3),
        "{context}: too few chunks to test groupings"
    );
    for grouping in [Grouping::One, Grouping::PerChunk, Grouping::Uneven] {
        let got = distributed(runs, grouping, open);
        assert_eq!(got.len(), want.len());
        for (date, (g, w)) in got.iter().zip(&want).enumerate() {
            assert_same_bits(g, w, &format!("{context}, {grouping:?}, date {date}"));
        }
    }
}

struct Inputs {
    dates: Vec<Raster<f32>>,
    population: Raster<f64>,
    integers: Raster<i64>,
    zones: ZoneSet,
}

impl Inputs {
    fn new() -> Self {
        Inputs {
            // The third date is tiled otherwise: another chunk layout.
            dates: vec![
                values(1, "date0", (4, 53)),
                values(2, "date1", (4, 53)),
                values(3, "date2", (8, 16)),
            ],
            population: weights(4),
            integers: integers(5),
            zones: zones(14),
        }
    }

    fn open<'s>(&'s self) -> impl Fn(&str) -> Result<Box<dyn RasterSource + Sync + 's>> + 's {
        move |name: &str| -> Result<Box<dyn RasterSource + Sync + 's>> {
            if let Some(r) = self.dates.iter().find(|r| r.name() == name) {
                return Ok(Box::new(r));
            }
            match name {
                "population" => Ok(Box::new(&self.population)),
                "integers" => Ok(Box::new(&self.integers)),
                _ => Err(terralux::Error::NotFound { path: name.into() }),
            }
        }
    }

    /// One run per date, each with `options` applied.
    fn runs<'a>(
        &'a self,
        stats: &[Stat],
        options: impl Fn(ZonalStats<'a>) -> ZonalStats<'a>,
    ) -> Vec<ZonalStats<'a>> {
        self.dates
            .iter()
            .map(|raster| {
                options(
                    ZonalStats::new(&self.zones)
                        .band(raster, 1)
                        .weights(&self.population, 1)
                        .stats(stats)
                        .chunk_cells(100),
                )
            })
            .collect()
    }
}

#[test]
fn every_statistic_every_grouping_every_date_has_the_engines_bits() {
    let inputs = Inputs::new();
    let stats = Stat::parse_list(ALL_STATS).unwrap();
    let runs = inputs.runs(&stats, |r| r);
    check_all_groupings(&runs, &inputs.open(), "all statistics");
}

#[test]
fn options_that_change_results_are_planned() {
    let inputs = Inputs::new();
    let stats = Stat::parse_list(
        "count,sum,mean,stdev,median,p90,majority,minority,frac,gini,weighted_mean,weighted_frac,valid_frac,lit_frac",
    )
    .unwrap();
    type Options = fn(ZonalStats<'_>) -> ZonalStats<'_>;
    let cases: [(&str, Options); 7] = [
        ("no weighting", |r| r.weighting(Weighting::None)),
        ("area weighting", |r| r.weighting(Weighting::AreaKm2)),
        ("min_coverage_frac", |r| r.min_coverage_frac(0.5)),
        ("default values", |r| {
            r.default_value(0.0).default_weight(1.0)
        }),
        ("smallest mode ties", |r| r.mode_ties(ModeTies::Smallest)),
        ("centre coverage", |r| r.coverage_mode(CoverageMode::Center)),
        ("all-touched coverage", |r| {
            r.coverage_mode(CoverageMode::AllTouched)
        }),
    ];
    for (name, options) in cases {
        let runs = inputs.runs(&stats, options);
        check_all_groupings(&runs, &inputs.open(), name);
    }
}

#[test]
fn several_layers_and_exact_integers_have_the_engines_bits() {
    let inputs = Inputs::new();
    let stats =
        Stat::parse_list("count,sum,mean,min,max,median,p10,majority,minority,variety,frac,unique,weighted_frac,stdev,gini")
            .unwrap();
    // Three layers a date (a float date, the integer raster, and f64 values
    // that are no f32: kept as f64), block shapes of the first layer
    // differing between dates.
    let runs: Vec<ZonalStats<'_>> = inputs
        .dates
        .iter()
        .map(|raster| {
            ZonalStats::new(&inputs.zones)
                .band(raster, 1)
                .band(&inputs.integers, 1)
                .band(&inputs.population, 1)
                .weights(&inputs.population, 1)
                .stats(&stats)
                .chunk_cells(100)
        })
        .collect();
    let want = runs[0].run().unwrap();
    assert!(
        want.zones
            .iter()
            .any(|z| z.values.iter().any(|v| matches!(v, StatValue::Integer(_)))),
        "the integer layer is exact"
    );
    check_all_groupings(&runs, &inputs.open(), "layers and integers");
    // The integer raster alone: its own chunk layout (strips of 5 rows).
    let alone = [ZonalStats::new(&inputs.zones)
        .band(&inputs.integers, 1)
        .weights(&inputs.population, 1)
        .stats(&stats)
        .chunk_cells(60)];
    check_all_groupings(&alone, &inputs.open(), "integers alone");
}

#[test]
fn a_zone_that_spans_many_units_folds_in_chunk_order() {
    // One zone over nearly the whole grid: most of its partials come from
    // units after its first, and each stays apart until the merge.
    let g = grid();
    let b = g.bounds();
    let (x0, y0, x1, y1) = (
        b.min().x + 0.1,
        b.min().y + 0.1,
        b.max().x - 0.1,
        b.max().y - 0.1,
    );
    let zones = ZoneSet::new(
        vec![Zone {
            id: ZoneId::Text("all".into()),
            attributes: Attributes::default(),
            geometry: geo_types::MultiPolygon(vec![polygon![
                (x: x0, y: y0), (x: x1, y: y0), (x: x1, y: y1), (x: x0, y: y1)
            ]]),
        }],
        Some(Crs::wgs84()),
    );
    let stats = Stat::parse_list("count,sum,mean,stdev,median,gini,theil,frac").unwrap();
    let strips = values(11, "strips", (1, 53));
    let runs = [ZonalStats::new(&zones)
        .band(&strips, 1)
        .stats(&stats)
        .chunk_cells(53)];
    let plan = WorkPlan::new(&runs).unwrap();
    assert!(plan.chunk_count(0) > 30);
    let open = opener(&strips);
    let unit = &plan.units(4)[1];
    assert_eq!(
        run_unit(&plan, unit, &open).unwrap().len(),
        4,
        "one partial per chunk for a zone that began before the unit"
    );
    assert_eq!(run_unit(&plan, &plan.units(4)[0], &open).unwrap().len(), 1);
    check_all_groupings(&runs, &open, "one large zone");
}

/// Opens every name as `raster`. (`'s` named: an elided lifetime inside
/// `Fn(&str) -> ...` would be the name's.)
#[allow(clippy::needless_lifetimes)]
fn opener<'s>(
    raster: &'s Raster<f32>,
) -> impl Fn(&str) -> Result<Box<dyn RasterSource + Sync + 's>> {
    move |_| Ok(Box::new(raster))
}

/// A small plan and its shipped units, for the refusals.
fn small_plan(inputs: &Inputs, stats: &str) -> (WorkPlan, Vec<Vec<u8>>) {
    let stats = Stat::parse_list(stats).unwrap();
    let runs = inputs.runs(&stats, |r| r);
    let plan = WorkPlan::new(&runs[..2]).unwrap();
    let open = inputs.open();
    let shipped = plan
        .units(3)
        .iter()
        .map(|u| run_unit(&plan, u, &open).unwrap().to_bytes())
        .collect();
    (plan, shipped)
}

fn error_of<T: std::fmt::Debug>(result: Result<T>) -> String {
    let message = result.unwrap_err().to_string();
    assert!(!message.contains('\n'), "one line: {message}");
    message
}

#[test]
fn bytes_are_the_same_for_the_same_state() {
    let inputs = Inputs::new();
    let (plan, shipped) = small_plan(&inputs, "count,sum,median,frac,majority,weighted_frac");
    let again = WorkPlan::from_bytes(&plan.to_bytes()).unwrap();
    assert_eq!(
        again.to_bytes(),
        plan.to_bytes(),
        "a plan round-trips exactly"
    );
    let open = inputs.open();
    for (unit, bytes) in plan.units(3).iter().zip(&shipped) {
        // Run again (maps iterate in another order each time): the same bytes.
        assert_eq!(&run_unit(&again, unit, &open).unwrap().to_bytes(), bytes);
        let decoded = UnitPartials::from_bytes(&plan, bytes).unwrap();
        assert_eq!(decoded.unit(), unit);
        assert_eq!(&decoded.to_bytes(), bytes);
    }
}

#[test]
fn bytes_of_another_version_or_plan_and_broken_bytes_are_refused() {
    let inputs = Inputs::new();
    let (plan, shipped) = small_plan(&inputs, "count,sum,median,frac");
    let (other, other_shipped) = small_plan(&inputs, "count,sum,median,majority");
    assert_ne!(plan.fingerprint(), other.fingerprint());
    let plan_bytes = plan.to_bytes();

    // Another format version (the byte after the magic): 1, the full-width
    // coverage of earlier releases, is refused by name.
    let mut versioned = plan_bytes.clone();
    versioned[8] = 1;
    let e = error_of(WorkPlan::from_bytes(&versioned));
    assert!(
        e.contains("format version 1; this terralux reads version 2"),
        "{e}"
    );
    let mut versioned = shipped[0].clone();
    versioned[8] = 9;
    let e = error_of(UnitPartials::from_bytes(&plan, &versioned));
    assert!(e.contains("format version 9"), "{e}");

    // Not plan bytes at all; unit bytes given as a plan.
    assert!(error_of(WorkPlan::from_bytes(b"hello")).contains("not a terralux work plan"));
    assert!(error_of(WorkPlan::from_bytes(&shipped[0])).contains("not a terralux work plan"));

    // Another plan's partials.
    let e = error_of(UnitPartials::from_bytes(&plan, &other_shipped[0]));
    assert!(e.contains("another work plan"), "{e}");
    let foreign = UnitPartials::from_bytes(&other, &other_shipped[0]).unwrap();
    let e = error_of(merge(&plan, [foreign]));
    assert!(e.contains("another work plan"), "{e}");

    // Truncated anywhere, or one byte changed anywhere in the body.
    for cut in (0..plan_bytes.len())
        .step_by(97)
        .chain([plan_bytes.len() - 1])
    {
        error_of(WorkPlan::from_bytes(&plan_bytes[..cut]));
    }
    let unit = &shipped[1];
    for cut in 0..unit.len() {
        error_of(UnitPartials::from_bytes(&plan, &unit[..cut]));
    }
    let mut longer = unit.clone();
    longer.push(0);
    assert!(error_of(UnitPartials::from_bytes(&plan, &longer)).contains("left over"));
    for at in (60..unit.len()).step_by(13) {
        let mut corrupt = unit.clone();
        corrupt[at] ^= 0x10;
        let e = error_of(UnitPartials::from_bytes(&plan, &corrupt));
        assert!(e.contains("corrupt") || e.contains("truncated"), "{e}");
    }
    let mut corrupt = plan_bytes.clone();
    let at = corrupt.len() / 2;
    corrupt[at] ^= 1;
    assert!(error_of(WorkPlan::from_bytes(&corrupt)).contains("fingerprint"));
}

#[test]
fn a_missing_or_repeated_unit_is_refused() {
    let inputs = Inputs::new();
    let (plan, shipped) = small_plan(&inputs, "count,mean");
    let decode = |bytes: &[Vec<u8>]| -> Vec<UnitPartials> {
        bytes
            .iter()
            .map(|b| UnitPartials::from_bytes(&plan, b).unwrap())
            .collect()
    };
    assert!(shipped.len() > 4);
    assert_eq!(merge(&plan, decode(&shipped)).unwrap().len(), 2);

    for missing in [0, 2, shipped.len() - 1] {
        let mut some = shipped.clone();
        some.remove(missing);
        let e = error_of(merge(&plan, decode(&some)));
        assert!(e.contains("missing partials"), "{e}");
    }
    let mut twice = shipped.clone();
    twice.push(shipped[1].clone());
    let e = error_of(merge(&plan, decode(&twice)));
    assert!(e.contains("repeats or overlaps"), "{e}");

    // A unit that is not the plan's.
    let open = inputs.open();
    let beyond = WorkUnit {
        date: 0,
        chunks: 0..plan.chunk_count(0) + 1,
    };
    assert!(error_of(run_unit(&plan, &beyond, &open)).contains("not a unit of this plan"));
    let no_date = WorkUnit {
        date: 5,
        chunks: 0..1,
    };
    assert!(error_of(run_unit(&plan, &no_date, &open)).contains("not a unit of this plan"));
}

#[test]
fn plans_refuse_runs_that_differ_and_rasters_of_one_name() {
    let inputs = Inputs::new();
    let stats = Stat::parse_list("count,sum").unwrap();
    let mut runs = inputs.runs(&stats, |r| r);
    runs[1] = runs[1].clone().stats(&[Stat::Mean]);
    assert!(error_of(WorkPlan::new(&runs)).contains("other statistics or options"));
    let twin = values(9, "date0", (4, 53)); // another raster named as date 0's
    let runs = [
        ZonalStats::new(&inputs.zones).band(&inputs.dates[0], 1),
        ZonalStats::new(&inputs.zones).band(&twin, 1),
    ];
    assert!(error_of(WorkPlan::new(&runs)).contains("named 'date0'"));
    assert!(error_of(WorkPlan::new(&[])).contains("no run"));
    // A worker whose raster has another grid.
    let plan = WorkPlan::new(&runs[..1]).unwrap();
    let small = Raster::new(
        Grid::new(GeoTransform::new(0.0, 1.0, 1.0, -1.0).unwrap(), 1, 1).unwrap(),
        Array2::<f32>::zeros((1, 1)),
    )
    .unwrap();
    assert!(error_of(run_unit(&plan, &plan.units(1)[0], &opener(&small))).contains("grid differs"));
}

#[cfg(feature = "gdal")]
#[test]
fn testdata_counties_over_two_products_have_the_engines_bits() {
    use terralux::GdalRaster;
    use terralux::engine::partials::open_gdal;
    let path = |name: &str| common::testdata(name).display().to_string();
    let ntl = GdalRaster::open(path("ntl.tif")).unwrap();
    let u16 = GdalRaster::open(path("ntl_u16.tif")).unwrap();
    let zones = common::test_counties()
        .reprojected(ntl.grid().crs().unwrap())
        .unwrap();
    let stats = Stat::parse_list(
        "count,sum,mean,min,max,stdev,variance,median,p90,majority,minority,variety,frac,gini,valid_frac,outside_frac,area_km2,tnl,lit_frac,ali,cnli,theil",
    )
    .unwrap();
    // Tiles of 32 x 32 (ntl.tif) and strips of 16 rows (ntl_u16.tif): chunks of one block.
    let runs = [
        ZonalStats::new(&zones)
            .band(&ntl, 1)
            .stats(&stats)
            .chunk_cells(1024),
        ZonalStats::new(&zones)
            .band(&u16, 1)
            .stats(&stats)
            .chunk_cells(1024),
    ];
    let open = |p: &str| open_gdal(p);
    check_all_groupings(&runs, &open, "testdata");
    let plan = WorkPlan::new(&runs).unwrap();
    assert_eq!(plan.dates(), 2);
    let tables = distributed(&runs, Grouping::Uneven, &open);
    assert_eq!(tables[0].zones.len(), 24);
    assert_eq!(tables[0].zones[0].id, ZoneId::Text("500101".into()));
}

#[test]
fn date_fingerprints_follow_a_date_not_the_series() {
    let inputs = Inputs::new();
    let stats = Stat::parse_list("count,sum,median").unwrap();
    let runs = inputs.runs(&stats, |r| r);
    let all = WorkPlan::new(&runs).unwrap().date_fingerprints();
    assert_eq!(all.len(), 3);
    assert!(all.iter().all(|f| f.len() == 32));
    // Dates 0 and 1 differ by their raster's name only; date 2 by its blocks too.
    assert!(all[0] != all[1] && all[1] != all[2] && all[0] != all[2]);
    // A plan of the first two dates, or of the last two: the same date, the same fingerprint.
    let first_two = WorkPlan::new(&runs[..2]).unwrap().date_fingerprints();
    let last_two = WorkPlan::new(&runs[1..]).unwrap().date_fingerprints();
    assert_eq!(first_two, all[..2]);
    assert_eq!(last_two, all[1..]);
    // Another statistic or option: another fingerprint for every date.
    let other = Stat::parse_list("count,sum,p90").unwrap();
    let changed = WorkPlan::new(&inputs.runs(&other, |r| r))
        .unwrap()
        .date_fingerprints();
    assert!(changed.iter().zip(&all).all(|(a, b)| a != b));
    let budget = WorkPlan::new(&inputs.runs(&stats, |r| r.min_coverage_frac(0.5)))
        .unwrap()
        .date_fingerprints();
    assert!(budget.iter().zip(&all).all(|(a, b)| a != b));
}
