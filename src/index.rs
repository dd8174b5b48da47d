//! Composite indices from per-zone indicators, and the figures that
//! validate them against a reference.
//!
//! An index is built in four steps, each a stated choice:
//! 1. **normalise** each indicator across zones ([`Normalisation`]), turned
//!    so that higher is better ([`Direction`]);
//! 2. **weight** the indicators ([`Weights`]: equal, given, entropy, or the
//!    first principal component);
//! 3. **aggregate** each zone's normalised values ([`Aggregation`]:
//!    arithmetic or geometric mean), handling missing values by a stated
//!    [`Missing`] rule (never silently as zero);
//! 4. **score** on 0..100, **rank** (1 = best) and **class** (quantile classes).
//!
//! ```
//! use terralux::index::{composite_index, IndexSpec};
//! // Three counties, two indicators (night-light density, piped water share).
//! let data = vec![
//!     vec![Some(2.0), Some(0.9)],
//!     vec![Some(0.5), Some(0.6)],
//!     vec![Some(1.0), Some(0.3)],
//! ];
//! let index = composite_index(&data, &IndexSpec::equal_min_max(2)).unwrap();
//! // Lights: 1, 0, 1/3; water: 1, 1/2, 0; equal weights.
//! let expected = [100.0, 25.0, 100.0 / 6.0];
//! for (score, want) in index.scores.iter().zip(expected) {
//!     assert!((score.unwrap() - want).abs() < 1e-9);
//! }
//! assert_eq!(index.ranks, vec![Some(1), Some(2), Some(3)]);
//! ```

use crate::error::{Error, Result};

mod join;
pub mod poverty;

pub use join::{DateError, Join, join, join_table, rows_of_date};
pub use poverty::index_table_csv;

/// Which way an indicator points.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Direction {
    /// Higher values are better (lights, water access).
    #[default]
    HigherIsBetter,
    /// Higher values are worse (poverty rate, distance to a clinic).
    HigherIsWorse,
}

/// How an indicator is put on a common scale.
#[derive(Debug, Clone, PartialEq)]
pub enum Normalisation {
    /// `(x - min) / (max - min)` over the zones observed: 0..1.
    MinMax,
    /// `(x - lo) / (hi - lo)` with fixed goalposts `(lo, hi)` per indicator in
    /// its own units, clamped to 0..1 (HDI style); for a higher-is-worse
    /// indicator `(hi - x) / (hi - lo)`.
    Goalposts(Vec<(f64, f64)>),
    /// `(x - mean) / sd` (population sd).
    ZScore,
    /// Rank among the zones scaled to 0..1 (ties share their mean rank).
    Rank,
}

impl Normalisation {
    /// The stable name (as in provenance): `minmax`, `goalposts`, `zscore` or `rank`.
    ///
    /// ```
    /// assert_eq!(terralux::index::Normalisation::ZScore.name(), "zscore");
    /// ```
    pub fn name(&self) -> &'static str {
        match self {
            Normalisation::MinMax => "minmax",
            Normalisation::Goalposts(_) => "goalposts",
            Normalisation::ZScore => "zscore",
            Normalisation::Rank => "rank",
        }
    }
}

/// How the indicators are weighted.
#[derive(Debug, Clone, PartialEq)]
pub enum Weights {
    /// Every indicator the same.
    Equal,
    /// Given weights (made to sum to 1).
    Given(Vec<f64>),
    /// The entropy method: indicators that vary more across zones weigh more.
    Entropy,
    /// Squared loadings of the first principal component of the standardised indicators.
    FirstPrincipalComponent,
}

impl Weights {
    /// The stable name (as in provenance): `equal`, `given`, `entropy` or `pca`.
    ///
    /// ```
    /// assert_eq!(terralux::index::Weights::FirstPrincipalComponent.name(), "pca");
    /// ```
    pub fn name(&self) -> &'static str {
        match self {
            Weights::Equal => "equal",
            Weights::Given(_) => "given",
            Weights::Entropy => "entropy",
            Weights::FirstPrincipalComponent => "pca",
        }
    }
}

