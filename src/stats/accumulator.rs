//! The mergeable per-zone accumulator.

use std::collections::HashMap;

use super::lights::{Core, Lights};
use super::quantile::ExactValues;
use super::{ModeTies, QuantileValues, Stat, StatValue, Value};
use crate::codec::{Codec, Reader, Writer};
use crate::error::Result;

/// Neumaier's compensated sum: exact to about one rounding for any order of magnitudes.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(super) struct CompensatedSum {
    sum: f64,
    compensation: f64,
}

impl CompensatedSum {
    /// Add `v`. Once the sum is infinite (an infinite value, or overflow) it
    /// stays as plain floating-point addition leaves it, as numpy's does: `inf`,
    /// or NaN when `+inf` and `-inf` meet (the compensation `(v - t) + sum`
    /// would be NaN for an infinite `t`, so it is not updated then).
    pub(super) fn add(&mut self, v: f64) {
        let t = self.sum + v;
        if t.is_finite() {
            if self.sum.abs() >= v.abs() {
                self.compensation += (self.sum - t) + v;
            } else {
                self.compensation += (v - t) + self.sum;
            }
        }
        self.sum = t;
    }

    pub(super) fn merge(&mut self, other: &CompensatedSum) {
        self.add(other.sum);
        self.compensation += other.compensation;
    }

    pub(super) fn value(&self) -> f64 {
        if self.sum.is_finite() {
            self.sum + self.compensation
        } else {
            self.sum
        }
    }
}

/// `2^600` and `2^-600`: the scale of moments whose squared deviations
/// would overflow (powers of two scale every double exactly, but for
/// values below `2^-422` that become subnormal, negligible beside the
/// spread that made scaling necessary).
const UP: f64 = f64::from_bits((1023 + 600) << 52);
pub(super) const DOWN: f64 = f64::from_bits((1023 - 600) << 52);
/// 2^400 and 2^100: the magnitude of values and the total weight below which
/// moments merge in plain arithmetic (see [`Moments::merge_parts`]).
const PLAIN_MAGNITUDE: f64 = f64::from_bits((1023 + 400) << 52);
const PLAIN_WEIGHT: f64 = f64::from_bits((1023 + 100) << 52);

/// `w * x`, and 0 for a zero weight whatever `x` (so that a cell of weight
/// 0 adds nothing even when its value is infinite).
pub(super) fn times(w: f64, x: f64) -> f64 {
    if w == 0.0 { 0.0 } else { w * x }
}

/// Weighted moments (West 1979), merged with Chan's formula: total weight,
/// weighted mean and `M2`, the sum of weighted squared deviations.
///
/// While the zone's values stay below 2^400 in magnitude the arithmetic is
/// plain, bit for bit the unscaled formulas. Beyond, `M2` is
/// kept scaled by `2^-1200` from then on (`scaled`) and the means are
/// subtracted at scale `2^-600`, which keeps every finite double within
/// range (`(2 f64::MAX)² 2^-1200` is about `2^850`): the variance is exact
/// to a few roundings up to the largest finite values, and `inf` only when
/// the true variance exceeds `f64::MAX`. Infinite values are not folded
/// in; `infinite` records that one was seen (the variance is then NaN, as
/// numpy gives).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Moments {
    weight: f64,
    mean: f64,
    m2: f64,
    scaled: bool,
    infinite: bool,
}

impl Moments {
    /// Fold in a run: `weight` per cell; `magnitude` bounds the zone's
    /// values, the run's included.
    #[inline]
    fn add_run(&mut self, weight: f64, run: &RunMoments, magnitude: f64) {
        self.infinite |= run.infinite;
        if run.finite == 0 {
            return;
        }
        let moment_weight = weight * run.finite as f64;
        self.merge_parts(
            moment_weight,
            run.mean,
            weight,
            run.m2,
            run.scaled,
            magnitude,
        );
    }

    /// Fold in one value of weight `weight` (West's update: Chan's with a
    /// part of one value); `magnitude` bounds the zone's values, this one
    /// included. Weights that are not positive add nothing; an infinite
    /// value or weight is recorded as `infinite` (the variance is NaN).
    #[inline]
    fn add_value(&mut self, weight: f64, value: f64, magnitude: f64) {
        if weight.is_nan() || weight <= 0.0 {
            return;
        }
        if value.is_infinite() || weight.is_infinite() {
            self.infinite = true;
            return;
        }
        if self.weight == 0.0 {
            // The first value is the mean, exactly (not `v w / w`).
            (self.weight, self.mean) = (weight, value);
            return;
        }
        self.merge_parts(weight, value, 1.0, 0.0, false, magnitude);
    }

    /// Fold in `other`; `magnitude` bounds the values of both.
    fn merge(&mut self, other: &Moments, magnitude: f64) {
        self.infinite |= other.infinite;
        self.merge_parts(
            other.weight,
            other.mean,
            1.0,
            other.m2,
            other.scaled,
            magnitude,
        );
    }

    /// Chan's parallel update with moments of total weight `weight`, mean
    /// `mean` and `M2 = factor * m2` (`m2` scaled by 2^-1200 when `scaled`).
    ///
    /// Plain arithmetic cannot overflow while the values (so the means)
    /// are below 2^400 in magnitude (`magnitude`) and the weights sum to
    /// less than 2^100: every deviation is below 2^401, `M2` below `W 2^802`
    /// and every product below 2^1002. The test uses the zone's min and max,
    /// not the moments, so it adds no step to the chain of dependent
    /// divisions from one run to the next.
    #[inline]
    fn merge_parts(
        &mut self,
        weight: f64,
        mean: f64,
        factor: f64,
        m2: f64,
        scaled: bool,
        magnitude: f64,
    ) {
        if weight <= 0.0 {
            return;
        }
        let total = self.weight + weight;
        if !(self.scaled | scaled) && magnitude <= PLAIN_MAGNITUDE && total <= PLAIN_WEIGHT {
            let delta = mean - self.mean;
            self.mean += delta * weight / total;
            self.m2 += factor * m2 + delta * delta * self.weight * weight / total;
            self.weight = total;
        } else {
            self.merge_scaled(weight, mean, factor, m2, scaled);
        }
    }

