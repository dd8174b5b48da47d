//! Weighted quantiles as the inverse of the weighted CDF: the kept values of
//! a zone ([`QuantileValues`]) and the selection that finishes them.

use std::sync::Arc;

use super::Value;
use super::spill::{Segment, SpillStore};
use crate::codec::{Codec, Reader, Writer};
use crate::error::Result;

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
    let mut values = QuantileValues::default();
    for &(v, w) in pairs.iter() {
        values.add(&[v], w);
    }
    values.quantiles(levels)
}

/// Values whose weight is exactly 1 (whole cells with fraction weighting,
/// every cell with no weighting), kept compactly: as `f32` while every value
/// is exactly an `f32` (rasters of `f32` or smaller integers), as `f64` after.
#[derive(Debug, Clone, PartialEq)]
enum Units {
    F32(Vec<f32>),
    F64(Vec<f64>),
}

impl Default for Units {
    fn default() -> Self {
        Units::F32(Vec::new())
    }
}

impl Units {
    fn len(&self) -> usize {
        match self {
            Units::F32(v) => v.len(),
            Units::F64(v) => v.len(),
        }
    }

    fn extend(&mut self, values: impl Iterator<Item = f64> + Clone) {
        if let Units::F32(small) = self {
            if values.clone().all(|v| (v as f32) as f64 == v) {
                small.extend(values.map(|v| v as f32));
                return;
            }
            let wide = small.iter().map(|&v| v as f64).collect();
            *self = Units::F64(wide);
        }
        if let Units::F64(wide) = self {
            wide.extend(values);
        }
    }

    fn append(&mut self, other: Units) {
        match other {
            Units::F32(b) => match self {
                Units::F32(a) => a.extend_from_slice(&b),
                Units::F64(a) => a.extend(b.iter().map(|&v| v as f64)),
            },
            Units::F64(b) => {
                let mut wide = match std::mem::take(self) {
                    Units::F32(a) => a.into_iter().map(f64::from).collect(),
                    Units::F64(a) => a,
                };
                wide.extend_from_slice(&b);
                *self = Units::F64(wide);
            }
        }
    }
}

/// The values a zone keeps for its quantiles: unit-weight values, and
/// `(value, weight)` pairs for every other weight (boundary cells).
///
/// In a run over the engine's memory budget, a zone's unit-weight values
/// go to the run's spill file ([`SpillStore`]) as runs of equal values
/// (`f32`s in 8 bytes a run, `f64`s in 12); quantiles and the Gini
/// coefficient are then finished from the file in bounded memory, with the
/// same arithmetic, so the same bits.
///
/// Finishing does not sort the values: a histogram of weight per bucket of
/// value (two linear passes) finds where each quantile falls, and only the
/// values of those buckets are sorted. The weighted pairs (few: a zone's
/// boundary) are folded into the same histogram.
///
/// ```
/// use terralux::stats::QuantileValues;
/// let mut q = QuantileValues::default();
/// q.add(&[0.0, 0.0, 0.0, 10.0], 1.0);
/// q.add(&[20.0], 0.5);
/// assert_eq!(q.quantiles(&[0.5, 0.95]), vec![Some(0.0), Some(20.0)]);
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QuantileValues {
    units: Units,
    weighted: Vec<(f64, f64)>,
    /// Unit-weight values written to the run's spill file.
    spilled: Vec<Segment>,
}

impl QuantileValues {
    /// Keep `values` (NaN skipped), each with weight `weight` (non-positive weights are dropped).
    pub fn add<T: Value>(&mut self, values: &[T], weight: f64) {
        if weight <= 0.0 {
            return;
        }
        if weight != 1.0 {
            let valid = values.iter().filter(|v| !v.is_nan());
            self.weighted.extend(valid.map(|v| (v.to_f64(), weight)));
        } else if let (Some(small), Units::F32(units)) = (T::as_f32(values), &mut self.units) {
            units.extend(small.iter().copied().filter(|v| !v.is_nan()));
        } else {
            let valid = values.iter().filter(|v| !v.is_nan()).map(|v| v.to_f64());
            self.units.extend(valid);
        }
    }

    /// Take over the values of `other`.
    pub fn merge(&mut self, other: QuantileValues) {
        if self.is_empty() {
            *self = other;
            return;
        }
        self.units.append(other.units);
        self.weighted.extend_from_slice(&other.weighted);
        self.spilled.extend(other.spilled);
    }

    /// Number of values kept (in memory or spilled).
    pub fn len(&self) -> usize {
        self.units.len() + self.weighted.len() + self.spilled_cells() as usize
    }

    /// Unit-weight values in the spill file.
    fn spilled_cells(&self) -> u64 {
        self.spilled.iter().map(|s| s.cells).sum()
    }

    /// Bytes of memory the values held in memory take (their vectors' capacity).
    pub(crate) fn in_memory_bytes(&self) -> usize {
        let units = match &self.units {
            Units::F32(v) => v.capacity() * 4,
            Units::F64(v) => v.capacity() * 8,
        };
        units + self.weighted.capacity() * 16
    }

    /// Move the unit-weight values to `store`; returns the bytes of memory freed.
    pub(crate) fn spill(&mut self, store: &Arc<SpillStore>) -> Result<usize> {
        match &mut self.units {
            Units::F32(v) if !v.is_empty() => {
                self.spilled.push(store.append(v)?);
                let freed = v.capacity() * 4;
                *v = Vec::new();
                Ok(freed)
            }
            Units::F64(v) if !v.is_empty() => {
                self.spilled.push(store.append_wide(v)?);
                let freed = v.capacity() * 8;
                *v = Vec::new();
                Ok(freed)
            }
            _ => Ok(0),
        }
    }

    /// True when no value is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The quantile at each level (see [`weighted_quantiles`]); reorders the kept values.
    ///
    /// # Panics
    /// When values the engine spilled cannot be read back from its spill
    /// file (never for values added with [`QuantileValues::add`]); the engine
    /// itself reports that as an error.
    pub fn quantiles(&mut self, levels: &[f64]) -> Vec<Option<f64>> {
        self.try_quantiles(levels)
            .unwrap_or_else(|e| panic!("spilled quantile values: {e}"))
    }

    /// [`QuantileValues::quantiles`], with an error when spilled values cannot be read back.
    pub(crate) fn try_quantiles(&mut self, levels: &[f64]) -> Result<Vec<Option<f64>>> {
        self.weighted.sort_by(|a, b| a.0.total_cmp(&b.0));
        let weighted = Weighted::new(&self.weighted);
        let units = self.units.len() as u64 + self.spilled_cells();
        let total = units as f64 + weighted.total();
        if total <= 0.0 {
            return Ok(vec![None; levels.len()]);
        }
        let targets: Vec<f64> = levels
            .iter()
            .map(|q| q.clamp(0.0, 1.0) * total * (1.0 - 1e-12))
            .collect();
        if !self.spilled.is_empty() {
            return spilled_select(&self.units, &self.spilled, &weighted, &targets);
        }
        Ok(match &self.units {
            Units::F32(v) => histogram_select(v, &weighted, &targets),
            Units::F64(v) => histogram_select(v, &weighted, &targets),
        })
    }
}