/// How a zone's normalised values become one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Aggregation {
    /// Weighted arithmetic mean.
    Arithmetic,
    /// Weighted geometric mean (needs non-negative normalised values; a 0 gives 0).
    Geometric,
}

impl Aggregation {
    /// The stable name (as in provenance): `arithmetic` or `geometric`.
    ///
    /// ```
    /// assert_eq!(terralux::index::Aggregation::Geometric.name(), "geometric");
    /// ```
    pub fn name(&self) -> &'static str {
        match self {
            Aggregation::Arithmetic => "arithmetic",
            Aggregation::Geometric => "geometric",
        }
    }
}

/// What a missing indicator value does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Missing {
    /// The zone's index is missing.
    Propagate,
    /// The zone is aggregated over the indicators it has, their weights made to sum to 1.
    Reweight,
}

impl Missing {
    /// The stable name (as in provenance): `propagate` or `reweight`.
    ///
    /// ```
    /// assert_eq!(terralux::index::Missing::Reweight.name(), "reweight");
    /// ```
    pub fn name(&self) -> &'static str {
        match self {
            Missing::Propagate => "propagate",
            Missing::Reweight => "reweight",
        }
    }
}

/// Everything an index needs stated.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexSpec {
    /// One direction per indicator.
    pub directions: Vec<Direction>,
    /// The normalisation.
    pub normalisation: Normalisation,
    /// The weights.
    pub weights: Weights,
    /// The aggregation.
    pub aggregation: Aggregation,
    /// The missing-value rule.
    pub missing: Missing,
    /// Number of quantile classes (5: quintiles).
    pub classes: usize,
}

impl IndexSpec {
    /// Equal weights, min-max, arithmetic mean, higher is better, missing propagates, quintiles.
    pub fn equal_min_max(indicators: usize) -> Self {
        IndexSpec {
            directions: vec![Direction::HigherIsBetter; indicators],
            normalisation: Normalisation::MinMax,
            weights: Weights::Equal,
            aggregation: Aggregation::Arithmetic,
            missing: Missing::Propagate,
            classes: 5,
        }
    }
}

/// A composite index over zones (in input order).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct CompositeIndex {
    /// The normalised values, zones x indicators (higher is better).
    pub normalised: Vec<Vec<Option<f64>>>,
    /// The weights used (summing to 1).
    pub weights: Vec<f64>,
    /// The aggregated value of each zone (before scaling).
    pub composite: Vec<Option<f64>>,
    /// The 0..100 score: 100 x composite for min-max and goalposts (already
    /// 0..1); the composite rescaled over the zones for z-scores and ranks.
    pub scores: Vec<Option<f64>>,
    /// Rank by score, 1 = highest; ties share the best rank.
    pub ranks: Vec<Option<usize>>,
    /// Quantile class by score, 1 = lowest .. `classes` = highest.
    pub classes: Vec<Option<usize>>,
}

fn invalid(reason: String) -> Error {
    Error::Mismatch {
        context: "composite index".into(),
        reason,
    }
}

/// What [`screen_indicators`] found in one indicator column.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct IndicatorScreen {
    /// Values that were NaN or infinite, now missing.
    pub non_finite: usize,
    /// Values left (present and finite).
    pub present: usize,
}

/// Make every NaN or infinite indicator value missing (an index cannot
/// rank an infinity, and a NaN would empty the composite silently), and
/// say per column how many were and how many values are left; a column
/// with `present == 0` leaves every score missing under
/// [`Missing::Propagate`]. `columns` holds one column per indicator.
///
/// ```
/// use terralux::index::screen_indicators;
/// let mut columns = vec![vec![Some(1.0), Some(f64::INFINITY), None], vec![None, None, None]];
/// let screens = screen_indicators(&mut columns);
/// assert_eq!(columns[0], [Some(1.0), None, None]);
/// assert_eq!((screens[0].non_finite, screens[0].present), (1, 1));
/// assert_eq!(screens[1].present, 0);
/// ```
pub fn screen_indicators(columns: &mut [Vec<Option<f64>>]) -> Vec<IndicatorScreen> {
    columns
        .iter_mut()
        .map(|column| {
            let mut screen = IndicatorScreen::default();
            for value in column.iter_mut() {
                match value {
                    Some(v) if !v.is_finite() => {
                        *value = None;
                        screen.non_finite += 1;
                    }
                    Some(_) => screen.present += 1,
                    None => {}
                }
            }
            screen
        })
        .collect()
}