    /// [`Moments::merge_parts`] with the means at scale 2^-600 and M2 at 2^-1200.
    #[cold]
    #[inline(never)]
    fn merge_scaled(&mut self, weight: f64, mean: f64, factor: f64, m2: f64, scaled: bool) {
        let total = self.weight + weight;
        let m2_a = if self.scaled {
            self.m2
        } else {
            self.m2 * DOWN * DOWN
        };
        let m2_b = factor * if scaled { m2 } else { m2 * DOWN * DOWN };
        let (mean_a, mean_b) = (self.mean * DOWN, mean * DOWN);
        let delta = mean_b - mean_a;
        let mean = mean_a + delta * weight / total;
        // A weighted mean of finite values is finite: clamp the last rounding.
        self.mean = (mean * UP).clamp(-f64::MAX, f64::MAX);
        self.m2 = m2_a + (m2_b + delta * delta * self.weight * weight / total);
        self.weight = total;
        self.scaled = true;
    }

    /// The weighted population variance and standard deviation (the
    /// deviation is finite even where the variance overflows).
    fn variance_and_stdev(&self) -> (f64, f64) {
        if self.infinite || self.weight <= 0.0 {
            return (f64::NAN, f64::NAN);
        }
        let v = (self.m2 / self.weight).max(0.0);
        if self.scaled {
            (v * UP * UP, v.sqrt() * UP)
        } else {
            (v, v.sqrt())
        }
    }
}

/// How one run of cells counts: its coverage fraction, its weight (per the
/// weighting chosen), the area of each of its cells and, for weighted
/// statistics, the weights raster's values (NaN where invalid).
#[derive(Debug, Clone, Copy)]
pub struct RunWeights<'a> {
    /// Coverage fraction of each cell of the run.
    pub fraction: f64,
    /// Weight of each cell (the fraction by default).
    pub weight: f64,
    /// Area of each cell in km^2 (NaN when unknown).
    pub cell_area_km2: f64,
    /// The weights raster's values for the run, if any.
    pub weights: Option<&'a [f64]>,
}

impl RunWeights<'static> {
    /// A run weighted by its coverage fraction, of cells of unknown area.
    pub fn fraction(fraction: f64) -> Self {
        RunWeights {
            fraction,
            weight: fraction,
            cell_area_km2: f64::NAN,
            weights: None,
        }
    }
}

/// What finishing a zone needs to know about the zone itself.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ZoneFacts {
    /// Sum of the zone's coverage fractions over all its cells in the grid.
    pub total_coverage: f64,
    /// Share of the zone's area outside the grid (`None` for a zone of zero area).
    pub outside: Option<f64>,
    /// The zone's area in km^2, when known.
    pub area_km2: Option<f64>,
}

/// Which families of state an accumulator keeps, from the statistics asked.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
struct Families {
    quantiles: bool,
    categories: bool,
    weighted: bool,
    /// Moments weighted by `w u` (weighted_variance, weighted_stdev).
    weighted_moments: bool,
    /// `Σ w u` per distinct value (weighted_frac).
    weighted_categories: bool,
}

impl Families {
    fn of(stats: &[Stat]) -> Self {
        Families {
            quantiles: stats
                .iter()
                .any(|s| s.quantile_level().is_some() || *s == Stat::Gini),
            categories: stats.iter().any(|s| {
                matches!(
                    s,
                    Stat::Majority | Stat::Minority | Stat::Variety | Stat::Frac | Stat::Unique
                )
            }),
            weighted: stats.iter().any(Stat::needs_weights_raster),
            weighted_moments: stats
                .iter()
                .any(|s| matches!(s, Stat::WeightedVariance | Stat::WeightedStdev)),
            weighted_categories: stats.contains(&Stat::WeightedFrac),
        }
    }
}

/// What an accumulator keeps exactly of runs of a 64-bit integer band
/// ([`Accumulator::add_run_exact`]), in place of the `f64` categories and
/// quantile values.
#[derive(Debug, Clone, Default, PartialEq)]
struct Exact {
    /// The smallest and largest value of a valid cell with `w > 0`.
    range: Option<(i128, i128)>,
    /// Total weight per distinct value.
    categories: HashMap<i128, f64>,
    /// Σ w u per distinct value, over cells with w > 0.
    weighted_categories: HashMap<i128, f64>,
    /// Values kept for quantiles.
    quantile_values: ExactValues,
}

impl Exact {
    fn merge(&mut self, other: Exact) {
        self.range = match (self.range, other.range) {
            (Some((a, b)), Some((c, d))) => Some((a.min(c), b.max(d))),
            (a, b) => a.or(b),
        };
        for (mine, theirs) in [
            (&mut self.categories, other.categories),
            (&mut self.weighted_categories, other.weighted_categories),
        ] {
            if mine.is_empty() {
                *mine = theirs;
            } else {
                for (k, w) in theirs {
                    *mine.entry(k).or_insert(0.0) += w;
                }
            }
        }
        self.quantile_values.merge(other.quantile_values);
    }

    /// `(value, total weight)` in increasing value order, zero weights left out.
    fn sorted_categories(&self) -> Vec<(i128, f64)> {
        let mut cats: Vec<(i128, f64)> = self
            .categories
            .iter()
            .filter(|(_, w)| **w > 0.0)
            .map(|(&k, &w)| (k, w))
            .collect();
        cats.sort_by_key(|a| a.0);
        cats
    }

    /// As [`Accumulator::weighted_fractions`], with exact values.
    fn weighted_fractions(&self) -> Vec<(i128, f64)> {
        let mut cats: Vec<(i128, f64)> = self
            .weighted_categories
            .iter()
            .map(|(&k, &wu)| (k, wu))
            .collect();
        cats.sort_by_key(|a| a.0);
        shares(cats)
    }
}

/// Each pair's weight as a share of their total, in the same order; empty
/// when the total is 0.
fn shares<K: Copy>(pairs: Vec<(K, f64)>) -> Vec<(K, f64)> {
    let total: f64 = pairs.iter().map(|c| c.1).sum();
    if total == 0.0 {
        return Vec::new();
    }
    pairs.into_iter().map(|(v, w)| (v, w / total)).collect()
}

