//! Extreme and non-finite cell values: numbers as numpy would give them
//! (issue 12, item 3), and moments that stay exact up to `f64::MAX`.
//!
//! Every expectation is computed by hand from the cell values:
//! - the population standard deviation of `{1, ..., 1, x}` (`n` cells) is
//!   `|x - 1| sqrt(n - 1) / n`, its variance `(x - 1)² (n - 1) / n²`;
//! - a sum or mean with `+inf` is `inf`, with `+inf` and `-inf` NaN; min and
//!   max are the infinities; the variance and deviation are NaN (numpy's
//!   `np.var([1, np.inf])` is `nan`); NaN cells are invalid (skipped);
//! - quantiles are the inverse of the CDF (numpy's `method="inverted_cdf"`),
//!   with the infinities as values (the median of `{1, inf, inf}` is `inf`).
//!
//! A value that is a rounding away from its hand value (a deviation near
//! 1e154) is checked to 1e-15 relative ([`Want::Near`]); everything else
//! exactly ([`Want::Is`], NaN equal to NaN).

mod common;

use geo_types::{MultiPolygon, polygon};
use ndarray::Array2;
use terralux::stats::{Accumulator, RunWeights, Stat, StatValue, ZoneFacts};
use terralux::zones::{Attributes, Zone, ZoneId, ZoneSet};
use terralux::{Crs, GeoTransform, Grid, Raster, ZonalStats};

const INF: f64 = f64::INFINITY;
const MAX: f64 = f64::MAX;

/// The statistics every case checks, in this order.
const STATS: &str =
    "count,sum,mean,min,max,variance,stdev,cv,median,p90,majority,minority,variety,frac";

#[derive(Debug, Clone)]
enum Want {
    /// Exactly this number (NaN matching NaN).
    Is(f64),
    /// This number to 1e-15 relative.
    Near(f64),
    Missing,
    Fractions(Vec<(f64, f64)>),
}

use Want::{Is, Missing, Near};

fn same_number(got: f64, want: f64) -> bool {
    got == want || (got.is_nan() && want.is_nan())
}

fn check(label: &str, stats: &[Stat], got: &[StatValue], want: &[Want]) {
    assert_eq!(got.len(), want.len(), "{label}");
    for ((stat, g), w) in stats.iter().zip(got).zip(want) {
        let ok = match (g, w) {
            (StatValue::Number(x), Is(y)) => same_number(*x, *y),
            (StatValue::Number(x), Near(y)) => (x - y).abs() <= 1e-15 * y.abs(),
            (StatValue::Missing, Missing) => true,
            (StatValue::Fractions(x), Want::Fractions(y)) => {
                x.len() == y.len()
                    && x.iter()
                        .zip(y)
                        .all(|(a, b)| same_number(a.0, b.0) && a.1 == b.1)
            }
            _ => false,
        };
        assert!(ok, "{label}: {stat} is {g:?}, want {w:?}");
    }
}

fn grid(rows: usize, cols: usize) -> Grid {
    Grid::new(
        GeoTransform::new(0.0, 1.0, rows as f64, -1.0).unwrap(),
        rows,
        cols,
    )
    .unwrap()
}

/// One zone covering the `rows x cols` grid exactly (every cell whole, weight 1).
fn whole_zone(rows: usize, cols: usize) -> ZoneSet {
    let (w, h) = (cols as f64, rows as f64);
    let square = polygon![(x: 0.0, y: 0.0), (x: w, y: 0.0), (x: w, y: h), (x: 0.0, y: h)];
    ZoneSet::new(
        vec![Zone {
            id: ZoneId::Int(1),
            attributes: Attributes::default(),
            geometry: MultiPolygon(vec![square]),
        }],
        None,
    )
}