/// Build the index of `data` (one row per zone, one column per indicator).
pub fn composite_index(data: &[Vec<Option<f64>>], spec: &IndexSpec) -> Result<CompositeIndex> {
    let k = spec.directions.len();
    if k == 0 {
        return Err(invalid("no indicator".into()));
    }
    if let Some(row) = data.iter().position(|r| r.len() != k) {
        return Err(invalid(format!(
            "zone {row} has {} values for {k} indicators",
            data[row].len()
        )));
    }
    let column = |j: usize| -> Vec<Option<f64>> {
        data.iter()
            .map(|r| r[j].filter(|v| v.is_finite()))
            .map(|v| match spec.directions[j] {
                Direction::HigherIsBetter => v,
                Direction::HigherIsWorse => v.map(|x| -x),
            })
            .collect()
    };
    let mut normalised_columns = Vec::with_capacity(k);
    for j in 0..k {
        let col = column(j);
        let present: Vec<f64> = col.iter().flatten().copied().collect();
        let out: Vec<Option<f64>> = match &spec.normalisation {
            Normalisation::MinMax => {
                let (lo, hi) = min_max(&present);
                col.iter()
                    .map(|v| v.map(|x| if hi > lo { (x - lo) / (hi - lo) } else { 0.5 }))
                    .collect()
            }
            Normalisation::Goalposts(posts) => {
                let &(lo, hi) = posts
                    .get(j)
                    .ok_or_else(|| invalid(format!("no goalposts for indicator {j}")))?;
                // Refuses NaN goalposts too.
                if lo.partial_cmp(&hi) != Some(std::cmp::Ordering::Less) {
                    return Err(invalid(format!(
                        "the goalposts of indicator {j} must be (low, high) with low below high, not ({lo}, {hi})"
                    )));
                }
                let (lo, hi) = match spec.directions[j] {
                    Direction::HigherIsBetter => (lo, hi),
                    Direction::HigherIsWorse => (-hi, -lo),
                };
                col.iter()
                    .map(|v| v.map(|x| ((x - lo) / (hi - lo)).clamp(0.0, 1.0)))
                    .collect()
            }
            Normalisation::ZScore => {
                let n = present.len() as f64;
                let mean = present.iter().sum::<f64>() / n;
                let sd = (present.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n).sqrt();
                col.iter()
                    .map(|v| v.map(|x| if sd > 0.0 { (x - mean) / sd } else { 0.0 }))
                    .collect()
            }
            Normalisation::Rank => {
                let ranks = mean_ranks(&present);
                let n = present.len();
                let mut it = ranks.into_iter();
                col.iter()
                    .map(|v| {
                        v.map(|_| {
                            it.next().map_or(0.0, |r| {
                                if n > 1 {
                                    (r - 1.0) / (n - 1) as f64
                                } else {
                                    0.5
                                }
                            })
                        })
                    })
                    .collect()
            }
        };
        normalised_columns.push(out);
    }
    let normalised: Vec<Vec<Option<f64>>> = (0..data.len())
        .map(|i| (0..k).map(|j| normalised_columns[j][i]).collect())
        .collect();
    let weights = weights_of(&spec.weights, &normalised_columns)?;
    if spec.aggregation == Aggregation::Geometric
        && normalised.iter().flatten().flatten().any(|&v| v < 0.0)
    {
        return Err(invalid("a geometric mean needs non-negative normalised values (use min-max, goalposts or rank)".into()));
    }
    let composite: Vec<Option<f64>> = normalised
        .iter()
        .map(|row| {
            if spec.missing == Missing::Propagate && row.iter().any(Option::is_none) {
                return None;
            }
            let present: Vec<(f64, f64)> = row
                .iter()
                .zip(&weights)
                .filter_map(|(v, &w)| v.map(|x| (x, w)))
                .collect();
            let total: f64 = present.iter().map(|p| p.1).sum();
            if present.is_empty() || total <= 0.0 {
                return None;
            }
            Some(match spec.aggregation {
                Aggregation::Arithmetic => present.iter().map(|(x, w)| x * w).sum::<f64>() / total,
                Aggregation::Geometric => {
                    if present.iter().any(|p| p.0 == 0.0) {
                        0.0
                    } else {
                        (present.iter().map(|(x, w)| w * x.ln()).sum::<f64>() / total).exp()
                    }
                }
            })
        })
        .collect();
    let scores: Vec<Option<f64>> = match spec.normalisation {
        Normalisation::MinMax | Normalisation::Goalposts(_) => {
            composite.iter().map(|c| c.map(|v| 100.0 * v)).collect()
        }
        Normalisation::ZScore | Normalisation::Rank => {
            let present: Vec<f64> = composite.iter().flatten().copied().collect();
            let (lo, hi) = min_max(&present);
            composite
                .iter()
                .map(|c| {
                    c.map(|v| {
                        if hi > lo {
                            100.0 * (v - lo) / (hi - lo)
                        } else {
                            50.0
                        }
                    })
                })
                .collect()
        }
    };
    let ranks = ranks_of(&scores);
    let classes = quantile_classes(&scores, spec.classes);
    Ok(CompositeIndex {
        normalised,
        weights,
        composite,
        scores,
        ranks,
        classes,
    })
}

