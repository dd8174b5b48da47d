//! Peer parity, by hand: the file's own georeferencing and GDAL mask bands,
//! as GDAL, rasterio and exactextract read them (issue "Peer parity").
//! Expected values are computed here from the cells and the geometry; the
//! comparison with exactextract itself is in `tests/python/`.
#![cfg(feature = "gdal")]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{TempDir, example_binary};
use gdal::DriverManager;
use gdal::raster::Buffer;
use gdal::spatial_ref::SpatialRef;
use terralux::raster::RasterOptions;
use terralux::stats::{Stat, StatValue};
use terralux::zones::{ZoneOptions, ZoneSet};
use terralux::{GdalRaster, RasterSource, ZonalStats};

/// A 4 x 4 Float32 GeoTIFF valued 1..16 row by row, with the given
/// geotransform; `mask` (row-major, 0 = invalid) as an internal per-dataset
/// mask when given.
fn tiff(path: &Path, geotransform: [f64; 6], mask: Option<[u8; 16]>) {
    let driver = DriverManager::get_driver_by_name("GTiff").unwrap();
    let mut ds = driver
        .create_with_band_type::<f32, _>(path, 4, 4, 1)
        .unwrap();
    ds.set_geo_transform(&geotransform).unwrap();
    ds.set_spatial_ref(&SpatialRef::from_epsg(4326).unwrap())
        .unwrap();
    let mut band = ds.rasterband(1).unwrap();
    let mut cells = Buffer::new((4, 4), (1..=16).map(|v| v as f32).collect());
    band.write((0, 0), (4, 4), &mut cells).unwrap();
    if let Some(mask) = mask {
        band.create_mask_band(true).unwrap();
        let mut mask_band = band.open_mask_band().unwrap();
        let mut bytes = Buffer::new((4, 4), mask.to_vec());
        mask_band.write((0, 0), (4, 4), &mut bytes).unwrap();
    }
}

fn zones_file(dir: &TempDir, ring: &str) -> PathBuf {
    let path = dir.join("z.geojson");
    std::fs::write(
        &path,
        format!(
            r#"{{"type":"FeatureCollection","features":[{{"type":"Feature","properties":{{"code":"z"}},"geometry":{{"type":"Polygon","coordinates":[{ring}]}}}}]}}"#
        ),
    )
    .unwrap();
    path
}

fn stats(raster: &GdalRaster, zones: &Path, stats: &[Stat]) -> Vec<StatValue> {
    let zones = ZoneSet::read(zones, &ZoneOptions::default()).unwrap();
    let table = ZonalStats::new(&zones)
        .band(raster, 1)
        .stats(stats)
        .run()
        .unwrap();
    table.zones[0].values.clone()
}

fn number(v: &StatValue) -> f64 {
    v.as_f64().unwrap()
}

#[test]
fn cells_are_where_the_file_declares_them() {
    let dir = TempDir::new("peer-declared");
    // A crop as another tool stores 1/240 degree: 0.0041666665, not 1/240.
    let cell = 0.0041666665;
    let (x0, y0) = (106.0, 30.0);
    let path = dir.join("crop.tif");
    tiff(&path, [x0, cell, 0.0, y0, 0.0, -cell], None);
    // A square from the declared west edge to 1.5 declared cells east, over the first row.
    let (x1, y1) = (x0 + 1.5 * cell, y0 - cell);
    let ring = format!("[[{x0},{y1}],[{x1},{y1}],[{x1},{y0}],[{x0},{y0}],[{x0},{y1}]]");
    let zones = zones_file(&dir, &ring);
    let raster = GdalRaster::open(&path).unwrap();
    assert_eq!(raster.grid().transform().pixel_width, cell);
    let v = stats(&raster, &zones, &[Stat::Count, Stat::Sum]);
    // Declared cells: cell (0,0) whole and half of (0,1): count 1.5, sum 1 + 0.5 * 2.
    assert!((number(&v[0]) - 1.5).abs() < 1e-9, "{v:?}");
    assert!((number(&v[1]) - 2.0).abs() < 1e-9, "{v:?}");
    // Snapped on request, the cells move to exact 1/240 degree and the origin by
    // half a cell: the same zone covers other fractions of other cells.
    let snapped = GdalRaster::open_with(
        &path,
        &RasterOptions {
            snap_geographic: true,
            ..RasterOptions::default()
        },
    )
    .unwrap();
    assert_eq!(snapped.grid().transform().pixel_width, 1.0 / 240.0);
    let s = stats(&snapped, &zones, &[Stat::Count]);
    // In exact 1/240-degree cells the zone is 1.5 x 0.0041666665 x 240 wide and
    // 0.0041666665 x 240 high: 1.49999994 x 0.99999996 cells.
    let expected = (1.5 * cell * 240.0) * (cell * 240.0);
    assert!(
        (number(&s[0]) - expected).abs() < 1e-12,
        "{s:?} vs {expected}"
    );
    assert!((number(&s[0]) - 1.5).abs() > 1e-7);
}