/// The values a zone of a 64-bit integer band keeps for its quantiles,
/// as exact integers: unit-weight values and `(value, weight)` pairs, as
/// [`QuantileValues`] keeps them (16 bytes a whole cell). The selection is
/// [`QuantileValues`]'s, on the integers: for values below 2^53 the same
/// value, and the same cumulative sums bit for bit.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct ExactValues {
    units: Vec<i128>,
    weighted: Vec<(i128, f64)>,
}

impl ExactValues {
    /// Keep the cells of `exact` whose `values` are not NaN, each with weight
    /// `weight` (non-positive weights are dropped). `exact[i]` is cell `i`.
    pub(super) fn add<T: Value>(&mut self, values: &[T], exact: &[i128], weight: f64) {
        if weight <= 0.0 {
            return;
        }
        let valid = values
            .iter()
            .zip(exact)
            .filter(|(v, _)| !v.is_nan())
            .map(|(_, &k)| k);
        if weight != 1.0 {
            self.weighted.extend(valid.map(|k| (k, weight)));
        } else {
            self.units.extend(valid);
        }
    }

    /// Take over the values of `other`.
    pub(super) fn merge(&mut self, other: ExactValues) {
        if self.units.is_empty() && self.weighted.is_empty() {
            *self = other;
            return;
        }
        self.units.extend_from_slice(&other.units);
        self.weighted.extend_from_slice(&other.weighted);
    }

    /// The values as `f64` (the nearest one beyond 2^53), for what is not
    /// exact (the Gini coefficient) or an accumulator that also took `f64` runs.
    pub(super) fn to_f64(&self) -> QuantileValues {
        let mut values = QuantileValues::default();
        let units: Vec<f64> = self.units.iter().map(|&k| k as f64).collect();
        values.add(&units, 1.0);
        values
            .weighted
            .extend(self.weighted.iter().map(|&(k, w)| (k as f64, w)));
        values
    }

    /// The quantile at each level, as [`QuantileValues::quantiles`] selects
    /// it; reorders the kept values.
    pub(super) fn quantiles(&mut self, levels: &[f64]) -> Vec<Option<i128>> {
        self.weighted.sort_by_key(|a| a.0);
        let weighted = Weighted::new(&self.weighted);
        let total = self.units.len() as f64 + weighted.total();
        if total <= 0.0 {
            return vec![None; levels.len()];
        }
        let targets: Vec<f64> = levels
            .iter()
            .map(|q| q.clamp(0.0, 1.0) * total * (1.0 - 1e-12))
            .collect();
        histogram_select(&self.units, &weighted, &targets)
    }
}

impl QuantileValues {
    /// The Gini coefficient of the kept values,
    /// `Σ_i Σ_j w_i w_j |x_i - x_j| / (2 W² μ)`, computed in one walk over the
    /// values in increasing order as `Σ_i w_i x_i (2 B_i + w_i - W) / (W Σ w x)`
    /// (`B_i` the weight before value `i`). `None` when the total weight or the
    /// weighted sum is not positive. Meant for non-negative values. The
    /// coefficient does not depend on the values' scale, so values beyond
    /// 2^500 are scaled down (by 2^-600, exactly) first and a value of
    /// `f64::MAX` is no trouble; an infinite value makes it NaN (`inf / inf`).
    ///
    /// ```
    /// use terralux::stats::QuantileValues;
    /// let mut q = QuantileValues::default();
    /// q.add(&[0.0, 1.0], 1.0);
    /// assert_eq!(q.gini(), Some(0.5));
    /// q.add(&[f64::INFINITY], 1.0);
    /// assert!(q.gini().unwrap().is_nan());
    /// ```
    ///
    /// # Panics
    /// As [`QuantileValues::quantiles`], when spilled values cannot be read back.
    pub fn gini(&mut self) -> Option<f64> {
        self.try_gini()
            .unwrap_or_else(|e| panic!("spilled quantile values: {e}"))
    }

    /// [`QuantileValues::gini`], with an error when spilled values cannot be read back.
    pub(crate) fn try_gini(&mut self) -> Result<Option<f64>> {
        self.weighted.sort_by(|a, b| a.0.total_cmp(&b.0));
        if !self.spilled.is_empty() {
            return spilled_gini(&self.units, &self.spilled, &self.weighted);
        }
        Ok(self.gini_in_memory())
    }

    /// The Gini coefficient of values all in memory, `weighted` sorted.
    fn gini_in_memory(&self) -> Option<f64> {
        let mut units: Vec<f64> = match &self.units {
            Units::F32(v) => v.iter().map(|&x| x as f64).collect(),
            Units::F64(v) => v.clone(),
        };
        units.sort_unstable_by(f64::total_cmp);
        let mut weighted = std::borrow::Cow::Borrowed(&self.weighted[..]);
        let extreme = |v: Option<f64>| v.map_or(0.0, f64::abs);
        let largest = extreme(units.first().copied())
            .max(extreme(units.last().copied()))
            .max(extreme(weighted.first().map(|p| p.0)))
            .max(extreme(weighted.last().map(|p| p.0)));
        if largest.is_infinite() {
            return Some(f64::NAN);
        }
        if largest > SCALE_ABOVE {
            units.iter_mut().for_each(|x| *x *= SCALE_DOWN);
            weighted.to_mut().iter_mut().for_each(|p| p.0 *= SCALE_DOWN);
        }
        let weighted = &weighted[..];
        let total = units.len() as f64 + weighted.iter().map(|p| p.1).sum::<f64>();
        let weighted_sum =
            units.iter().sum::<f64>() + weighted.iter().map(|p| p.0 * p.1).sum::<f64>();
        if total <= 0.0 || weighted_sum <= 0.0 {
            return None;
        }
        let (mut i, mut j) = (0, 0);
        let (mut before, mut numerator) = (0.0, 0.0);
        while i < units.len() || j < weighted.len() {
            let take_unit = match (units.get(i), weighted.get(j)) {
                (Some(&u), Some(&(p, _))) => u <= p,
                (Some(_), None) => true,
                _ => false,
            };
            let (x, w) = if take_unit {
                i += 1;
                (units[i - 1], 1.0)
            } else {
                j += 1;
                weighted[j - 1]
            };
            gini_step(&mut numerator, &mut before, x, w, total);
        }
        Some(numerator / (total * weighted_sum))
    }
}

