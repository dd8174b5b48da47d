//! GeoJSON and GeoPackage output through GDAL: geometry, attributes and statistics.

use std::path::Path;

use gdal::DriverManager;
use gdal::vector::{
    FieldDefn, LayerAccess, LayerOptions, OGRFieldType, OGRwkbGeometryType, ToGdal,
};

use super::csv::format_value;
use super::transaction::OutputSet;
use crate::error::{Error, Result};
use crate::gdal_util::{last_error_message, quietly};
use crate::results::ZonalTable;
use crate::stats::StatValue;
use crate::zones::{AttrValue, ZoneId, ZoneSet};

/// A vector format terralux writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VectorFormat {
    /// GeoJSON (GDAL's `GeoJSON` driver; a `crs` member when not WGS84).
    GeoJson,
    /// GeoPackage (GDAL's `GPKG` driver).
    GeoPackage,
}

impl VectorFormat {
    fn driver(self) -> &'static str {
        match self {
            VectorFormat::GeoJson => "GeoJSON",
            VectorFormat::GeoPackage => "GPKG",
        }
    }
}

/// Write zones with their statistics: one feature per zone in input order,
/// with the zone's geometry (in `zones`' CRS), the id field, every
/// attribute, and one field per statistic column (real numbers, with
/// infinities and NaN kept as such, or text for `frac`; missing values are
/// null). A column of exact integers ([`StatValue::Integer`]: `min`, `max`,
/// quantiles, `majority`, `minority` of a 64-bit integer band) is an
/// Integer64 field, so that every digit is kept; OGR has no unsigned 64-bit
/// field, so a column with a value beyond `i64::MAX` (UInt64 bands) is a text
/// field of the values' decimal digits instead (exact, never rounded). A statistic column whose name clashes with the id, an attribute
/// or another column (ignoring case) is renamed as
/// [`unique_column_names`](super::unique_column_names) says (`zs_<name>`).
/// The file is written under a temporary name, re-read to check it, and
/// renamed when complete (a one-file [`OutputSet`]).
pub fn write_vector(
    table: &ZonalTable,
    zones: &ZoneSet,
    id_column: &str,
    path: &Path,
    format: VectorFormat,
) -> Result<()> {
    let mut set = OutputSet::new();
    set.output(path)?;
    set.write_with_path(
        path,
        |staging| write_vector_file(table, zones, id_column, path, staging, format),
        |staging| check_vector(staging, path, format, table, zones, id_column),
    )?;
    set.commit().map(|_| ())
}

/// The field names of the layer [`write_vector_file`] writes: the id
/// (unless it is an attribute), the attributes, then the statistics, named
/// so that none collides with another.
fn field_names(table: &ZonalTable, zones: &ZoneSet, id_column: &str) -> (bool, Vec<String>) {
    let attribute_names = zones.field_names();
    let id_is_attribute = attribute_names.iter().any(|n| n == id_column);
    let mut reserved: Vec<&str> = Vec::new();
    if !id_is_attribute {
        reserved.push(id_column);
    }
    reserved.extend(attribute_names.iter().map(String::as_str));
    let stat_names: Vec<&str> = table.columns.iter().map(|c| c.name.as_str()).collect();
    let mut names: Vec<String> = reserved.iter().map(|n| n.to_string()).collect();
    names.extend(super::unique_column_names(&reserved, &stat_names));
    (id_is_attribute, names)
}

