//! Writing the synthetic zones of a benchmark: one polygon per feature,
//! with the fields the checks read (`id`, `kind`, `expected_count`).
//! Included with `#[path]` by the generator binaries.

use std::error::Error;
use std::path::Path;

use gdal::DriverManager;
use gdal::spatial_ref::SpatialRef;
use gdal::vector::{
    FieldDefn, LayerAccess, LayerOptions, OGRFieldType, OGRwkbGeometryType, ToGdal,
};
use geo_types::Polygon;

/// One zone to write: what kind it is, its polygon (EPSG:4326) and its
/// exact cell count on the benchmark's raster.
pub struct ZoneRecord<'a> {
    pub kind: &'a str,
    pub polygon: &'a Polygon<f64>,
    pub expected_count: f64,
}

/// Write `zones` to `path` as layer `zones` with OGR driver `driver`
/// (`GPKG`, `GeoJSON`...), ids from 1; an existing file is replaced.
pub fn write_zones(
    path: &Path,
    driver: &str,
    zones: &[ZoneRecord<'_>],
) -> Result<(), Box<dyn Error>> {
    if path.exists() {
        std::fs::remove_file(path)?;
    }
    let driver = DriverManager::get_driver_by_name(driver)?;
    let mut ds = driver.create_vector_only(path)?;
    let srs = SpatialRef::from_epsg(4326)?;
    let layer = ds.create_layer(LayerOptions {
        name: "zones",
        srs: Some(&srs),
        ty: OGRwkbGeometryType::wkbPolygon,
        options: None,
    })?;
    FieldDefn::new("id", OGRFieldType::OFTInteger)?.add_to_layer(&layer)?;
    FieldDefn::new("kind", OGRFieldType::OFTString)?.add_to_layer(&layer)?;
    FieldDefn::new("expected_count", OGRFieldType::OFTReal)?.add_to_layer(&layer)?;
    for (i, zone) in zones.iter().enumerate() {
        let mut feature = gdal::vector::Feature::new(layer.defn())?;
        feature.set_field_integer(0, i as i32 + 1)?;
        feature.set_field_string(1, zone.kind)?;
        feature.set_field_double(2, zone.expected_count)?;
        feature.set_geometry(zone.polygon.to_gdal()?)?;
        feature.create(&layer)?;
    }
    Ok(())
}