/// A zone's categories, `f64` or exact (64-bit integer bands).
enum Categories {
    Float(Vec<(f64, f64)>),
    Exact(Vec<(i128, f64)>),
}

/// An exact value, or missing.
fn integer(v: Option<i128>) -> StatValue {
    v.map_or(StatValue::Missing, StatValue::Integer)
}

/// Everything needed to finish a zone's statistics, gathered cell run by
/// cell run and mergeable with another accumulator of the same zone.
///
/// Moments merge with Chan's formula (weighted, West 1979), sums are
/// compensated, quantiles keep the zone's values ([`QuantileValues`]: 4 bytes
/// a whole cell for `f32` rasters) and categories keep a total weight per distinct value.
/// Infinite values are values and results follow numpy (a sum with `inf`
/// is `inf`, the variance NaN); the variance is exact up to `f64::MAX`
/// (see the crate's *Statistics* section).
///
/// Runs of a 64-bit integer band added with [`Accumulator::add_run_exact`]
/// keep `min`, `max`, the quantiles and the categories as exact integers
/// ([`StatValue::Integer`], [`StatValue::IntegerFractions`]); the moments
/// stay `f64`.
///
/// ```
/// use terralux::stats::{Accumulator, Stat, StatValue};
/// let stats = [Stat::Count, Stat::Mean, Stat::Median, Stat::Stdev];
/// let mut whole = Accumulator::new(&stats);
/// use terralux::stats::{RunWeights, ZoneFacts};
/// let whole_cells = RunWeights::fraction(1.0);
/// whole.add_run(&[0.0, 0.0, 0.0, 10.0], &whole_cells);
/// let (mut left, mut right) = (Accumulator::new(&stats), Accumulator::new(&stats));
/// left.add_run(&[0.0, 0.0], &whole_cells);
/// right.add_run(&[0.0, f64::NAN, 10.0], &whole_cells); // NaN: invalid, skipped
/// left.merge(right);
/// let zone = ZoneFacts { total_coverage: 4.0, outside: Some(0.0), area_km2: None };
/// let merged = left.finish(&stats, &zone);
/// let a = whole.finish(&stats, &zone);
/// assert_eq!(a, merged);
/// assert_eq!(a[0], StatValue::Number(4.0));
/// assert_eq!(a[1], StatValue::Number(2.5));
/// assert_eq!(a[2], StatValue::Number(0.0)); // the median of {0, 0, 0, 10} is 0
/// let mut huge = Accumulator::new(&stats);
/// huge.add_run(&[1.0, 1.0, 1.0, 1e300], &whole_cells);
/// let b = huge.finish(&stats, &zone);
/// let stdev = b[3].as_f64().unwrap(); // (1e300 - 1) sqrt(3) / 4, not 0 or inf
/// assert!((stdev / (1e300 * 3f64.sqrt() / 4.0) - 1.0).abs() < 1e-15);
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Accumulator {
    families: Families,
    /// Σ w over valid cells.
    weight: CompensatedSum,
    /// Σ w v over valid cells.
    weighted_values: CompensatedSum,
    /// Σ c (coverage fraction, not weight) over valid cells, for valid_frac.
    valid_coverage: CompensatedSum,
    /// Weighted moments for the variance.
    moments: Moments,
    min: f64,
    max: f64,
    valid_cells: u64,
    /// Values kept for quantiles.
    quantile_values: QuantileValues,
    /// Total weight per distinct value (keyed by bits, -0 folded into 0).
    categories: HashMap<u64, f64>,
    /// Σ w u v and Σ w u, with u from the weights raster.
    weighted_sum: CompensatedSum,
    weights_total: CompensatedSum,
    /// Moments weighted by w u (cells with w u > 0).
    weighted_moments: Moments,
    /// Σ w u per distinct value, over cells with w > 0 (keyed as `categories`).
    weighted_categories: HashMap<u64, f64>,
    /// Night-light indicator sums.
    lights: Lights,
    /// How majority and minority break ties.
    mode_ties: ModeTies,
    /// What exact runs keep (`None` until one adds a valid cell).
    exact: Option<Box<Exact>>,
    /// Valid cells came through [`Accumulator::add_run`]: the accumulator
    /// is an `f64` one, and exact runs are added as `f64` (never both).
    inexact: bool,
}

impl Accumulator {
    /// An empty accumulator keeping what `stats` need.
    pub fn new(stats: &[Stat]) -> Self {
        Accumulator {
            families: Families::of(stats),
            lights: Lights::new(stats),
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
            ..Accumulator::default()
        }
    }

    /// The same accumulator with `ties` as the tie rule of `majority` and
    /// `minority` (default [`ModeTies::Exactextract`]). A merge keeps the rule
    /// of the accumulator merged into.
    ///
    /// ```
    /// use terralux::stats::{Accumulator, ModeTies, RunWeights, Stat, StatValue, ZoneFacts};
    /// let stats = [Stat::Majority, Stat::Minority];
    /// let zone = ZoneFacts { total_coverage: 2.0, outside: Some(0.0), area_km2: None };
    /// let mut smallest = Accumulator::new(&stats).with_mode_ties(ModeTies::Smallest);
    /// let mut default = Accumulator::new(&stats);
    /// for acc in [&mut smallest, &mut default] {
    ///     acc.add_run(&[3.0, 7.0], &RunWeights::fraction(1.0)); // a tie
    /// }
    /// assert_eq!(smallest.finish(&stats, &zone), [StatValue::Number(3.0), StatValue::Number(3.0)]);
    /// assert_eq!(default.finish(&stats, &zone), [StatValue::Number(7.0), StatValue::Number(3.0)]);
    /// ```
    pub fn with_mode_ties(mut self, ties: ModeTies) -> Self {
        self.mode_ties = ties;
        self
    }

    /// Add a run of cells that share one coverage fraction, one weight and
    /// one cell area (see [`RunWeights`]); NaN values are invalid and skipped,
    /// infinite values are values.
    pub fn add_run<T: Value>(&mut self, values: &[T], run: &RunWeights<'_>) {
        self.add_run_with(values, None, run);
    }