/// The zone's statistics over `cells` laid out as `rows x cols`, in chunks
/// of `chunk_cells` (None: the default) on `threads` threads.
fn zonal(
    cells: &[f64],
    (rows, cols): (usize, usize),
    stats: &[Stat],
    chunk_cells: Option<usize>,
    threads: usize,
) -> Vec<StatValue> {
    let data = Array2::from_shape_vec((rows, cols), cells.to_vec()).unwrap();
    let raster = Raster::new(grid(rows, cols), data).unwrap();
    let zones = whole_zone(rows, cols);
    let mut run = ZonalStats::new(&zones)
        .band(&raster, 1)
        .stats(stats)
        .threads(threads);
    if let Some(c) = chunk_cells {
        run = run.chunk_cells(c);
    }
    let mut table = run.run().unwrap();
    table.zones.remove(0).values
}

/// Check `cells` against `want` in every layout: one row, one column (runs
/// of one cell, merged), two rows where possible, in one chunk and in
/// chunks of one cell (merged in chunk order), on 1 and 3 threads (the
/// same bits); and gathered with [`Accumulator::merge`] over pieces.
fn check_all_layouts(cells: &[f64], want: &[Want]) {
    let stats = Stat::parse_list(STATS).unwrap();
    let n = cells.len();
    let mut layouts = vec![(1, n), (n, 1)];
    if n.is_multiple_of(2) && n > 2 {
        layouts.push((2, n / 2));
    }
    for &layout in &layouts {
        for chunk_cells in [None, Some(1)] {
            let one = zonal(cells, layout, &stats, chunk_cells, 1);
            check(
                &format!("{layout:?} chunks {chunk_cells:?}"),
                &stats,
                &one,
                want,
            );
            let three = zonal(cells, layout, &stats, chunk_cells, 3);
            for (a, b) in one.iter().zip(&three) {
                let bits = |v: &StatValue| v.as_f64().map(f64::to_bits);
                assert_eq!(bits(a), bits(b), "{layout:?}: 1 and 3 threads differ");
            }
        }
    }
    check_pieces(cells, &stats, want);
}

/// One accumulator over all cells, and pieces (every cut point) merged in
/// order and in reverse, against `want`.
fn check_pieces(cells: &[f64], stats: &[Stat], want: &[Want]) {
    let whole_cells = RunWeights::fraction(1.0);
    let facts = ZoneFacts {
        total_coverage: cells.len() as f64,
        outside: Some(0.0),
        area_km2: None,
    };
    let mut one = Accumulator::new(stats);
    one.add_run(cells, &whole_cells);
    check("one accumulator", stats, &one.finish(stats, &facts), want);
    for cut in 1..cells.len() {
        for reversed in [false, true] {
            let mut pieces = [Accumulator::new(stats), Accumulator::new(stats)];
            pieces[0].add_run(&cells[..cut], &whole_cells);
            for &v in &cells[cut..] {
                pieces[1].add_run(&[v], &whole_cells);
            }
            if reversed {
                pieces.reverse();
            }
            let [mut merged, other] = pieces;
            merged.merge(other);
            let label = format!("merged at {cut}, reversed {reversed}");
            check(&label, stats, &merged.finish(stats, &facts), want);
        }
    }
}

/// The expectations for `{1, 1, 1, x}` with `x` far beyond the ones:
/// the deviation `(x - 1) sqrt(3) / 4`, the variance `(x - 1)² 3 / 16`.
fn three_ones_and(x: f64) -> Vec<Want> {
    let stdev = (x - 1.0) * (3f64.sqrt() / 4.0);
    let variance = (x - 1.0) * (x - 1.0) * (3.0 / 16.0);
    vec![
        Is(4.0),
        // x + 3 rounds to x: 3 is below half an ulp of x.
        Is(x),
        Is(x / 4.0),
        Is(1.0),
        Is(x),
        if variance.is_finite() {
            Near(variance)
        } else {
            Is(INF)
        },
        Near(stdev),
        // stdev / mean = (x - 1) sqrt(3) / (x + 3), sqrt(3) to far below an ulp.
        Near(3f64.sqrt()),
        Is(1.0),
        Is(x),
        Is(1.0),
        Is(x),
        Is(2.0),
        Want::Fractions(vec![(1.0, 0.75), (x, 0.25)]),
    ]
}

