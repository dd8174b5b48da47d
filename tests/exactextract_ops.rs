//! exactextract's operations and arguments (issue 13, item 4):
//! `weighted_variance`, `weighted_stdev`, `weighted_frac`, `unique`, the run
//! options `min_coverage_frac`, `default_value`, `default_weight` and
//! `mode_ties`, each against values worked out by hand on 2 x 2 grids, merged
//! in pieces, and against a cell-by-cell reference on random zones.

mod common;

use std::collections::BTreeMap;

use common::random::{Rng, random_zone};
use geo_types::{MultiPolygon, polygon};
use ndarray::{Array2, array};
use terralux::coverage::{CoverageIndex, CoverageMode};
use terralux::stats::{
    Accumulator, ModeTies, RunWeights, STAT_NAMES, Stat, StatValue, Weighting, ZoneFacts,
};
use terralux::zones::{Attributes, Zone, ZoneId, ZoneSet};
use terralux::{Error, GeoTransform, Grid, Raster, ZonalStats};

// ---------------------------------------------------------------- helpers

/// 2 x 2 cells of side 1: x in [0, 2], y in [0, 2]; row 0 is y in [1, 2].
fn grid() -> Grid {
    Grid::new(GeoTransform::new(0.0, 1.0, 2.0, -1.0).unwrap(), 2, 2).unwrap()
}

fn raster(data: Array2<f64>) -> Raster<f64> {
    Raster::new(grid(), data).unwrap()
}

fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> ZoneSet {
    let zone = Zone {
        id: ZoneId::Int(1),
        attributes: Attributes::default(),
        geometry: MultiPolygon(vec![polygon![
            (x: x0, y: y0), (x: x1, y: y0), (x: x1, y: y1), (x: x0, y: y1)
        ]]),
    };
    ZoneSet::new(vec![zone], None)
}

/// x in [0.5, 2], y in [0, 1.5]: coverage fractions [[0.25, 0.5], [0.5, 1]].
fn partial_zone() -> ZoneSet {
    rect(0.5, 0.0, 2.0, 1.5)
}

/// The whole grid: every fraction 1.
fn whole_zone() -> ZoneSet {
    rect(0.0, 0.0, 2.0, 2.0)
}

fn stats(list: &str) -> Vec<Stat> {
    Stat::parse_list(list).unwrap()
}

fn values_of(run: &ZonalStats<'_>) -> Vec<StatValue> {
    run.run().unwrap().zones[0].values.clone()
}

fn num(v: &StatValue) -> f64 {
    v.as_f64()
        .unwrap_or_else(|| panic!("expected a number, got {v:?}"))
}

fn fractions(v: &StatValue) -> &[(f64, f64)] {
    match v {
        StatValue::Fractions(f) => f,
        other => panic!("expected fractions, got {other:?}"),
    }
}

/// Equal to a relative 4 ulps or so (for results that go through divisions).
fn assert_near(got: f64, want: f64, what: &str) {
    let tolerance = 1e-15 * want.abs().max(1e-300);
    assert!(
        (got - want).abs() <= tolerance,
        "{what}: got {got:e}, want {want:e}"
    );
}

fn assert_fractions_near(got: &StatValue, want: &[(f64, f64)], what: &str) {
    let got = fractions(got);
    assert_eq!(got.len(), want.len(), "{what}: {got:?} vs {want:?}");
    for (g, w) in got.iter().zip(want) {
        assert_eq!(g.0, w.0, "{what}: values {got:?} vs {want:?}");
        assert_near(g.1, w.1, what);
    }
}

// ------------------------------------------------------------ names, docs

#[test]
fn new_names_parse_print_and_define() {
    for (name, stat) in [
        ("weighted_variance", Stat::WeightedVariance),
        ("weighted_stdev", Stat::WeightedStdev),
        ("weighted_frac", Stat::WeightedFrac),
        ("unique", Stat::Unique),
    ] {
        assert_eq!(Stat::parse(name).unwrap(), stat);
        assert_eq!(stat.name(), name);
        assert_eq!(stat.to_string(), name);
        assert!(STAT_NAMES.contains(&name), "{name} missing from STAT_NAMES");
        assert!(!stat.definition().is_empty());
        assert_eq!(
            stat.definition(),
            stat.definition_with(ModeTies::Exactextract)
        );
    }
    for stat in [
        Stat::WeightedVariance,
        Stat::WeightedStdev,
        Stat::WeightedFrac,
    ] {
        assert!(stat.needs_weights_raster(), "{stat}");
    }
    assert!(!Stat::Unique.needs_weights_raster());
    // The unknown-name message lists the new names too.
    let message = Stat::parse("weighted_median").unwrap_err().to_string();
    assert!(message.contains("weighted_stdev") && message.contains("unique"));
    // Definitions of majority follow the tie rule; minority is the same under both.
    // exactextract's rule is the default.
    assert!(Stat::Majority.definition().contains("larger value"));
    assert!(
        Stat::Majority
            .definition_with(ModeTies::Smallest)
            .contains("smaller value")
    );
    assert_eq!(
        Stat::Minority.definition(),
        Stat::Minority.definition_with(ModeTies::Exactextract)
    );
}

#[test]
fn weighted_statistics_need_a_weights_raster() {
    let zones = partial_zone();
    let values = raster(array![[1.0, 2.0], [3.0, 4.0]]);
    for name in ["weighted_variance", "weighted_stdev", "weighted_frac"] {
        let err = ZonalStats::new(&zones)
            .band(&values, 1)
            .stats(&stats(name))
            .run()
            .unwrap_err();
        assert!(
            matches!(&err, Error::Mismatch { context, .. } if context == name),
            "{name}: {err}"
        );
    }
}

