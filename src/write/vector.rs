//! GeoJSON and GeoPackage output through GDAL: geometry, attributes and statistics.

use std::path::Path;

use gdal::DriverManager;
use gdal::vector::{
    FieldDefn, LayerAccess, LayerOptions, OGRFieldType, OGRwkbGeometryType, ToGdal,
};

use super::atomic::{commit, temporary_path_for};
use super::csv::format_value;
use crate::error::{Error, Result};
use crate::gdal_util::quietly;
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
/// attribute, and one field per statistic column (real numbers, or text
/// for `frac`; missing values are null). A statistic column whose name
/// clashes with an attribute is written as `zs_<name>`. The file is
/// written under a temporary name and renamed when complete.
pub fn write_vector(
    table: &ZonalTable,
    zones: &ZoneSet,
    id_column: &str,
    path: &Path,
    format: VectorFormat,
) -> Result<()> {
    let tmp = temporary_path_for(path);
    let result = write_to(table, zones, id_column, path, &tmp, format);
    match result {
        Ok(()) => commit(&tmp, path),
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(e)
        }
    }
}

fn write_to(
    table: &ZonalTable,
    zones: &ZoneSet,
    id_column: &str,
    path: &Path,
    tmp: &Path,
    format: VectorFormat,
) -> Result<()> {
    let name = path.display().to_string();
    let gdal_error = |e: gdal::errors::GdalError| Error::Io {
        path: path.to_path_buf(),
        source: std::io::Error::other(e.to_string()),
    };
    let driver = DriverManager::get_driver_by_name(format.driver()).map_err(gdal_error)?;
    let mut dataset = quietly(|| driver.create_vector_only(tmp)).map_err(gdal_error)?;
    let srs = zones.crs().map(|c| c.to_spatial_ref()).transpose()?;
    let layer_name = path
        .file_stem()
        .map_or_else(|| "zones".to_string(), |s| s.to_string_lossy().into_owned());
    // Fields: the id (unless it is one of the attributes), the attributes, the statistics.
    let attribute_names = zones.field_names();
    let id_is_attribute = attribute_names.iter().any(|n| n == id_column);
    // GeoPackage calls its own feature-id column `fid`; give it another name when a field needs that one.
    let needs_fid_field = id_column.eq_ignore_ascii_case("fid")
        || attribute_names
            .iter()
            .any(|n| n.eq_ignore_ascii_case("fid"));
    let layer_options: &[&str] = if format == VectorFormat::GeoPackage && needs_fid_field {
        &["FID=gpkg_fid"]
    } else {
        &[]
    };
    let layer = quietly(|| {
        dataset.create_layer(LayerOptions {
            name: &layer_name,
            srs: srs.as_ref(),
            ty: OGRwkbGeometryType::wkbMultiPolygon,
            options: Some(layer_options),
        })
    })
    .map_err(gdal_error)?;
    let mut field_names: Vec<String> = Vec::new();
    let mut add_field = |name: &str, kind: OGRFieldType::Type| -> Result<()> {
        FieldDefn::new(name, kind)
            .and_then(|f| f.add_to_layer(&layer))
            .map_err(gdal_error)?;
        field_names.push(name.to_string());
        Ok(())
    };
    if !id_is_attribute {
        let all_int = zones.iter().all(|z| matches!(z.id, ZoneId::Int(_)));
        add_field(
            id_column,
            if all_int {
                OGRFieldType::OFTInteger64
            } else {
                OGRFieldType::OFTString
            },
        )?;
    }
    for (i, attr) in attribute_names.iter().enumerate() {
        add_field(attr, attribute_type(zones, i))?;
    }
    let stat_fields: Vec<String> = table
        .columns
        .iter()
        .map(|c| {
            if attribute_names.contains(&c.name) || c.name == id_column {
                format!("zs_{}", c.name)
            } else {
                c.name.clone()
            }
        })
        .collect();
    for (column, field) in table.columns.iter().zip(&stat_fields) {
        let kind = if column.stat == crate::stats::Stat::Frac {
            OGRFieldType::OFTString
        } else {
            OGRFieldType::OFTReal
        };
        add_field(field, kind)?;
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
                AttrValue::Text(s) => feature.set_field_string(idx, s),
            }
            .map_err(gdal_error)?;
            idx += 1;
        }
        for value in &stats.values {
            match value {
                StatValue::Number(v) if v.is_finite() => {
                    feature.set_field_double(idx, *v).map_err(gdal_error)?
                }
                StatValue::Fractions(_) => feature
                    .set_field_string(idx, &format_value(value))
                    .map_err(gdal_error)?,
                _ => feature.set_field_null(idx).map_err(gdal_error)?,
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
}

/// The OGR type for attribute `i`: integer or real when every non-null value is one, else text.
fn attribute_type(zones: &ZoneSet, i: usize) -> OGRFieldType::Type {
    let values = || {
        zones
            .iter()
            .filter_map(|z| z.attributes.values().get(i))
            .filter(|v| **v != AttrValue::Null)
    };
    if values().all(|v| matches!(v, AttrValue::Int(_))) && values().next().is_some() {
        OGRFieldType::OFTInteger64
    } else if values().all(|v| matches!(v, AttrValue::Real(_) | AttrValue::Int(_)))
        && values().next().is_some()
    {
        OGRFieldType::OFTReal
    } else {
        OGRFieldType::OFTString
    }
}
