//! Statistics: what can be asked ([`Stat`]), how cells are weighted
//! ([`Weighting`]), how they are gathered ([`Accumulator`]) and what comes
//! out ([`StatValue`]).
//!
//! Every accumulator merges: a zone's cells can be split over any number
//! of pieces, gathered separately (in parallel) and merged, and the result
//! is the same as one pass. The engine merges pieces in a fixed order, so
//! results are also bit-identical whatever the number of threads.
//!
//! Every statistic's exact definition is in the crate documentation
//! ([`crate`], section *Statistics*).

mod accumulator;
mod quantile;

pub use accumulator::Accumulator;
pub use quantile::{QuantileValues, weighted_quantiles};

mod value_sealed {
    pub trait Sealed {}
    impl Sealed for f32 {}
    impl Sealed for f64 {}
}

/// A cell value the accumulators take: `f32` or `f64`, NaN marking invalid cells.
///
/// Values are widened to `f64` before any arithmetic, so an `f32` raster read
/// as `f32` or as `f64` gives the same bits.
pub trait Value: Copy + Send + Sync + 'static + value_sealed::Sealed {
    /// The value as `f64` (exact).
    fn to_f64(self) -> f64;
    /// True for NaN (an invalid cell).
    fn is_nan(self) -> bool;
    /// The slice as `f32`, when it is one.
    fn as_f32(values: &[Self]) -> Option<&[f32]>;
}

impl Value for f32 {
    fn to_f64(self) -> f64 {
        self as f64
    }
    fn is_nan(self) -> bool {
        f32::is_nan(self)
    }
    fn as_f32(values: &[f32]) -> Option<&[f32]> {
        Some(values)
    }
}

impl Value for f64 {
    fn to_f64(self) -> f64 {
        self
    }
    fn is_nan(self) -> bool {
        f64::is_nan(self)
    }
    fn as_f32(_: &[f64]) -> Option<&[f32]> {
        None
    }
}

use std::fmt;

use crate::error::{Error, Result};

/// A statistic to compute per zone.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Stat {
    /// Total weight of valid cells.
    Count,
    /// Weighted sum of values.
    Sum,
    /// Weighted mean.
    Mean,
    /// Smallest value.
    Min,
    /// Largest value.
    Max,
    /// Weighted population variance.
    Variance,
    /// Weighted population standard deviation.
    Stdev,
    /// Coefficient of variation: stdev / mean.
    Cv,
    /// The weighted median (inverse of the weighted CDF at 0.5).
    Median,
    /// A weighted quantile, given in percent (`p90` is `Quantile(90.0)`).
    Quantile(f64),
    /// The value with the largest total weight.
    Majority,
    /// The value with the smallest total weight.
    Minority,
    /// The number of distinct values.
    Variety,
    /// The share of weight of each distinct value.
    Frac,
    /// Sum weighted by a second raster.
    WeightedSum,
    /// Mean weighted by a second raster.
    WeightedMean,
    /// The share of the zone's area on valid cells.
    ValidFrac,
    /// The share of the zone's area outside the raster.
    OutsideFrac,
}

/// The names [`Stat::parse`] accepts (`pNN` stands for any percentile).
pub const STAT_NAMES: &[&str] = &[
    "count",
    "sum",
    "mean",
    "min",
    "max",
    "variance",
    "stdev",
    "cv",
    "median",
    "pNN",
    "majority",
    "minority",
    "variety",
    "frac",
    "weighted_sum",
    "weighted_mean",
    "valid_frac",
    "outside_frac",
];

