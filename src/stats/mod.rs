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
//! ([`crate`], section *Statistics*). The values of 64-bit integer bands
//! are kept exactly by the statistics that are values of the raster (`min`,
//! `max`, quantiles, `majority`, `minority`, `variety`, `unique`, `frac`,
//! `weighted_frac`: [`StatValue::Integer`], [`StatValue::IntegerFractions`],
//! through [`Accumulator::add_run_exact`]); moments stay `f64` (section
//! *Exact 64-bit integers*).

mod accumulator;
mod lights;
mod quantile;
mod spill;

pub use accumulator::{Accumulator, RunWeights, ZoneFacts};
pub use quantile::{QuantileValues, weighted_quantiles};
pub use spill::SpillStore;

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

use crate::codec::{Codec, Reader, Writer};
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
    /// The distinct values, in increasing order, each with its total weight
    /// (exactextract's `unique`; see the crate's *Statistics* section).
    Unique,
    /// Sum weighted by a second raster.
    WeightedSum,
    /// Mean weighted by a second raster.
    WeightedMean,
    /// Population variance weighted by `w_i u_i`, `u_i` from a second raster.
    WeightedVariance,
    /// Square root of [`Stat::WeightedVariance`].
    WeightedStdev,
    /// The share of `Σ w_i u_i` of each distinct value, `u_i` from a second raster.
    WeightedFrac,
    /// The share of the zone's area on valid cells.
    ValidFrac,
    /// The share of the zone's area outside the raster.
    OutsideFrac,
    /// Total night light (sum of lights): `Σ c_i v_i`, weighted by the coverage
    /// fraction whatever the weighting chosen.
    Tnl,
    /// Area-weighted total light: `Σ c_i A_i v_i` (value x km^2).
    TnlArea,
    /// Area-weighted mean: `Σ c_i A_i v_i / Σ c_i A_i` (named `mean_area`).
    AreaMean,
    /// The zone's area in km^2: on the WGS84 ellipsoid for geographic CRSs (edges straight in longitude/latitude), planar otherwise.
    AreaKm2,
    /// Light density: `TnlArea / AreaKm2`.
    Density,
    /// Lit area in km^2: `Σ c_i A_i [v_i > T]`, with the threshold `T`.
    LitAreaKm2(f64),
    /// Lit fraction: `LitAreaKm2(T) / AreaKm2`.
    LitFrac(f64),
    /// Average light index: the mean lit value `Σ_lit c_i v_i / Σ_lit c_i` over
    /// `dn_max`, one normaliser for every zone so that zones stay comparable
    /// (63 for DMSP; `None`: the largest valid value of any zone of the run,
    /// which [`ZonalStats`](crate::ZonalStats) fills in the table's columns);
    /// 0 when nothing is lit.
    Ali {
        /// The lit threshold `T`.
        threshold: f64,
        /// The normaliser (`None`: the run's largest valid value).
        dn_max: Option<f64>,
    },
    /// Compound night light index `I x S`: `I` the mean lit value over
    /// `dn_max` (as for [`Stat::Ali`]: one normaliser for the run, never each
    /// zone's own maximum), `S` the lit fraction; 0 when nothing is lit.
    Cnli {
        /// The lit threshold `T`.
        threshold: f64,
        /// The normaliser (`None`: the run's largest valid value).
        dn_max: Option<f64>,
    },
    /// Gini coefficient of the values, weighted like the other statistics.
    Gini,
    /// Theil T index of the values (`0 ln 0 = 0`), weighted like the other statistics.
    Theil,
    /// Light per unit of the weights raster (per capita with a population
    /// raster): `Σ c_i v_i / Σ c_i u_i` over cells where both are valid.
    PerCapita,
    /// Share of the weights raster's total (the population) on cells lit above `T`.
    LitPopFrac(f64),
}