#[test]
fn stdev_of_1e154_among_ones_is_exact() {
    let want = three_ones_and(1e154);
    check_all_layouts(&[1.0, 1.0, 1.0, 1e154], &want);
    check_all_layouts(&[1e154, 1.0, 1.0, 1.0], &want);
}

#[test]
fn stdev_of_1e155_among_ones_is_exact_and_variance_overflows() {
    // The variance 1.875e309 is beyond f64::MAX: inf; the deviation is not.
    let want = three_ones_and(1e155);
    check_all_layouts(&[1.0, 1.0, 1.0, 1e155], &want);
    check_all_layouts(&[1e155, 1.0, 1.0, 1.0], &want);
}

#[test]
fn stdev_of_1e156_among_ones_is_exact() {
    let want = three_ones_and(1e156);
    check_all_layouts(&[1.0, 1e156, 1.0, 1.0], &want);
}

#[test]
fn stdev_of_1e300_among_ones_is_exact() {
    let want = three_ones_and(1e300);
    check_all_layouts(&[1.0, 1.0, 1e300, 1.0], &want);
}

#[test]
fn one_dbl_max_among_ones_keeps_a_finite_sum_and_mean() {
    // 3 + MAX rounds to MAX; the deviation (MAX - 1) sqrt(3) / 4 is finite.
    check_all_layouts(&[1.0, 1.0, 1.0, MAX], &three_ones_and(MAX));
}

#[test]
fn undeclared_dbl_max_fill_overflows_the_sum_not_the_deviation() {
    // {1, 1, MAX, MAX}: the sum 2 MAX + 2 overflows (inf, as numpy's), so does
    // the mean Σv / n; the true variance (MAX - 1)² / 4 exceeds f64::MAX (inf)
    // but its root (MAX - 1) / 2 = MAX / 2 does not; cv has no finite mean: NaN.
    let want = vec![
        Is(4.0),
        Is(INF),
        Is(INF),
        Is(1.0),
        Is(MAX),
        Is(INF),
        Near(MAX / 2.0),
        Is(f64::NAN),
        Is(1.0),
        Is(MAX),
        // Weights tie (2 and 2): majority takes the larger value, minority the
        // smaller (exactextract's rule).
        Is(MAX),
        Is(1.0),
        Is(2.0),
        Want::Fractions(vec![(1.0, 0.5), (MAX, 0.5)]),
    ];
    check_all_layouts(&[1.0, MAX, 1.0, MAX], &want);
}

#[test]
fn a_zone_of_dbl_max_only_has_no_spread() {
    // Every value equal: variance and deviation 0 exactly (numpy's two-pass
    // var gives inf here, from its overflowed mean); sum and mean overflow.
    let want = vec![
        Is(4.0),
        Is(INF),
        Is(INF),
        Is(MAX),
        Is(MAX),
        Is(0.0),
        Is(0.0),
        Is(f64::NAN),
        Is(MAX),
        Is(MAX),
        Is(MAX),
        Is(MAX),
        Is(1.0),
        Want::Fractions(vec![(MAX, 1.0)]),
    ];
    check_all_layouts(&[MAX; 4], &want);
}

#[test]
fn plus_and_minus_dbl_max_cancel_in_the_sum() {
    // {-MAX, MAX}: sum 0, mean 0 (so cv = MAX / 0 = inf, as numpy divides),
    // variance MAX² (inf), deviation MAX; a tie: majority MAX, minority -MAX.
    let want = vec![
        Is(2.0),
        Is(0.0),
        Is(0.0),
        Is(-MAX),
        Is(MAX),
        Is(INF),
        Is(MAX),
        Is(INF),
        Is(-MAX),
        Is(MAX),
        Is(MAX),
        Is(-MAX),
        Is(2.0),
        Want::Fractions(vec![(-MAX, 0.5), (MAX, 0.5)]),
    ];
    check_all_layouts(&[-MAX, MAX], &want);
}

