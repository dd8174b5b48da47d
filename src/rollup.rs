//! Roll-ups through an administrative hierarchy: zones grouped by the value
//! of an attribute field (a county's city or province code).
//!
//! A [`Grouping`] says which zones form each group; the engine
//! ([`ZonalStats::run_with_roll_ups`](crate::ZonalStats::run_with_roll_ups))
//! merges the groups' accumulators from the same pass over the rasters, so
//! sums and areas add and means, quantiles and inequality measures are
//! recomputed from the merged state, never averaged from the zones' results.
//!
//! ```
//! use terralux::rollup::Grouping;
//! use terralux::zones::{AttrValue, Attributes, Zone, ZoneId, ZoneSet};
//! use geo_types::MultiPolygon;
//! let names: std::sync::Arc<[String]> = vec!["province".to_string()].into();
//! let county = |id: i64, province: &str| Zone {
//!     id: ZoneId::Int(id),
//!     attributes: Attributes::new(names.clone(), vec![AttrValue::Text(province.into())]),
//!     geometry: MultiPolygon(vec![]),
//! };
//! let zones = ZoneSet::new(vec![county(1, "A"), county(2, "B"), county(3, "A")], None);
//! let provinces = Grouping::by_field(&zones, "province")?;
//! assert_eq!(provinces.groups().len(), 2);
//! assert_eq!(provinces.groups()[0].members, vec![0, 2]);
//! # Ok::<(), terralux::Error>(())
//! ```

use std::collections::HashMap;

use crate::error::{Error, Result};
use crate::zones::{AttrValue, ZoneId, ZoneSet};

/// One group of zones.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    /// The group's id: the field's value (integers stay integers).
    pub id: ZoneId,
    /// The field's value as read.
    pub value: AttrValue,
    /// Indices of the member zones, in input order.
    pub members: Vec<usize>,
}

/// Zones grouped by one attribute field, groups in order of first appearance.
#[derive(Debug, Clone, PartialEq)]
pub struct Grouping {
    field: String,
    groups: Vec<Group>,
}

impl Grouping {
    /// Group `zones` by the value of `field`.
    ///
    /// Every zone belongs to exactly one group. A field the layer lacks, or
    /// a zone whose value is null, is an error naming the field (and zone):
    /// a roll-up that silently drops a county would misstate its province.
    pub fn by_field(zones: &ZoneSet, field: &str) -> Result<Self> {
        if !zones.field_names().iter().any(|f| f == field) {
            return Err(Error::FieldNotFound {
                source_name: zones.source_name().to_string(),
                layer: zones.layer().to_string(),
                field: field.to_string(),
                available: zones.field_names().join(", "),
            });
        }
        let mut groups: Vec<Group> = Vec::new();
        let mut position: HashMap<ZoneId, usize> = HashMap::new();
        for (z, zone) in zones.iter().enumerate() {
            let value = zone.attributes.get(field).unwrap_or(&AttrValue::Null);
            let id = match value {
                AttrValue::Null => {
                    return Err(Error::Mismatch {
                        context: format!("roll-up by '{field}'"),
                        reason: format!("zone {} has no value in '{field}'", zone.id),
                    });
                }
                AttrValue::Int(v) => ZoneId::Int(*v),
                AttrValue::Real(v) => ZoneId::Text(v.to_string()),
                AttrValue::Text(s)
                | AttrValue::Date(s)
                | AttrValue::DateTime(s)
                | AttrValue::Time(s) => ZoneId::Text(s.clone()),
            };
            let g = *position.entry(id.clone()).or_insert_with(|| {
                groups.push(Group {
                    id,
                    value: value.clone(),
                    members: Vec::new(),
                });
                groups.len() - 1
            });
            groups[g].members.push(z);
        }
        Ok(Grouping {
            field: field.to_string(),
            groups,
        })
    }

    /// The field the zones are grouped by.
    pub fn field(&self) -> &str {
        &self.field
    }

    /// The groups, in order of first appearance.
    pub fn groups(&self) -> &[Group] {
        &self.groups
    }
}