/// One value of the Gini coefficient's walk: its term, then the weight before the next.
#[inline]
fn gini_step(numerator: &mut f64, before: &mut f64, x: f64, w: f64, total: f64) {
    *numerator += w * x * (2.0 * *before + w - total);
    *before += w;
}

/// Values beyond this (2^500) are scaled by `SCALE_DOWN` (2^-600) for the Gini coefficient.
const SCALE_ABOVE: f64 = f64::from_bits((1023 + 500) << 52);
const SCALE_DOWN: f64 = f64::from_bits((1023 - 600) << 52);

/// Weighted pairs sorted by value, with their total weight.
struct Weighted<'a, K = f64> {
    pairs: &'a [(K, f64)],
    total: f64,
}

impl<'a, K> Weighted<'a, K> {
    fn new(pairs: &'a [(K, f64)]) -> Self {
        Weighted {
            pairs,
            total: pairs.iter().map(|p| p.1).sum(),
        }
    }

    fn total(&self) -> f64 {
        self.total
    }
}

/// Bits of the order-preserving key that make a bucket: sign, exponent and
/// three bits of mantissa of the value as `f32` (4,096 buckets, each an
/// eighth of an octave wide).
const BUCKET_BITS: u32 = 12;
const BUCKETS: usize = 1 << BUCKET_BITS;

/// The bucket of a value: buckets increase with the value (the key of
/// `v as f32`, whose rounding keeps the order), and equal values share one.
fn bucket(v: f64) -> usize {
    let f = if v == 0.0 { 0.0f32 } else { v as f32 };
    let bits = f.to_bits();
    let key = if bits & 0x8000_0000 != 0 {
        !bits
    } else {
        bits | 0x8000_0000
    };
    (key >> (32 - BUCKET_BITS)) as usize
}

/// A value the selection orders: an `f64` (in total order, where `==`
/// groups -0 with 0) or an exact integer (64-bit bands).
trait Key: Copy + PartialEq {
    /// The value's bucket: buckets increase with the value.
    fn bucket(self) -> usize;
    /// The smaller of two values.
    fn smaller(self, other: Self) -> Self;
    /// Sort values in increasing order.
    fn sort(values: &mut [Self]);
}

impl Key for f64 {
    fn bucket(self) -> usize {
        bucket(self)
    }
    fn smaller(self, other: f64) -> f64 {
        self.min(other)
    }
    fn sort(values: &mut [f64]) {
        values.sort_unstable_by(f64::total_cmp);
    }
}

impl Key for i128 {
    /// The bucket of the nearest `f64` (the conversion keeps the order).
    fn bucket(self) -> usize {
        bucket(self as f64)
    }
    fn smaller(self, other: i128) -> i128 {
        self.min(other)
    }
    fn sort(values: &mut [i128]) {
        values.sort_unstable();
    }
}

/// For each target weight, the smallest value whose cumulative weight
/// reaches it, over unit-weight `units` and the weighted pairs.
///
/// Two linear passes instead of a sort: a histogram of weight per bucket
/// finds the bucket where each target is crossed, then only the values in
/// those buckets are collected, sorted and walked.
fn histogram_select<K: Key, T: Copy + Into<K>>(
    units: &[T],
    weighted: &Weighted<'_, K>,
    targets: &[f64],
) -> Vec<Option<K>> {
    let mut mass = vec![0.0f64; BUCKETS];
    for &u in units {
        mass[u.into().bucket()] += 1.0;
    }
    for &(v, w) in weighted.pairs {
        mass[v.bucket()] += w;
    }
    let found = find_buckets(&mass, targets);
    // Collect and sort the unit values of those buckets only.
    let wanted = wanted_buckets(&found);
    let mut members: Vec<Vec<K>> = vec![Vec::new(); wanted.len()];
    if !wanted.is_empty() {
        let mut slot = vec![usize::MAX; BUCKETS];
        for (i, &b) in wanted.iter().enumerate() {
            slot[b] = i;
        }
        for &u in units {
            let v: K = u.into();
            let i = slot[v.bucket()];
            if i != usize::MAX {
                members[i].push(v);
            }
        }
        for m in &mut members {
            K::sort(m);
        }
    }
    targets
        .iter()
        .zip(&found)
        .map(|(&target, found)| {
            let (b, below) = (*found)?;
            let i = wanted.binary_search(&b).ok()?;
            let units = members[i].iter().map(|&v| (v, 1));
            walk(units, bucket_pairs(weighted.pairs, b), below, target)
        })
        .collect()
}

/// The bucket where each target weight is reached, and the weight below it.
fn find_buckets(mass: &[f64], targets: &[f64]) -> Vec<Option<(usize, f64)>> {
    let last_nonempty = mass.iter().rposition(|&m| m > 0.0);
    targets
        .iter()
        .map(|&target| {
            let mut below = 0.0;
            for (b, &m) in mass.iter().enumerate() {
                if m > 0.0 && below + m >= target {
                    return Some((b, below));
                }
                below += m;
            }
            // Rounding left the target just out of reach: the last bucket holds the answer.
            last_nonempty.map(|b| (b, below - mass[b]))
        })
        .collect()
}

/// The distinct buckets of `found`, in increasing order.
fn wanted_buckets(found: &[Option<(usize, f64)>]) -> Vec<usize> {
    let mut wanted: Vec<usize> = found.iter().flatten().map(|f| f.0).collect();
    wanted.sort_unstable();
    wanted.dedup();
    wanted
}

/// The weighted pairs (sorted by value) that fall in bucket `b`.
fn bucket_pairs<K: Key>(pairs: &[(K, f64)], b: usize) -> &[(K, f64)] {
    let start = pairs.partition_point(|p| p.0.bucket() < b);
    let pairs = &pairs[start..];
    &pairs[..pairs.iter().take_while(|p| p.0.bucket() == b).count()]
}

/// Walk the unit values of one bucket (`(value, count)` in increasing order,
/// equal values possibly in several entries) and its sorted weighted pairs
/// in value order, starting from the weight `below` the bucket; return the
/// first value whose cumulative weight reaches `target` (else the bucket's
/// largest). Each unit value adds 1.0 to the cumulative weight, one
/// addition at a time as far as rounding goes ([`add_ones`]).
fn walk<K: Key>(
    units: impl Iterator<Item = (K, u64)>,
    pairs: &[(K, f64)],
    below: f64,
    target: f64,
) -> Option<K> {
    let mut units = units.peekable();
    let mut j = 0;
    let mut cumulative = below;
    let mut last = None;
    loop {
        let v = match (units.peek(), pairs.get(j)) {
            (Some(&(u, _)), Some(&(p, _))) => u.smaller(p),
            (Some(&(u, _)), None) => u,
            (None, Some(&(p, _))) => p,
            (None, None) => break,
        };
        while let Some(&(_, n)) = units.peek().filter(|u| u.0 == v) {
            cumulative = add_ones(cumulative, n);
            units.next();
        }
        while j < pairs.len() && pairs[j].0 == v {
            cumulative += pairs[j].1;
            j += 1;
        }
        if cumulative >= target {
            return Some(v);
        }
        last = Some(v);
    }
    last
}