/// The lit threshold used when an indicator is asked for by name (VIIRS, nW/cm2/sr).
pub const DEFAULT_LIT_THRESHOLD: f64 = 0.5;

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
    "unique",
    "weighted_sum",
    "weighted_mean",
    "weighted_variance",
    "weighted_stdev",
    "weighted_frac",
    "valid_frac",
    "outside_frac",
    "tnl",
    "tnl_area",
    "mean_area",
    "area_km2",
    "density",
    "lit_area_km2",
    "lit_frac",
    "ali",
    "cnli",
    "gini",
    "theil",
    "per_capita",
    "lit_pop_frac",
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
            "unique" => Stat::Unique,
            "weighted_sum" => Stat::WeightedSum,
            "weighted_mean" => Stat::WeightedMean,
            "weighted_variance" => Stat::WeightedVariance,
            "weighted_stdev" => Stat::WeightedStdev,
            "weighted_frac" => Stat::WeightedFrac,
            "valid_frac" => Stat::ValidFrac,
            "outside_frac" => Stat::OutsideFrac,
            "tnl" => Stat::Tnl,
            "tnl_area" => Stat::TnlArea,
            "mean_area" => Stat::AreaMean,
            "area_km2" => Stat::AreaKm2,
            "density" => Stat::Density,
            "lit_area_km2" => Stat::LitAreaKm2(DEFAULT_LIT_THRESHOLD),
            "lit_frac" => Stat::LitFrac(DEFAULT_LIT_THRESHOLD),
            "ali" => Stat::Ali {
                threshold: DEFAULT_LIT_THRESHOLD,
                dn_max: None,
            },
            "cnli" => Stat::Cnli {
                threshold: DEFAULT_LIT_THRESHOLD,
                dn_max: None,
            },
            "gini" => Stat::Gini,
            "theil" => Stat::Theil,
            "per_capita" => Stat::PerCapita,
            "lit_pop_frac" => Stat::LitPopFrac(DEFAULT_LIT_THRESHOLD),
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
                    Stat::Unique => "unique",
                    Stat::WeightedSum => "weighted_sum",
                    Stat::WeightedMean => "weighted_mean",
                    Stat::WeightedVariance => "weighted_variance",
                    Stat::WeightedStdev => "weighted_stdev",
                    Stat::WeightedFrac => "weighted_frac",
                    Stat::ValidFrac => "valid_frac",
                    Stat::OutsideFrac => "outside_frac",
                    Stat::Tnl => "tnl",
                    Stat::TnlArea => "tnl_area",
                    Stat::AreaMean => "mean_area",
                    Stat::AreaKm2 => "area_km2",
                    Stat::Density => "density",
                    Stat::LitAreaKm2(_) => "lit_area_km2",
                    Stat::LitFrac(_) => "lit_frac",
                    Stat::Ali { .. } => "ali",
                    Stat::Cnli { .. } => "cnli",
                    Stat::Gini => "gini",
                    Stat::Theil => "theil",
                    Stat::PerCapita => "per_capita",
                    Stat::LitPopFrac(_) => "lit_pop_frac",
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

    /// A one-line definition, for provenance and `--help` (majority and
    /// minority ties as [`ModeTies::Exactextract`], the default; see [`Stat::definition_with`]).
    ///
    /// ```
    /// use terralux::stats::Stat;
    /// assert!(Stat::WeightedVariance.definition().contains("w_i u_i"));
    /// ```
    pub fn definition(&self) -> String {
        self.definition_with(ModeTies::default())
    }

    /// The one-line definition under a run's tie rule for `majority` and
    /// `minority` (the only statistics whose text depends on it).
    ///
    /// ```
    /// use terralux::stats::{ModeTies, Stat};
    /// assert!(Stat::Majority.definition_with(ModeTies::Exactextract).contains("larger value"));
    /// assert_eq!(Stat::Sum.definition_with(ModeTies::Exactextract), Stat::Sum.definition());
    /// ```
    pub fn definition_with(&self, ties: ModeTies) -> String {
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
            Stat::Cv => {
                "stdev / mean, divided as numpy does (nan for a zone of zeros, inf when only the mean is 0; nan when the mean is not finite)".into()
            }
            Stat::Median | Stat::Quantile(_) => format!(
                "smallest value v whose cumulative weight reaches {} of the total (inverse weighted CDF, no interpolation)",
                self.quantile_level().unwrap_or(0.5)
            ),
            Stat::Majority => match ties {
                ModeTies::Smallest => {
                    "value with the largest total weight (ties: smaller value)".into()
                }
                ModeTies::Exactextract => {
                    "value with the largest total weight (ties: larger value, as exactextract)"
                        .into()
                }
            },
            Stat::Minority => "value with the smallest total weight (ties: smaller value)".into(),
            Stat::Variety => "number of distinct valid values".into(),
            Stat::Frac => "share of the total weight of each distinct value".into(),
            Stat::Unique => {
                "distinct valid values with w_i > 0, increasing, each with its total weight".into()
            }
            Stat::WeightedSum => "sum of w_i * u_i * v_i, u_i from the weights raster".into(),
            Stat::WeightedMean => "sum(w_i u_i v_i) / sum(w_i u_i)".into(),
            Stat::WeightedVariance => {
                "population variance weighted by w_i u_i: sum(w_i u_i (v_i - m)^2) / sum(w_i u_i), m = weighted_mean, over cells with w_i u_i > 0".into()
            }
            Stat::WeightedStdev => "square root of weighted_variance".into(),
            Stat::WeightedFrac => {
                "share of sum(w_i u_i) of each distinct value (u_i from the weights raster)".into()
            }
            Stat::ValidFrac => "share of the zone's area on valid cells".into(),
            Stat::OutsideFrac => "share of the zone's area outside the raster".into(),
            Stat::Tnl => "sum of c_i * v_i (coverage fraction c_i) over valid cells".into(),
            Stat::TnlArea => "sum of c_i * A_i * v_i, A_i the cell's area in km2".into(),
            Stat::AreaMean => "sum(c_i A_i v_i) / sum(c_i A_i)".into(),
            Stat::AreaKm2 => "the zone's area in km2 (WGS84 ellipsoid for geographic CRSs)".into(),
            Stat::Density => "tnl_area / area_km2".into(),
            Stat::LitAreaKm2(t) => format!("sum of c_i * A_i over valid cells with v_i > {t}"),
            Stat::LitFrac(t) => format!("lit_area_km2 (v > {t}) / area_km2"),
            Stat::Ali { threshold, dn_max } => format!(
                "mean of v over cells with v > {threshold} (weights c_i) / {}; 0 when none is lit",
                normaliser_text(*dn_max)
            ),
            Stat::Cnli { threshold, dn_max } => format!(
                "(mean of v over cells with v > {threshold}) / {} * lit_frac; 0 when none is lit",
                normaliser_text(*dn_max)
            ),
            Stat::Gini => {
                "sum_i sum_j w_i w_j |v_i - v_j| / (2 W^2 mean); missing for negative values".into()
            }
            Stat::Theil => {
                "sum (w_i/W)(v_i/mean) ln(v_i/mean), 0 ln 0 = 0; missing for negative values".into()
            }
            Stat::PerCapita => {
                "sum(c_i v_i) / sum(c_i u_i) over cells where v and the weights raster u are valid"
                    .into()
            }
            Stat::LitPopFrac(t) => format!("sum(c_i u_i) over cells with v > {t} / sum(c_i u_i)"),
        }
    }

    /// True for the statistics that need a weights raster.
    pub fn needs_weights_raster(&self) -> bool {
        matches!(
            self,
            Stat::WeightedSum
                | Stat::WeightedMean
                | Stat::WeightedVariance
                | Stat::WeightedStdev
                | Stat::WeightedFrac
                | Stat::PerCapita
                | Stat::LitPopFrac(_)
        )
    }

    /// True for the statistics that need the zone's area in km^2.
    pub fn needs_zone_area(&self) -> bool {
        matches!(
            self,
            Stat::AreaKm2 | Stat::Density | Stat::LitFrac(_) | Stat::Cnli { .. }
        )
    }

    /// The lit threshold of a night-light indicator.
    pub fn lit_threshold(&self) -> Option<f64> {
        match self {
            Stat::LitAreaKm2(t) | Stat::LitFrac(t) | Stat::LitPopFrac(t) => Some(*t),
            Stat::Ali { threshold, .. } | Stat::Cnli { threshold, .. } => Some(*threshold),
            _ => None,
        }
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

/// How `majority` and `minority` choose between values of equal total weight.
///
/// A run-level option ([`crate::ZonalStats::mode_ties`]); the default keeps
/// terralux's rule. exactextract's `RasterStats::mode` returns the *greater*
/// value on a tie and `minority` the *lower* one; `Exactextract` follows that.
///
/// ```
/// use terralux::stats::ModeTies;
/// assert_eq!(ModeTies::default(), ModeTies::Exactextract);
/// assert_eq!(ModeTies::Exactextract.name(), "exactextract");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ModeTies {
    /// The smaller value wins, for both `majority` and `minority`
    /// (terralux's rule before 0.2, `--mode-ties smallest`).
    Smallest,
    /// exactextract's rule (default, so that results equal the peer's):
    /// `majority` takes the larger value, `minority` the smaller.
    #[default]
    Exactextract,
}