#[test]
fn plus_infinity_among_ones() {
    let want = vec![
        Is(4.0),
        Is(INF),
        Is(INF),
        Is(1.0),
        Is(INF),
        Is(f64::NAN),
        Is(f64::NAN),
        Is(f64::NAN),
        Is(1.0),
        Is(INF),
        Is(1.0),
        Is(INF),
        Is(2.0),
        Want::Fractions(vec![(1.0, 0.75), (INF, 0.25)]),
    ];
    check_all_layouts(&[1.0, 1.0, 1.0, INF], &want);
    check_all_layouts(&[INF, 1.0, 1.0, 1.0], &want);
}

#[test]
fn minus_infinity_among_ones() {
    let want = vec![
        Is(4.0),
        Is(-INF),
        Is(-INF),
        Is(-INF),
        Is(1.0),
        Is(f64::NAN),
        Is(f64::NAN),
        Is(f64::NAN),
        Is(1.0),
        Is(1.0),
        Is(1.0),
        Is(-INF),
        Is(2.0),
        Want::Fractions(vec![(-INF, 0.25), (1.0, 0.75)]),
    ];
    check_all_layouts(&[1.0, -INF, 1.0, 1.0], &want);
}

#[test]
fn plus_and_minus_infinity_make_nan_sums() {
    // {1, 1, inf, -inf}: inf - inf is NaN for the sum and mean; the median
    // (cumulative weight 2 of 4 at 1) is 1, p90 is inf; the two
    // infinities tie for minority: the smaller, -inf.
    let want = vec![
        Is(4.0),
        Is(f64::NAN),
        Is(f64::NAN),
        Is(-INF),
        Is(INF),
        Is(f64::NAN),
        Is(f64::NAN),
        Is(f64::NAN),
        Is(1.0),
        Is(INF),
        Is(1.0),
        Is(-INF),
        Is(3.0),
        Want::Fractions(vec![(-INF, 0.25), (1.0, 0.5), (INF, 0.25)]),
    ];
    check_all_layouts(&[INF, 1.0, -INF, 1.0], &want);
    check_all_layouts(&[1.0, 1.0, INF, -INF], &want);
}

#[test]
fn median_of_one_and_two_infinities_is_infinity() {
    let want = vec![
        Is(3.0),
        Is(INF),
        Is(INF),
        Is(1.0),
        Is(INF),
        Is(f64::NAN),
        Is(f64::NAN),
        Is(f64::NAN),
        Is(INF),
        Is(INF),
        Is(INF),
        Is(1.0),
        Is(2.0),
        Want::Fractions(vec![(1.0, 1.0 / 3.0), (INF, 2.0 / 3.0)]),
    ];
    check_all_layouts(&[1.0, INF, INF], &want);
}

#[test]
fn only_infinities() {
    let want = vec![
        Is(2.0),
        Is(INF),
        Is(INF),
        Is(INF),
        Is(INF),
        Is(f64::NAN),
        Is(f64::NAN),
        Is(f64::NAN),
        Is(INF),
        Is(INF),
        Is(INF),
        Is(INF),
        Is(1.0),
        Want::Fractions(vec![(INF, 1.0)]),
    ];
    check_all_layouts(&[INF, INF], &want);
}

#[test]
fn nan_cells_stay_invalid_beside_infinities() {
    // {NaN, 2, inf, NaN}: two valid cells.
    let want = vec![
        Is(2.0),
        Is(INF),
        Is(INF),
        Is(2.0),
        Is(INF),
        Is(f64::NAN),
        Is(f64::NAN),
        Is(f64::NAN),
        Is(2.0),
        Is(INF),
        // A tie: majority the larger value, minority the smaller.
        Is(INF),
        Is(2.0),
        Is(2.0),
        Want::Fractions(vec![(2.0, 0.5), (INF, 0.5)]),
    ];
    check_all_layouts(&[f64::NAN, 2.0, INF, f64::NAN], &want);
}