const TWO_53: f64 = 9_007_199_254_740_992.0;

/// `c` after `n` additions of 1.0, each rounded as `f64` addition rounds
/// (the same bits as the loop), in a few steps: from 2 up to 2^53 the
/// additions are exact until the sum reaches the next power of two, and
/// from 2^53 on the first addition is the last that changes anything
/// (ties to even). For `c >= 0`.
///
/// ```text
/// add_ones(0.3, 5) == 0.3 + 1.0 + 1.0 + 1.0 + 1.0 + 1.0
/// ```
fn add_ones(mut c: f64, mut n: u64) -> f64 {
    while n > 0 {
        if c >= TWO_53 {
            return c + 1.0;
        }
        if c >= 2.0 {
            // c in [2^e, 2^(e+1)), 1 <= e <= 52: 1.0 is a multiple of its ulp.
            let exponent = ((c.to_bits() >> 52) & 0x7ff) as i32 - 1023;
            let next = f64::from_bits(((exponent + 1 + 1023) as u64) << 52);
            let room = next - c; // exact (Sterbenz)
            let exact_steps = (room.ceil() as u64 - 1).min(n);
            if exact_steps > 0 {
                c += exact_steps as f64;
                n -= exact_steps;
                continue;
            }
        }
        c += 1.0;
        n -= 1;
    }
    c
}

/// The order-preserving key of an `f64` (total order: -0 just below 0).
fn key64(v: f64) -> u64 {
    let bits = v.to_bits();
    if bits >> 63 != 0 {
        !bits
    } else {
        bits | 1 << 63
    }
}

/// The `f64` of an order-preserving key.
fn from_key64(key: u64) -> f64 {
    f64::from_bits(if key >> 63 != 0 {
        key & !(1 << 63)
    } else {
        !key
    })
}

/// The order-preserving key of an `f32` (as [`bucket`] makes it).
fn key32(f: f32) -> u32 {
    let bits = f.to_bits();
    if bits & 0x8000_0000 != 0 {
        !bits
    } else {
        bits | 0x8000_0000
    }
}

/// The `f32` of an order-preserving key.
fn from_key32(key: u32) -> f32 {
    f32::from_bits(if key & 0x8000_0000 != 0 {
        key & 0x7fff_ffff
    } else {
        !key
    })
}

/// Keys below a bucket's (the `f32` key's bits under [`BUCKET_BITS`]).
const IN_BUCKET: u32 = (1 << (32 - BUCKET_BITS)) - 1;

/// A bucket whose spilled runs are more than this is counted in a dense
/// array (one count per `f32` of the bucket: 8 MiB) instead of a list.
const DENSE_ABOVE: u64 = if cfg!(test) { 64 } else { 1 << 19 };

/// Runs sorted in memory at a time by the external sort ([`SortedRuns`]:
/// the Gini coefficient, and a quantile's bucket of very many distinct
/// `f64`s; 16 bytes each: 32 MiB), and runs read back at a time from each
/// sorted piece while they are merged.
const SORT_RUNS: usize = if cfg!(test) { 100 } else { 2 << 20 };
const MERGE_READ_RUNS: usize = if cfg!(test) { 7 } else { 1 << 15 };

/// What a pass over the spill file says of its buckets.
struct SpillCounts {
    /// Values per bucket (spilled and in memory).
    cells: Vec<u64>,
    /// Spilled runs per bucket.
    runs: Vec<u64>,
    /// The smallest and largest spilled value (`None` when the runs are empty).
    range: Option<(f64, f64)>,
    /// Spilled runs per bucket whose value is not an `f32`: such a bucket
    /// cannot be counted densely.
    wide_runs: Vec<u64>,
}

impl SpillCounts {
    /// Bucket `b`'s spilled runs are too many for a list and cannot be
    /// counted densely (`f64` values): they are sorted externally.
    fn external(&self, b: usize) -> bool {
        self.runs[b] > DENSE_ABOVE && !self.dense(b)
    }

    /// Bucket `b`'s spilled runs are counted in a dense array: many, all `f32`s.
    fn dense(&self, b: usize) -> bool {
        self.runs[b] > DENSE_ABOVE && self.wide_runs[b] == 0
    }

    /// Bytes that gathering bucket `b`'s spilled runs takes ([`spilled_runs`]).
    fn merge_bytes(&self, b: usize) -> u64 {
        if self.runs[b] > DENSE_ABOVE {
            (8 + 16) << (32 - BUCKET_BITS)
        } else {
            self.runs[b] * 16 * 2
        }
    }

    fn of(units: &Units, spilled: &[Segment]) -> Result<SpillCounts> {
        let mut counts = SpillCounts {
            cells: vec![0; BUCKETS],
            runs: vec![0; BUCKETS],
            range: None,
            wide_runs: vec![0; BUCKETS],
        };
        match units {
            Units::F32(v) => v.iter().for_each(|&u| counts.cells[bucket(u as f64)] += 1),
            Units::F64(v) => v.iter().for_each(|&u| counts.cells[bucket(u)] += 1),
        }
        for segment in spilled {
            segment.for_each_run(|v, n| {
                let b = bucket(v);
                counts.cells[b] += n;
                counts.runs[b] += 1;
                counts.wide_runs[b] += u64::from(v as f32 as f64 != v);
                counts.range = Some(
                    counts
                        .range
                        .map_or((v, v), |(lo, hi)| (lo.min(v), hi.max(v))),
                );
            })?;
        }
        Ok(counts)
    }
}

/// Bytes the spilled runs of the buckets read back together may take
/// ([`spilled_runs`]); a bucket that needs more is read back alone.
const BATCH_BYTES: u64 = 64 << 20;

/// How one bucket's spilled runs are gathered: one count per `f32` of the
/// bucket (and -0 apart) when it has many runs, else a list sorted after.
enum Gathered {
    Dense(Vec<u64>, u64),
    Listed(Vec<(u64, u64)>),
}

