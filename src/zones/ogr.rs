//! Reading zones from OGR vector sources (GeoPackage, Shapefile, GeoJSON, FlatGeobuf...).

use std::path::Path;
use std::sync::Arc;

use gdal::vector::{
    Feature, Geometry, LayerAccess, OGRFieldType, OGRwkbGeometryType, geometry_type_flatten,
    geometry_type_to_name,
};
use gdal::{Dataset, DatasetOptions, GdalOpenFlags};
use geo_types::{Coord, LineString, MultiPolygon, Polygon};

use super::{AttrValue, Attributes, Zone, ZoneId, ZoneSet};
use crate::crs::Crs;
use crate::error::{Error, Result};
use crate::gdal_util::{is_gdal_virtual_path, quietly};

/// What to do with a feature whose geometry cannot be a zone: missing,
/// empty, not a polygon, or with non-finite coordinates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BadGeometry {
    /// Fail with an error naming the feature (the default).
    #[default]
    Error,
    /// Keep the feature as a zone with an empty geometry, so that it still
    /// appears in every output (with count 0 and missing statistics).
    KeepEmpty,
}

/// How to read zones with [`ZoneSet::read`].
///
/// ```
/// use terralux::zones::{BadGeometry, ZoneOptions};
/// let options = ZoneOptions {
///     layer: Some("counties".into()),
///     id_field: Some("code".into()),
///     ..ZoneOptions::default()
/// };
/// assert_eq!(options.bad_geometry, BadGeometry::Error);
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ZoneOptions {
    /// The layer to read; needed when the source has more than one.
    pub layer: Option<String>,
    /// The field holding zone ids; `None` uses OGR feature ids.
    pub id_field: Option<String>,
    /// The CRS to use when the layer declares none (a layer's own CRS always
    /// wins). Without it, a layer without CRS is an error.
    pub assume_crs: Option<Crs>,
    /// What to do with features whose geometry is unusable.
    pub bad_geometry: BadGeometry,
}