/// Write the layer of [`write_vector`] straight to `file` (no temporary
/// name, no check): for an [`OutputSet`], which stages, checks and commits.
/// `path` is the final output, which names the layer and the messages.
pub fn write_vector_file(
    table: &ZonalTable,
    zones: &ZoneSet,
    id_column: &str,
    path: &Path,
    file: &Path,
    format: VectorFormat,
) -> Result<()> {
    quietly(|| -> Result<()> {
        let name = path.display().to_string();
        // OGR errors come as a bare code: add GDAL's own reason.
        let gdal_error = |e: gdal::errors::GdalError| {
            let reason = match (&e, last_error_message()) {
                (gdal::errors::GdalError::OgrError { .. }, Some(message)) => {
                    format!("{e}: {message}")
                }
                _ => e.to_string(),
            };
            Error::Io {
                path: path.to_path_buf(),
                source: std::io::Error::other(reason),
            }
        };
        let driver = DriverManager::get_driver_by_name(format.driver()).map_err(gdal_error)?;
        let mut dataset = quietly(|| driver.create_vector_only(file)).map_err(gdal_error)?;
        let srs = zones.crs().map(|c| c.to_spatial_ref()).transpose()?;
        let layer_name = layer_name(path);
        let (id_is_attribute, names) = field_names(table, zones, id_column);
        let attribute_names = zones.field_names();
        // GeoPackage calls its own feature-id column `fid`; give it another name when a field needs that one.
        let needs_fid_field = names.iter().any(|n| n.eq_ignore_ascii_case("fid"));
        let taken = |candidate: &str| names.iter().any(|n| n.eq_ignore_ascii_case(candidate));
        let mut layer_options: Vec<String> = Vec::new();
        match format {
            VectorFormat::GeoPackage => {
                if needs_fid_field {
                    layer_options.push("FID=gpkg_fid".into());
                }
                // GeoPackage names its geometry column `geom`; a field may need that name.
                if taken("geom") {
                    let column = (1..)
                        .map(|n| format!("geom_{n}"))
                        .find(|c| !taken(c))
                        .unwrap_or_default();
                    layer_options.push(format!("GEOMETRY_NAME={column}"));
                }
            }
            // Infinities and NaN as JSON's usual extension (NaN, Infinity), not null.
            VectorFormat::GeoJson => layer_options.push("WRITE_NON_FINITE_VALUES=YES".into()),
        }
        let layer_options: Vec<&str> = layer_options.iter().map(String::as_str).collect();
        let layer = quietly(|| {
            dataset.create_layer(LayerOptions {
                name: &layer_name,
                srs: srs.as_ref(),
                ty: OGRwkbGeometryType::wkbMultiPolygon,
                options: Some(&layer_options),
            })
        })
        .map_err(gdal_error)?;
        let mut kinds = Vec::with_capacity(names.len());
        if !id_is_attribute {
            let all_int = zones.iter().all(|z| matches!(z.id, ZoneId::Int(_)));
            kinds.push(if all_int {
                OGRFieldType::OFTInteger64
            } else {
                OGRFieldType::OFTString
            });
        }
        for i in 0..attribute_names.len() {
            kinds.push(attribute_type(zones, i));
        }
        for (c, column) in table.columns.iter().enumerate() {
            // Lists of values (frac, weighted_frac, unique) are text, as in CSV.
            let is_list = matches!(
                column.stat,
                crate::stats::Stat::Frac
                    | crate::stats::Stat::WeightedFrac
                    | crate::stats::Stat::Unique
            );
            kinds.push(if is_list {
                OGRFieldType::OFTString
            } else {
                stat_field_type(table, c)
            });
        }
        for (field, kind) in names.iter().zip(&kinds) {
            quietly(|| FieldDefn::new(field, *kind).and_then(|f| f.add_to_layer(&layer)))
                .map_err(gdal_error)?;
        }
        // A driver may refuse or rename a field and still report success: every
        // value below is set by position, so the positions must be the names'.
        let created: Vec<String> = layer.defn().fields().map(|f| f.name()).collect();
        if created != names {
            return Err(Error::Io {
                path: path.to_path_buf(),
                source: std::io::Error::other(format!(
                    "the {} driver made the fields [{}] instead of [{}]",
                    format.driver(),
                    created.join(", "),
                    names.join(", ")
                )),
            });
        }

        for (zone, stats) in zones.iter().zip(&table.zones) {
            let mut feature = gdal::vector::Feature::new(layer.defn()).map_err(gdal_error)?;
            let mut idx = 0;
            if !id_is_attribute {
                match &zone.id {
                    ZoneId::Int(v) => feature.set_field_integer64(idx, *v),
                    ZoneId::Text(s) => feature.set_field_string(idx, s),
                }
                .map_err(gdal_error)?;
                idx += 1;
            }
            for value in zone.attributes.values() {
                match value {
                    AttrValue::Null => Ok(()),
                    AttrValue::Int(v) => feature.set_field_integer64(idx, *v),
                    AttrValue::Real(v) => feature.set_field_double(idx, *v),
                    // OGR parses ISO 8601 text into date, date-time and time fields.
                    AttrValue::Text(s)
                    | AttrValue::Date(s)
                    | AttrValue::DateTime(s)
                    | AttrValue::Time(s) => feature.set_field_string(idx, s),
                }
                .map_err(gdal_error)?;
                idx += 1;
            }
            for value in &stats.values {
                let kind = kinds.get(idx).copied().unwrap_or(OGRFieldType::OFTReal);
                match value {
                    StatValue::Number(v) => {
                        feature.set_field_double(idx, *v).map_err(gdal_error)?
                    }
                    StatValue::Integer(v) => match i64::try_from(*v) {
                        Ok(v) if kind == OGRFieldType::OFTInteger64 => {
                            feature.set_field_integer64(idx, v).map_err(gdal_error)?
                        }
                        _ if kind == OGRFieldType::OFTReal => feature
                            .set_field_double(idx, *v as f64)
                            .map_err(gdal_error)?,
                        _ => feature
                            .set_field_string(idx, &v.to_string())
                            .map_err(gdal_error)?,
                    },
                    StatValue::Fractions(_) | StatValue::IntegerFractions(_) => feature
                        .set_field_string(idx, &format_value(value))
                        .map_err(gdal_error)?,
                    StatValue::Missing => feature.set_field_null(idx).map_err(gdal_error)?,
                }
                idx += 1;
            }
            if !zone.geometry.0.is_empty() {
                let geometry = zone.geometry.to_gdal().map_err(gdal_error)?;
                feature.set_geometry(geometry).map_err(gdal_error)?;
            }
            quietly(|| feature.create(&layer)).map_err(gdal_error)?;
        }
        quietly(|| dataset.close()).map_err(|e| Error::Io {
            path: path.to_path_buf(),
            source: std::io::Error::other(format!("{name}: {e}")),
        })
    })
}