impl ModeTies {
    /// `smallest` or `exactextract`.
    pub fn name(self) -> &'static str {
        match self {
            ModeTies::Smallest => "smallest",
            ModeTies::Exactextract => "exactextract",
        }
    }
}

/// One statistic's value for one zone.
///
/// The statistics that are values of the raster (`min`, `max`, `median`,
/// `pNN`, `majority`, `minority`) of a 64-bit integer band (Int64 or
/// UInt64, scale 1 and offset 0) are [`StatValue::Integer`], exactly the
/// cell's value, and its `frac`, `weighted_frac` and `unique` are
/// [`StatValue::IntegerFractions`]; every other statistic, and every
/// statistic of other bands, is a [`StatValue::Number`] or
/// [`StatValue::Fractions`] (see the crate's *Statistics* section).
///
/// ```
/// use terralux::stats::StatValue;
/// let v = StatValue::Integer(2397083434877565865);
/// assert_eq!(v.as_integer(), Some(2397083434877565865));
/// assert_eq!(v.as_f64(), Some(2397083434877565865u64 as f64)); // the nearest f64
/// assert_eq!(StatValue::Number(5.0).as_integer(), None);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum StatValue {
    /// No value (e.g. the mean of a zone without valid cells).
    Missing,
    /// A number.
    Number(f64),
    /// `(value, share)` pairs in increasing value order (for `frac` and
    /// `weighted_frac`); for `unique`, `(value, total weight)` pairs.
    Fractions(Vec<(f64, f64)>),
    /// An exact integer: a value of a 64-bit integer band (`min`, `max`,
    /// `median`, `pNN`, `majority`, `minority`), which an `f64` could only
    /// round beyond 2^53.
    Integer(i128),
    /// [`StatValue::Fractions`] of a 64-bit integer band: `(value, share)`
    /// pairs (`(value, total weight)` for `unique`) in increasing value
    /// order, each value an exact integer.
    IntegerFractions(Vec<(i128, f64)>),
}

