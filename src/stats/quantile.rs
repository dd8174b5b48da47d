//! Weighted quantiles as the inverse of the weighted CDF.

/// Quantiles of weighted values: for each level `q` in [0, 1], the smallest
/// value `v` whose cumulative weight `Σ_{v_i <= v} w_i` reaches `q * W`
/// (NumPy's `quantile(..., weights=w, method="inverted_cdf")`), with a
/// relative tolerance of 1e-12 on the comparison. Pairs with zero or
/// negative weight are ignored. Returns `None` for every level when the
/// total weight is zero. Sorts `pairs` in place.
///
/// ```
/// use terralux::stats::weighted_quantiles;
/// let mut cells = vec![(10.0, 1.0), (0.0, 1.0), (0.0, 1.0), (0.0, 1.0)];
/// assert_eq!(weighted_quantiles(&mut cells, &[0.5, 0.9, 1.0]), vec![Some(0.0), Some(10.0), Some(10.0)]);
/// let mut partial = vec![(1.0, 0.25), (2.0, 0.5), (3.0, 0.25)];
/// assert_eq!(weighted_quantiles(&mut partial, &[0.25, 0.5, 0.75]), vec![Some(1.0), Some(2.0), Some(2.0)]);
/// ```
pub fn weighted_quantiles(pairs: &mut [(f64, f64)], levels: &[f64]) -> Vec<Option<f64>> {
    pairs.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
    let total: f64 = pairs.iter().filter(|p| p.1 > 0.0).map(|p| p.1).sum();
    if total <= 0.0 {
        return vec![None; levels.len()];
    }
    // Answer the levels in increasing order with one walk over the sorted values.
    let mut order: Vec<usize> = (0..levels.len()).collect();
    order.sort_by(|&a, &b| levels[a].total_cmp(&levels[b]));
    let mut answers = vec![None; levels.len()];
    let mut cumulative = 0.0;
    let mut i = 0;
    let last_positive = pairs.iter().rposition(|p| p.1 > 0.0);
    for &k in &order {
        let target = levels[k].clamp(0.0, 1.0) * total * (1.0 - 1e-12);
        while i < pairs.len() && (pairs[i].1 <= 0.0 || cumulative + pairs[i].1 < target) {
            cumulative += pairs[i].1.max(0.0);
            i += 1;
        }
        // Rounding can leave the target unreached at the very end: the answer is the largest value.
        let at = if i < pairs.len() {
            Some(i)
        } else {
            last_positive
        };
        answers[k] = at.map(|j| pairs[j].0);
    }
    answers
}