#[test]
fn a_zone_of_nan_cells_only_is_missing_not_infinite() {
    let want = vec![
        Is(0.0),
        Is(0.0),
        Missing,
        Missing,
        Missing,
        Missing,
        Missing,
        Missing,
        Missing,
        Missing,
        Missing,
        Missing,
        Is(0.0),
        Want::Fractions(Vec::new()),
    ];
    check_all_layouts(&[f64::NAN, f64::NAN], &want);
}

#[test]
fn an_infinite_band_scale_gives_infinite_values_not_missing_ones() {
    // raw {1, -2, 3} x inf: {inf, -inf, inf}.
    let stats = Stat::parse_list(STATS).unwrap();
    let data = Array2::from_shape_vec((1, 3), vec![1i16, -2, 3]).unwrap();
    let raster = Raster::new(grid(1, 3), data)
        .unwrap()
        .with_scale_offset(INF, 0.0);
    let zones = whole_zone(1, 3);
    let table = ZonalStats::new(&zones)
        .band(&raster, 1)
        .stats(&stats)
        .run()
        .unwrap();
    let want = vec![
        Is(3.0),
        Is(f64::NAN),
        Is(f64::NAN),
        Is(-INF),
        Is(INF),
        Is(f64::NAN),
        Is(f64::NAN),
        Is(f64::NAN),
        Is(INF),
        Is(INF),
        Is(INF),
        Is(-INF),
        Is(2.0),
        Want::Fractions(vec![(-INF, 1.0 / 3.0), (INF, 2.0 / 3.0)]),
    ];
    check("scale inf", &stats, &table.zones[0].values, &want);
}

#[test]
fn a_partly_covered_infinite_cell_still_counts_as_a_value() {
    // The zone covers cell 0 (value 1) whole and half of cell 1 (inf):
    // weights 1 and 0.5, so sum 1 + 0.5 inf = inf, median (target 0.75 of
    // 1.5) 1, p90 (1.35 of 1.5) inf; frac shares 1/1.5 and 0.5/1.5.
    let stats = Stat::parse_list(STATS).unwrap();
    let data = Array2::from_shape_vec((1, 2), vec![1.0, INF]).unwrap();
    let raster = Raster::new(grid(1, 2), data).unwrap();
    let zone = polygon![(x: 0.0, y: 0.0), (x: 1.5, y: 0.0), (x: 1.5, y: 1.0), (x: 0.0, y: 1.0)];
    let zones = ZoneSet::new(
        vec![Zone {
            id: ZoneId::Int(1),
            attributes: Attributes::default(),
            geometry: MultiPolygon(vec![zone]),
        }],
        None,
    );
    let table = ZonalStats::new(&zones)
        .band(&raster, 1)
        .stats(&stats)
        .run()
        .unwrap();
    let want = vec![
        Is(1.5),
        Is(INF),
        Is(INF),
        Is(1.0),
        Is(INF),
        Is(f64::NAN),
        Is(f64::NAN),
        Is(f64::NAN),
        Is(1.0),
        Is(INF),
        Is(1.0),
        Is(INF),
        Is(2.0),
        Want::Fractions(vec![(1.0, 1.0 / 1.5), (INF, 0.5 / 1.5)]),
    ];
    check("partial inf cell", &stats, &table.zones[0].values, &want);
}

#[test]
fn a_zero_weight_infinite_cell_adds_nothing() {
    // Weight 0 (no coverage): 0 x inf would be NaN; the cell adds nothing.
    let stats = Stat::parse_list("count,sum,mean,variance,min,max").unwrap();
    let mut acc = Accumulator::new(&stats);
    acc.add_run(&[2.0, 4.0], &RunWeights::fraction(1.0));
    acc.add_run(&[INF], &RunWeights::fraction(0.0));
    let facts = ZoneFacts {
        total_coverage: 2.0,
        outside: Some(0.0),
        area_km2: None,
    };
    let want = [Is(2.0), Is(6.0), Is(3.0), Is(1.0), Is(2.0), Is(4.0)];
    check("zero weight", &stats, &acc.finish(&stats, &facts), &want);
}