// ------------------------------------------------- hand-computed values

/// exactextract's documentation example, with exact fractions: values
/// 1..4, weights 5..8, fractions 0.25, 0.5, 0.5, 1.
///   c u = 1.25, 3, 3.5, 8 (sum 15.75); sum c u v = 49.75; sum c u v^2 = 172.75
///   weighted mean = 49.75 / 15.75 = 199/63
///   weighted variance = 172.75/15.75 - (199/63)^2 = 691/63 - 39601/3969 = 3932/3969
#[test]
fn weighted_variance_and_stdev_by_hand() {
    let zones = partial_zone();
    let values = raster(array![[1.0, 2.0], [3.0, 4.0]]);
    let weights = raster(array![[5.0, 6.0], [7.0, 8.0]]);
    let run = ZonalStats::new(&zones)
        .band(&values, 1)
        .weights(&weights, 1)
        .stats(&stats(
            "count,weighted_mean,weighted_variance,weighted_stdev,variance",
        ));
    let got = values_of(&run);
    assert_eq!(got[0], StatValue::Number(2.25));
    assert_near(num(&got[1]), 199.0 / 63.0, "weighted_mean");
    assert_near(num(&got[2]), 3932.0 / 3969.0, "weighted_variance");
    assert_near(num(&got[3]), (3932.0f64 / 3969.0).sqrt(), "weighted_stdev");
    // The unweighted variance is a different number: sum c v^2 / sum c - mean^2
    // = (0.25 + 2 + 4.5 + 16) / 2.25 - (6.75 / 2.25)^2 = 91/9 - 9 = 10/9.
    assert_near(num(&got[4]), 10.0 / 9.0, "variance");
}

#[test]
fn weighted_variance_with_weights_of_one_is_the_variance() {
    let zones = partial_zone();
    let values = raster(array![[1.0, 2.0], [3.0, 4.0]]);
    let ones = raster(Array2::from_elem((2, 2), 1.0));
    let got = values_of(
        &ZonalStats::new(&zones)
            .band(&values, 1)
            .weights(&ones, 1)
            .stats(&stats("variance,weighted_variance,stdev,weighted_stdev")),
    );
    assert_near(num(&got[1]), num(&got[0]), "variance");
    assert_near(num(&got[3]), num(&got[2]), "stdev");
}

/// Cells whose weight is invalid are left out; cells of weight 0 add nothing;
/// no cell of positive weight: missing (as weighted_mean).
#[test]
fn weighted_variance_edge_cases() {
    let zones = partial_zone();
    let values = raster(array![[1.0, 2.0], [3.0, 4.0]]);
    let list = stats("weighted_mean,weighted_variance,weighted_stdev,weighted_frac");
    // Only cells (0, 1) and (1, 1) weigh: c u = 0.5 and 1, values 2 and 4:
    // mean 10/3, variance (0.5 (4/3)^2 + 1 (2/3)^2) / 1.5 = 8/9.
    let weights = raster(array![[f64::NAN, 1.0], [0.0, 1.0]]);
    let got = values_of(
        &ZonalStats::new(&zones)
            .band(&values, 1)
            .weights(&weights, 1)
            .stats(&list),
    );
    assert_near(num(&got[0]), 10.0 / 3.0, "weighted_mean");
    assert_near(num(&got[1]), 8.0 / 9.0, "weighted_variance");
    assert_near(num(&got[2]), (8.0f64 / 9.0).sqrt(), "weighted_stdev");
    // The value of a zero-weight cell is listed with share 0; the cell
    // with an invalid weight is not listed.
    assert_fractions_near(
        &got[3],
        &[(2.0, 0.5 / 1.5), (3.0, 0.0), (4.0, 1.0 / 1.5)],
        "weighted_frac",
    );

    // All weights zero or invalid: nothing to weigh.
    let weights = raster(array![[f64::NAN, 0.0], [0.0, f64::NAN]]);
    let got = values_of(
        &ZonalStats::new(&zones)
            .band(&values, 1)
            .weights(&weights, 1)
            .stats(&list),
    );
    assert_eq!(
        got[..3],
        [StatValue::Missing, StatValue::Missing, StatValue::Missing]
    );
    assert_eq!(got[3], StatValue::Fractions(Vec::new()));

    // A zone on no valid cell.
    let nodata = raster(Array2::from_elem((2, 2), f64::NAN));
    let weights = raster(Array2::from_elem((2, 2), 1.0));
    let got = values_of(
        &ZonalStats::new(&zones)
            .band(&nodata, 1)
            .weights(&weights, 1)
            .stats(&stats("weighted_variance,weighted_frac,unique")),
    );
    assert_eq!(
        got,
        [
            StatValue::Missing,
            StatValue::Fractions(Vec::new()),
            StatValue::Fractions(Vec::new())
        ]
    );

    // A constant zone has variance 0 exactly, whatever the weights.
    let constant = raster(Array2::from_elem((2, 2), 0.1));
    let weights = raster(array![[0.3, 0.7], [1.1, 2.9]]);
    let got = values_of(
        &ZonalStats::new(&zones)
            .band(&constant, 1)
            .weights(&weights, 1)
            .stats(&stats("weighted_variance,weighted_stdev")),
    );
    assert_eq!(got, [StatValue::Number(0.0), StatValue::Number(0.0)]);
}