    /// [`Accumulator::add_run`] for a run of a 64-bit integer band: `values`
    /// as read in `f64` (NaN marks invalid cells; valid ones the nearest
    /// `f64`), and `exact[i]` the exact value of cell `i` (whatever it is
    /// for an invalid cell). The moments (count, sum, mean, variance...)
    /// come from `values`, as for any band; `min`, `max`, the quantiles,
    /// `majority`, `minority`, `variety`, `unique`, `frac` and
    /// `weighted_frac` from `exact`, exactly. Only the first
    /// `min(values.len(), exact.len())` cells are taken. An accumulator that
    /// already took valid cells through [`Accumulator::add_run`] (or merged
    /// one that did) takes exact runs as `add_run` would, and merging an
    /// exact accumulator with such one rounds the exact values to `f64`.
    ///
    /// ```
    /// use terralux::stats::{Accumulator, RunWeights, Stat, StatValue, ZoneFacts};
    /// let stats = [Stat::Max, Stat::Majority, Stat::Variety, Stat::Median];
    /// let big = 1i128 << 62;
    /// let exact = [big, big + 1, big + 1, 0];
    /// let values: Vec<f64> = vec![big as f64, big as f64, big as f64, f64::NAN]; // the last invalid
    /// let mut acc = Accumulator::new(&stats);
    /// acc.add_run_exact(&values, &exact, &RunWeights::fraction(1.0));
    /// let zone = ZoneFacts { total_coverage: 4.0, outside: Some(0.0), area_km2: None };
    /// assert_eq!(acc.finish(&stats, &zone), [
    ///     StatValue::Integer(big + 1),
    ///     StatValue::Integer(big + 1),
    ///     StatValue::Number(2.0),
    ///     StatValue::Integer(big + 1),
    /// ]);
    /// ```
    pub fn add_run_exact(&mut self, values: &[f64], exact: &[i128], run: &RunWeights<'_>) {
        let n = values.len().min(exact.len());
        self.add_run_with(&values[..n], Some(&exact[..n]), run);
    }

    /// [`Accumulator::add_run`], with the cells' exact values when they are
    /// those of a 64-bit integer band (as long as `exact`).
    fn add_run_with<T: Value>(
        &mut self,
        values: &[T],
        exact: Option<&[i128]>,
        run: &RunWeights<'_>,
    ) {
        let Some(moments) = run_moments(values) else {
            return;
        };
        let exact = match exact {
            Some(ints) if !self.inexact => Some(ints),
            _ => {
                if self.exact.is_some() {
                    self.make_inexact();
                }
                self.inexact = true;
                None
            }
        };
        let (fraction, weight) = (run.fraction, run.weight);
        let n = moments.n;
        self.weight.add(weight * n as f64);
        self.weighted_values.add(moments.sum_times(weight));
        self.valid_coverage.add(fraction * n as f64);
        self.valid_cells += n;
        if weight > 0.0 {
            self.min = self.min.min(moments.min);
            self.max = self.max.max(moments.max);
            let magnitude = self.max.abs().max(self.min.abs());
            self.moments.add_run(weight, &moments, magnitude);
        }
        if let Some(ints) = exact {
            self.add_exact(values, ints, weight);
        } else if self.families.quantiles {
            self.quantile_values.add(values, weight);
        }
        if self.families.categories && exact.is_none() {
            for &v in values.iter().filter(|v| !v.is_nan()) {
                *self
                    .categories
                    .entry(category_key(v.to_f64()))
                    .or_insert(0.0) += weight;
            }
        }
        if self.families.weighted
            && let Some(us) = run.weights
        {
            // Bounds every value the weighted moments take: a cell with
            // w u > 0 has w > 0, so the run is in the zone's min and max.
            let magnitude = self.max.abs().max(self.min.abs());
            let (moments, categories) = (
                self.families.weighted_moments,
                self.families.weighted_categories && weight > 0.0,
            );
            let float_categories = categories && exact.is_none();
            for (&v, &u) in values.iter().zip(us) {
                if !v.is_nan() && !u.is_nan() {
                    let v = v.to_f64();
                    self.weighted_sum.add(weight * u * v);
                    self.weights_total.add(weight * u);
                    if moments {
                        self.weighted_moments.add_value(weight * u, v, magnitude);
                    }
                    if float_categories {
                        *self
                            .weighted_categories
                            .entry(category_key(v))
                            .or_insert(0.0) += weight * u;
                    }
                }
            }
            if categories && let Some(ints) = exact {
                let exact = self.exact.get_or_insert_with(Box::default);
                for ((v, &u), &k) in values.iter().zip(us).zip(ints) {
                    if !v.is_nan() && !u.is_nan() {
                        *exact.weighted_categories.entry(k).or_insert(0.0) += weight * u;
                    }
                }
            }
        }
        self.lights.add_run(values, run, &moments);
    }

    /// The exact state of a run of a 64-bit integer band (see
    /// [`Accumulator::add_run_exact`]): range, quantile values, categories.
    fn add_exact<T: Value>(&mut self, values: &[T], ints: &[i128], weight: f64) {
        let families = self.families;
        let exact = self.exact.get_or_insert_with(Box::default);
        let valid = || {
            values
                .iter()
                .zip(ints)
                .filter(|(v, _)| !v.is_nan())
                .map(|(_, &k)| k)
        };
        if weight > 0.0 {
            let range = valid().fold(exact.range, |range, k| match range {
                Some((lo, hi)) => Some((lo.min(k), hi.max(k))),
                None => Some((k, k)),
            });
            exact.range = range;
        }
        if families.quantiles {
            exact.quantile_values.add(values, ints, weight);
        }
        if families.categories {
            for k in valid() {
                *exact.categories.entry(k).or_insert(0.0) += weight;
            }
        }
    }