#[test]
fn masked_cells_are_invalid_unless_the_mask_is_ignored() {
    let dir = TempDir::new("peer-mask");
    let path = dir.join("masked.tif");
    // The mask hides cells 2 and 6 (values 2 and 6) of the 2 x 2 block at the north-west.
    let mut mask = [255u8; 16];
    mask[1] = 0;
    mask[5] = 0;
    tiff(&path, [100.0, 1.0, 0.0, 34.0, 0.0, -1.0], Some(mask));
    let zones = zones_file(&dir, "[[100,32],[102,32],[102,34],[100,34],[100,32]]");
    let all = [
        Stat::Count,
        Stat::Sum,
        Stat::Min,
        Stat::Max,
        Stat::ValidFrac,
    ];
    let raster = GdalRaster::open(&path).unwrap();
    let v = stats(&raster, &zones, &all);
    // Valid cells 1 and 5.
    assert_eq!(
        v,
        [2.0, 6.0, 1.0, 5.0, 0.5].map(StatValue::Number).to_vec(),
        "{v:?}"
    );
    let ignoring = GdalRaster::open_with(
        &path,
        &RasterOptions {
            ignore_mask: true,
            ..RasterOptions::default()
        },
    )
    .unwrap();
    let v = stats(&ignoring, &zones, &all);
    assert_eq!(
        v,
        [4.0, 14.0, 1.0, 6.0, 1.0].map(StatValue::Number).to_vec(),
        "{v:?}"
    );
    // The binary: by default and with --ignore-mask.
    let run = |extra: &[&str]| {
        let out = Command::new(example_binary("zonal"))
            .args(["--raster", &path.display().to_string()])
            .args(["--zones", &zones.display().to_string()])
            .args([
                "--id-field",
                "code",
                "--stats",
                "count,sum",
                "--output",
                "-",
            ])
            .args(extra)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    assert_eq!(run(&[]), "code,count,sum\nz,2,6\n");
    assert_eq!(run(&["--ignore-mask"]), "code,count,sum\nz,4,14\n");
}

#[test]
fn an_alpha_band_masks_its_dataset() {
    let dir = TempDir::new("peer-alpha");
    let path = dir.join("alpha.tif");
    {
        let driver = DriverManager::get_driver_by_name("GTiff").unwrap();
        let options = gdal::raster::RasterCreationOptions::from_iter(["ALPHA=YES"]);
        let mut ds = driver
            .create_with_band_type_with_options::<u8, _>(&path, 4, 4, 2, &options)
            .unwrap();
        ds.set_geo_transform(&[100.0, 1.0, 0.0, 34.0, 0.0, -1.0])
            .unwrap();
        ds.set_spatial_ref(&SpatialRef::from_epsg(4326).unwrap())
            .unwrap();
        let mut values = Buffer::new((4, 4), (1..=16).collect::<Vec<u8>>());
        ds.rasterband(1)
            .unwrap()
            .write((0, 0), (4, 4), &mut values)
            .unwrap();
        // Transparent where the value is odd.
        let mut alpha = Buffer::new(
            (4, 4),
            (1..=16u8)
                .map(|v| if v % 2 == 1 { 0 } else { 255 })
                .collect(),
        );
        ds.rasterband(2)
            .unwrap()
            .write((0, 0), (4, 4), &mut alpha)
            .unwrap();
    }
    let zones = zones_file(&dir, "[[100,32],[102,32],[102,34],[100,34],[100,32]]");
    let raster = GdalRaster::open(&path).unwrap();
    let v = stats(&raster, &zones, &[Stat::Count, Stat::Sum]);
    // Cells 1, 2, 5, 6: only 2 and 6 are opaque.
    assert_eq!(v, [2.0, 8.0].map(StatValue::Number).to_vec(), "{v:?}");
}

#[test]
fn exactextract_arguments_reach_the_binary_and_its_provenance() {
    let dir = TempDir::new("peer-arguments");
    let path = dir.join("r.tif");
    tiff(&path, [100.0, 1.0, 0.0, 34.0, 0.0, -1.0], None);
    // Cell (0,0) whole, a quarter of (0,1): values 1 and 2.
    let zones = zones_file(&dir, "[[100,33],[101.25,33],[101.25,34],[100,34],[100,33]]");
    let run = |extra: &[&str]| {
        Command::new(example_binary("zonal"))
            .args(["--raster", &path.display().to_string()])
            .args(["--zones", &zones.display().to_string()])
            .args(["--id-field", "code", "--stats", "count,sum,majority"])
            .args(extra)
            .output()
            .unwrap()
    };
    let stdout = |extra: &[&str]| {
        let out = run(extra);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    assert_eq!(
        stdout(&["--output", "-"]),
        "code,count,sum,majority\nz,1.25,1.5,1\n"
    );
    assert_eq!(
        stdout(&["--min-coverage-frac", "0.5", "--output", "-"]),
        "code,count,sum,majority\nz,1,1,1\n"
    );
    let out = run(&["--min-coverage-frac", "x", "--output", "-"]);
    assert_eq!(out.status.code(), Some(2));
    let out = run(&["--min-coverage-frac", "1.5", "--output", "-"]);
    assert_eq!(out.status.code(), Some(2));
    // A cell covered exactly at the threshold is kept (0.25 computed as 0.25 or
    // a few units of the last place off).
    assert_eq!(
        stdout(&["--min-coverage-frac", "0.25", "--output", "-"]),
        "code,count,sum,majority\nz,1.25,1.5,1\n"
    );
    let output = dir.join("o.csv");
    stdout(&[
        "--min-coverage-frac",
        "0.5",
        "--mode-ties",
        "exactextract",
        "--output",
        &output.display().to_string(),
    ]);
    let provenance = std::fs::read_to_string(terralux::write::provenance_path(&output)).unwrap();
    assert!(
        provenance.contains("\"min_coverage_frac\": 0.5"),
        "{provenance}"
    );
    assert!(
        provenance.contains("\"mode_ties\": \"exactextract\""),
        "{provenance}"
    );
}

#[test]
fn frac_columns_spread_categories_over_columns() {
    let dir = TempDir::new("peer-frac-columns");
    let path = dir.join("r.tif");
    tiff(&path, [100.0, 1.0, 0.0, 34.0, 0.0, -1.0], None);
    let zones = dir.join("z.geojson");
    // Zone a: cells 1 and 2, whole; zone b: cell 2 whole and half of 3; zone c: outside.
    std::fs::write(
        &zones,
        r#"{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"code":"a"},"geometry":{"type":"Polygon","coordinates":[[[100,33],[102,33],[102,34],[100,34],[100,33]]]}},
{"type":"Feature","properties":{"code":"b"},"geometry":{"type":"Polygon","coordinates":[[[101,33],[102.5,33],[102.5,34],[101,34],[101,33]]]}},
{"type":"Feature","properties":{"code":"c"},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1],[0,0]]]}}]}"#,
    )
    .unwrap();
    let out = Command::new(example_binary("zonal"))
        .args(["--raster", &path.display().to_string()])
        .args(["--zones", &zones.display().to_string()])
        .args([
            "--id-field",
            "code",
            "--stats",
            "count,frac",
            "--frac-columns",
        ])
        .args(["--output", "-"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "code,count,frac_1,frac_2,frac_3\n\
         a,2,0.5,0.5,0\n\
         b,1.5,0,0.6666666666666666,0.3333333333333333\n\
         c,0,,,\n"
    );
}