fn min_max(values: &[f64]) -> (f64, f64) {
    values
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(v), hi.max(v))
        })
}

/// 1-based ranks in increasing order, ties sharing their mean rank (in input order).
fn mean_ranks(values: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut ranks = vec![0.0; values.len()];
    let mut i = 0;
    while i < order.len() {
        let j = order[i..]
            .iter()
            .take_while(|&&o| values[o] == values[order[i]])
            .count();
        let mean = (i + 1 + i + j) as f64 / 2.0;
        for &o in &order[i..i + j] {
            ranks[o] = mean;
        }
        i += j;
    }
    ranks
}

fn weights_of(weights: &Weights, columns: &[Vec<Option<f64>>]) -> Result<Vec<f64>> {
    let k = columns.len();
    let raw: Vec<f64> = match weights {
        Weights::Equal => vec![1.0; k],
        Weights::Given(w) => {
            if w.len() != k || w.iter().any(|v| !v.is_finite() || *v < 0.0) {
                return Err(invalid(format!(
                    "{} weights for {k} indicators, or a negative weight",
                    w.len()
                )));
            }
            w.clone()
        }
        Weights::Entropy => {
            // p_ij = x_ij / Σ_i x_ij over zones with every value (shifted to be non-negative).
            let rows: Vec<usize> = (0..columns[0].len())
                .filter(|&i| columns.iter().all(|c| c[i].is_some()))
                .collect();
            let n = rows.len() as f64;
            if rows.len() < 2 {
                return Err(invalid(
                    "entropy weights need two zones with every indicator".into(),
                ));
            }
            columns
                .iter()
                .map(|c| {
                    let x: Vec<f64> = rows.iter().filter_map(|&i| c[i]).collect();
                    let lo = x.iter().copied().fold(f64::INFINITY, f64::min).min(0.0);
                    let shifted: Vec<f64> = x.iter().map(|v| v - lo).collect();
                    let total: f64 = shifted.iter().sum();
                    if total <= 0.0 {
                        return 0.0;
                    }
                    let e: f64 = -shifted
                        .iter()
                        .map(|v| v / total)
                        .filter(|&p| p > 0.0)
                        .map(|p| p * p.ln())
                        .sum::<f64>()
                        / n.ln();
                    1.0 - e
                })
                .collect()
        }
        Weights::FirstPrincipalComponent => first_component_weights(columns)?,
    };
    let total: f64 = raw.iter().sum();
    if total <= 0.0 {
        return Err(invalid("the weights sum to zero".into()));
    }
    Ok(raw.iter().map(|w| w / total).collect())
}

