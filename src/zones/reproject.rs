//! Reprojecting zones with PROJ.

use geo::MapCoords;
use geo_types::{Coord, MultiPolygon};
use proj::Proj;
use rayon::prelude::*;

use super::{Zone, ZoneSet};
use crate::crs::Crs;
use crate::error::{Error, Result};

impl ZoneSet {
    /// The zones with every coordinate transformed to `target` by PROJ,
    /// in traditional GIS axis order (x = longitude/easting) on both sides.
    /// Returns a copy unchanged when the zones are already in `target`.
    /// Zones are transformed in parallel, one PROJ object per worker.
    ///
    /// ```
    /// # fn main() -> terralux::Result<()> {
    /// use geo_types::{polygon, MultiPolygon};
    /// use terralux::{Crs, zones::{Attributes, Zone, ZoneId, ZoneSet}};
    /// let p = polygon![(x: 0.0, y: 0.0), (x: 1.0, y: 0.0), (x: 1.0, y: 1.0)];
    /// let zones = ZoneSet::new(
    ///     vec![Zone { id: ZoneId::Int(1), attributes: Attributes::default(), geometry: MultiPolygon(vec![p]) }],
    ///     Some(Crs::wgs84()));
    /// let mercator = zones.reprojected(&Crs::from_user_input("EPSG:3857")?)?;
    /// let x = mercator.zones()[0].geometry.0[0].exterior().0[1].x;
    /// assert!((x - 111_319.490_793).abs() < 1e-3);
    /// # Ok(())
    /// # }
    /// ```
    pub fn reprojected(&self, target: &Crs) -> Result<ZoneSet> {
        let source = self.crs.as_ref().ok_or_else(|| Error::MissingCrs {
            source_name: self.source_name.clone(),
        })?;
        if source.is_same_as(target)? {
            let mut same = self.clone();
            same.crs = Some(target.clone());
            return Ok(same);
        }
        self.transformed(source, target)
    }

    /// Like [`ZoneSet::reprojected`], but consuming the zones: when they are
    /// already in `target`, they are returned as they are, without a copy.
    pub fn into_crs(self, target: &Crs) -> Result<ZoneSet> {
        let source = self.crs.as_ref().ok_or_else(|| Error::MissingCrs {
            source_name: self.source_name.clone(),
        })?;
        if source.is_same_as(target)? {
            return Ok(self.with_crs(target.clone()));
        }
        self.transformed(source, target)
    }

    fn transformed(&self, source: &Crs, target: &Crs) -> Result<ZoneSet> {
        let context = format!("{} -> {}", source.definition(), target.definition());
        let make_proj = || {
            Proj::new_known_crs(source.definition(), target.definition(), None).map_err(|e| {
                Error::Reproject {
                    context: context.clone(),
                    reason: e.to_string(),
                }
            })
        };
        // Fail early, with one clear message, when PROJ cannot build the transformation.
        make_proj()?;
        let zones = self
            .zones
            .par_iter()
            .map_init(make_proj, |proj, zone| {
                let proj = proj.as_ref().map_err(|e| Error::Reproject {
                    context: context.clone(),
                    reason: e.to_string(),
                })?;
                reproject_zone(proj, zone, &self.source_name)
            })
            .collect::<Result<Vec<Zone>>>()?;
        Ok(ZoneSet {
            zones,
            crs: Some(target.clone()),
            source_name: self.source_name.clone(),
            layer: self.layer.clone(),
            id_field: self.id_field.clone(),
            field_names: self.field_names.clone(),
            fingerprint: Default::default(),
        })
    }
}

fn reproject_zone(proj: &Proj, zone: &Zone, source_name: &str) -> Result<Zone> {
    let geometry: MultiPolygon<f64> = zone
        .geometry
        .try_map_coords(|c| {
            let (x, y) = proj.convert((c.x, c.y)).map_err(|e| e.to_string())?;
            if x.is_finite() && y.is_finite() {
                Ok(Coord { x, y })
            } else {
                Err(format!(
                    "point ({}, {}) has no image in the target CRS",
                    c.x, c.y
                ))
            }
        })
        .map_err(|reason: String| Error::Reproject {
            context: format!("{source_name}, zone {}", zone.id),
            reason,
        })?;
    Ok(Zone {
        id: zone.id.clone(),
        attributes: zone.attributes.clone(),
        geometry,
    })
}
