//! Composite index and validation figures against hand-computed values.

use terralux::index::{
    Aggregation, Direction, IndexSpec, Missing, Normalisation, Weights, composite_index, ols_r2,
    pearson, roc_auc, spearman,
};

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

fn assert_all_close(got: &[Option<f64>], want: &[Option<f64>]) {
    assert_eq!(got.len(), want.len(), "{got:?} vs {want:?}");
    for (g, w) in got.iter().zip(want) {
        match (g, w) {
            (Some(g), Some(w)) => assert!(close(*g, *w), "{got:?} vs {want:?}"),
            (None, None) => {}
            _ => panic!("{got:?} vs {want:?}"),
        }
    }
}

fn rows(values: &[&[f64]]) -> Vec<Vec<Option<f64>>> {
    values
        .iter()
        .map(|r| r.iter().copied().map(Some).collect())
        .collect()
}

fn spec(k: usize) -> IndexSpec {
    IndexSpec::equal_min_max(k)
}

#[test]
fn min_max_equal_weights_by_hand() {
    // Lights 2, 0.5, 1 -> 1, 0, 1/3; water 0.9, 0.6, 0.3 -> 1, 1/2, 0.
    let data = rows(&[&[2.0, 0.9], &[0.5, 0.6], &[1.0, 0.3]]);
    let index = composite_index(&data, &spec(2)).unwrap();
    assert_all_close(&index.normalised[1], &[Some(0.0), Some(0.5)]);
    assert_eq!(index.weights, vec![0.5, 0.5]);
    assert_all_close(&index.composite, &[Some(1.0), Some(0.25), Some(1.0 / 6.0)]);
    assert_all_close(&index.scores, &[Some(100.0), Some(25.0), Some(100.0 / 6.0)]);
    assert_eq!(index.ranks, vec![Some(1), Some(2), Some(3)]);
}

#[test]
fn higher_is_worse_turns_the_indicator() {
    // A poverty rate: the lowest rate is best.
    let data = rows(&[&[0.1], &[0.2], &[0.3]]);
    let mut s = spec(1);
    s.directions = vec![Direction::HigherIsWorse];
    let index = composite_index(&data, &s).unwrap();
    assert_all_close(&index.scores, &[Some(100.0), Some(50.0), Some(0.0)]);
    assert_eq!(index.ranks, vec![Some(1), Some(2), Some(3)]);
}

#[test]
fn goalposts_clamp_and_respect_direction() {
    let data = rows(&[&[-5.0, 0.0], &[5.0, 25.0], &[20.0, 100.0]]);
    let mut s = spec(2);
    s.directions = vec![Direction::HigherIsBetter, Direction::HigherIsWorse];
    s.normalisation = Normalisation::Goalposts(vec![(0.0, 10.0), (0.0, 50.0)]);
    let index = composite_index(&data, &s).unwrap();
    // First: clamp(-0.5)=0, 0.5, clamp(2)=1. Second (worse): 1, 0.5, clamp(-1)=0.
    assert_all_close(&index.normalised[0], &[Some(0.0), Some(1.0)]);
    assert_all_close(&index.normalised[1], &[Some(0.5), Some(0.5)]);
    assert_all_close(&index.normalised[2], &[Some(1.0), Some(0.0)]);
    assert_all_close(&index.scores, &[Some(50.0), Some(50.0), Some(50.0)]);
    assert_eq!(index.ranks, vec![Some(1), Some(1), Some(1)]);
}

#[test]
fn z_scores_use_the_population_sd_and_rescale_the_score() {
    let data = rows(&[&[1.0], &[2.0], &[3.0]]);
    let mut s = spec(1);
    s.normalisation = Normalisation::ZScore;
    let index = composite_index(&data, &s).unwrap();
    let z = 1.0 / (2.0f64 / 3.0).sqrt();
    assert_all_close(&index.composite, &[Some(-z), Some(0.0), Some(z)]);
    assert_all_close(&index.scores, &[Some(0.0), Some(50.0), Some(100.0)]);
}

#[test]
fn rank_normalisation_shares_ties_and_ignores_monotone_transforms() {
    let data = rows(&[&[1.0], &[1.0], &[3.0], &[7.0]]);
    let mut s = spec(1);
    s.normalisation = Normalisation::Rank;
    let index = composite_index(&data, &s).unwrap();
    // Mean ranks 1.5, 1.5, 3, 4 -> (r - 1) / 3.
    assert_all_close(
        &index.composite,
        &[Some(0.5 / 3.0), Some(0.5 / 3.0), Some(2.0 / 3.0), Some(1.0)],
    );
    let logged: Vec<Vec<Option<f64>>> = data
        .iter()
        .map(|r| r.iter().map(|v| v.map(f64::ln)).collect())
        .collect();
    assert_eq!(composite_index(&logged, &s).unwrap(), index);
}

#[test]
fn given_weights_are_made_to_sum_to_one() {
    let data = rows(&[&[1.0, 0.0], &[0.0, 1.0]]);
    let mut s = spec(2);
    s.weights = Weights::Given(vec![3.0, 1.0]);
    let index = composite_index(&data, &s).unwrap();
    assert_eq!(index.weights, vec![0.75, 0.25]);
    assert_all_close(&index.scores, &[Some(75.0), Some(25.0)]);
}