/// Values near f64::MAX take the scaled path of the moments; infinite values
/// make the weighted variance NaN (numpy), like the unweighted one.
#[test]
fn weighted_variance_extremes() {
    let zones = whole_zone();
    let ones = raster(Array2::from_elem((2, 2), 1.0));
    let huge = raster(array![[1.0, 1.0], [1.0, 1e300]]);
    let got = values_of(
        &ZonalStats::new(&zones)
            .band(&huge, 1)
            .weights(&ones, 1)
            .stats(&stats("stdev,weighted_stdev,weighted_variance")),
    );
    let want = (1e300 - 1.0) * 3f64.sqrt() / 4.0;
    assert_near(num(&got[0]), want, "stdev of {1, 1, 1, 1e300}");
    assert_near(num(&got[1]), want, "weighted_stdev of {1, 1, 1, 1e300}");
    assert_eq!(
        got[2],
        StatValue::Number(f64::INFINITY),
        "variance beyond f64::MAX"
    );

    // {-MAX, MAX} with equal weights: stdev MAX.
    let far = raster(array![[-f64::MAX, f64::MAX], [-f64::MAX, f64::MAX]]);
    let twos = raster(Array2::from_elem((2, 2), 2.0));
    let got = values_of(
        &ZonalStats::new(&zones)
            .band(&far, 1)
            .weights(&twos, 1)
            .stats(&stats("weighted_stdev")),
    );
    assert_near(num(&got[0]), f64::MAX, "weighted_stdev of {-MAX, MAX}");

    let infinite = raster(array![[1.0, 2.0], [3.0, f64::INFINITY]]);
    let got = values_of(
        &ZonalStats::new(&zones)
            .band(&infinite, 1)
            .weights(&ones, 1)
            .stats(&stats("weighted_variance,weighted_stdev,weighted_frac")),
    );
    assert!(num(&got[0]).is_nan() && num(&got[1]).is_nan(), "{got:?}");
    assert_fractions_near(
        &got[2],
        &[(1.0, 0.25), (2.0, 0.25), (3.0, 0.25), (f64::INFINITY, 0.25)],
        "weighted_frac with inf",
    );
}

/// Categorical values 1 and 2 on the partial zone (fractions 0.25, 0.5, 0.5, 1):
///   frac:          1 -> (0.25 + 1) / 2.25 = 5/9, 2 -> (0.5 + 0.5) / 2.25 = 4/9
///   weighted_frac: c u = 1.25, 3, 3.5, 8 -> 1 -> 9.25 / 15.75 = 37/63, 2 -> 6.5 / 15.75 = 26/63
///   unique:        (1, 1.25), (2, 1)
#[test]
fn weighted_frac_and_unique_by_hand() {
    let zones = partial_zone();
    let values = raster(array![[1.0, 2.0], [2.0, 1.0]]);
    let weights = raster(array![[5.0, 6.0], [7.0, 8.0]]);
    let got = values_of(
        &ZonalStats::new(&zones)
            .band(&values, 1)
            .weights(&weights, 1)
            .stats(&stats("frac,weighted_frac,unique,variety")),
    );
    assert_fractions_near(&got[0], &[(1.0, 5.0 / 9.0), (2.0, 4.0 / 9.0)], "frac");
    assert_fractions_near(
        &got[1],
        &[(1.0, 37.0 / 63.0), (2.0, 26.0 / 63.0)],
        "weighted_frac",
    );
    assert_eq!(got[2], StatValue::Fractions(vec![(1.0, 1.25), (2.0, 1.0)]));
    assert_eq!(got[3], StatValue::Number(2.0));
}

/// `unique` lists the values in increasing order (negative zero as 0), with
/// each value's total weight; with no weighting the weight is the cell count.
#[test]
fn unique_is_sorted_and_weighted_like_frac() {
    let zones = whole_zone();
    let values = raster(array![[7.5, -0.0], [-3.0, 0.0]]);
    let got = values_of(
        &ZonalStats::new(&zones)
            .band(&values, 1)
            .stats(&stats("unique,variety")),
    );
    assert_eq!(
        got[0],
        StatValue::Fractions(vec![(-3.0, 1.0), (0.0, 2.0), (7.5, 1.0)])
    );
    assert_eq!(got[1], StatValue::Number(3.0));
    let partial = partial_zone();
    let got = values_of(
        &ZonalStats::new(&partial)
            .band(&values, 1)
            .weighting(Weighting::None)
            .stats(&stats("unique")),
    );
    assert_eq!(
        got[0],
        StatValue::Fractions(vec![(-3.0, 1.0), (0.0, 2.0), (7.5, 1.0)])
    );
}

// ------------------------------------------------------------ mode ties

#[test]
fn mode_ties_follow_the_rule_asked() {
    let zones = whole_zone();
    // 3 and 7 cover two cells each: a tie for both majority and minority.
    let values = raster(array![[3.0, 7.0], [7.0, 3.0]]);
    let list = stats("majority,minority");
    let smallest = ZonalStats::new(&zones)
        .band(&values, 1)
        .stats(&list)
        .mode_ties(ModeTies::Smallest);
    assert_eq!(
        values_of(&smallest),
        [StatValue::Number(3.0), StatValue::Number(3.0)]
    );
    let default = ZonalStats::new(&zones).band(&values, 1).stats(&list);
    let table = default.run().unwrap();
    // exactextract (the default): majority -> the greater value, minority -> the lower one.
    assert_eq!(
        table.zones[0].values,
        [StatValue::Number(7.0), StatValue::Number(3.0)]
    );
    assert_eq!(table.provenance.mode_ties, ModeTies::Exactextract);
    assert_eq!(
        smallest.run().unwrap().provenance.mode_ties,
        ModeTies::Smallest
    );

    // Partial cells: 5 and 9 (fraction 0.5 each) tie for the minority, 1 is the majority.
    let partial = partial_zone();
    let values = raster(array![[1.0, 5.0], [9.0, 1.0]]);
    for ties in [ModeTies::Smallest, ModeTies::Exactextract] {
        let got = values_of(
            &ZonalStats::new(&partial)
                .band(&values, 1)
                .stats(&list)
                .mode_ties(ties),
        );
        assert_eq!(
            got,
            [StatValue::Number(1.0), StatValue::Number(5.0)],
            "{ties:?}"
        );
    }
    // No tie: the rule does not matter.
    let values = raster(array![[3.0, 7.0], [7.0, 7.0]]);
    for ties in [ModeTies::Smallest, ModeTies::Exactextract] {
        let got = values_of(
            &ZonalStats::new(&zones)
                .band(&values, 1)
                .stats(&list)
                .mode_ties(ties),
        );
        assert_eq!(
            got,
            [StatValue::Number(7.0), StatValue::Number(3.0)],
            "{ties:?}"
        );
    }
}

