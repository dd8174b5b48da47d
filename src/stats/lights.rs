//! The night-light indicators' state: the sums behind `tnl`, `tnl_area`,
//! `mean_area`, `density`, `lit_area_km2`, `lit_frac`, `ali`, `cnli`,
//! `theil`, `per_capita` and `lit_pop_frac`, gathered run by run, merged,
//! and finished into each indicator's value.
//!
//! The core [`Accumulator`](super::Accumulator) holds one [`Lights`] and
//! delegates to it. A new indicator is added here (its sums, how a run adds
//! to them and merges, its value, and [`Lights::serves`]), besides its
//! [`Stat`] variant, name and definition.

use super::accumulator::{CompensatedSum, DOWN, RunMoments, times};
use super::{RunWeights, Stat, StatValue, Value, ZoneFacts};
use crate::codec::{Codec, Reader, Writer};
use crate::error::Result;

/// Sums behind the night-light indicators, with the lit threshold.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(super) struct Lights {
    /// The lit threshold `T`; `None` when no indicator is asked (nothing is gathered).
    threshold: Option<f64>,
    /// Σ c v
    tnl: CompensatedSum,
    /// Σ c A
    area: CompensatedSum,
    /// Σ c A v
    area_values: CompensatedSum,
    /// Σ c A [v > T]
    lit_area: CompensatedSum,
    /// Σ c [v > T]
    lit_weight: CompensatedSum,
    /// Σ c v [v > T]
    lit_values: CompensatedSum,
    /// Σ c u and Σ c v over cells where the weights raster u is valid; Σ c u [v > T]
    pop: CompensatedSum,
    pop_values: CompensatedSum,
    lit_pop: CompensatedSum,
    /// Σ w v ln v over v > 0 (Theil), from runs where it stays below 2^900;
    x_ln_x: CompensatedSum,
    /// and Σ w (v 2^-600) ln v from the others (values near `f64::MAX`).
    x_ln_x_scaled: CompensatedSum,
}

/// What the indicators read of the core statistics when a zone is finished.
pub(super) struct Core {
    /// The zone has valid cells of positive total weight.
    pub(super) has_values: bool,
    /// The smallest value of a valid cell with `w > 0` (`inf` without one).
    pub(super) min: f64,
    /// The largest value of a valid cell with `w > 0` (`-inf` without one).
    pub(super) max: f64,
    /// Σ w over valid cells.
    pub(super) weight: f64,
    /// Σ w v over valid cells.
    pub(super) weighted_values: f64,
    /// The weighted moments' mean (of the finite values).
    pub(super) mean: f64,
    /// Some valid value was infinite.
    pub(super) infinite: bool,
}

/// Bound on a run's `Σ w v ln v` kept unscaled.
const X_LN_X_LIMIT: f64 = f64::from_bits((1023 + 900) << 52);

impl Lights {
    /// Whether `stat` is a night-light indicator, one that needs these sums.
    pub(super) fn serves(stat: &Stat) -> bool {
        matches!(
            stat,
            Stat::Tnl
                | Stat::TnlArea
                | Stat::AreaMean
                | Stat::Density
                | Stat::LitAreaKm2(_)
                | Stat::LitFrac(_)
                | Stat::Ali { .. }
                | Stat::Cnli { .. }
                | Stat::Theil
                | Stat::PerCapita
                | Stat::LitPopFrac(_)
        )
    }

    /// Empty sums, gathered only when some of `stats` is an indicator.
    pub(super) fn new(stats: &[Stat]) -> Self {
        let threshold = stats.iter().any(Lights::serves).then(|| {
            stats
                .iter()
                .find_map(Stat::lit_threshold)
                .unwrap_or(super::DEFAULT_LIT_THRESHOLD)
        });
        Lights {
            threshold,
            ..Lights::default()
        }
    }