#[test]
fn the_cells_table_shows_each_cell_a_zone_used() {
    let dir = TempDir::new("peer-cells");
    let path = dir.join("r.tif");
    let mut mask = [255u8; 16];
    mask[1] = 0; // value 2 masked
    tiff(&path, [100.0, 1.0, 0.0, 34.0, 0.0, -1.0], Some(mask));
    // Cells (0,0), (0,1) whole, and the west half of (1,0) and (1,1).
    let zones = zones_file(&dir, "[[100,32.5],[102,32.5],[102,34],[100,34],[100,32.5]]");
    let output = dir.join("stats.csv");
    let cells = dir.join("cells.csv");
    let out = Command::new(example_binary("zonal"))
        .args(["--raster", &path.display().to_string()])
        .args(["--zones", &zones.display().to_string()])
        .args(["--id-field", "code", "--stats", "count,sum"])
        .args(["--cells", &cells.display().to_string()])
        .args(["--output", &output.display().to_string()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(&cells).unwrap(),
        "code,cell_id,row,col,center_x,center_y,coverage,value,weight\n\
         z,0,0,0,100.5,33.5,1,1,\n\
         z,1,0,1,101.5,33.5,1,,\n\
         z,4,1,0,100.5,32.5,0.5,5,\n\
         z,5,1,1,101.5,32.5,0.5,6,\n"
    );
    // The statistics agree with the cells: 1 + 0.5 + 0.5 valid, 1 + 2.5 + 3.
    assert_eq!(
        std::fs::read_to_string(&output).unwrap(),
        "code,count,sum\nz,2,6.5\n"
    );
    let provenance = std::fs::read_to_string(terralux::write::provenance_path(&output)).unwrap();
    assert!(provenance.contains("cells.csv"), "{provenance}");
    assert!(terralux::write::provenance_path(&cells).exists());
}

#[test]
fn lists_of_values_are_text_in_every_format() {
    let dir = TempDir::new("peer-lists");
    let path = dir.join("r.tif");
    tiff(&path, [100.0, 1.0, 0.0, 34.0, 0.0, -1.0], None);
    let zones = zones_file(&dir, "[[100,33],[102,33],[102,34],[100,34],[100,33]]");
    for name in ["o.gpkg", "o.geojson"] {
        let output = dir.join(name);
        let out = Command::new(example_binary("zonal"))
            .args(["--raster", &path.display().to_string()])
            .args(["--zones", &zones.display().to_string()])
            .args(["--id-field", "code", "--stats", "frac,unique,weighted_frac"])
            .args(["--weights", &path.display().to_string()])
            .args(["--output", &output.display().to_string()])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        use gdal::vector::LayerAccess;
        // GDAL's GeoJSON reader would guess "1:0.5" to be a time: read text as text.
        let ds = gdal::Dataset::open_ex(
            &output,
            gdal::DatasetOptions {
                open_options: Some(&["DATE_AS_STRING=YES"]),
                ..Default::default()
            },
        )
        .unwrap();
        let mut layer = ds.layer(0).unwrap();
        let feature = layer.features().next().unwrap();
        let text = |i: usize| feature.field_as_string(i).unwrap().unwrap();
        // Cells 1 and 2, weighted by themselves: 1/3 and 2/3.
        assert_eq!(text(1), "1:0.5;2:0.5", "{name}");
        assert_eq!(text(2), "1:1;2:1", "{name}");
        assert_eq!(
            text(3),
            "1:0.3333333333333333;2:0.6666666666666666",
            "{name}"
        );
    }
}

#[test]
fn the_cells_table_applies_the_run_options_and_names_its_columns_apart() {
    let dir = TempDir::new("peer-cells-options");
    let path = dir.join("r.tif");
    let mut mask = [255u8; 16];
    mask[1] = 0;
    tiff(&path, [100.0, 1.0, 0.0, 34.0, 0.0, -1.0], Some(mask));
    let zones = dir.join("z.geojson");
    std::fs::write(
        &zones,
        r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"value":"=1+1"},"geometry":{"type":"Polygon","coordinates":[[[100,32.5],[102,32.5],[102,34],[100,34],[100,32.5]]]}}]}"#,
    )
    .unwrap();
    let cells = dir.join("cells.csv");
    let out = Command::new(example_binary("zonal"))
        .args(["--raster", &path.display().to_string()])
        .args(["--zones", &zones.display().to_string()])
        .args(["--id-field", "value", "--stats", "count,sum"])
        .args([
            "--min-coverage-frac",
            "0.6",
            "--default-value",
            "7",
            "--csv-safe",
        ])
        .args(["--cells", &cells.display().to_string()])
        .args(["--output", &dir.join("o.csv").display().to_string()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The half-covered cells are left out; the masked one takes the default value.
    assert_eq!(
        std::fs::read_to_string(&cells).unwrap(),
        "value,cell_id,row,col,center_x,center_y,coverage,zs_value,weight\n\
         '=1+1,0,0,0,100.5,33.5,1,1,\n\
         '=1+1,1,0,1,101.5,33.5,1,7,\n"
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("o.csv")).unwrap(),
        "value,count,sum\n'=1+1,2,8\n"
    );
}