/// The spilled values of each of `buckets`, as `(value, count)` in
/// increasing order (-0 before 0), each value once, in one pass over the file.
fn spilled_runs(
    spilled: &[Segment],
    buckets: &[usize],
    counts: &SpillCounts,
) -> Result<Vec<Vec<(f64, u64)>>> {
    let mut slot = vec![usize::MAX; BUCKETS];
    let mut gathered: Vec<Gathered> = Vec::with_capacity(buckets.len());
    for (i, &b) in buckets.iter().enumerate() {
        slot[b] = i;
        gathered.push(if counts.dense(b) {
            Gathered::Dense(vec![0; IN_BUCKET as usize + 1], 0)
        } else {
            Gathered::Listed(Vec::with_capacity(counts.runs[b] as usize))
        });
    }
    for segment in spilled {
        segment.for_each_run(|v, n| {
            let i = slot[bucket(v)];
            match gathered.get_mut(i) {
                Some(Gathered::Dense(_, negative_zero)) if v == 0.0 && v.is_sign_negative() => {
                    *negative_zero += n;
                }
                // Dense only when every spilled value of the bucket is an f32.
                Some(Gathered::Dense(dense, _)) => {
                    dense[(key32(v as f32) & IN_BUCKET) as usize] += n
                }
                Some(Gathered::Listed(runs)) => runs.push((key64(v), n)),
                None => {}
            }
        })?;
    }
    let as_values = |runs: Vec<(u64, u64)>| -> Vec<(f64, u64)> {
        runs.into_iter()
            .map(|(key, n)| (from_key64(key), n))
            .collect()
    };
    Ok(buckets
        .iter()
        .zip(gathered)
        .map(|(&b, gathered)| match gathered {
            Gathered::Dense(dense, negative_zero) => {
                let base = (b as u32) << (32 - BUCKET_BITS);
                let zero = (negative_zero > 0).then_some((-0.0, negative_zero));
                zero.into_iter()
                    .chain(
                        (0..=IN_BUCKET)
                            .zip(dense)
                            .filter(|&(_, n)| n > 0)
                            .map(|(i, n)| (from_key32(base | i) as f64, n)),
                    )
                    .collect()
            }
            Gathered::Listed(mut runs) => {
                sort_runs(&mut runs);
                as_values(runs)
            }
        })
        .collect())
}

/// A piece of [`SortedRuns`] in its scratch file: `entries` runs at `offset`.
struct Piece {
    offset: u64,
    entries: u64,
    /// Runs read back and not yet merged, and the next one's position.
    buffer: Vec<(u64, u64)>,
    at: usize,
    /// Runs not yet read back.
    unread: u64,
}

/// Bytes of a sorted run in the scratch file: the key (`u64`) and the count (`u64`).
const SORTED_RUN_BYTES: usize = 16;

/// Every spilled run of a zone in increasing order of value, as `(value,
/// count)` (equal values may come in several runs): an external sort, in
/// pieces of [`SORT_RUNS`] runs sorted in memory and written to a scratch
/// file, then merged reading [`MERGE_READ_RUNS`] of each at a time. The
/// runs are read twice and written once, whatever their number; memory is
/// a piece and the merge's buffers. A read error ends the iteration and is
/// left in `error`.
struct SortedRuns {
    scratch: Option<SpillStore>,
    pieces: Vec<Piece>,
    heap: std::collections::BinaryHeap<std::cmp::Reverse<(u64, usize)>>,
    /// Runs read back at a time from each piece.
    read_runs: usize,
    error: Option<crate::error::Error>,
}

impl SortedRuns {
    /// The runs of every value, or of bucket `only`'s.
    fn of(spilled: &[Segment], only: Option<usize>) -> Result<SortedRuns> {
        let mut sorted = SortedRuns {
            scratch: None,
            pieces: Vec::new(),
            heap: Default::default(),
            read_runs: MERGE_READ_RUNS,
            error: None,
        };
        let mut buffer: Vec<(u64, u64)> = Vec::with_capacity(SORT_RUNS);
        for segment in spilled {
            let mut failed = None;
            segment.for_each_run(|v, n| {
                if failed.is_some() || only.is_some_and(|b| bucket(v) != b) {
                    return;
                }
                buffer.push((key64(v), n));
                if buffer.len() == SORT_RUNS {
                    failed = sorted.write_piece(&mut buffer).err();
                }
            })?;
            if let Some(error) = failed {
                return Err(error);
            }
        }
        if sorted.pieces.is_empty() {
            // One piece: merged in memory, nothing written.
            sort_runs(&mut buffer);
            let entries = buffer.len() as u64;
            sorted.pieces.push(Piece {
                offset: 0,
                entries,
                buffer,
                at: 0,
                unread: 0,
            });
        } else if !buffer.is_empty() {
            sorted.write_piece(&mut buffer)?;
        }
        // The merge's buffers share MERGE_READ_RUNS x 64 runs (32 MiB) however many pieces there are.
        sorted.read_runs = (MERGE_READ_RUNS * 64 / sorted.pieces.len())
            .clamp(MERGE_READ_RUNS.min(256), MERGE_READ_RUNS);
        for i in 0..sorted.pieces.len() {
            sorted.refill(i)?;
            if let Some(&(key, _)) = sorted.pieces[i].buffer.first() {
                sorted.heap.push(std::cmp::Reverse((key, i)));
            }
        }
        Ok(sorted)
    }

    /// Sort `buffer`'s runs, write them as a piece, and empty it.
    fn write_piece(&mut self, buffer: &mut Vec<(u64, u64)>) -> Result<()> {
        sort_runs(buffer);
        let scratch = match &mut self.scratch {
            Some(scratch) => scratch,
            slot => slot.insert(SpillStore::create(None)?),
        };
        let mut offset = None;
        for part in buffer.chunks(1 << 16) {
            let bytes: Vec<u8> = part
                .iter()
                .flat_map(|&(key, n)| key.to_le_bytes().into_iter().chain(n.to_le_bytes()))
                .collect();
            let at = scratch.write_block(&bytes)?;
            offset.get_or_insert(at);
        }
        let entries = buffer.len() as u64;
        self.pieces.push(Piece {
            offset: offset.unwrap_or(0),
            entries,
            buffer: Vec::new(),
            at: 0,
            unread: entries,
        });
        buffer.clear();
        Ok(())
    }

    /// Read the next runs of piece `i` when its buffer is used up.
    fn refill(&mut self, i: usize) -> Result<()> {
        let piece = &mut self.pieces[i];
        if piece.at < piece.buffer.len() || piece.unread == 0 {
            return Ok(());
        }
        let Some(scratch) = &self.scratch else {
            return Ok(());
        };
        let n = piece.unread.min(self.read_runs as u64) as usize;
        let mut bytes = vec![0u8; n * SORTED_RUN_BYTES];
        let read = piece.entries - piece.unread;
        scratch.read_block(piece.offset + read * SORTED_RUN_BYTES as u64, &mut bytes)?;
        piece.buffer.clear();
        piece
            .buffer
            .extend(bytes.chunks_exact(SORTED_RUN_BYTES).map(|b| {
                let (key, n) = b.split_at(8);
                let key = u64::from_le_bytes(key.try_into().unwrap_or_default());
                let n = u64::from_le_bytes(n.try_into().unwrap_or_default());
                (key, n)
            }));
        piece.at = 0;
        piece.unread -= n as u64;
        Ok(())
    }
}