    /// Add a run whose valid cells `moments` describes (nothing when no
    /// indicator is asked).
    #[inline]
    pub(super) fn add_run<T: Value>(
        &mut self,
        values: &[T],
        run: &RunWeights<'_>,
        moments: &RunMoments,
    ) {
        if let Some(threshold) = self.threshold {
            self.add_sums(values, run, moments, threshold);
        }
    }

    /// The night-light sums of a run whose valid cells `moments` describes.
    #[inline]
    fn add_sums<T: Value>(
        &mut self,
        values: &[T],
        run: &RunWeights<'_>,
        moments: &RunMoments,
        threshold: f64,
    ) {
        let (c, area) = (run.fraction, run.cell_area_km2);
        let n = moments.n;
        self.tnl.add(moments.sum_times(c));
        self.area.add(c * area * n as f64);
        self.area_values.add(moments.sum_times(c * area));
        let (mut lit_n, mut lit_sum, mut x_ln_x) = (0u64, 0.0, 0.0);
        for v in values.iter().map(|v| v.to_f64()).filter(|v| !v.is_nan()) {
            if v > threshold {
                lit_n += 1;
                lit_sum += v;
            }
            if v > 0.0 {
                x_ln_x += v * v.ln();
            }
        }
        self.lit_area.add(c * area * lit_n as f64);
        self.lit_weight.add(c * lit_n as f64);
        self.lit_values.add(times(c, lit_sum));
        if x_ln_x.abs() <= X_LN_X_LIMIT || moments.infinite {
            self.x_ln_x.add(times(run.weight, x_ln_x));
        } else {
            // Values near f64::MAX: v ln v overflows, (v 2^-600) ln v does not.
            let scaled: f64 = values
                .iter()
                .map(|v| v.to_f64())
                .filter(|&v| v > 0.0)
                .map(|v| (v * DOWN) * v.ln())
                .sum();
            self.x_ln_x_scaled.add(times(run.weight, scaled));
        }
        if let Some(us) = run.weights {
            let (mut pop, mut pop_values, mut lit_pop) = (0.0, 0.0, 0.0);
            for (v, &u) in values.iter().map(|v| v.to_f64()).zip(us) {
                if !v.is_nan() && !u.is_nan() {
                    pop += u;
                    pop_values += v;
                    if v > threshold {
                        lit_pop += u;
                    }
                }
            }
            self.pop.add(times(c, pop));
            self.pop_values.add(times(c, pop_values));
            self.lit_pop.add(times(c, lit_pop));
        }
    }

    /// Fold in the sums of `o` (gathered over other cells of the same zone).
    pub(super) fn merge(&mut self, o: &Lights) {
        self.tnl.merge(&o.tnl);
        self.area.merge(&o.area);
        self.area_values.merge(&o.area_values);
        self.lit_area.merge(&o.lit_area);
        self.lit_weight.merge(&o.lit_weight);
        self.lit_values.merge(&o.lit_values);
        self.pop.merge(&o.pop);
        self.pop_values.merge(&o.pop_values);
        self.lit_pop.merge(&o.lit_pop);
        self.x_ln_x.merge(&o.x_ln_x);
        self.x_ln_x_scaled.merge(&o.x_ln_x_scaled);
    }