    /// Turn the exact state into the `f64` one (values rounded to the
    /// nearest `f64`), for an accumulator that takes `f64` runs too. Keys
    /// are folded in increasing order, so the sums are the same every run.
    #[cold]
    fn make_inexact(&mut self) {
        let Some(exact) = self.exact.take() else {
            return;
        };
        let Exact {
            categories,
            weighted_categories,
            quantile_values,
            ..
        } = *exact;
        for (map, into) in [
            (categories, &mut self.categories),
            (weighted_categories, &mut self.weighted_categories),
        ] {
            let mut pairs: Vec<(i128, f64)> = map.into_iter().collect();
            pairs.sort_by_key(|a| a.0);
            for (k, w) in pairs {
                *into.entry(category_key(k as f64)).or_insert(0.0) += w;
            }
        }
        self.quantile_values.merge(quantile_values.to_f64());
        self.inexact = true;
    }

    /// Fold `other` (gathered over other cells of the same zone) into this one.
    pub fn merge(&mut self, mut other: Accumulator) {
        // Exact with exact merges exactly; exact with f64 becomes f64.
        if other.inexact && self.exact.is_some() {
            self.make_inexact();
        }
        if self.inexact && other.exact.is_some() {
            other.make_inexact();
        }
        self.inexact |= other.inexact;
        match (&mut self.exact, other.exact.take()) {
            (Some(mine), Some(theirs)) => mine.merge(*theirs),
            (slot @ None, Some(theirs)) => *slot = Some(theirs),
            (_, None) => {}
        }
        self.weight.merge(&other.weight);
        self.weighted_values.merge(&other.weighted_values);
        self.valid_coverage.merge(&other.valid_coverage);
        self.valid_cells += other.valid_cells;
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
        let magnitude = self.max.abs().max(self.min.abs());
        self.moments.merge(&other.moments, magnitude);
        self.quantile_values.merge(other.quantile_values);
        if self.categories.is_empty() {
            self.categories = other.categories;
        } else {
            for (k, w) in other.categories {
                *self.categories.entry(k).or_insert(0.0) += w;
            }
        }
        self.weighted_sum.merge(&other.weighted_sum);
        self.weights_total.merge(&other.weights_total);
        self.weighted_moments
            .merge(&other.weighted_moments, magnitude);
        if self.weighted_categories.is_empty() {
            self.weighted_categories = other.weighted_categories;
        } else {
            for (k, w) in other.weighted_categories {
                *self.weighted_categories.entry(k).or_insert(0.0) += w;
            }
        }
        self.lights.merge(&other.lights);
    }

    /// Number of valid cells seen (whatever their weight).
    pub fn valid_cells(&self) -> u64 {
        self.valid_cells
    }

    /// The statistics, in the order asked. `total_coverage` is the sum of
    /// the zone's coverage fractions over all its cells in the grid (valid
    /// or not) and `outside` the share of its area outside the grid (`None`
    /// for a zone of zero area).
    ///
    /// # Panics
    /// When values the engine spilled to its spill file cannot be read
    /// back (never for an accumulator filled with [`Accumulator::add_run`]
    /// and merges; the engine reports that as an error).
    pub fn finish(self, stats: &[Stat], zone: &ZoneFacts) -> Vec<StatValue> {
        self.try_finish(stats, zone)
            .unwrap_or_else(|e| panic!("spilled quantile values: {e}"))
    }

    /// Bytes of values kept in memory for quantiles and the Gini coefficient.
    pub(crate) fn in_memory_bytes(&self) -> usize {
        self.quantile_values.in_memory_bytes()
    }

    /// Move the values kept for quantiles and the Gini coefficient to
    /// `store` (the unit-weight ones; see [`QuantileValues`]); the bytes freed.
    pub(crate) fn spill(
        &mut self,
        store: &std::sync::Arc<super::SpillStore>,
    ) -> crate::Result<usize> {
        self.quantile_values.spill(store)
    }