/// What a GeoPackage cannot keep of `table`: SQLite stores a NaN as null,
/// so NaN statistics read back as missing there (CSV writes `nan`, GeoJSON
/// `NaN`). The count of NaN values, for a warning; 0 for GeoJSON.
///
/// ```
/// use terralux::write::{nan_values_lost, VectorFormat};
/// # fn demo(table: &terralux::results::ZonalTable) {
/// if nan_values_lost(table, VectorFormat::GeoPackage) > 0 { /* say so */ }
/// # }
/// ```
pub fn nan_values_lost(table: &ZonalTable, format: VectorFormat) -> usize {
    match format {
        VectorFormat::GeoJson => 0,
        VectorFormat::GeoPackage => table
            .zones
            .iter()
            .flat_map(|z| &z.values)
            .filter(|v| matches!(v, StatValue::Number(x) if x.is_nan()))
            .count(),
    }
}

/// The OGR type of statistic column `c` (not a list): Integer64 when every
/// value is an exact integer that fits (at least one), text when one does
/// not (a UInt64 value beyond `i64::MAX`), else real.
fn stat_field_type(table: &ZonalTable, c: usize) -> OGRFieldType::Type {
    let values = || {
        table
            .zones
            .iter()
            .filter_map(move |z| z.values.get(c))
            .filter(|v| !v.is_missing())
    };
    let integers =
        values().next().is_some() && values().all(|v| matches!(v, StatValue::Integer(_)));
    if !integers {
        OGRFieldType::OFTReal
    } else if values().all(|v| matches!(v, StatValue::Integer(i) if i64::try_from(*i).is_ok())) {
        OGRFieldType::OFTInteger64
    } else {
        OGRFieldType::OFTString
    }
}