impl StatValue {
    /// The number, if this is one; an [`StatValue::Integer`] as the
    /// nearest `f64` (exact up to 2^53).
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            StatValue::Number(v) => Some(*v),
            StatValue::Integer(v) => Some(*v as f64),
            _ => None,
        }
    }

    /// The exact integer, if this is a [`StatValue::Integer`].
    pub fn as_integer(&self) -> Option<i128> {
        match self {
            StatValue::Integer(v) => Some(*v),
            _ => None,
        }
    }

    /// True for [`StatValue::Missing`].
    pub fn is_missing(&self) -> bool {
        matches!(self, StatValue::Missing)
    }
}

/// `None` is [`StatValue::Missing`]; every number, infinite or NaN
/// included, is a [`StatValue::Number`] (non-finite results follow numpy:
/// they are values, not missing ones).
///
/// ```
/// use terralux::stats::StatValue;
/// assert_eq!(StatValue::from(None), StatValue::Missing);
/// assert_eq!(StatValue::from(Some(f64::INFINITY)), StatValue::Number(f64::INFINITY));
/// assert!(StatValue::from(Some(f64::NAN)).as_f64().unwrap().is_nan());
/// ```
impl From<Option<f64>> for StatValue {
    fn from(v: Option<f64>) -> Self {
        match v {
            Some(v) => StatValue::Number(v),
            None => StatValue::Missing,
        }
    }
}

/// The normaliser of ALI and CNLI in words, for their definitions.
fn normaliser_text(dn_max: Option<f64>) -> String {
    dn_max.map_or("the run's largest valid value".to_string(), |d| {
        d.to_string()
    })
}

// Binary forms (work plans of distributed runs): a statistic by its name
// and its parameters at full precision.

impl Codec for Stat {
    fn encode(&self, w: &mut Writer) {
        w.put(&self.name());
        match *self {
            Stat::Quantile(p) => w.f64(p),
            Stat::LitAreaKm2(t) | Stat::LitFrac(t) | Stat::LitPopFrac(t) => w.f64(t),
            Stat::Ali { threshold, dn_max } | Stat::Cnli { threshold, dn_max } => {
                w.f64(threshold);
                w.put(&dn_max);
            }
            _ => {}
        }
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self> {
        let name: String = r.get()?;
        let stat = Stat::parse(&name).map_err(|e| r.error(format!("corrupt: {e}")))?;
        Ok(match stat {
            Stat::Quantile(_) => Stat::Quantile(r.f64()?),
            Stat::LitAreaKm2(_) => Stat::LitAreaKm2(r.f64()?),
            Stat::LitFrac(_) => Stat::LitFrac(r.f64()?),
            Stat::LitPopFrac(_) => Stat::LitPopFrac(r.f64()?),
            Stat::Ali { .. } => Stat::Ali {
                threshold: r.f64()?,
                dn_max: r.get()?,
            },
            Stat::Cnli { .. } => Stat::Cnli {
                threshold: r.f64()?,
                dn_max: r.get()?,
            },
            other => other,
        })
    }
}

impl Codec for Weighting {
    fn encode(&self, w: &mut Writer) {
        w.u8(match self {
            Weighting::Fraction => 0,
            Weighting::None => 1,
            Weighting::AreaKm2 => 2,
        });
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self> {
        Ok(match r.tag(3, "weighting")? {
            0 => Weighting::Fraction,
            1 => Weighting::None,
            _ => Weighting::AreaKm2,
        })
    }
}

impl Codec for ModeTies {
    fn encode(&self, w: &mut Writer) {
        w.u8(match self {
            ModeTies::Smallest => 0,
            ModeTies::Exactextract => 1,
        });
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self> {
        Ok(match r.tag(2, "mode tie rule")? {
            0 => ModeTies::Smallest,
            _ => ModeTies::Exactextract,
        })
    }
}