impl Iterator for SortedRuns {
    type Item = (f64, u64);

    fn next(&mut self) -> Option<(f64, u64)> {
        let std::cmp::Reverse((key, i)) = self.heap.pop()?;
        let piece = &mut self.pieces[i];
        let (_, n) = piece.buffer[piece.at];
        piece.at += 1;
        if let Err(error) = self.refill(i) {
            self.error = Some(error);
            self.heap.clear();
            return None;
        }
        let piece = &self.pieces[i];
        if let Some(&(next, _)) = piece.buffer.get(piece.at) {
            self.heap.push(std::cmp::Reverse((next, i)));
        }
        Some((from_key64(key), n))
    }
}

/// Sort runs by key and merge those of one key.
fn sort_runs<K: Ord + Copy>(runs: &mut Vec<(K, u64)>) {
    runs.sort_unstable_by_key(|r| r.0);
    runs.dedup_by(|next, kept| {
        let same = next.0 == kept.0;
        if same {
            kept.1 += next.1;
        }
        same
    });
}

/// Two sorted `(value, count)` sequences as one, in total order.
fn merge_sorted(
    a: impl Iterator<Item = (f64, u64)>,
    b: impl Iterator<Item = (f64, u64)>,
) -> impl Iterator<Item = (f64, u64)> {
    let (mut a, mut b) = (a.peekable(), b.peekable());
    std::iter::from_fn(move || match (a.peek(), b.peek()) {
        (Some(x), Some(y)) if y.0.total_cmp(&x.0).is_lt() => b.next(),
        (Some(_), _) => a.next(),
        (None, _) => b.next(),
    })
}

/// The unit values of `units` in bucket `b`, sorted.
fn members_in(units: &Units, b: usize) -> Vec<f64> {
    let mut members: Vec<f64> = match units {
        Units::F32(v) => v
            .iter()
            .map(|&u| u as f64)
            .filter(|&u| bucket(u) == b)
            .collect(),
        Units::F64(v) => v.iter().copied().filter(|&u| bucket(u) == b).collect(),
    };
    f64::sort(&mut members);
    members
}

/// [`histogram_select`] over values partly in the spill file: one pass
/// counts the values per bucket (the same histogram: unit counts are
/// exact), a second counts the spilled values of the buckets the targets
/// fall in per distinct value.
fn spilled_select(
    units: &Units,
    spilled: &[Segment],
    weighted: &Weighted<'_, f64>,
    targets: &[f64],
) -> Result<Vec<Option<f64>>> {
    let counts = SpillCounts::of(units, spilled)?;
    let mut mass: Vec<f64> = counts.cells.iter().map(|&n| n as f64).collect();
    for &(v, w) in weighted.pairs {
        mass[v.bucket()] += w;
    }
    let found = find_buckets(&mass, targets);
    // The wanted buckets in batches that fit BATCH_BYTES: one pass over the file each.
    let mut batches: Vec<Vec<usize>> = Vec::new();
    let mut external = Vec::new();
    let mut bytes = 0;
    for b in wanted_buckets(&found) {
        if counts.external(b) {
            external.push(b);
            continue;
        }
        let cost = counts.merge_bytes(b);
        match batches.last_mut() {
            Some(batch) if bytes + cost <= BATCH_BYTES => {
                batch.push(b);
                bytes += cost;
            }
            _ => {
                batches.push(vec![b]);
                bytes = cost;
            }
        }
    }
    let mut selected = vec![None; targets.len()];
    for batch in batches {
        let runs = spilled_runs(spilled, &batch, &counts)?;
        for (b, spilled_runs) in batch.into_iter().zip(runs) {
            let members = members_in(units, b);
            for ((&target, found), selected) in targets.iter().zip(&found).zip(&mut selected) {
                let Some((_, below)) = found.filter(|f| f.0 == b) else {
                    continue;
                };
                let units = merge_sorted(
                    members.iter().map(|&v| (v, 1)),
                    spilled_runs.iter().copied(),
                );
                *selected = walk(units, bucket_pairs(weighted.pairs, b), below, target);
            }
        }
    }
    // Buckets of too many runs with f64 values: an external sort of each, for each target in it.
    for b in external {
        let members = members_in(units, b);
        for ((&target, found), selected) in targets.iter().zip(&found).zip(&mut selected) {
            let Some((_, below)) = found.filter(|f| f.0 == b) else {
                continue;
            };
            let mut sorted = SortedRuns::of(spilled, Some(b))?;
            let units = merge_sorted(members.iter().map(|&v| (v, 1)), &mut sorted);
            *selected = walk(units, bucket_pairs(weighted.pairs, b), below, target);
            if let Some(error) = sorted.error.take() {
                return Err(error);
            }
        }
    }
    Ok(selected)
}

