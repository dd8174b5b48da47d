//! Weighted quantiles as the inverse of the weighted CDF: the kept values of
//! a zone ([`QuantileValues`]) and the selection that finishes them.

use super::Value;
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
        if self.units.len() == 0 && self.weighted.is_empty() {
            *self = other;
            return;
        }
        self.units.append(other.units);
        self.weighted.extend_from_slice(&other.weighted);
    }

    /// Number of values kept.
    pub fn len(&self) -> usize {
        self.units.len() + self.weighted.len()
    }

    /// True when no value is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The quantile at each level (see [`weighted_quantiles`]); reorders the kept values.
    pub fn quantiles(&mut self, levels: &[f64]) -> Vec<Option<f64>> {
        self.weighted.sort_by(|a, b| a.0.total_cmp(&b.0));
        let weighted = Weighted::new(&self.weighted);
        let total = self.units.len() as f64 + weighted.total();
        if total <= 0.0 {
            return vec![None; levels.len()];
        }
        let targets: Vec<f64> = levels
            .iter()
            .map(|q| q.clamp(0.0, 1.0) * total * (1.0 - 1e-12))
            .collect();
        match &self.units {
            Units::F32(v) => histogram_select(v, &weighted, &targets),
            Units::F64(v) => histogram_select(v, &weighted, &targets),
        }
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
    pub fn gini(&mut self) -> Option<f64> {
        self.weighted.sort_by(|a, b| a.0.total_cmp(&b.0));
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
            numerator += w * x * (2.0 * before + w - total);
            before += w;
        }
        Some(numerator / (total * weighted_sum))
    }
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
    // The bucket where each target is reached, and the weight below it.
    let last_nonempty = mass.iter().rposition(|&m| m > 0.0);
    let found: Vec<Option<(usize, f64)>> = targets
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
        .collect();
    // Collect and sort the unit values of those buckets only.
    let mut wanted: Vec<usize> = found.iter().flatten().map(|f| f.0).collect();
    wanted.sort_unstable();
    wanted.dedup();
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
            let in_bucket = |p: &(K, f64)| p.0.bucket() == b;
            let start = weighted.pairs.partition_point(|p| p.0.bucket() < b);
            let pairs = &weighted.pairs[start..];
            let pairs = &pairs[..pairs.iter().take_while(|p| in_bucket(p)).count()];
            walk(&members[i], pairs, below, target)
        })
        .collect()
}

/// Walk sorted unit values and sorted weighted pairs of one bucket in value
/// order, starting from the weight `below` the bucket; return the first
/// value whose cumulative weight reaches `target` (else the bucket's largest).
fn walk<K: Key>(units: &[K], pairs: &[(K, f64)], below: f64, target: f64) -> Option<K> {
    let (mut i, mut j) = (0, 0);
    let mut cumulative = below;
    let mut last = None;
    while i < units.len() || j < pairs.len() {
        let v = match (units.get(i), pairs.get(j)) {
            (Some(&u), Some(&(p, _))) => u.smaller(p),
            (Some(&u), None) => u,
            (None, Some(&(p, _))) => p,
            (None, None) => break,
        };
        while i < units.len() && units[i] == v {
            cumulative += 1.0;
            i += 1;
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
    fn encode(&self, w: &mut Writer) {
        w.put(&self.units);
        w.put(&self.weighted);
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self> {
        Ok(QuantileValues {
            units: r.get()?,
            weighted: r.get()?,
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
        let mut state = 12345u64;
        let mut next = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 33) as f64 / (1u64 << 31) as f64
        };
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
        let mut state = 987654321u64;
        let mut next = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            state >> 11
        };
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
    fn values_widen_to_f64_when_needed() {
        let mut q = QuantileValues::default();
        q.add(&[1.5, 2.5], 1.0);
        assert!(matches!(q.units, Units::F32(_)));
        q.add(&[0.1], 1.0);
        assert!(matches!(q.units, Units::F64(_)));
        assert_eq!(q.quantiles(&[0.0, 1.0]), vec![Some(0.1), Some(2.5)]);
    }
}
