//! ALI and CNLI with one normaliser for the whole run: asked without a
//! normaliser (`dn_max: None`), they are divided by the largest valid value
//! of any zone of the run, never by each zone's own maximum, so that a
//! uniformly dim county does not score like a bright one (DOMAIN.md §2).
//!
//! The pass computes the mean lit value (ALI divided by 1) beside each
//! layer's `max` and, for CNLI, the lit fraction; then every zone's and
//! every roll-up group's ALI is its mean lit value over the layer's largest
//! `max` over the zones, and CNLI that ALI times the lit fraction, as
//! [`IndicatorSet::complete`](crate::ntl::IndicatorSet::complete) makes
//! them. The normaliser is named in the columns' statistics (and so in the
//! provenance's definitions).

use crate::results::{Column, ZonalTable};
use crate::stats::{Stat, StatValue};

/// Where an asked statistic's value comes from among the computed ones.
#[derive(Clone, Copy)]
enum Source {
    /// As computed.
    Copy(usize),
    /// ALI: the mean lit value at this position, over the run's maximum.
    Ali { mean_lit: usize },
    /// CNLI: ALI times the lit fraction at `lit_frac`.
    Cnli { mean_lit: usize, lit_frac: usize },
}

/// Where a run's ALI and CNLI without normaliser are, and how the pass
/// computes them.
pub(super) struct RunNormaliser {
    /// The statistics asked for.
    asked: Vec<Stat>,
    /// Where each asked statistic comes from.
    sources: Vec<Source>,
    /// The statistics the pass computes, each once: the asked ones, ALI
    /// and CNLI without normaliser as the mean lit value, the lit fractions
    /// CNLI needs and `max`.
    computed: Vec<Stat>,
    /// Where `max` is among the computed statistics.
    max_at: usize,
}

impl RunNormaliser {
    /// `None` when no statistic needs the run's maximum.
    pub(super) fn for_stats(asked: &[Stat]) -> Option<Self> {
        if !asked.iter().any(needs_run_maximum) {
            return None;
        }
        let mean_lit = |threshold| Stat::Ali {
            threshold,
            dn_max: Some(1.0),
        };
        let mut computed: Vec<Stat> = Vec::new();
        let mut position = |stat: Stat| match computed.iter().position(|s| *s == stat) {
            Some(at) => at,
            None => {
                computed.push(stat);
                computed.len() - 1
            }
        };
        let sources: Vec<Source> = asked
            .iter()
            .map(|stat| match *stat {
                Stat::Ali {
                    threshold,
                    dn_max: None,
                } => Source::Ali {
                    mean_lit: position(mean_lit(threshold)),
                },
                Stat::Cnli {
                    threshold,
                    dn_max: None,
                } => Source::Cnli {
                    mean_lit: position(mean_lit(threshold)),
                    lit_frac: position(Stat::LitFrac(threshold)),
                },
                other => Source::Copy(position(other)),
            })
            .collect();
        let max_at = position(Stat::Max);
        Some(RunNormaliser {
            asked: asked.to_vec(),
            sources,
            computed,
            max_at,
        })
    }

    /// The statistics the pass computes.
    pub(super) fn computed(&self) -> &[Stat] {
        &self.computed
    }

    /// Turn the pass's tables into the asked ones: each layer's ALI and
    /// CNLI divided by the layer's largest valid value over the zones of
    /// `table` (missing when the run has none, or it is 0), the added
    /// statistics removed, the columns' statistics naming the normaliser.
    pub(super) fn complete(&self, table: &mut ZonalTable, roll_ups: &mut [ZonalTable]) {
        let width = self.computed.len();
        let maxima: Vec<Option<f64>> = (0..table.layers.len())
            .map(|layer| {
                table
                    .zones
                    .iter()
                    .filter_map(|z| z.values[layer * width + self.max_at].as_f64())
                    .filter(|v| !v.is_nan())
                    .reduce(f64::max)
            })
            .collect();
        for t in std::iter::once(table).chain(roll_ups.iter_mut()) {
            for zone in &mut t.zones {
                zone.values = self.layer_values(&zone.values, &maxima);
            }
            t.columns = self.columns(&t.columns, &maxima);
            t.provenance.stats = self.asked.clone();
        }
    }

    /// One zone's values, layer by layer, as asked.
    fn layer_values(&self, values: &[StatValue], maxima: &[Option<f64>]) -> Vec<StatValue> {
        let mut asked = Vec::with_capacity(self.asked.len() * maxima.len());
        for (layer, computed) in values.chunks(self.computed.len()).enumerate() {
            let ali = |mean_lit: usize| divided(&computed[mean_lit], maxima[layer]);
            asked.extend(self.sources.iter().map(|source| match *source {
                Source::Copy(i) => computed[i].clone(),
                Source::Ali { mean_lit } => ali(mean_lit),
                Source::Cnli { mean_lit, lit_frac } => match (ali(mean_lit), &computed[lit_frac]) {
                    (StatValue::Number(a), StatValue::Number(s)) => StatValue::Number(a * s),
                    _ => StatValue::Missing,
                },
            }));
        }
        asked
    }

    /// The columns as asked (named as the pass names its columns, band
    /// prefix included), the normaliser named in each ALI and CNLI.
    fn columns(&self, columns: &[Column], maxima: &[Option<f64>]) -> Vec<Column> {
        let mut asked_columns = Vec::with_capacity(self.asked.len() * maxima.len());
        for layer in columns.chunks(self.computed.len()) {
            let first = &layer[0];
            let prefix = first
                .name
                .strip_suffix(&first.stat.name())
                .unwrap_or_default();
            for asked in &self.asked {
                let stat = match maxima[first.layer] {
                    Some(max) => with_normaliser(*asked, max),
                    None => *asked,
                };
                asked_columns.push(Column {
                    layer: first.layer,
                    stat,
                    name: format!("{prefix}{}", asked.name()),
                });
            }
        }
        asked_columns
    }
}

/// Whether `stat` is an ALI or CNLI without a normaliser.
fn needs_run_maximum(stat: &Stat) -> bool {
    matches!(
        stat,
        Stat::Ali { dn_max: None, .. } | Stat::Cnli { dn_max: None, .. }
    )
}

/// `stat` divided by `normaliser` when it is an ALI or CNLI without one.
fn with_normaliser(stat: Stat, normaliser: f64) -> Stat {
    match stat {
        Stat::Ali {
            threshold,
            dn_max: None,
        } => Stat::Ali {
            threshold,
            dn_max: Some(normaliser),
        },
        Stat::Cnli {
            threshold,
            dn_max: None,
        } => Stat::Cnli {
            threshold,
            dn_max: Some(normaliser),
        },
        other => other,
    }
}

/// A value computed with normaliser 1, divided by the run's maximum: 0
/// stays 0 (nothing lit), a missing value or maximum (or a maximum of 0)
/// is missing.
fn divided(value: &StatValue, maximum: Option<f64>) -> StatValue {
    match (value, maximum) {
        (StatValue::Number(v), _) if *v == 0.0 => StatValue::Number(0.0),
        (StatValue::Number(v), Some(max)) if max != 0.0 => StatValue::Number(v / max),
        _ => StatValue::Missing,
    }
}