/// [`QuantileValues::gini`] over values partly in the spill file: the same
/// walk over every value in increasing order, the spilled ones sorted
/// externally ([`SortedRuns`]). `weighted` sorted.
fn spilled_gini(
    units: &Units,
    spilled: &[Segment],
    weighted: &[(f64, f64)],
) -> Result<Option<f64>> {
    let counts = SpillCounts::of(units, spilled)?;
    let mut in_memory: Vec<f64> = match units {
        Units::F32(v) => v.iter().map(|&x| x as f64).collect(),
        Units::F64(v) => v.clone(),
    };
    in_memory.sort_unstable_by(f64::total_cmp);
    // The extremes, as gini_in_memory takes them from the sorted values.
    let extreme = |v: Option<f64>| v.map_or(0.0, f64::abs);
    let (lo, hi) = counts.range.unwrap_or((0.0, 0.0));
    let largest = extreme(in_memory.first().copied())
        .max(extreme(in_memory.last().copied()))
        .max(lo.abs())
        .max(hi.abs())
        .max(extreme(weighted.first().map(|p| p.0)))
        .max(extreme(weighted.last().map(|p| p.0)));
    if largest.is_infinite() {
        return Ok(Some(f64::NAN));
    }
    let scale = if largest > SCALE_ABOVE {
        SCALE_DOWN
    } else {
        1.0
    };
    let scaled_pairs: Vec<(f64, f64)> = weighted.iter().map(|p| (p.0 * scale, p.1)).collect();
    let cells = in_memory.len() as u64 + spilled.iter().map(|s| s.cells).sum::<u64>();
    let total = cells as f64 + scaled_pairs.iter().map(|p| p.1).sum::<f64>();
    // The walk, with the sum of the unit values in increasing order on the way.
    let mut units_sum = std::iter::empty::<f64>().sum::<f64>();
    let (mut before, mut numerator) = (0.0, 0.0);
    let mut j = 0;
    let mut walk_run = |x: f64, n: u64| {
        let x = x * scale;
        // Pairs below x first; at x, units first (as `u <= p` takes them). No value is NaN.
        while j < scaled_pairs.len() && scaled_pairs[j].0 < x {
            let (p, w) = scaled_pairs[j];
            gini_step(&mut numerator, &mut before, p, w, total);
            j += 1;
        }
        if x == 0.0 {
            // A zero's term is ±0, which changes neither sum (neither is -0 but at its start).
            units_sum += x;
            before = add_ones(before, n);
        } else {
            for _ in 0..n {
                units_sum += x;
                gini_step(&mut numerator, &mut before, x, 1.0, total);
            }
        }
    };
    let mut sorted = SortedRuns::of(spilled, None)?;
    for (x, n) in merge_sorted(in_memory.iter().map(|&v| (v, 1)), &mut sorted) {
        walk_run(x, n);
    }
    if let Some(error) = sorted.error.take() {
        return Err(error);
    }
    // The pairs above every unit value.
    for &(p, w) in &scaled_pairs[j..] {
        gini_step(&mut numerator, &mut before, p, w, total);
    }
    let weighted_sum = units_sum + scaled_pairs.iter().map(|p| p.0 * p.1).sum::<f64>();
    if total <= 0.0 || weighted_sum <= 0.0 {
        return Ok(None);
    }
    Ok(Some(numerator / (total * weighted_sum)))
}