#[test]
fn geometric_mean_by_hand_and_a_zero_gives_zero() {
    // Goalposts keep the values as given: (0.25, 1) -> sqrt(0.25) = 0.5.
    let data = rows(&[&[0.25, 1.0], &[0.0, 1.0], &[1.0, 1.0]]);
    let mut s = spec(2);
    s.normalisation = Normalisation::Goalposts(vec![(0.0, 1.0), (0.0, 1.0)]);
    s.aggregation = Aggregation::Geometric;
    let index = composite_index(&data, &s).unwrap();
    assert_all_close(&index.composite, &[Some(0.5), Some(0.0), Some(1.0)]);
}

#[test]
fn geometric_mean_of_z_scores_is_refused() {
    let data = rows(&[&[1.0], &[2.0], &[3.0]]);
    let mut s = spec(1);
    s.normalisation = Normalisation::ZScore;
    s.aggregation = Aggregation::Geometric;
    let err = composite_index(&data, &s).unwrap_err().to_string();
    assert!(err.contains("geometric"), "{err}");
}

#[test]
fn missing_values_propagate_or_reweight_never_count_as_zero() {
    let data = vec![
        vec![Some(0.0), Some(0.0)],
        vec![Some(1.0), None],
        vec![Some(0.5), Some(1.0)],
        vec![Some(1.0), Some(f64::NAN)],
    ];
    let index = composite_index(&data, &spec(2)).unwrap();
    assert_all_close(&index.composite, &[Some(0.0), None, Some(0.75), None]);
    assert_eq!(index.ranks, vec![Some(2), None, Some(1), None]);
    assert_eq!(index.classes[1], None);

    let mut s = spec(2);
    s.missing = Missing::Reweight;
    let index = composite_index(&data, &s).unwrap();
    // The second zone is scored on lights alone (normalised 1), not as (1 + 0) / 2.
    assert_all_close(
        &index.composite,
        &[Some(0.0), Some(1.0), Some(0.75), Some(1.0)],
    );
}

#[test]
fn entropy_weights_ignore_a_constant_indicator() {
    // A constant indicator has entropy 1 and weight 0.
    let data = rows(&[&[5.0, 1.0], &[5.0, 2.0], &[5.0, 3.0]]);
    let mut s = spec(2);
    s.weights = Weights::Entropy;
    let index = composite_index(&data, &s).unwrap();
    assert!(close(index.weights[0], 0.0) && close(index.weights[1], 1.0));
}

#[test]
fn entropy_weights_by_hand() {
    // Min-max gives (0, 0.5, 1) and (0, 1, 1): p = (0, 1/3, 2/3) and (0, 1/2, 1/2).
    let data = rows(&[&[1.0, 0.0], &[2.0, 1.0], &[3.0, 1.0]]);
    let mut s = spec(2);
    s.weights = Weights::Entropy;
    let index = composite_index(&data, &s).unwrap();
    let ln3 = 3f64.ln();
    let d1 = 1.0 + ((1.0 / 3.0) * (1.0f64 / 3.0).ln() + (2.0 / 3.0) * (2.0f64 / 3.0).ln()) / ln3;
    let d2 = 1.0 + (0.5f64.ln()) / ln3;
    assert!(
        close(index.weights[0], d1 / (d1 + d2)),
        "{:?}",
        index.weights
    );
    assert!(
        close(index.weights[1], d2 / (d1 + d2)),
        "{:?}",
        index.weights
    );
}

#[test]
fn principal_component_weights_follow_the_correlated_pair() {
    // x and y are perfectly correlated; z is uncorrelated with both. The
    // correlation matrix [[1,1,0],[1,1,0],[0,0,1]] has its first eigenvector
    // (1, 1, 0)/sqrt(2): weights 1/2, 1/2, 0.
    let data = rows(&[
        &[1.0, 2.0, 1.0],
        &[2.0, 4.0, -1.0],
        &[3.0, 6.0, -1.0],
        &[4.0, 8.0, 1.0],
    ]);
    let mut s = spec(3);
    s.weights = Weights::FirstPrincipalComponent;
    let index = composite_index(&data, &s).unwrap();
    for (got, want) in index.weights.iter().zip([0.5, 0.5, 0.0]) {
        assert!((got - want).abs() < 1e-9, "{:?}", index.weights);
    }
}

#[test]
fn quintile_classes_split_ten_zones_in_pairs() {
    let data: Vec<Vec<Option<f64>>> = (0..10).map(|i| vec![Some(i as f64)]).collect();
    let index = composite_index(&data, &spec(1)).unwrap();
    let classes: Vec<usize> = index.classes.iter().map(|c| c.unwrap()).collect();
    assert_eq!(classes, vec![1, 1, 2, 2, 3, 3, 4, 4, 5, 5]);
    let ranks: Vec<usize> = index.ranks.iter().map(|r| r.unwrap()).collect();
    assert_eq!(ranks, (1..=10).rev().collect::<Vec<_>>());
}