    /// [`Accumulator::finish`], with an error when spilled values cannot be read back.
    pub(crate) fn try_finish(
        mut self,
        stats: &[Stat],
        zone: &ZoneFacts,
    ) -> crate::Result<Vec<StatValue>> {
        let (total_coverage, outside) = (zone.total_coverage, zone.outside);
        let w = self.weight.value();
        let has_values = self.valid_cells > 0 && w > 0.0;
        let mean = has_values.then(|| self.weighted_values.value() / w);
        let (variance, stdev) = has_values
            .then(|| self.moments.variance_and_stdev())
            .unzip();
        let wm = &self.weighted_moments;
        let (weighted_variance, weighted_stdev) = (has_values && (wm.weight > 0.0 || wm.infinite))
            .then(|| wm.variance_and_stdev())
            .unzip();
        let mut exact = self.exact.take();
        let quantiles: Vec<StatValue> = if self.families.quantiles {
            let levels: Vec<f64> = stats.iter().filter_map(Stat::quantile_level).collect();
            match &mut exact {
                Some(e) => e
                    .quantile_values
                    .quantiles(&levels)
                    .into_iter()
                    .map(integer)
                    .collect(),
                None => self
                    .quantile_values
                    .try_quantiles(&levels)?
                    .into_iter()
                    .map(StatValue::from)
                    .collect(),
            }
        } else {
            Vec::new()
        };
        let mut next_quantile = quantiles.into_iter();
        let gini = if stats.contains(&Stat::Gini) && has_values && self.min >= 0.0 {
            match &exact {
                Some(e) => e.quantile_values.to_f64().gini(),
                None => self.quantile_values.try_gini()?,
            }
        } else {
            None
        };
        // The exact range, when the values are exact (`None` leaves the f64 one).
        let range = exact.as_ref().and_then(|e| e.range);
        // What the night-light indicators read of the core statistics.
        let core = Core {
            has_values,
            min: self.min,
            max: self.max,
            weight: w,
            weighted_values: self.weighted_values.value(),
            mean: self.moments.mean,
            infinite: self.moments.infinite,
        };
        let categories = match &exact {
            Some(e) => Categories::Exact(e.sorted_categories()),
            None => Categories::Float(self.sorted_categories()),
        };
        let prefer_larger = self.mode_ties == ModeTies::Exactextract;
        let majority = |a: f64, b: f64| a > b;
        let minority = |a: f64, b: f64| a < b;
        Ok(stats
            .iter()
            .map(|stat| match stat {
                Stat::Count => StatValue::Number(w),
                Stat::Sum => StatValue::Number(self.weighted_values.value()),
                Stat::Mean => mean.into(),
                Stat::Min => match range {
                    Some((lo, _)) if has_values => StatValue::Integer(lo),
                    _ => has_values.then_some(self.min).into(),
                },
                Stat::Max => match range {
                    Some((_, hi)) if has_values => StatValue::Integer(hi),
                    _ => has_values.then_some(self.max).into(),
                },
                Stat::Variance => variance.into(),
                Stat::Stdev => stdev.into(),
                Stat::Cv => match (stdev, mean) {
                    // stdev / mean as numpy and exactextract divide: 0 / 0 is NaN
                    // (a zone of zeros), x / 0 infinite. An overflowed (infinite)
                    // mean of finite values leaves no ratio: NaN, not 0.
                    (Some(sd), Some(m)) => {
                        StatValue::Number(if m.is_finite() { sd / m } else { f64::NAN })
                    }
                    _ => StatValue::Missing,
                },
                Stat::Median | Stat::Quantile(_) => {
                    next_quantile.next().unwrap_or(StatValue::Missing)
                }
                Stat::Majority => match &categories {
                    Categories::Float(c) => pick_category(c, majority, prefer_larger).into(),
                    Categories::Exact(c) => integer(pick_category(c, majority, prefer_larger)),
                },
                Stat::Minority => match &categories {
                    Categories::Float(c) => pick_category(c, minority, false).into(),
                    Categories::Exact(c) => integer(pick_category(c, minority, false)),
                },
                Stat::Variety => StatValue::Number(match &categories {
                    Categories::Float(c) => c.len() as f64,
                    Categories::Exact(c) => c.len() as f64,
                }),
                Stat::Frac => match &categories {
                    Categories::Float(c) => StatValue::Fractions(fractions(c)),
                    Categories::Exact(c) => StatValue::IntegerFractions(fractions(c)),
                },
                Stat::Unique => match &categories {
                    Categories::Float(c) => StatValue::Fractions(c.clone()),
                    Categories::Exact(c) => StatValue::IntegerFractions(c.clone()),
                },
                Stat::WeightedFrac => match &exact {
                    Some(e) => StatValue::IntegerFractions(e.weighted_fractions()),
                    None => StatValue::Fractions(self.weighted_fractions()),
                },
                Stat::WeightedVariance => weighted_variance.into(),
                Stat::WeightedStdev => weighted_stdev.into(),
                Stat::WeightedSum => StatValue::Number(self.weighted_sum.value()),
                Stat::WeightedMean => {
                    let total = self.weights_total.value();
                    (has_values && total != 0.0)
                        .then(|| self.weighted_sum.value() / total)
                        .into()
                }
                Stat::ValidFrac => match outside {
                    Some(out) if total_coverage > 0.0 => StatValue::Number(
                        (self.valid_coverage.value() / total_coverage).min(1.0) * (1.0 - out),
                    ),
                    Some(_) => StatValue::Number(0.0),
                    None => StatValue::Missing,
                },
                Stat::OutsideFrac => outside.into(),
                Stat::AreaKm2 => zone.area_km2.into(),
                Stat::Gini => gini.map(|g| g.clamp(0.0, 1.0)).into(),
                // The night-light indicators.
                indicator => self.lights.finish(indicator, &core, zone),
            })
            .collect())
    }

    /// `(value, share of Σ w u)` in increasing value order, for every value
    /// of a cell with `w > 0` and a valid `u` (a share may be 0); empty
    /// when `Σ w u` is 0.
    fn weighted_fractions(&self) -> Vec<(f64, f64)> {
        let mut cats: Vec<(f64, f64)> = self
            .weighted_categories
            .iter()
            .map(|(&k, &wu)| (f64::from_bits(k), wu))
            .collect();
        cats.sort_by(|a, b| a.0.total_cmp(&b.0));
        shares(cats)
    }

    /// `(value, total weight)` in increasing value order, zero weights left out.
    fn sorted_categories(&self) -> Vec<(f64, f64)> {
        let mut cats: Vec<(f64, f64)> = self
            .categories
            .iter()
            .filter(|(_, w)| **w > 0.0)
            .map(|(&k, &w)| (f64::from_bits(k), w))
            .collect();
        cats.sort_by(|a, b| a.0.total_cmp(&b.0));
        cats
    }
}

/// Count, sum, mean, squared deviations, min and max of a run's valid values.
pub(super) struct RunMoments {
    /// Valid cells (infinite values included).
    pub(super) n: u64,
    /// Finite cells, those `mean` and `m2` describe.
    finite: u64,
    /// Σ v (infinite values included), times 2^-600 when `scaled`.
    sum: f64,
    /// Mean of the finite values.
    mean: f64,
    /// Σ (v - mean)² over the finite values, times 2^-1200 when `scaled`.
    m2: f64,
    scaled: bool,
    /// Some value is infinite.
    pub(super) infinite: bool,
    min: f64,
    max: f64,
}

impl RunMoments {
    /// `k Σ v`, which stays finite when `k < 1` brings a sum beyond `f64::MAX` back.
    pub(super) fn sum_times(&self, k: f64) -> f64 {
        if self.scaled {
            times(k, self.sum) * UP
        } else {
            times(k, self.sum)
        }
    }
}