/// Squared loadings of the first principal component of the correlation
/// matrix (power iteration), over zones with every indicator.
fn first_component_weights(columns: &[Vec<Option<f64>>]) -> Result<Vec<f64>> {
    let k = columns.len();
    let rows: Vec<usize> = (0..columns[0].len())
        .filter(|&i| columns.iter().all(|c| c[i].is_some()))
        .collect();
    if rows.len() < 3 {
        return Err(invalid(
            "principal-component weights need three zones with every indicator".into(),
        ));
    }
    let standardised: Vec<Vec<f64>> = columns
        .iter()
        .map(|c| {
            let x: Vec<f64> = rows.iter().filter_map(|&i| c[i]).collect();
            let n = x.len() as f64;
            let mean = x.iter().sum::<f64>() / n;
            let sd = (x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n).sqrt();
            x.iter()
                .map(|v| if sd > 0.0 { (v - mean) / sd } else { 0.0 })
                .collect()
        })
        .collect();
    let n = rows.len() as f64;
    let corr: Vec<Vec<f64>> = (0..k)
        .map(|a| {
            (0..k)
                .map(|b| {
                    standardised[a]
                        .iter()
                        .zip(&standardised[b])
                        .map(|(x, y)| x * y)
                        .sum::<f64>()
                        / n
                })
                .collect()
        })
        .collect();
    let mut v = vec![1.0 / (k as f64).sqrt(); k];
    for _ in 0..500 {
        let next: Vec<f64> = (0..k)
            .map(|a| (0..k).map(|b| corr[a][b] * v[b]).sum())
            .collect();
        let norm = next.iter().map(|x| x * x).sum::<f64>().sqrt();
        if norm == 0.0 {
            break;
        }
        let next: Vec<f64> = next.iter().map(|x| x / norm).collect();
        let change: f64 = next.iter().zip(&v).map(|(a, b)| (a - b).abs()).sum();
        v = next;
        if change < 1e-14 {
            break;
        }
    }
    Ok(v.iter().map(|x| x * x).collect())
}

/// The scores present, sorted increasingly (for rank and class look-ups).
fn sorted_present(scores: &[Option<f64>]) -> Vec<f64> {
    let mut present: Vec<f64> = scores.iter().flatten().copied().collect();
    present.sort_by(f64::total_cmp);
    present
}

/// 1 = highest score; ties share the best rank.
fn ranks_of(scores: &[Option<f64>]) -> Vec<Option<usize>> {
    let sorted = sorted_present(scores);
    scores
        .iter()
        .map(|s| s.map(|v| 1 + sorted.len() - sorted.partition_point(|&o| o <= v)))
        .collect()
}

/// Quantile classes `1..=classes` of `scores`: a value's class is set by
/// the share of the values present strictly below it (`1 + floor(share x
/// classes)`), so equal values share a class; `None` stays `None`.
///
/// ```
/// let classes = terralux::index::quantile_classes(&[Some(3.0), None, Some(1.0), Some(2.0), Some(2.0)], 2);
/// assert_eq!(classes, vec![Some(2), None, Some(1), Some(1), Some(1)]);
/// ```
pub fn quantile_classes(scores: &[Option<f64>], classes: usize) -> Vec<Option<usize>> {
    let classes = classes.max(1);
    let sorted = sorted_present(scores);
    let n = sorted.len() as f64;
    scores
        .iter()
        .map(|s| {
            s.map(|v| {
                let below = sorted.partition_point(|&o| o < v) as f64;
                ((below / n * classes as f64).floor() as usize + 1).min(classes)
            })
        })
        .collect()
}

