//! Roll-ups from the zones' merged state (the engine's part; groupings
//! themselves are [`crate::rollup`]).

use super::gather::ZoneState;
use crate::results::{ZonalTable, ZoneStats};
use crate::rollup::Grouping;
use crate::stats::Accumulator;
use crate::zones::Attributes;

/// The table of `grouping`'s groups: each group's accumulators merged from
/// its zones' `states` in zone order (so the result is the same for any
/// thread count), finished with the facts of the union of its zones.
pub(super) fn roll_up(
    table: &ZonalTable,
    grouping: &Grouping,
    states: &[Option<Vec<Accumulator>>],
    gather: &ZoneState<'_>,
) -> crate::Result<ZonalTable> {
    let names: std::sync::Arc<[String]> = vec![grouping.field().to_string()].into();
    let zones = grouping
        .groups()
        .iter()
        .map(|group| {
            let mut accs = gather.empty();
            for state in group.members.iter().filter_map(|&z| states[z].as_ref()) {
                for (acc, part) in accs.iter_mut().zip(state) {
                    acc.merge(part.clone());
                }
            }
            Ok(ZoneStats {
                id: group.id.clone(),
                attributes: Attributes::new(names.clone(), vec![group.value.clone()]),
                values: gather.finish_facts(accs, &gather.facts(&group.members))?,
            })
        })
        .collect::<crate::Result<_>>()?;
    let mut provenance = table.provenance.clone();
    provenance.id_field = Some(grouping.field().to_string());
    Ok(ZonalTable {
        layers: table.layers.clone(),
        columns: table.columns.clone(),
        zones,
        provenance,
    })
}