impl Codec for Units {
    fn encode(&self, w: &mut Writer) {
        match self {
            Units::F32(v) => {
                w.u8(0);
                w.put(v);
            }
            Units::F64(v) => {
                w.u8(1);
                w.put(v);
            }
        }
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self> {
        Ok(match r.tag(2, "kind of kept values")? {
            0 => Units::F32(r.get()?),
            _ => Units::F64(r.get()?),
        })
    }
}

impl Codec for QuantileValues {
    /// Spilled values are written with the others (the engine never spills
    /// the partials it encodes; a spill file that cannot be read back panics).
    fn encode(&self, w: &mut Writer) {
        if self.spilled.is_empty() {
            w.put(&self.units);
        } else {
            let mut units = self.units.clone();
            for segment in &self.spilled {
                let mut values = Vec::with_capacity(segment.cells as usize);
                segment
                    .for_each_run(|v, n| values.extend(std::iter::repeat_n(v, n as usize)))
                    .unwrap_or_else(|e| panic!("spilled quantile values: {e}"));
                units.append(if segment.wide {
                    Units::F64(values)
                } else {
                    Units::F32(values.into_iter().map(|v| v as f32).collect())
                });
            }
            w.put(&units);
        }
        w.put(&self.weighted);
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self> {
        Ok(QuantileValues {
            units: r.get()?,
            weighted: r.get()?,
            spilled: Vec::new(),
        })
    }
}

impl Codec for ExactValues {
    fn encode(&self, w: &mut Writer) {
        w.put(&self.units);
        w.put(&self.weighted);
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self> {
        Ok(ExactValues {
            units: r.get()?,
            weighted: r.get()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A seeded linear congruential generator (Knuth's MMIX constants): its next state.
    fn lcg(mut state: u64) -> impl FnMut() -> u64 {
        move || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            state
        }
    }

    /// Sort-based reference.
    fn by_sorting(pairs: &[(f64, f64)], q: f64) -> Option<f64> {
        let mut sorted = pairs.to_vec();
        sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
        let total: f64 = sorted.iter().map(|p| p.1).sum();
        if total <= 0.0 {
            return None;
        }
        let target = q * total * (1.0 - 1e-12);
        let mut cumulative = 0.0;
        for &(v, w) in &sorted {
            cumulative += w;
            if cumulative >= target {
                return Some(v);
            }
        }
        sorted.last().map(|p| p.0)
    }

    #[test]
    fn selection_equals_sorting_on_random_mixtures() {
        let mut step = lcg(12345);
        let mut next = || (step() >> 33) as f64 / (1u64 << 31) as f64;
        for case in 0..300 {
            let n_units = (next() * 200.0) as usize;
            let n_weighted = (next() * 20.0) as usize;
            let distinct = 1.0 + (next() * 30.0).floor();
            let mut values = QuantileValues::default();
            let mut pairs = Vec::new();
            for _ in 0..n_units {
                let scale = [1.0, 1e-3, 1e3, -1.0, -7.5e-5][case % 5];
                let v = (next() * distinct).floor() * 0.5 * scale;
                let v = if v == 0.0 && case % 3 == 0 { -0.0 } else { v };
                values.add(&[v], 1.0);
                pairs.push((v, 1.0));
            }
            for _ in 0..n_weighted {
                let v = (next() * distinct).floor() * 0.5 + if case % 2 == 0 { 0.25 } else { 0.0 };
                let w = next();
                values.add(&[v], w);
                if w > 0.0 {
                    pairs.push((v, w));
                }
            }
            let levels = [0.0, 0.1, 0.25, 0.5, 0.9, 0.995, 1.0];
            let got = values.quantiles(&levels);
            for (q, g) in levels.iter().zip(got) {
                assert_eq!(g, by_sorting(&pairs, *q), "case {case}, q {q}");
            }
        }
    }

    #[test]
    fn exact_selection_equals_sorting_integers() {
        let mut step = lcg(987654321);
        let mut next = || step() >> 11;
        for case in 0..200 {
            // Values a few apart near 2^62 (one f64), or spread over all of u64.
            let base: i128 = [1 << 62, 0, -(1 << 62), u64::MAX as i128 - 64][case % 4];
            let spread = if case % 5 == 0 { 1u64 << 52 } else { 40 };
            let mut values = ExactValues::default();
            let mut pairs: Vec<(i128, f64)> = Vec::new();
            for _ in 0..(next() % 150) {
                let v = base + (next() % spread) as i128;
                let w = if next() % 4 == 0 {
                    (next() % 1000) as f64 / 1000.0
                } else {
                    1.0
                };
                values.add(&[v as f64], &[v], w);
                if w > 0.0 {
                    pairs.push((v, w));
                }
            }
            values.add(&[f64::NAN], &[base], 1.0); // invalid: not kept
            pairs.sort_by_key(|a| a.0);
            let total: f64 = pairs.iter().map(|p| p.1).sum();
            let levels = [0.0, 0.1, 0.5, 0.9, 1.0];
            let got = values.quantiles(&levels);
            for (q, g) in levels.iter().zip(got) {
                let want = (total > 0.0).then(|| {
                    let target = q * total * (1.0 - 1e-12);
                    let mut cumulative = 0.0;
                    for &(v, w) in &pairs {
                        cumulative += w;
                        if cumulative >= target {
                            return v;
                        }
                    }
                    pairs[pairs.len() - 1].0
                });
                assert_eq!(g, want, "case {case}, q {q}");
            }
        }
    }

    #[test]
    fn adding_ones_in_steps_is_adding_them_one_by_one() {
        let mut step = lcg(777);
        let mut next = || step() >> 11;
        let starts = [
            0.0,
            0.3,
            1.0,
            1.7,
            2.0,
            3.0 + f64::EPSILON * 2.0,
            1023.9,
            4096.5,
        ];
        for case in 0..400 {
            let c = match case % 4 {
                0 => starts[case % starts.len()],
                1 => (next() % 100_000) as f64 / 7.0,
                2 => TWO_53 - (next() % 50) as f64,
                _ => ((next() % 1000) as f64 + 0.1) * 2f64.powi((next() % 45) as i32),
            };
            let n = next() % 3000;
            let mut one_by_one = c;
            for _ in 0..n {
                one_by_one += 1.0;
            }
            assert_eq!(
                add_ones(c, n).to_bits(),
                one_by_one.to_bits(),
                "c {c}, n {n}"
            );
        }
    }

    /// A store the tests spill to.
    fn store() -> Arc<SpillStore> {
        Arc::new(SpillStore::create(None).unwrap())
    }

    /// The same values, in memory and spilled every few additions, give the
    /// same bits: quantiles and Gini coefficient, through every path of the
    /// spilled selection (dense, listed and externally sorted buckets,
    /// `f32` and `f64` runs).
    #[test]
    fn spilled_values_give_the_same_bits() {
        let store = store();
        let mut step = lcg(4242);
        let mut next = || (step() >> 33) as f64 / (1u64 << 31) as f64;
        for case in 0..120 {
            let mut kept = QuantileValues::default();
            let mut spilled = QuantileValues::default();
            let distinct = [3.0, 40.0, 5000.0][case % 3];
            let n = 50 + (next() * 3000.0) as usize;
            for i in 0..n {
                let v = match case % 4 {
                    // Mostly zeros (-0 among them), as the dark is.
                    0 if next() < 0.8 => {
                        if next() < 0.1 {
                            -0.0
                        } else {
                            0.0
                        }
                    }
                    // One narrow bucket of many distinct values.
                    1 => 1.0 + (next() * distinct).floor() / 65536.0,
                    _ => (next() * distinct).floor() * [0.25, 1.5, 1e3, 7e-5][case % 4],
                };
                // Every seventh case has f64 values (spilled wide, a narrow
                // bucket of them sorted externally); the others f32s.
                let v = if case % 7 == 3 {
                    v * (1.0 + 1e-12)
                } else {
                    v as f32 as f64
                };
                let (weight, values) = if next() < 0.1 {
                    (next(), [v])
                } else {
                    (1.0, [v])
                };
                kept.add(&values, weight);
                let mut part = QuantileValues::default();
                part.add(&values, weight);
                spilled.merge(part);
                if i % [1, 7, 300][case % 3] == 0 || i + 1 == n {
                    spilled.spill(&store).unwrap();
                }
            }
            if case % 5 == 0 {
                // An f64 value makes the in-memory ones wide; those spilled before stay f32.
                kept.add(&[0.1], 1.0);
                spilled.add(&[0.1], 1.0);
            }
            assert!(!spilled.spilled.is_empty());
            assert_eq!(kept.len(), spilled.len());
            let levels = [0.0, 0.01, 0.25, 0.5, 0.77, 0.9, 0.999, 1.0];
            let want = kept.quantiles(&levels);
            assert_eq!(spilled.try_quantiles(&levels).unwrap(), want, "case {case}");
            let (a, b) = (kept.gini(), spilled.try_gini().unwrap());
            assert_eq!(
                a.map(f64::to_bits),
                b.map(f64::to_bits),
                "case {case}: {a:?} {b:?}"
            );
        }
    }

    /// One value spilled as an f32 run and again as an f64 run (the zone's
    /// values widened in between) is one value, in every path.
    #[test]
    fn a_value_spilled_narrow_and_wide_is_one_value() {
        let store = store();
        let (mut kept, mut spilled) = (QuantileValues::default(), QuantileValues::default());
        let narrow: Vec<f32> = (0..500).map(|i| 1.0 + (i % 150) as f32 / 1024.0).collect();
        let wide: Vec<f64> = (0..500).map(|i| 1.0 + (i % 190) as f64 / 1024.0).collect();
        for q in [&mut kept, &mut spilled] {
            q.add(&narrow, 1.0);
        }
        spilled.spill(&store).unwrap();
        for q in [&mut kept, &mut spilled] {
            q.add(&[1.0 + 1e-9], 1.0); // not an f32: the values widen
            q.add(&wide, 1.0);
            q.add(&[1.0625], 0.5);
        }
        spilled.spill(&store).unwrap();
        assert!(spilled.spilled[0].cells == 500 && spilled.spilled[1].wide);
        let levels = [0.0, 0.3, 0.5, 0.51, 0.9, 1.0];
        assert_eq!(
            spilled.try_quantiles(&levels).unwrap(),
            kept.quantiles(&levels)
        );
        assert_eq!(
            spilled.try_gini().unwrap().map(f64::to_bits),
            kept.gini().map(f64::to_bits)
        );
    }

    #[test]
    fn spilled_values_travel_as_bytes() {
        let mut values = QuantileValues::default();
        values.add(&[1.0f32, 1.0, 2.0], 1.0);
        values.spill(&store()).unwrap();
        values.add(&[3.0f32], 1.0);
        values.add(&[4.0f32], 0.5);
        let mut w = Writer::default();
        values.encode(&mut w);
        let mut back = QuantileValues::decode(&mut Reader::new(&w.bytes, "test")).unwrap();
        assert!(back.spilled.is_empty());
        assert_eq!(back.len(), 5);
        assert_eq!(back.quantiles(&[0.5, 1.0]), values.quantiles(&[0.5, 1.0]));
    }

    #[test]
    fn values_widen_to_f64_when_needed() {
        let mut q = QuantileValues::default();
        q.add(&[1.5, 2.5], 1.0);
        assert!(matches!(q.units, Units::F32(_)));
        q.add(&[0.1], 1.0);
        assert!(matches!(q.units, Units::F64(_)));
        assert_eq!(q.quantiles(&[0.0, 1.0]), vec![Some(0.1), Some(2.5)]);
    }
}