/// The pairs with both sides present and finite; `None` when the lengths differ.
fn complete_pairs(x: &[Option<f64>], y: &[Option<f64>]) -> Option<Vec<(f64, f64)>> {
    (x.len() == y.len()).then(|| {
        x.iter()
            .zip(y)
            .filter_map(|(a, b)| Some(((*a)?, (*b)?)))
            .filter(|(a, b)| a.is_finite() && b.is_finite())
            .collect()
    })
}

/// Pearson's correlation of paired values (pairs with a missing side
/// dropped); `None` for fewer than two pairs, a constant side, or lengths
/// that differ.
///
/// ```
/// let r = terralux::index::pearson(&[Some(1.0), Some(2.0), Some(3.0)], &[Some(2.0), Some(4.0), Some(6.5)]);
/// assert!(r.unwrap() > 0.99);
/// ```
pub fn pearson(x: &[Option<f64>], y: &[Option<f64>]) -> Option<f64> {
    pearson_of_pairs(&complete_pairs(x, y)?)
}

fn pearson_of_pairs(pairs: &[(f64, f64)]) -> Option<f64> {
    let n = pairs.len() as f64;
    if pairs.len() < 2 {
        return None;
    }
    let (mx, my) = (
        pairs.iter().map(|p| p.0).sum::<f64>() / n,
        pairs.iter().map(|p| p.1).sum::<f64>() / n,
    );
    let sxy: f64 = pairs.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    let sxx: f64 = pairs.iter().map(|p| (p.0 - mx).powi(2)).sum();
    let syy: f64 = pairs.iter().map(|p| (p.1 - my).powi(2)).sum();
    (sxx > 0.0 && syy > 0.0).then(|| sxy / (sxx * syy).sqrt())
}

/// Spearman's rank correlation (Pearson's on mean ranks, so ties are handled).
pub fn spearman(x: &[Option<f64>], y: &[Option<f64>]) -> Option<f64> {
    let pairs = complete_pairs(x, y)?;
    let rx = mean_ranks(&pairs.iter().map(|p| p.0).collect::<Vec<_>>());
    let ry = mean_ranks(&pairs.iter().map(|p| p.1).collect::<Vec<_>>());
    pearson_of_pairs(&rx.into_iter().zip(ry).collect::<Vec<_>>())
}

/// R² of the ordinary least-squares line of `y` on `x` (the square of Pearson's r).
pub fn ols_r2(x: &[Option<f64>], y: &[Option<f64>]) -> Option<f64> {
    pearson(x, y).map(|r| r * r)
}

/// Area under the ROC curve of `scores` for the binary `labels` (true =
/// positive, e.g. an officially designated poor county): the probability that
/// a random positive scores higher than a random negative, ties counting half.
/// Zones without a score are left out; `None` when either class is empty or
/// the lengths differ.
///
/// ```
/// let auc = terralux::index::roc_auc(&[Some(0.9), Some(0.8), Some(0.3), Some(0.1)], &[true, false, true, false]);
/// assert_eq!(auc, Some(0.75));
/// ```
pub fn roc_auc(scores: &[Option<f64>], labels: &[bool]) -> Option<f64> {
    if scores.len() != labels.len() {
        return None;
    }
    let pairs: Vec<(f64, bool)> = scores
        .iter()
        .zip(labels)
        .filter_map(|(s, &l)| s.map(|v| (v, l)))
        .collect();
    let positives: Vec<f64> = pairs.iter().filter(|p| p.1).map(|p| p.0).collect();
    let negatives: Vec<f64> = pairs.iter().filter(|p| !p.1).map(|p| p.0).collect();
    if positives.is_empty() || negatives.is_empty() {
        return None;
    }
    let mut wins = 0.0;
    for &p in &positives {
        for &q in &negatives {
            wins += if p > q {
                1.0
            } else if p == q {
                0.5
            } else {
                0.0
            };
        }
    }
    Some(wins / (positives.len() * negatives.len()) as f64)
}