    /// The value of the indicator `stat` for a zone whose core statistics
    /// are `core` (missing for a statistic that is not an indicator).
    pub(super) fn finish(&self, stat: &Stat, core: &Core, zone: &ZoneFacts) -> StatValue {
        let l = self;
        let has_values = core.has_values;
        // Missing only for an empty denominator; non-finite values pass through (inf/inf is NaN).
        let ratio = |a: f64, b: f64| (b != 0.0).then(|| a / b);
        // Cell areas are unknown (NaN) without a CRS: area-based sums are missing then.
        let cell_areas_known = !l.area.value().is_nan();
        let by_area = |v: f64| cell_areas_known.then_some(v);
        let area_km2 = zone.area_km2;
        let lit_frac =
            |lit_area: f64| area_km2.and_then(|a| by_area(lit_area).and_then(|x| ratio(x, a)));
        let mean_lit = || ratio(l.lit_values.value(), l.lit_weight.value());
        match stat {
            Stat::Tnl => StatValue::Number(l.tnl.value()),
            Stat::TnlArea => by_area(l.area_values.value()).into(),
            Stat::AreaMean => by_area(l.area_values.value())
                .and_then(|x| ratio(x, l.area.value()))
                .into(),
            Stat::Density => area_km2
                .and_then(|a| by_area(l.area_values.value()).and_then(|x| ratio(x, a)))
                .into(),
            Stat::LitAreaKm2(_) => by_area(l.lit_area.value()).into(),
            Stat::LitFrac(_) => lit_frac(l.lit_area.value()).into(),
            Stat::Ali { dn_max, .. } => match (has_values, mean_lit()) {
                (false, _) => StatValue::Missing,
                (true, None) => StatValue::Number(0.0),
                (true, Some(m)) => ratio(m, dn_max.unwrap_or(core.max)).into(),
            },
            Stat::Cnli { dn_max, .. } => match (has_values, mean_lit()) {
                (false, _) => StatValue::Missing,
                (true, None) => StatValue::Number(0.0),
                (true, Some(m)) => ratio(m, dn_max.unwrap_or(core.max))
                    .zip(lit_frac(l.lit_area.value()))
                    .map(|(i, s)| i * s)
                    .into(),
            },
            Stat::Theil => (has_values && core.min >= 0.0)
                .then(|| self.theil(core))
                .flatten()
                .into(),
            Stat::PerCapita => ratio(l.pop_values.value(), l.pop.value()).into(),
            Stat::LitPopFrac(_) => ratio(l.lit_pop.value(), l.pop.value()).into(),
            _ => StatValue::Missing,
        }
    }

    /// The Theil T index, `Σ w v ln v / Σ w v - ln(mean)`, for non-negative
    /// values; NaN with an infinite value, `None` when the values sum to 0.
    fn theil(&self, core: &Core) -> Option<f64> {
        if core.infinite {
            return Some(f64::NAN);
        }
        let (x, wx) = (self.x_ln_x.value(), core.weighted_values);
        let scaled = self.x_ln_x_scaled.value();
        let t = if scaled == 0.0 && x.is_finite() && wx.is_finite() {
            let mean = wx / core.weight;
            (wx > 0.0).then(|| x / wx - mean.ln())?
        } else {
            // Values near f64::MAX: the sums at scale 2^-600, the mean from the moments.
            let mean = core.mean;
            let wx = core.weight * (mean * DOWN);
            (wx > 0.0).then(|| (x * DOWN + scaled) / wx - mean.ln())?
        };
        // T >= 0 mathematically; rounding can leave -1e-16 for a constant zone.
        Some(if t.is_nan() { t } else { t.max(0.0) })
    }
}

impl Codec for Lights {
    fn encode(&self, w: &mut Writer) {
        w.put(&self.threshold);
        w.put(&self.tnl);
        w.put(&self.area);
        w.put(&self.area_values);
        w.put(&self.lit_area);
        w.put(&self.lit_weight);
        w.put(&self.lit_values);
        w.put(&self.pop);
        w.put(&self.pop_values);
        w.put(&self.lit_pop);
        w.put(&self.x_ln_x);
        w.put(&self.x_ln_x_scaled);
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self> {
        Ok(Lights {
            threshold: r.get()?,
            tnl: r.get()?,
            area: r.get()?,
            area_values: r.get()?,
            lit_area: r.get()?,
            lit_weight: r.get()?,
            lit_values: r.get()?,
            pop: r.get()?,
            pop_values: r.get()?,
            lit_pop: r.get()?,
            x_ln_x: r.get()?,
            x_ln_x_scaled: r.get()?,
        })
    }
}