#[test]
fn mode_ties_reach_roll_ups() {
    use terralux::zones::AttrValue;
    let names: std::sync::Arc<[String]> = vec!["province".to_string()].into();
    let cell = |id: i64, x0: f64, y0: f64| Zone {
        id: ZoneId::Int(id),
        attributes: Attributes::new(names.clone(), vec![AttrValue::Text("A".into())]),
        geometry: MultiPolygon(vec![polygon![
            (x: x0, y: y0), (x: x0 + 1.0, y: y0), (x: x0 + 1.0, y: y0 + 1.0), (x: x0, y: y0 + 1.0)
        ]]),
    };
    // Two counties, one cell each (values 3 and 7): the province ties.
    let zones = ZoneSet::new(vec![cell(1, 0.0, 1.0), cell(2, 1.0, 1.0)], None);
    let values = raster(array![[3.0, 7.0], [0.0, 0.0]]);
    let (_, levels) = ZonalStats::new(&zones)
        .band(&values, 1)
        .stats(&stats("majority"))
        .mode_ties(ModeTies::Exactextract)
        .run_with_roll_ups(&["province"])
        .unwrap();
    assert_eq!(levels[0].zones[0].values, [StatValue::Number(7.0)]);
}

// ---------------------------------------------------- min_coverage_frac

/// Fractions [[0.25, 0.5], [0.5, 1]], values 1..4. With min 0.5 the cell of
/// 0.25 is left out: count 2, sum 0.5 x 2 + 0.5 x 3 + 4 = 6.5, min 2,
/// valid_frac 2 / 2.25 = 8/9. With min 1 only the whole cell is left.
#[test]
fn min_coverage_frac_leaves_cells_out() {
    let zones = partial_zone();
    let values = raster(array![[1.0, 2.0], [3.0, 4.0]]);
    let weights = raster(array![[5.0, 6.0], [7.0, 8.0]]);
    let list = stats("count,sum,mean,min,valid_frac,tnl,weighted_sum,unique,median");
    let run = |min: f64| {
        ZonalStats::new(&zones)
            .band(&values, 1)
            .weights(&weights, 1)
            .stats(&list)
            .min_coverage_frac(min)
            .run()
            .unwrap()
    };
    let all = run(0.0);
    assert_eq!(all.provenance.min_coverage_frac, 0.0);
    assert_eq!(all.zones[0].values[0], StatValue::Number(2.25));
    assert_eq!(all.zones[0].values[3], StatValue::Number(1.0));

    // A fraction equal to the minimum is kept (exactextract: coverage >= min).
    for min in [0.3, 0.5] {
        let table = run(min);
        assert_eq!(table.provenance.min_coverage_frac, min);
        let got = &table.zones[0].values;
        assert_eq!(got[0], StatValue::Number(2.0), "count, min {min}");
        assert_eq!(got[1], StatValue::Number(6.5), "sum");
        assert_eq!(got[2], StatValue::Number(3.25), "mean");
        assert_eq!(got[3], StatValue::Number(2.0), "min");
        assert_near(num(&got[4]), 8.0 / 9.0, "valid_frac");
        assert_eq!(got[5], StatValue::Number(6.5), "tnl");
        // 0.5 x 6 x 2 + 0.5 x 7 x 3 + 8 x 4
        assert_eq!(got[6], StatValue::Number(48.5), "weighted_sum");
        assert_eq!(
            got[7],
            StatValue::Fractions(vec![(2.0, 0.5), (3.0, 0.5), (4.0, 1.0)])
        );
        // Weights 0.5, 0.5, 1 of 2: the cumulative weight reaches 1 at 3.
        assert_eq!(got[8], StatValue::Number(3.0), "median");
    }
    let got = run(1.0).zones[0].values.clone();
    assert_eq!(
        got[..4],
        [1.0, 4.0, 4.0, 4.0].map(StatValue::Number),
        "min 1"
    );

    // Within rounding of 0.5 (terralux::engine::COVERAGE_FRAC_TOL): the
    // half-covered cells are at the threshold and kept.
    let got = run(0.5 + f64::EPSILON).zones[0].values.clone();
    assert_eq!(got[0], run(0.5).zones[0].values[0]);
    // Clearly above 0.5: only the whole cell is left.
    let got = run(0.5 + 1e-6).zones[0].values.clone();
    assert_eq!(got[0], StatValue::Number(1.0));
}