/// Gini, Theil and the night-light indicators of `cells` (1 x n, a
/// geographic grid near the equator, all cells lit above 0.5), with a
/// population raster of ones.
fn indicators(cells: &[f64]) -> (Vec<Stat>, Vec<StatValue>) {
    let stats = Stat::parse_list(
        "gini,theil,tnl,tnl_area,mean_area,density,ali,cnli,per_capita,lit_pop_frac",
    )
    .unwrap();
    let n = cells.len();
    let cell = 0.25;
    let grid = Grid::new(GeoTransform::new(0.0, cell, cell, -cell).unwrap(), 1, n)
        .unwrap()
        .with_crs(Crs::wgs84());
    let values = Raster::new(
        grid.clone(),
        Array2::from_shape_vec((1, n), cells.to_vec()).unwrap(),
    )
    .unwrap();
    let people = Raster::new(grid, Array2::from_elem((1, n), 1.0)).unwrap();
    let w = n as f64 * cell;
    let square = polygon![(x: 0.0, y: 0.0), (x: w, y: 0.0), (x: w, y: cell), (x: 0.0, y: cell)];
    let zones = ZoneSet::new(
        vec![Zone {
            id: ZoneId::Int(1),
            attributes: Attributes::default(),
            geometry: MultiPolygon(vec![square]),
        }],
        Some(Crs::wgs84()),
    );
    let table = ZonalStats::new(&zones)
        .band(&values, 1)
        .weights(&people, 1)
        .stats(&stats)
        .run()
        .unwrap();
    (stats, table.zones[0].values.clone())
}

#[test]
fn indicators_with_an_infinite_cell_are_infinite_or_nan_not_missing() {
    // {1, 2, inf}: Gini and Theil have inf / inf: NaN; the sums tnl,
    // tnl_area and per capita (inf / 3) are inf, so are the area means;
    // ali and cnli divide the infinite mean lit value by the maximum, inf:
    // NaN; every cell is lit and peopled: lit_pop_frac 1.
    let (stats, got) = indicators(&[1.0, 2.0, INF]);
    let want = [
        Is(f64::NAN),
        Is(f64::NAN),
        Is(INF),
        Is(INF),
        Is(INF),
        Is(INF),
        Is(f64::NAN),
        Is(f64::NAN),
        Is(INF),
        Is(1.0),
    ];
    check("indicators with inf", &stats, &got, &want);
}

#[test]
fn indicators_with_minus_infinity() {
    // A negative value: Gini and Theil are missing by definition; the sums
    // are -inf; nothing at -inf is lit, so ali is the mean lit value 1.5
    // over the maximum 2, and lit_pop_frac 2 of 3.
    let (stats, got) = indicators(&[1.0, 2.0, -INF]);
    assert_eq!(got[0], StatValue::Missing, "gini");
    assert_eq!(got[1], StatValue::Missing, "theil");
    for (i, name) in [
        (2, "tnl"),
        (3, "tnl_area"),
        (4, "mean_area"),
        (5, "density"),
        (8, "per_capita"),
    ] {
        assert_eq!(got[i], StatValue::Number(-INF), "{name}");
        assert_eq!(stats[i].name(), name);
    }
    assert_eq!(got[6], StatValue::Number(0.75), "ali");
    assert_eq!(got[9], StatValue::Number(2.0 / 3.0), "lit_pop_frac");
}

#[test]
fn gini_and_theil_of_zero_and_dbl_max() {
    // {0, x} for any x > 0: Gini 1/2; Theil (1/2)(2)ln 2 = ln 2. With x =
    // MAX, x ln x and 2x overflow, the indices do not.
    let (_, got) = indicators(&[0.0, MAX]);
    assert_eq!(got[0], StatValue::Number(0.5), "gini");
    let theil = got[1].as_f64().unwrap();
    assert!(
        (theil - std::f64::consts::LN_2).abs() < 1e-12,
        "theil {theil}"
    );
    // The same for an ordinary x, through the ordinary path.
    let (_, got) = indicators(&[0.0, 7.0]);
    assert_eq!(got[0], StatValue::Number(0.5), "gini");
    let theil = got[1].as_f64().unwrap();
    assert!(
        (theil - std::f64::consts::LN_2).abs() < 1e-15,
        "theil {theil}"
    );
}