/// The layer name of an output: its file stem.
fn layer_name(path: &Path) -> String {
    path.file_stem()
        .map_or_else(|| "zones".to_string(), |s| s.to_string_lossy().into_owned())
}

/// Re-read a file [`write_vector_file`] wrote to `file` (the final output
/// being `path`) and check that it holds what it should: one layer, the
/// fields in order, one feature per zone with the zone's id. GDAL's GeoJSON
/// writer reports no failed write (a full disk leaves a truncated file):
/// this is what catches it.
pub fn check_vector(
    file: &Path,
    path: &Path,
    format: VectorFormat,
    table: &ZonalTable,
    zones: &ZoneSet,
    id_column: &str,
) -> Result<()> {
    let fail = |reason: String| Error::Io {
        path: path.to_path_buf(),
        source: std::io::Error::other(format!("the file written does not read back: {reason}")),
    };
    let options = gdal::DatasetOptions {
        open_flags: gdal::GdalOpenFlags::GDAL_OF_VECTOR,
        allowed_drivers: Some(&[format.driver()]),
        ..Default::default()
    };
    let dataset =
        quietly(|| gdal::Dataset::open_ex(file, options)).map_err(|e| fail(e.to_string()))?;
    if dataset.layer_count() != 1 {
        return Err(fail(format!("{} layers", dataset.layer_count())));
    }
    let mut layer = dataset.layer(0).map_err(|e| fail(e.to_string()))?;
    let (id_is_attribute, names) = field_names(table, zones, id_column);
    let fields: Vec<String> = layer.defn().fields().map(|f| f.name()).collect();
    if fields != names {
        return Err(fail(format!("fields [{}]", fields.join(", "))));
    }
    // The id is checked where this writer chose its type (not an attribute).
    let id_index = (!id_is_attribute).then_some(0);
    let mut count = 0usize;
    for (feature, zone) in layer.features().zip(zones.iter()) {
        if let Some(i) = id_index {
            let id = match &zone.id {
                ZoneId::Int(_) => feature
                    .field_as_integer64(i)
                    .ok()
                    .flatten()
                    .map(|v| v.to_string()),
                ZoneId::Text(_) => feature.field_as_string(i).ok().flatten(),
            };
            if id.as_deref() != Some(zone.id.to_string().as_str()) {
                return Err(fail(format!(
                    "feature {count} has another id than zone {}",
                    zone.id
                )));
            }
        }
        count += 1;
    }
    let total = layer.feature_count() as usize;
    if count != zones.len() || total != zones.len() {
        return Err(fail(format!(
            "{} features instead of {}",
            count.max(total),
            zones.len()
        )));
    }
    Ok(())
}

/// The OGR type for attribute `i`: integer, real, date, date-time or time
/// when every non-null value is one (integers count as reals), else text.
fn attribute_type(zones: &ZoneSet, i: usize) -> OGRFieldType::Type {
    let values = || {
        zones
            .iter()
            .filter_map(|z| z.attributes.values().get(i))
            .filter(|v| **v != AttrValue::Null)
    };
    if values().next().is_none() {
        return OGRFieldType::OFTString;
    }
    let all = |kind: fn(&AttrValue) -> bool| values().all(kind);
    if all(|v| matches!(v, AttrValue::Int(_))) {
        OGRFieldType::OFTInteger64
    } else if all(|v| matches!(v, AttrValue::Real(_) | AttrValue::Int(_))) {
        OGRFieldType::OFTReal
    } else if all(|v| matches!(v, AttrValue::Date(_))) {
        OGRFieldType::OFTDate
    } else if all(|v| matches!(v, AttrValue::DateTime(_))) {
        OGRFieldType::OFTDateTime
    } else if all(|v| matches!(v, AttrValue::Time(_))) {
        OGRFieldType::OFTTime
    } else {
        OGRFieldType::OFTString
    }
}