#[test]
fn min_coverage_frac_uses_the_fraction_whatever_the_weighting() {
    let zones = partial_zone();
    let values = raster(array![[1.0, 2.0], [3.0, 4.0]]);
    // exactextract's mean(min_coverage_frac=0.5, coverage_weight=none): the
    // plain mean of the three cells covered at least half: (2 + 3 + 4) / 3.
    let got = values_of(
        &ZonalStats::new(&zones)
            .band(&values, 1)
            .weighting(Weighting::None)
            .min_coverage_frac(0.5)
            .stats(&stats("count,mean")),
    );
    assert_eq!(got, [StatValue::Number(3.0), StatValue::Number(3.0)]);
}

#[test]
fn min_coverage_frac_out_of_range_is_refused() {
    let zones = partial_zone();
    let values = raster(array![[1.0, 2.0], [3.0, 4.0]]);
    for bad in [-0.1, 1.0 + 1e-12, f64::NAN, f64::INFINITY] {
        let err = ZonalStats::new(&zones)
            .band(&values, 1)
            .min_coverage_frac(bad)
            .run()
            .unwrap_err();
        assert!(
            matches!(&err, Error::Mismatch { context, .. } if context == "min_coverage_frac"),
            "{bad}: {err}"
        );
        assert!(err.to_string().contains("[0, 1]"), "{err}");
    }
    for good in [0.0, 1.0] {
        assert!(
            ZonalStats::new(&zones)
                .band(&values, 1)
                .min_coverage_frac(good)
                .run()
                .is_ok()
        );
    }
}

// -------------------------------------------------------- default_value

/// Cell (0, 0) (fraction 0.25) is nodata. Skipped: count 2, sum 6.5. With
/// default_value 10: count 2.25, sum 2.5 + 6.5 = 9, max 10, valid_frac 1.
#[test]
fn default_value_fills_invalid_cells() {
    let zones = partial_zone();
    let values = raster(array![[-9999.0, 2.0], [3.0, 4.0]]).with_nodata(Some(-9999.0));
    let list = stats("count,sum,max,valid_frac,frac,p100");
    let base = ZonalStats::new(&zones).band(&values, 1).stats(&list);
    let got = values_of(&base);
    assert_eq!(got[0], StatValue::Number(2.0));
    assert_eq!(got[1], StatValue::Number(6.5));
    assert_eq!(got[2], StatValue::Number(4.0));
    assert_near(num(&got[3]), 2.0 / 2.25, "valid_frac without default");

    let table = base.default_value(10.0).run().unwrap();
    assert_eq!(table.provenance.default_value, Some(10.0));
    let got = &table.zones[0].values;
    assert_eq!(got[0], StatValue::Number(2.25));
    assert_eq!(got[1], StatValue::Number(9.0));
    assert_eq!(got[2], StatValue::Number(10.0));
    assert_eq!(got[3], StatValue::Number(1.0));
    assert_fractions_near(
        &got[4],
        &[
            (2.0, 0.5 / 2.25),
            (3.0, 0.5 / 2.25),
            (4.0, 1.0 / 2.25),
            (10.0, 0.25 / 2.25),
        ],
        "frac",
    );
    assert_eq!(got[5], StatValue::Number(10.0));

    // A cell left out by min_coverage_frac stays out, default or not.
    let got = values_of(
        &ZonalStats::new(&zones)
            .band(&values, 1)
            .stats(&list)
            .default_value(10.0)
            .min_coverage_frac(0.5),
    );
    assert_eq!(got[0], StatValue::Number(2.0));
    assert_eq!(got[2], StatValue::Number(4.0));
}

/// exactextract's `count(default_value=0)`: the sum of the fractions of all
/// cells, NaN cells included; every band of the run gets the default.
#[test]
fn default_value_applies_to_nan_cells_and_every_band() {
    let zones = partial_zone();
    let band1 = array![[f64::NAN, f64::NAN], [f64::NAN, 4.0]];
    let band2 = array![[1.0, f64::NAN], [3.0, f64::NAN]];
    let two = Raster::from_bands(grid(), vec![band1, band2]).unwrap();
    let table = ZonalStats::new(&zones)
        .bands(&two, &[1, 2])
        .stats(&stats("count,sum"))
        .default_value(0.0)
        .run()
        .unwrap();
    assert_eq!(
        table.zones[0].values,
        [2.25, 4.0, 2.25, 0.25 + 1.5].map(StatValue::Number)
    );
}

/// An f32 raster with a default that is not an f32 (0.1): the default is
/// taken as given (the engine reads f64 cells then), not rounded to f32.
#[test]
fn default_value_on_f32_rasters_is_not_rounded() {
    let zones = whole_zone();
    let data: Array2<f32> = array![[-1.0, 2.5], [3.0, -1.0]];
    let values = Raster::new(grid(), data).unwrap().with_nodata(Some(-1.0));
    let got = values_of(
        &ZonalStats::new(&zones)
            .band(&values, 1)
            .stats(&stats("min,max,count,unique"))
            .default_value(0.1),
    );
    assert_eq!(got[0], StatValue::Number(0.1));
    assert_ne!(0.1f32 as f64, 0.1);
    assert_eq!(got[1], StatValue::Number(3.0));
    assert_eq!(got[2], StatValue::Number(4.0));
    assert_eq!(
        got[3],
        StatValue::Fractions(vec![(0.1, 2.0), (2.5, 1.0), (3.0, 1.0)])
    );
    // A default that is an f32 gives the same bits on the f32 path.
    let got = values_of(
        &ZonalStats::new(&zones)
            .band(&values, 1)
            .stats(&stats("min,sum"))
            .default_value(0.5),
    );
    assert_eq!(got, [StatValue::Number(0.5), StatValue::Number(6.5)]);
}