impl Stat {
    /// Parse one statistic name: `count`, `p10`, `p99.5`, `median`...
    ///
    /// ```
    /// use terralux::stats::Stat;
    /// assert_eq!(Stat::parse("p99.5")?, Stat::Quantile(99.5));
    /// assert_eq!(Stat::parse("stdev")?, Stat::Stdev);
    /// assert!(Stat::parse("p101").is_err());
    /// assert!(Stat::parse("average").unwrap_err().to_string().contains("count, sum, mean"));
    /// # Ok::<(), terralux::Error>(())
    /// ```
    pub fn parse(name: &str) -> Result<Stat> {
        let stat = match name {
            "count" => Stat::Count,
            "sum" => Stat::Sum,
            "mean" => Stat::Mean,
            "min" => Stat::Min,
            "max" => Stat::Max,
            "variance" => Stat::Variance,
            "stdev" => Stat::Stdev,
            "cv" => Stat::Cv,
            "median" => Stat::Median,
            "majority" => Stat::Majority,
            "minority" => Stat::Minority,
            "variety" => Stat::Variety,
            "frac" => Stat::Frac,
            "weighted_sum" => Stat::WeightedSum,
            "weighted_mean" => Stat::WeightedMean,
            "valid_frac" => Stat::ValidFrac,
            "outside_frac" => Stat::OutsideFrac,
            other => {
                let percent = other
                    .strip_prefix('p')
                    .filter(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit() || c == '.'))
                    .and_then(|p| p.parse::<f64>().ok())
                    .filter(|p| (0.0..=100.0).contains(p));
                match percent {
                    Some(p) => Stat::Quantile(p),
                    None => {
                        return Err(Error::UnknownStatistic {
                            name: name.to_string(),
                            valid: STAT_NAMES.join(", "),
                        });
                    }
                }
            }
        };
        Ok(stat)
    }

    /// Parse a comma-separated list (`"count,sum,p90"`), in order.
    pub fn parse_list(list: &str) -> Result<Vec<Stat>> {
        list.split(',').map(|s| Stat::parse(s.trim())).collect()
    }

    /// The statistic's name, as parsed (`p99.5`, `median`, `count`...).
    pub fn name(&self) -> String {
        match self {
            Stat::Quantile(p) => format!("p{p}"),
            other => {
                let name = match other {
                    Stat::Count => "count",
                    Stat::Sum => "sum",
                    Stat::Mean => "mean",
                    Stat::Min => "min",
                    Stat::Max => "max",
                    Stat::Variance => "variance",
                    Stat::Stdev => "stdev",
                    Stat::Cv => "cv",
                    Stat::Median => "median",
                    Stat::Majority => "majority",
                    Stat::Minority => "minority",
                    Stat::Variety => "variety",
                    Stat::Frac => "frac",
                    Stat::WeightedSum => "weighted_sum",
                    Stat::WeightedMean => "weighted_mean",
                    Stat::ValidFrac => "valid_frac",
                    Stat::OutsideFrac => "outside_frac",
                    Stat::Quantile(_) => unreachable!("handled above"),
                };
                name.to_string()
            }
        }
    }

    /// The quantile level in [0, 1] for `median` and `pNN`.
    pub fn quantile_level(&self) -> Option<f64> {
        match self {
            Stat::Median => Some(0.5),
            Stat::Quantile(p) => Some(p / 100.0),
            _ => None,
        }
    }

    /// A one-line definition, for provenance and `--help`.
    pub fn definition(&self) -> String {
        match self {
            Stat::Count => {
                "sum of weights w_i of valid cells (w_i = coverage fraction by default)".into()
            }
            Stat::Sum => "sum of w_i * v_i over valid cells".into(),
            Stat::Mean => "sum(w_i v_i) / sum(w_i)".into(),
            Stat::Min => "smallest valid value with w_i > 0".into(),
            Stat::Max => "largest valid value with w_i > 0".into(),
            Stat::Variance => {
                "weighted population variance sum(w_i (v_i - mean)^2) / sum(w_i)".into()
            }
            Stat::Stdev => "square root of the weighted population variance".into(),
            Stat::Cv => "stdev / mean (missing when the mean is 0)".into(),
            Stat::Median | Stat::Quantile(_) => format!(
                "smallest value v whose cumulative weight reaches {} of the total (inverse weighted CDF, no interpolation)",
                self.quantile_level().unwrap_or(0.5)
            ),
            Stat::Majority => "value with the largest total weight (ties: smaller value)".into(),
            Stat::Minority => "value with the smallest total weight (ties: smaller value)".into(),
            Stat::Variety => "number of distinct valid values".into(),
            Stat::Frac => "share of the total weight of each distinct value".into(),
            Stat::WeightedSum => "sum of w_i * u_i * v_i, u_i from the weights raster".into(),
            Stat::WeightedMean => "sum(w_i u_i v_i) / sum(w_i u_i)".into(),
            Stat::ValidFrac => "share of the zone's area on valid cells".into(),
            Stat::OutsideFrac => "share of the zone's area outside the raster".into(),
        }
    }

    /// True for the statistics that need a weights raster.
    pub fn needs_weights_raster(&self) -> bool {
        matches!(self, Stat::WeightedSum | Stat::WeightedMean)
    }
}

impl fmt::Display for Stat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

/// How each covered cell is weighted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Weighting {
    /// By its coverage fraction (default; exactextract's `fraction`).
    #[default]
    Fraction,
    /// Every covered cell counts fully (exactextract's `none`).
    None,
    /// By its covered area in km^2: fraction times the cell's ellipsoidal
    /// (geographic grids) or planar (projected grids) area.
    AreaKm2,
}

impl Weighting {
    /// `fraction`, `none` or `area_km2`.
    pub fn name(self) -> &'static str {
        match self {
            Weighting::Fraction => "fraction",
            Weighting::None => "none",
            Weighting::AreaKm2 => "area_km2",
        }
    }
}

/// One statistic's value for one zone.
#[derive(Debug, Clone, PartialEq)]
pub enum StatValue {
    /// No value (e.g. the mean of a zone without valid cells).
    Missing,
    /// A number.
    Number(f64),
    /// `(value, share)` pairs in increasing value order (for `frac`).
    Fractions(Vec<(f64, f64)>),
}

impl StatValue {
    /// The number, if this is one.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            StatValue::Number(v) => Some(*v),
            _ => None,
        }
    }

    /// True for [`StatValue::Missing`].
    pub fn is_missing(&self) -> bool {
        matches!(self, StatValue::Missing)
    }
}

impl From<Option<f64>> for StatValue {
    fn from(v: Option<f64>) -> Self {
        match v {
            Some(v) if v.is_finite() => StatValue::Number(v),
            _ => StatValue::Missing,
        }
    }
}