impl ZoneSet {
    /// Read polygon and multipolygon features of one layer, in layer order.
    /// A layer without features is an error (there would be nothing to
    /// summarise; usually the wrong layer or an export that failed).
    ///
    /// 3D and measured geometries are flattened to 2D; geometry collections
    /// of polygons are merged into one multipolygon. Ids come from
    /// `id_field` (integer fields give integer ids, text fields text ids,
    /// date and time fields text ids in ISO 8601, `2023-01-02`) or from the
    /// feature ids. Date, time and date-time attributes become
    /// [`AttrValue::Date`], [`AttrValue::Time`] and [`AttrValue::DateTime`],
    /// in ISO 8601.
    ///
    /// ```no_run
    /// # fn main() -> terralux::Result<()> {
    /// use terralux::zones::{ZoneOptions, ZoneSet};
    /// let options = ZoneOptions { id_field: Some("code".into()), ..ZoneOptions::default() };
    /// let zones = ZoneSet::read("testdata/counties.gpkg", &options)?;
    /// println!("{} zones in {:?}", zones.len(), zones.crs());
    /// # Ok(())
    /// # }
    /// ```
    pub fn read(path: impl AsRef<Path>, options: &ZoneOptions) -> Result<ZoneSet> {
        let path = path.as_ref();
        let name = path.display().to_string();
        if !is_gdal_virtual_path(&name) && !path.exists() {
            return Err(Error::NotFound {
                path: path.to_path_buf(),
            });
        }
        let dataset = quietly(|| {
            Dataset::open_ex(
                path,
                DatasetOptions {
                    open_flags: GdalOpenFlags::GDAL_OF_VECTOR | GdalOpenFlags::GDAL_OF_READONLY,
                    ..DatasetOptions::default()
                },
            )
        })
        .map_err(|e| Error::Open {
            source_name: name.clone(),
            reason: e.to_string(),
        })?;
        let layer_names: Vec<String> = dataset.layers().map(|l| l.name()).collect();
        let layer_error = |reason: String| Error::Layer {
            source_name: name.clone(),
            reason,
            available: layer_names.join(", "),
        };
        let mut layer = match &options.layer {
            Some(wanted) => quietly(|| dataset.layer_by_name(wanted))
                .map_err(|_| layer_error(format!("no layer named '{wanted}'")))?,
            None => match layer_names.len() {
                0 => return Err(layer_error("it has no vector layers".to_string())),
                1 => dataset.layer(0).map_err(|e| layer_error(e.to_string()))?,
                n => {
                    return Err(layer_error(format!(
                        "it has {n} layers; choose one by name"
                    )));
                }
            },
        };
        let layer_name = layer.name();
        let empty_layer = || {
            layer_error(format!(
                "layer '{layer_name}' has no features: there are no zones to summarise"
            ))
        };

        let fields: Vec<(String, OGRFieldType::Type)> = layer
            .defn()
            .fields()
            .map(|f| (f.name(), f.field_type()))
            .collect();
        let field_names: Arc<[String]> = fields.iter().map(|(n, _)| n.clone()).collect();
        let id_index = match &options.id_field {
            Some(field) => match field_names.iter().position(|n| n == field) {
                Some(index) => Some(index),
                // Some formats (GeoJSON) know no fields without features: say what is really wrong.
                None if layer.features().next().is_none() => return Err(empty_layer()),
                None => {
                    return Err(Error::FieldNotFound {
                        source_name: name.clone(),
                        layer: layer_name.clone(),
                        field: field.clone(),
                        available: field_names.join(", "),
                    });
                }
            },
            None => None,
        };

        let crs = match layer.spatial_ref().filter(|srs| !is_undefined(srs)) {
            Some(srs) => Some(Crs::from_spatial_ref(&srs, &name)?),
            None => options.assume_crs.clone(),
        }
        .ok_or_else(|| Error::MissingCrs {
            source_name: format!("{name}, layer '{layer_name}'"),
        })?;

        let mut zones = Vec::new();
        for (position, feature) in layer.features().enumerate() {
            let label = match feature.fid() {
                Some(fid) => format!("fid {fid}"),
                None => format!("#{position}"),
            };
            let feature_error = |reason: String| Error::Feature {
                source_name: name.clone(),
                layer: layer_name.clone(),
                feature: label.clone(),
                reason,
            };
            let id = match id_index {
                Some(idx) => read_id(&feature, idx, &fields[idx]).map_err(feature_error)?,
                None => ZoneId::Int(feature.fid().map_or(position as i64, |f| f as i64)),
            };
            let values = fields
                .iter()
                .enumerate()
                .map(|(idx, (_, ty))| read_attribute(&feature, idx, *ty))
                .collect();
            let geometry = match present_geometry(&feature).map(to_multipolygon) {
                Some(Ok(geometry)) if !geometry.0.is_empty() => geometry,
                problem => {
                    let reason = match problem {
                        None => "has no geometry".to_string(),
                        Some(Err(reason)) => reason,
                        Some(Ok(_)) => "has an empty geometry".to_string(),
                    };
                    match options.bad_geometry {
                        BadGeometry::Error => return Err(feature_error(reason)),
                        BadGeometry::KeepEmpty => MultiPolygon(Vec::new()),
                    }
                }
            };
            zones.push(Zone {
                id,
                attributes: Attributes::new(field_names.clone(), values),
                geometry,
            });
        }

        if zones.is_empty() {
            return Err(empty_layer());
        }
        Ok(ZoneSet {
            zones,
            crs: Some(crs),
            source_name: name,
            layer: layer_name,
            id_field: options.id_field.clone(),
            field_names,
            fingerprint: Default::default(),
        })
    }
}

/// The feature's geometry, if it has one (GDAL hands out a null geometry otherwise).
fn present_geometry<'f>(feature: &'f Feature<'_>) -> Option<&'f Geometry> {
    // SAFETY: `c_geometry` only reads the wrapped pointer, which `geometry()` has just set.
    feature
        .geometry()
        .filter(|g| g.has_gdal_ptr() && unsafe { !g.c_geometry().is_null() })
}

/// GeoPackage's placeholders for "no CRS" (srs_id 0 and -1) are no CRS at all.
fn is_undefined(srs: &gdal::spatial_ref::SpatialRef) -> bool {
    matches!(
        srs.name().as_deref(),
        Some("Undefined geographic SRS") | Some("Undefined Cartesian SRS")
    )
}

fn read_id(
    feature: &Feature<'_>,
    idx: usize,
    field: &(String, OGRFieldType::Type),
) -> Result<ZoneId, String> {
    let null = || format!("its id field '{}' is empty", field.0);
    let gdal_err = |e: gdal::errors::GdalError| format!("cannot read id field '{}': {e}", field.0);
    // Unset (a GeoJSON feature without the property) is as empty as null: GDAL would read 0 or "".
    if !is_set(feature, idx) {
        return Err(null());
    }
    match field.1 {
        OGRFieldType::OFTInteger | OGRFieldType::OFTInteger64 => feature
            .field_as_integer64(idx)
            .map_err(gdal_err)?
            .map(ZoneId::Int)
            .ok_or_else(null),
        OGRFieldType::OFTReal => {
            let v = feature
                .field_as_double(idx)
                .map_err(gdal_err)?
                .ok_or_else(null)?;
            if v.fract() == 0.0 && v.abs() < 9.0e15 {
                Ok(ZoneId::Int(v as i64))
            } else {
                Ok(ZoneId::Text(v.to_string()))
            }
        }
        OGRFieldType::OFTDate | OGRFieldType::OFTDateTime | OGRFieldType::OFTTime => {
            iso_8601(feature, idx, field.1)
                .map(ZoneId::Text)
                .ok_or_else(|| format!("cannot read id field '{}' as a date or time", field.0))
        }
        _ => feature
            .field_as_string(idx)
            .map_err(gdal_err)?
            .map(ZoneId::Text)
            .ok_or_else(null),
    }
}