#[test]
fn default_value_and_weight_must_be_finite() {
    let zones = partial_zone();
    let values = raster(array![[1.0, 2.0], [3.0, 4.0]]);
    for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        let err = ZonalStats::new(&zones)
            .band(&values, 1)
            .default_value(bad)
            .run()
            .unwrap_err();
        assert!(
            matches!(&err, Error::Mismatch { context, .. } if context == "default_value"),
            "{err}"
        );
        let err = ZonalStats::new(&zones)
            .band(&values, 1)
            .weights(&values, 1)
            .default_weight(bad)
            .run()
            .unwrap_err();
        assert!(
            matches!(&err, Error::Mismatch { context, .. } if context == "default_weight"),
            "{err}"
        );
    }
}

// ------------------------------------------------------- default_weight

/// Weight (0, 0) (fraction 0.25, value 1) is invalid. Left out: weighted_sum
/// 3 x 2 + 3.5 x 3 + 8 x 4 = 48.5 over c u = 14.5. With default_weight 2:
/// + 0.25 x 2 x 1 = 49 over 15; per_capita: sum c v = 6.75 over sum c u = 15.
#[test]
fn default_weight_fills_invalid_weights() {
    let zones = partial_zone();
    let values = raster(array![[1.0, 2.0], [3.0, 4.0]]);
    let weights = raster(array![[f64::NAN, 6.0], [7.0, 8.0]]);
    let list = stats("weighted_sum,weighted_mean,per_capita,weighted_frac,weighted_variance,count");
    let base = ZonalStats::new(&zones)
        .band(&values, 1)
        .weights(&weights, 1)
        .stats(&list);
    let table = base.run().unwrap();
    assert_eq!(table.provenance.default_weight, None);
    let got = &table.zones[0].values;
    assert_eq!(got[0], StatValue::Number(48.5));
    assert_near(num(&got[1]), 48.5 / 14.5, "weighted_mean");
    assert_near(num(&got[2]), 6.5 / 14.5, "per_capita");
    assert_eq!(fractions(&got[3]).len(), 3, "value 1 has no valid weight");

    let table = base.default_weight(2.0).run().unwrap();
    assert_eq!(table.provenance.default_weight, Some(2.0));
    let got = &table.zones[0].values;
    assert_eq!(got[0], StatValue::Number(49.0));
    assert_near(num(&got[1]), 49.0 / 15.0, "weighted_mean");
    assert_near(num(&got[2]), 6.75 / 15.0, "per_capita");
    assert_fractions_near(
        &got[3],
        &[
            (1.0, 0.5 / 15.0),
            (2.0, 3.0 / 15.0),
            (3.0, 3.5 / 15.0),
            (4.0, 8.0 / 15.0),
        ],
        "weighted_frac",
    );
    // sum c u v^2 = 0.5 + 12 + 31.5 + 128 = 172 over 15, minus (49/15)^2:
    // (172 x 15 - 49^2) / 225 = 179/225.
    assert_near(num(&got[4]), 179.0 / 225.0, "weighted_variance");
    // Unweighted statistics do not change.
    assert_eq!(got[5], StatValue::Number(2.25));
}

// --------------------------------------------------------------- merging

/// A run of cells for the accumulator tests.
struct CellRun {
    values: Vec<f64>,
    fraction: f64,
    weights: Vec<f64>,
}

fn add(acc: &mut Accumulator, run: &CellRun) {
    acc.add_run(
        &run.values,
        &RunWeights {
            fraction: run.fraction,
            weight: run.fraction,
            cell_area_km2: 1.0,
            weights: Some(&run.weights),
        },
    );
}

const NEW_STATS: &str = "weighted_variance,weighted_stdev,weighted_frac,unique,weighted_mean,majority,minority,variance";

fn random_runs(rng: &mut Rng, n: usize, spread: f64) -> Vec<CellRun> {
    (0..n)
        .map(|_| {
            let len = 1 + (rng.uniform() * 9.0) as usize;
            let fraction = if rng.uniform() < 0.5 {
                1.0
            } else {
                (rng.uniform() * 64.0).ceil() / 64.0
            };
            CellRun {
                values: (0..len)
                    .map(|_| match rng.uniform() {
                        u if u < 0.05 => f64::NAN,
                        _ => (rng.uniform() * 6.0).floor() * spread - 1.5 * spread,
                    })
                    .collect(),
                fraction,
                weights: (0..len)
                    .map(|_| match rng.uniform() {
                        u if u < 0.05 => f64::NAN,
                        u if u < 0.1 => 0.0,
                        _ => (rng.uniform() * 16.0).floor() / 4.0,
                    })
                    .collect(),
            }
        })
        .collect()
}

fn same(a: &StatValue, b: &StatValue) -> bool {
    let close = |x: f64, y: f64| {
        x == y || (x.is_nan() && y.is_nan()) || (x - y).abs() <= 1e-12 * x.abs().max(y.abs())
    };
    match (a, b) {
        (StatValue::Missing, StatValue::Missing) => true,
        (StatValue::Number(x), StatValue::Number(y)) => close(*x, *y),
        (StatValue::Fractions(x), StatValue::Fractions(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| p.0 == q.0 && close(p.1, q.1))
        }
        _ => false,
    }
}