/// One pass over a run, in four independent lanes (no branch on NaN, no
/// dependency chain between neighbouring cells): sums of deviations from
/// the run's first valid value, which keeps the squared deviations exact to
/// about `n` roundings whatever the magnitude of the values. A run whose
/// sums overflow (values more than about 1e154 apart, sums beyond
/// `f64::MAX`) or that holds infinite values is done again by
/// [`run_moments_scaled`]; the check costs one comparison a run.
fn run_moments<T: Value>(values: &[T]) -> Option<RunMoments> {
    let shift = values.iter().find(|v| !v.is_nan())?.to_f64();
    let mut count = [0u64; 4];
    let mut s1 = [0.0f64; 4];
    let mut s2 = [0.0f64; 4];
    let mut lo = [f64::INFINITY; 4];
    let mut hi = [f64::NEG_INFINITY; 4];
    let mut lane = |l: usize, v: T| {
        let v = v.to_f64();
        let valid = !v.is_nan();
        let d = if valid { v - shift } else { 0.0 };
        count[l] += valid as u64;
        s1[l] += d;
        s2[l] += d * d;
        // f64::min and max ignore a NaN operand.
        lo[l] = lo[l].min(v);
        hi[l] = hi[l].max(v);
    };
    let chunks = values.chunks_exact(4);
    let rest = chunks.remainder();
    for c in chunks {
        lane(0, c[0]);
        lane(1, c[1]);
        lane(2, c[2]);
        lane(3, c[3]);
    }
    for &v in rest {
        lane(0, v);
    }
    let n = count.iter().sum::<u64>();
    let d1 = (s1[0] + s1[1]) + (s1[2] + s1[3]);
    let d2 = (s2[0] + s2[1]) + (s2[2] + s2[3]);
    let nf = n as f64;
    let min = lo.iter().copied().fold(f64::INFINITY, f64::min);
    let max = hi.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let sum = nf * shift + d1;
    // False for any infinity or NaN among the sums (an infinite value gives one).
    if !(sum - d1 * d1 + d2).is_finite() {
        return Some(run_moments_scaled(values, n, min, max));
    }
    Some(RunMoments {
        n,
        finite: n,
        sum,
        mean: shift + d1 / nf,
        m2: (d2 - d1 * d1 / nf).max(0.0),
        scaled: false,
        infinite: false,
        min,
        max,
    })
}

/// [`run_moments`] for runs with infinite values or overflowing sums:
/// infinite values are counted and summed apart, finite ones are scaled by
/// 2^-600 (exact) before their deviations are squared.
#[cold]
#[inline(never)]
fn run_moments_scaled<T: Value>(values: &[T], n: u64, min: f64, max: f64) -> RunMoments {
    let mut finite = 0u64;
    let (mut infinities, mut shift) = (0.0f64, None);
    let (mut s1, mut s2) = (0.0f64, 0.0f64);
    // The sum on its own (n shift + s1 would cancel far apart values).
    let mut sum = CompensatedSum::default();
    for v in values.iter().map(|v| v.to_f64()).filter(|v| !v.is_nan()) {
        if v.is_infinite() {
            infinities += v;
            continue;
        }
        let u = v * DOWN;
        let d = u - *shift.get_or_insert(u);
        finite += 1;
        sum.add(u);
        s1 += d;
        s2 += d * d;
    }
    let shift = shift.unwrap_or(0.0);
    let nf = finite as f64;
    let (mean, m2) = if finite > 0 {
        let mean = ((shift + s1 / nf) * UP).clamp(-f64::MAX, f64::MAX);
        (mean, (s2 - s1 * s1 / nf).max(0.0))
    } else {
        (0.0, 0.0)
    };
    RunMoments {
        n,
        finite,
        sum: sum.value() + infinities,
        mean,
        m2,
        scaled: true,
        infinite: infinities != 0.0,
        min,
        max,
    }
}

fn category_key(v: f64) -> u64 {
    if v == 0.0 {
        0.0f64.to_bits()
    } else {
        v.to_bits()
    }
}

/// `frac`: each category's share of the total weight, in the same order
/// (empty when the total is not positive).
fn fractions<K: Copy>(categories: &[(K, f64)]) -> Vec<(K, f64)> {
    let total: f64 = categories.iter().map(|c| c.1).sum();
    if total > 0.0 {
        categories.iter().map(|&(v, cw)| (v, cw / total)).collect()
    } else {
        Vec::new()
    }
}

/// The value whose weight is `better` than every other's; ties keep the smaller value
/// (categories come sorted by value, and only a strictly better weight replaces),
/// or the larger one with `prefer_larger` (an equal weight replaces too).
fn pick_category<K: Copy>(
    categories: &[(K, f64)],
    better: impl Fn(f64, f64) -> bool,
    prefer_larger: bool,
) -> Option<K> {
    let mut best: Option<(K, f64)> = None;
    for &(v, w) in categories {
        if best.is_none_or(|(_, bw)| better(w, bw) || (prefer_larger && w == bw)) {
            best = Some((v, w));
        }
    }
    best.map(|(v, _)| v)
}

// The binary form of an accumulator's state (the unit partials of a
// distributed run): every field, exactly, so that merging decoded
// partials gives the bits merging the originals would.