fn read_attribute(feature: &Feature<'_>, idx: usize, ty: OGRFieldType::Type) -> AttrValue {
    // Unset (a GeoJSON feature without the property) is missing, not 0 or "".
    if !is_set(feature, idx) {
        return AttrValue::Null;
    }
    let value = match ty {
        OGRFieldType::OFTInteger | OGRFieldType::OFTInteger64 => feature
            .field_as_integer64(idx)
            .map(|v| v.map(AttrValue::Int)),
        OGRFieldType::OFTReal => feature.field_as_double(idx).map(|v| v.map(AttrValue::Real)),
        OGRFieldType::OFTDate | OGRFieldType::OFTDateTime | OGRFieldType::OFTTime => {
            let kind = match ty {
                OGRFieldType::OFTDate => AttrValue::Date,
                OGRFieldType::OFTDateTime => AttrValue::DateTime,
                _ => AttrValue::Time,
            };
            match iso_8601(feature, idx, ty) {
                Some(iso) => Ok(Some(kind(iso))),
                // Not a date GDAL can take apart: keep what it says, as text.
                None => feature.field_as_string(idx).map(|v| v.map(AttrValue::Text)),
            }
        }
        _ => feature.field_as_string(idx).map(|v| v.map(AttrValue::Text)),
    };
    value.ok().flatten().unwrap_or(AttrValue::Null)
}

/// True when field `idx` of `feature` holds a value (neither unset nor null).
fn is_set(feature: &Feature<'_>, idx: usize) -> bool {
    let Ok(idx) = i32::try_from(idx) else {
        return false;
    };
    // SAFETY: the feature handle is valid for the feature's life; GDAL checks the index.
    unsafe { gdal_sys::OGR_F_IsFieldSetAndNotNull(feature.c_feature(), idx) != 0 }
}

/// A date, time or date-time field's value as ISO 8601 (`2023-01-02`,
/// `03:04:05`, `2023-01-02T03:04:05`, milliseconds as `.250` when there are
/// any, then `Z` or `+08:00` when the field states a time zone), instead of
/// GDAL's text form (`2023/01/02 03:04:05+08`). `None` when GDAL cannot
/// read the field as a date.
fn iso_8601(feature: &Feature<'_>, idx: usize, ty: OGRFieldType::Type) -> Option<String> {
    let idx = i32::try_from(idx).ok()?;
    let (mut year, mut month, mut day, mut hour, mut minute, mut tz) = (0, 0, 0, 0, 0, 0);
    let mut second = 0.0f32;
    // SAFETY: the feature handle is valid for the feature's life; the out-pointers are
    // to locals; GDAL checks the index and returns FALSE for fields it cannot read.
    let ok = unsafe {
        gdal_sys::OGR_F_GetFieldAsDateTimeEx(
            feature.c_feature(),
            idx,
            &mut year,
            &mut month,
            &mut day,
            &mut hour,
            &mut minute,
            &mut second,
            &mut tz,
        )
    };
    if ok == 0 {
        return None;
    }
    let date = format!("{year:04}-{month:02}-{day:02}");
    // GDAL keeps milliseconds: print them when there are any, as GDAL's own ISO writer does.
    let millis = (f64::from(second) * 1000.0).round() as i64;
    let time = if millis % 1000 == 0 {
        format!("{hour:02}:{minute:02}:{:02}", millis / 1000)
    } else {
        format!(
            "{hour:02}:{minute:02}:{:02}.{:03}",
            millis / 1000,
            millis % 1000
        )
    };
    let zone = time_zone(tz);
    Some(match ty {
        OGRFieldType::OFTDate => date,
        OGRFieldType::OFTTime => format!("{time}{zone}"),
        _ => format!("{date}T{time}{zone}"),
    })
}