/// Split into pieces at every cut, gathered apart and merged in order, in
/// reverse, and as a balanced tree: the same values as one pass.
#[test]
fn new_statistics_merge_in_any_order() {
    let list = stats(NEW_STATS);
    let facts = ZoneFacts {
        total_coverage: 100.0,
        outside: Some(0.0),
        area_km2: None,
    };
    let mut rng = Rng::new(13);
    for case in 0..60 {
        let spread = [1.0, 1e-3, 1e150, 1e300][case % 4];
        let runs = random_runs(&mut rng, 1 + case % 17, spread);
        let ties = if case % 2 == 0 {
            ModeTies::Smallest
        } else {
            ModeTies::Exactextract
        };
        let empty = || Accumulator::new(&list).with_mode_ties(ties);
        let mut whole = empty();
        for run in &runs {
            add(&mut whole, run);
        }
        let one_pass = whole.finish(&list, &facts);
        let pieces: Vec<Accumulator> = runs
            .iter()
            .map(|run| {
                let mut piece = empty();
                add(&mut piece, run);
                piece
            })
            .collect();
        // In order, starting from the first piece (as the engine does).
        let mut in_order = pieces.clone().into_iter();
        let mut forward = in_order.next().unwrap();
        for piece in in_order {
            forward.merge(piece);
        }
        // Reversed, into an empty accumulator.
        let mut backward = empty();
        for piece in pieces.iter().rev().cloned() {
            backward.merge(piece);
        }
        // Pairwise, as a tree.
        let mut level = pieces.clone();
        while level.len() > 1 {
            let mut next = Vec::new();
            let mut it = level.into_iter();
            while let Some(mut a) = it.next() {
                if let Some(b) = it.next() {
                    a.merge(b);
                }
                next.push(a);
            }
            level = next;
        }
        let tree = level.pop().unwrap();
        for (order, merged) in [("forward", forward), ("backward", backward), ("tree", tree)] {
            let got = merged.finish(&list, &facts);
            for ((stat, a), b) in list.iter().zip(&one_pass).zip(&got) {
                assert!(
                    same(a, b),
                    "case {case} ({order}), {stat}: one pass {a:?}, merged {b:?}"
                );
            }
        }
    }
}

/// Dyadic values and weights: the merged weighted moments are exactly one
/// pass's, bit for bit, in every order.
#[test]
fn weighted_moments_merge_exactly_on_dyadic_values() {
    let list = stats("weighted_variance,weighted_frac,unique");
    let facts = ZoneFacts {
        total_coverage: 4.0,
        outside: Some(0.0),
        area_km2: None,
    };
    let runs = [
        CellRun {
            values: vec![1.0, 3.0],
            fraction: 1.0,
            weights: vec![1.0, 1.0],
        },
        CellRun {
            values: vec![1.0, 3.0],
            fraction: 0.5,
            weights: vec![2.0, 2.0],
        },
    ];
    // Values 1 and 3 with c u = 1 each, twice: mean 2, variance 1.
    let mut whole = Accumulator::new(&list);
    runs.iter().for_each(|r| add(&mut whole, r));
    let want = whole.clone().finish(&list, &facts);
    assert_eq!(want[0], StatValue::Number(1.0));
    assert_eq!(want[1], StatValue::Fractions(vec![(1.0, 0.5), (3.0, 0.5)]));
    assert_eq!(want[2], StatValue::Fractions(vec![(1.0, 1.5), (3.0, 1.5)]));
    for reversed in [false, true] {
        let mut pieces: Vec<Accumulator> = runs
            .iter()
            .map(|r| {
                let mut a = Accumulator::new(&list);
                add(&mut a, r);
                a
            })
            .collect();
        if reversed {
            pieces.reverse();
        }
        let mut merged = Accumulator::new(&list);
        pieces.into_iter().for_each(|p| merged.merge(p));
        assert_eq!(merged.finish(&list, &facts), want, "reversed: {reversed}");
    }
}

// ------------------------------------ the engine against a reference

/// The new statistics straight from their definitions, cell by cell.
fn reference(
    cells: &[(f64, f64, f64)], // (value, fraction, weights-raster value), valid values only
    stat: &Stat,
) -> StatValue {
    let both: Vec<_> = cells.iter().filter(|c| !c.2.is_nan()).collect();
    match stat {
        Stat::WeightedVariance | Stat::WeightedStdev => {
            let pos: Vec<_> = both.iter().filter(|c| c.1 * c.2 > 0.0).collect();
            let wu: f64 = pos.iter().map(|c| c.1 * c.2).sum();
            if wu == 0.0 {
                return StatValue::Missing;
            }
            let m = pos.iter().map(|c| c.1 * c.2 * c.0).sum::<f64>() / wu;
            let var = pos
                .iter()
                .map(|c| c.1 * c.2 * (c.0 - m).powi(2))
                .sum::<f64>()
                / wu;
            StatValue::Number(if *stat == Stat::WeightedStdev {
                var.sqrt()
            } else {
                var
            })
        }
        Stat::WeightedFrac => {
            let mut by_value: BTreeMap<i64, f64> = BTreeMap::new();
            for c in &both {
                *by_value.entry((c.0 * 4.0) as i64).or_default() += c.1 * c.2;
            }
            let total: f64 = by_value.values().sum();
            StatValue::Fractions(if total == 0.0 {
                Vec::new()
            } else {
                by_value
                    .iter()
                    .map(|(&k, &wu)| (k as f64 / 4.0, wu / total))
                    .collect()
            })
        }
        Stat::Unique => {
            let mut by_value: BTreeMap<i64, f64> = BTreeMap::new();
            for c in cells {
                *by_value.entry((c.0 * 4.0) as i64).or_default() += c.1;
            }
            StatValue::Fractions(
                by_value
                    .iter()
                    .map(|(&k, &w)| (k as f64 / 4.0, w))
                    .collect(),
            )
        }
        other => panic!("no reference for {other}"),
    }
}