impl Codec for CompensatedSum {
    fn encode(&self, w: &mut Writer) {
        w.f64(self.sum);
        w.f64(self.compensation);
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self> {
        Ok(CompensatedSum {
            sum: r.f64()?,
            compensation: r.f64()?,
        })
    }
}

impl Codec for Moments {
    fn encode(&self, w: &mut Writer) {
        w.f64(self.weight);
        w.f64(self.mean);
        w.f64(self.m2);
        w.put(&self.scaled);
        w.put(&self.infinite);
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self> {
        Ok(Moments {
            weight: r.f64()?,
            mean: r.f64()?,
            m2: r.f64()?,
            scaled: r.get()?,
            infinite: r.get()?,
        })
    }
}

impl Codec for Families {
    fn encode(&self, w: &mut Writer) {
        let flags = [
            self.quantiles,
            self.categories,
            self.weighted,
            self.weighted_moments,
            self.weighted_categories,
        ];
        w.u8(flags.iter().rev().fold(0, |bits, &f| bits << 1 | f as u8));
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self> {
        let bits = r.u8()?;
        if bits >> 5 != 0 {
            return Err(r.error(format!("corrupt: {bits:#x} is no set of state families")));
        }
        let flag = |i: u8| bits >> i & 1 == 1;
        Ok(Families {
            quantiles: flag(0),
            categories: flag(1),
            weighted: flag(2),
            weighted_moments: flag(3),
            weighted_categories: flag(4),
        })
    }
}

impl Codec for Exact {
    fn encode(&self, w: &mut Writer) {
        w.put(&self.range);
        w.put(&self.categories);
        w.put(&self.weighted_categories);
        w.put(&self.quantile_values);
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self> {
        Ok(Exact {
            range: r.get()?,
            categories: r.get()?,
            weighted_categories: r.get()?,
            quantile_values: r.get()?,
        })
    }
}

impl Codec for Accumulator {
    fn encode(&self, w: &mut Writer) {
        w.put(&self.families);
        w.put(&self.weight);
        w.put(&self.weighted_values);
        w.put(&self.valid_coverage);
        w.put(&self.moments);
        w.f64(self.min);
        w.f64(self.max);
        w.u64(self.valid_cells);
        w.put(&self.quantile_values);
        w.put(&self.categories);
        w.put(&self.weighted_sum);
        w.put(&self.weights_total);
        w.put(&self.weighted_moments);
        w.put(&self.weighted_categories);
        w.put(&self.lights);
        w.put(&self.mode_ties);
        w.put(&self.exact);
        w.put(&self.inexact);
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self> {
        Ok(Accumulator {
            families: r.get()?,
            weight: r.get()?,
            weighted_values: r.get()?,
            valid_coverage: r.get()?,
            moments: r.get()?,
            min: r.f64()?,
            max: r.f64()?,
            valid_cells: r.u64()?,
            quantile_values: r.get()?,
            categories: r.get()?,
            weighted_sum: r.get()?,
            weights_total: r.get()?,
            weighted_moments: r.get()?,
            weighted_categories: r.get()?,
            lights: r.get()?,
            mode_ties: r.get()?,
            exact: r.get()?,
            inexact: r.get()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STATS: [Stat; 10] = [
        Stat::Count,
        Stat::Min,
        Stat::Max,
        Stat::Median,
        Stat::Quantile(90.0),
        Stat::Majority,
        Stat::Minority,
        Stat::Variety,
        Stat::Frac,
        Stat::Unique,
    ];

    fn zone() -> ZoneFacts {
        ZoneFacts {
            total_coverage: 100.0,
            outside: Some(0.0),
            area_km2: None,
        }
    }

    /// Runs of 2^62 + k (k = 0..6 repeating), NaN every 5th cell, with
    /// whole and partial weights.
    fn runs() -> Vec<(Vec<f64>, Vec<i128>, f64)> {
        let base = 1i128 << 62;
        (0..12)
            .map(|r| {
                let ints: Vec<i128> = (0..9).map(|i| base + (r * 9 + i) % 7).collect();
                let values = ints
                    .iter()
                    .enumerate()
                    .map(|(i, &k)| {
                        if (r + i as i128) % 5 == 0 {
                            f64::NAN
                        } else {
                            k as f64
                        }
                    })
                    .collect();
                (values, ints, if r % 3 == 0 { 0.375 } else { 1.0 })
            })
            .collect()
    }

    #[test]
    fn exact_runs_merge_as_one_pass_wherever_they_are_cut() {
        let runs = runs();
        let mut whole = Accumulator::new(&STATS);
        for (v, k, w) in &runs {
            whole.add_run_exact(v, k, &RunWeights::fraction(*w));
        }
        let expected = whole.finish(&STATS, &zone());
        assert!(matches!(expected[1], StatValue::Integer(_)));
        assert_eq!(expected[7], StatValue::Number(7.0), "{expected:?}");
        for cut in 0..=runs.len() {
            let (mut left, mut right) = (Accumulator::new(&STATS), Accumulator::new(&STATS));
            for (i, (v, k, w)) in runs.iter().enumerate() {
                let acc = if i < cut { &mut left } else { &mut right };
                acc.add_run_exact(v, k, &RunWeights::fraction(*w));
            }
            left.merge(right);
            assert_eq!(left.finish(&STATS, &zone()), expected, "cut at {cut}");
        }
    }

    #[test]
    fn exact_and_f64_runs_together_are_f64() {
        // Whole weights: sums of 1s, the same in any order.
        let runs: Vec<_> = runs().into_iter().map(|(v, k, _)| (v, k)).collect();
        let mut float = Accumulator::new(&STATS);
        for (v, _) in &runs {
            float.add_run(v, &RunWeights::fraction(1.0));
        }
        let expected = float.finish(&STATS, &zone());
        // Every value is 2^62 as f64: one category.
        assert_eq!(expected[7], StatValue::Number(1.0));
        for first_float in [false, true] {
            let mut mixed = Accumulator::new(&STATS);
            let mut other = Accumulator::new(&STATS);
            for (i, (v, k)) in runs.iter().enumerate() {
                let acc = if i % 2 == 0 { &mut mixed } else { &mut other };
                if (i % 2 == 0) == first_float {
                    acc.add_run(v, &RunWeights::fraction(1.0));
                } else {
                    acc.add_run_exact(v, k, &RunWeights::fraction(1.0));
                }
            }
            mixed.merge(other);
            assert_eq!(mixed.finish(&STATS, &zone()), expected);
            // And within one accumulator.
            let mut one = Accumulator::new(&STATS);
            for (i, (v, k)) in runs.iter().enumerate() {
                if (i % 2 == 0) == first_float {
                    one.add_run(v, &RunWeights::fraction(1.0));
                } else {
                    one.add_run_exact(v, k, &RunWeights::fraction(1.0));
                }
            }
            assert_eq!(one.finish(&STATS, &zone()), expected);
        }
    }

    #[test]
    fn an_empty_run_does_not_make_an_accumulator_f64() {
        let mut acc = Accumulator::new(&[Stat::Min]);
        acc.add_run(&[f64::NAN, f64::NAN], &RunWeights::fraction(1.0));
        let big = (1i128 << 62) + 1;
        acc.add_run_exact(&[big as f64], &[big], &RunWeights::fraction(1.0));
        assert_eq!(acc.finish(&[Stat::Min], &zone()), [StatValue::Integer(big)]);
    }

    #[test]
    fn exact_runs_longer_than_their_integers_are_cut() {
        let mut acc = Accumulator::new(&[Stat::Count, Stat::Max]);
        acc.add_run_exact(&[1.0, 2.0, 3.0], &[1, 2], &RunWeights::fraction(1.0));
        assert_eq!(
            acc.finish(&[Stat::Count, Stat::Max], &zone()),
            [StatValue::Number(2.0), StatValue::Integer(2)]
        );
    }
}