/// OGR's time zone flag as ISO 8601: 0 (unknown) and 1 (local time) give
/// nothing, 100 is `Z`, and every step of 1 from 100 is 15 minutes east.
fn time_zone(flag: i32) -> String {
    match flag {
        100 => "Z".to_string(),
        f if f > 1 => {
            let minutes = (f - 100) * 15;
            let sign = if minutes < 0 { '-' } else { '+' };
            let minutes = minutes.abs();
            format!("{sign}{:02}:{:02}", minutes / 60, minutes % 60)
        }
        _ => String::new(),
    }
}

/// A zone's polygons from WKB (ISO or extended, 2D or 3D: heights are
/// dropped), by the rules [`ZoneSet::read`] applies to each feature: a
/// polygon, multipolygon or collection of them; otherwise, or for
/// non-finite coordinates or bytes that are not WKB, `Err` says why, as
/// the end of a sentence about the feature ("is a Point, not a polygon or
/// multipolygon"). Empty polygons are left out, so an empty result means
/// an empty geometry. For zones handed over in memory (the Python package
/// gets them from shapely as WKB).
///
/// ```
/// use terralux::zones::multipolygon_from_wkb;
/// let square = gdal::vector::Geometry::from_wkt("POLYGON ((0 0, 2 0, 2 1, 0 1, 0 0))").unwrap();
/// let zone = multipolygon_from_wkb(&square.wkb().unwrap()).unwrap();
/// assert_eq!(zone.0.len(), 1);
/// let point = gdal::vector::Geometry::from_wkt("POINT (1 2)").unwrap();
/// assert_eq!(multipolygon_from_wkb(&point.wkb().unwrap()).unwrap_err(),
///            "is a Point, not a polygon or multipolygon");
/// assert!(multipolygon_from_wkb(b"not wkb").unwrap_err().starts_with("is not WKB"));
/// ```
pub fn multipolygon_from_wkb(wkb: &[u8]) -> Result<MultiPolygon<f64>, String> {
    let geometry = quietly(|| Geometry::from_wkb(wkb)).map_err(|e| format!("is not WKB ({e})"))?;
    to_multipolygon(&geometry)
}

/// Convert an OGR geometry to a 2D multipolygon, or say why it cannot be one.
fn to_multipolygon(geometry: &Geometry) -> Result<MultiPolygon<f64>, String> {
    let mut polygons = Vec::new();
    collect_polygons(geometry, &mut polygons)?;
    Ok(MultiPolygon(polygons))
}

fn collect_polygons(geometry: &Geometry, out: &mut Vec<Polygon<f64>>) -> Result<(), String> {
    let kind = geometry_type_flatten(geometry.geometry_type());
    match kind {
        OGRwkbGeometryType::wkbPolygon => {
            if let Some(polygon) = to_polygon(geometry)? {
                out.push(polygon);
            }
            Ok(())
        }
        OGRwkbGeometryType::wkbMultiPolygon | OGRwkbGeometryType::wkbGeometryCollection => {
            for i in 0..geometry.geometry_count() {
                collect_polygons(&geometry.get_geometry(i), out)?;
            }
            Ok(())
        }
        OGRwkbGeometryType::wkbCurvePolygon
        | OGRwkbGeometryType::wkbMultiSurface
        | OGRwkbGeometryType::wkbSurface => Err(format!(
            "has a curved geometry ({}); convert it to polygons first, e.g. ogr2ogr -nlt MULTIPOLYGON",
            geometry_type_to_name(kind)
        )),
        other => Err(format!(
            "is a {}, not a polygon or multipolygon",
            geometry_type_to_name(other)
        )),
    }
}

/// A polygon from an OGR polygon (exterior ring first); `None` when it is empty.
fn to_polygon(geometry: &Geometry) -> Result<Option<Polygon<f64>>, String> {
    let mut rings = Vec::with_capacity(geometry.geometry_count());
    for i in 0..geometry.geometry_count() {
        let ring = geometry.get_geometry(i);
        let mut points = Vec::with_capacity(ring.point_count());
        ring.get_points(&mut points);
        if points
            .iter()
            .any(|&(x, y, _)| !x.is_finite() || !y.is_finite())
        {
            return Err("has non-finite (NaN or infinite) coordinates".to_string());
        }
        rings.push(LineString(
            points.into_iter().map(|(x, y, _)| Coord { x, y }).collect(),
        ));
    }
    let mut rings = rings.into_iter();
    match rings.next() {
        Some(exterior) if !exterior.0.is_empty() => Ok(Some(Polygon::new(
            exterior,
            rings.filter(|r| !r.0.is_empty()).collect(),
        ))),
        _ => Ok(None),
    }
}