fn near(a: &StatValue, b: &StatValue) -> bool {
    let close = |x: f64, y: f64| (x - y).abs() <= 1e-9 * x.abs().max(y.abs()) + 1e-12;
    match (a, b) {
        (StatValue::Missing, StatValue::Missing) => true,
        (StatValue::Number(x), StatValue::Number(y)) => close(*x, *y),
        (StatValue::Fractions(x), StatValue::Fractions(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| p.0 == q.0 && close(p.1, q.1))
        }
        _ => false,
    }
}

/// Random zones on a 29 x 41 grid with nodata values and weights: the
/// engine equals the reference, with the same bits for 1 and 3 threads, and
/// min_coverage_frac / default_value / default_weight equal the reference
/// run on cells filtered and filled by hand.
#[test]
fn engine_matches_the_reference_on_random_zones() {
    let grid = Grid::new(GeoTransform::new(10.0, 0.5, 30.0, -0.5).unwrap(), 29, 41).unwrap();
    let mut rng = Rng::new(2026);
    let values = Array2::from_shape_fn(grid.shape(), |_| {
        if rng.uniform() < 0.06 {
            f64::NAN
        } else {
            (rng.uniform() * 7.0).floor() * 0.25 - 0.5
        }
    });
    let weights = Array2::from_shape_fn(grid.shape(), |_| match rng.uniform() {
        u if u < 0.05 => f64::NAN,
        u if u < 0.08 => 0.0,
        _ => rng.uniform() * 5.0,
    });
    let value_raster = Raster::new(grid.clone(), values.clone())
        .unwrap()
        .with_block_shape(4, 8);
    let weight_raster = Raster::new(grid.clone(), weights.clone()).unwrap();
    let zones = ZoneSet::new(
        (0..24)
            .map(|i| Zone {
                id: ZoneId::Int(i as i64),
                attributes: Attributes::default(),
                geometry: random_zone(&mut rng, &grid, i),
            })
            .collect(),
        None,
    );
    let index = CoverageIndex::build(&zones, &grid, CoverageMode::Exact);
    let list = stats("weighted_variance,weighted_stdev,weighted_frac,unique");
    // (min_coverage_frac, default_value, default_weight)
    let settings = [
        (0.0, None, None),
        (0.4, None, None),
        (0.0, Some(1.25), None),
        (0.0, None, Some(0.5)),
        (0.7, Some(-0.5), Some(3.0)),
    ];
    for (min, default_value, default_weight) in settings {
        let build = |threads: usize, chunk: usize| {
            let mut run = ZonalStats::new(&zones)
                .coverage_index(&index)
                .band(&value_raster, 1)
                .weights(&weight_raster, 1)
                .stats(&list)
                .threads(threads)
                .chunk_cells(chunk)
                .min_coverage_frac(min);
            if let Some(d) = default_value {
                run = run.default_value(d);
            }
            if let Some(d) = default_weight {
                run = run.default_weight(d);
            }
            run.run().unwrap()
        };
        let one = build(1, 64);
        let three = build(3, 64);
        assert_eq!(one.zones, three.zones, "thread count changed bits");
        assert_eq!(one.provenance.min_coverage_frac, min);
        assert_eq!(one.provenance.default_value, default_value);
        assert_eq!(one.provenance.default_weight, default_weight);
        let big_chunks = build(2, 1 << 20);
        for (z, zone) in one.zones.iter().enumerate() {
            let mut cells = Vec::new();
            for (row, runs) in index.coverage(z).rows() {
                for run in runs {
                    if run.fraction < min {
                        continue;
                    }
                    for col in run.col as usize..run.col_end() as usize {
                        let mut v = values[[row, col]];
                        let mut u = weights[[row, col]];
                        if v.is_nan() {
                            match default_value {
                                Some(d) => v = d,
                                None => continue,
                            }
                        }
                        if u.is_nan()
                            && let Some(d) = default_weight
                        {
                            u = d;
                        }
                        cells.push((v, run.fraction, u));
                    }
                }
            }
            for (i, stat) in list.iter().enumerate() {
                let want = reference(&cells, stat);
                assert!(
                    near(&zone.values[i], &want),
                    "zone {z}, {stat} (min {min}, default {default_value:?}/{default_weight:?}): engine {:?}, reference {want:?}",
                    zone.values[i]
                );
                assert!(
                    near(&big_chunks.zones[z].values[i], &want),
                    "zone {z}, {stat}: other chunking"
                );
            }
        }
    }
}

/// The run options leave existing statistics' bits alone when unset, and
/// min_coverage_frac 0 is the same as not setting it.
#[test]
fn unset_options_change_nothing() {
    let zones = partial_zone();
    let values = raster(array![[1.0, 2.0], [3.0, 4.0]]);
    let weights = raster(array![[5.0, 6.0], [7.0, 8.0]]);
    let list = Stat::parse_list(
        "count,sum,mean,min,max,variance,stdev,cv,median,p90,majority,minority,variety,frac,weighted_sum,weighted_mean,valid_frac,tnl,gini,theil,per_capita",
    )
    .unwrap();
    let plain = ZonalStats::new(&zones)
        .band(&values, 1)
        .weights(&weights, 1)
        .stats(&list)
        .run()
        .unwrap();
    let zero = ZonalStats::new(&zones)
        .band(&values, 1)
        .weights(&weights, 1)
        .stats(&list)
        .min_coverage_frac(0.0)
        .mode_ties(ModeTies::Smallest)
        .default_weight(1.0) // no weight is invalid
        .default_value(0.0) // no value is invalid
        .run()
        .unwrap();
    assert_eq!(plain.zones, zero.zones);
    assert_eq!(plain.provenance.default_value, None);
    assert_eq!(plain.provenance.min_coverage_frac, 0.0);
    assert_eq!(zero.provenance.default_value, Some(0.0));
}