#[test]
fn bad_specifications_are_clear_errors() {
    let data = rows(&[&[1.0, 2.0], &[2.0, 3.0]]);
    let message =
        |s: &IndexSpec, d: &[Vec<Option<f64>>]| composite_index(d, s).unwrap_err().to_string();

    assert!(message(&spec(0), &data).contains("no indicator"));
    assert!(message(&spec(3), &data).contains("zone 0 has 2 values for 3 indicators"));
    let mut s = spec(2);
    s.weights = Weights::Given(vec![1.0]);
    assert!(message(&s, &data).contains("weights"));
    s.weights = Weights::Given(vec![1.0, -1.0]);
    assert!(message(&s, &data).contains("negative"));
    let mut s = spec(2);
    s.normalisation = Normalisation::Goalposts(vec![(0.0, 1.0)]);
    assert!(message(&s, &data).contains("no goalposts for indicator 1"));
    s.normalisation = Normalisation::Goalposts(vec![(0.0, 1.0), (2.0, 2.0)]);
    assert!(message(&s, &data).contains("must be (low, high) with low below high, not (2, 2)"));
    s.normalisation = Normalisation::Goalposts(vec![(0.0, 1.0), (10.0, 0.0)]);
    assert!(message(&s, &data).contains("not (10, 0)"));
    let mut s = spec(2);
    s.weights = Weights::FirstPrincipalComponent;
    assert!(message(&s, &data).contains("three zones"));
}

#[test]
fn correlation_figures_by_hand() {
    let x = [Some(1.0), Some(2.0), Some(3.0)];
    let line: Vec<Option<f64>> = x.iter().map(|v| v.map(|v| 2.0 * v + 1.0)).collect();
    assert!(close(pearson(&x, &line).unwrap(), 1.0));
    let falling: Vec<Option<f64>> = x.iter().map(|v| v.map(|v| -v)).collect();
    assert!(close(pearson(&x, &falling).unwrap(), -1.0));
    // sxy = 1, sxx = 2, syy = 2: r = 0.5, R^2 = 0.25.
    let y = [Some(1.0), Some(3.0), Some(2.0)];
    assert!(close(pearson(&x, &y).unwrap(), 0.5));
    assert!(close(ols_r2(&x, &y).unwrap(), 0.25));
    // Monotone but not linear: Spearman 1, Pearson below 1.
    let cubed: Vec<Option<f64>> = x.iter().map(|v| v.map(|v| v.powi(3))).collect();
    assert!(close(spearman(&x, &cubed).unwrap(), 1.0));
    assert!(pearson(&x, &cubed).unwrap() < 1.0);
    // Missing pairs are dropped; constants have no correlation.
    let gappy = [Some(2.0), None, Some(6.0)];
    assert!(close(pearson(&x, &gappy).unwrap(), 1.0));
    assert_eq!(pearson(&x, &[Some(1.0), Some(1.0), Some(1.0)]), None);
    assert_eq!(pearson(&x, &[Some(1.0), Some(2.0)]), None);
    assert_eq!(spearman(&x, &[Some(1.0)]), None);
}

#[test]
fn roc_auc_by_hand() {
    let scores = [Some(0.9), Some(0.8), Some(0.3), Some(0.1)];
    // Positives 0.9, 0.3; negatives 0.8, 0.1: wins 1 + 1 + 0 + 1 = 3 of 4.
    assert_eq!(roc_auc(&scores, &[true, false, true, false]), Some(0.75));
    assert_eq!(roc_auc(&scores, &[true, true, false, false]), Some(1.0));
    assert_eq!(roc_auc(&[Some(1.0), Some(1.0)], &[true, false]), Some(0.5));
    assert_eq!(roc_auc(&scores, &[true, true, true, true]), None);
    assert_eq!(roc_auc(&scores, &[true, false]), None);
}

#[test]
fn ranks_and_classes_agree_with_the_scores_on_random_data() {
    // A small linear congruential generator keeps the test deterministic.
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1);
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let data: Vec<Vec<Option<f64>>> = (0..500)
        .map(|_| (0..3).map(|_| Some((next() * 20.0).round())).collect())
        .collect();
    let index = composite_index(&data, &spec(3)).unwrap();
    for i in 0..data.len() {
        // Brute-force composite: the mean of the min-max values.
        let mean = index.normalised[i].iter().map(|v| v.unwrap()).sum::<f64>() / 3.0;
        assert!(close(index.composite[i].unwrap(), mean));
        let score = index.scores[i].unwrap();
        let higher = index.scores.iter().filter(|s| s.unwrap() > score).count();
        assert_eq!(index.ranks[i], Some(higher + 1));
        for j in 0..data.len() {
            if index.scores[j].unwrap() > score {
                assert!(index.classes[j] >= index.classes[i]);
            }
        }
    }
    // Quintiles hold about a fifth of the zones each (ties may shift a few).
    for class in 1..=5 {
        let count = index.classes.iter().filter(|c| **c == Some(class)).count();
        assert!((60..=140).contains(&count), "class {class}: {count}");
    }
}