#[cfg(feature = "gdal")]
mod gdal_64_bit {
    use gdal::DriverManager;
    use gdal::raster::{Buffer, GdalType};
    use gdal::spatial_ref::SpatialRef;
    use terralux::stats::{Stat, StatValue};
    use terralux::{GdalRaster, RasterSource, Window, ZonalStats};

    use super::{common::TempDir, whole_zone};

    /// 2^62 + 1: an f64 holds it as 2^62.
    const NODATA: i64 = (1 << 62) + 1;
    const NEAR: i64 = 1 << 62;

    /// A 1 x 4 GeoTIFF of `T` cells with nodata `set_nodata` (on the band).
    fn write<T: GdalType + Copy>(
        path: &std::path::Path,
        cells: [T; 4],
        set_nodata: impl FnOnce(&mut gdal::raster::RasterBand<'_>),
    ) {
        let driver = DriverManager::get_driver_by_name("GTiff").unwrap();
        let mut ds = driver.create_with_band_type::<T, _>(path, 4, 1, 1).unwrap();
        ds.set_geo_transform(&[0.0, 1.0, 0.0, 1.0, 0.0, -1.0])
            .unwrap();
        ds.set_spatial_ref(&SpatialRef::from_epsg(4326).unwrap())
            .unwrap();
        let mut band = ds.rasterband(1).unwrap();
        set_nodata(&mut band);
        let mut buffer = Buffer::new((4, 1), cells.to_vec());
        band.write((0, 0), (4, 1), &mut buffer).unwrap();
    }

    /// Only the cell equal to the nodata integer is invalid: NaN in every
    /// f64 read, and the zone counts the three others (their sum 3 x 2^62).
    fn check_only_the_nodata_cell_is_invalid(path: &std::path::Path) {
        let raster = GdalRaster::open(path).unwrap();
        let near = NEAR as f64;
        let values = raster.read_window_f64(1, Window::new(0, 0, 1, 4)).unwrap();
        let cells: Vec<f64> = values.iter().copied().collect();
        assert_eq!(cells[0], near);
        assert!(cells[1].is_nan(), "the nodata cell 2^62 + 1 is invalid");
        assert_eq!(cells[2], near, "a cell of 2^62 is valid");
        assert_eq!(cells[3], near);
        let mut into = Vec::new();
        raster
            .read_window_f64_into(1, Window::new(0, 0, 1, 4), &mut into)
            .unwrap();
        assert_eq!(into[0].to_bits(), near.to_bits());
        assert!(into[1].is_nan());
        assert_eq!((into[2], into[3]), (near, near));
        let zones = whole_zone(1, 4);
        let table = ZonalStats::new(&zones)
            .band(&raster, 1)
            .stats(&[Stat::Count, Stat::Sum])
            .run()
            .unwrap();
        assert_eq!(
            table.zones[0].values,
            [StatValue::Number(3.0), StatValue::Number(3.0 * near)]
        );
    }

    #[test]
    fn int64_nodata_is_compared_as_an_int64() {
        let tmp = TempDir::new("int64-nodata");
        let path = tmp.join("i64.tif");
        write::<i64>(&path, [NEAR, NODATA, NEAR, NEAR], |band| {
            band.set_no_data_value_i64(Some(NODATA)).unwrap()
        });
        check_only_the_nodata_cell_is_invalid(&path);
    }

    #[test]
    fn uint64_nodata_is_compared_as_a_uint64() {
        let tmp = TempDir::new("uint64-nodata");
        let path = tmp.join("u64.tif");
        let (near, nodata) = (NEAR as u64, NODATA as u64);
        write::<u64>(&path, [near, nodata, near, near], |band| {
            band.set_no_data_value_u64(Some(nodata)).unwrap()
        });
        check_only_the_nodata_cell_is_invalid(&path);
    }
}
