//! The GDAL raster source on `testdata/` and on bad inputs made by the tests.
#![cfg(feature = "gdal")]

mod common;

use common::{TempDir, testdata};
use gdal::DriverManager;
use gdal::raster::Buffer;
use gdal::spatial_ref::SpatialRef;
use ndarray::{Array2, s};
use terralux::raster::{DataType, RasterOptions};
use terralux::{Crs, Error, GdalRaster, Raster, RasterSource, Window};

const CELL: f64 = 1.0 / 240.0;

fn same(a: f64, b: f64) -> bool {
    a == b || (a.is_nan() && b.is_nan())
}

#[test]
fn testdata_grid_is_as_declared_and_snapped_only_when_asked() {
    let raster = GdalRaster::open(testdata("ntl.tif")).unwrap();
    let grid = raster.grid();
    assert_eq!(grid.shape(), (100, 120));
    let t = grid.transform();
    // The file stores 0.0041666667 as EOG does; cells are where it says (gdalinfo's
    // figures), as GDAL, rasterio and exactextract take them.
    assert_eq!(t.pixel_width, 0.0041666667);
    assert_eq!(t.pixel_height, -0.0041666667);
    assert_eq!(t.origin_x, 105.997_916_666_67);
    assert_eq!(t.origin_y, 29.90208333333);
    assert_eq!(raster.declared_grid(), grid);
    let crs = grid.crs().unwrap();
    assert_eq!(crs.definition(), "EPSG:4326");
    assert!(crs.is_geographic());
    assert_eq!(raster.band_count(), 1);
    let info = raster.band_info(1).unwrap();
    assert_eq!(info.data_type, DataType::F32);
    assert_eq!(info.encoding.nodata, Some(-999.9f32 as f64));
    assert_eq!((info.encoding.scale, info.encoding.offset), (1.0, 0.0));
    assert_eq!(info.block_shape, (32, 32));

    // Snapping is an explicit choice: exactly 15" then, the declared grid kept aside.
    let snapped = GdalRaster::open_with(
        testdata("ntl.tif"),
        &RasterOptions {
            snap_geographic: true,
            ..RasterOptions::default()
        },
    )
    .unwrap();
    let s = snapped.grid().transform();
    assert_eq!(s.pixel_width, CELL);
    assert_eq!(s.pixel_height, -CELL);
    assert_eq!(s.origin_x, 106.0 - CELL / 2.0);
    assert_eq!(s.origin_y, 29.9 + CELL / 2.0);
    assert_eq!(snapped.declared_grid(), grid);
    // The two are the same grid within exactextract's tolerance (1e-3 cell).
    assert!(snapped.grid().same_as(grid));

    let scaled = GdalRaster::open(testdata("ntl_u16.tif")).unwrap();
    let info = scaled.band_info(1).unwrap();
    assert_eq!(info.data_type, DataType::U16);
    assert_eq!(info.encoding.nodata, Some(65535.0));
    assert_eq!(info.encoding.scale, 0.1);
    assert_eq!(info.block_shape, (16, 120), "strips of 16 whole rows");
    assert_eq!(scaled.grid(), grid);
}

#[test]
fn row_bands_equal_a_whole_read_with_edge_blocks_trimmed() {
    for file in ["ntl.tif", "ntl_u16.tif"] {
        let raster = GdalRaster::open(testdata(file)).unwrap();
        let whole = raster
            .read_window_f64(1, raster.grid().full_window())
            .unwrap();
        for blocks_per_band in [1, 2, 7] {
            let mut stitched = Array2::<f64>::from_elem((100, 120), -1.0);
            let mut heights = Vec::new();
            for item in raster.read_row_bands_f64(1, blocks_per_band).unwrap() {
                let (w, values) = item.unwrap();
                assert_eq!(values.dim(), (w.rows, 120));
                heights.push(w.rows);
                stitched
                    .slice_mut(s![w.row_off..w.row_end(), ..])
                    .assign(&values);
            }
            assert_eq!(heights.iter().sum::<usize>(), 100, "{file}");
            let block_rows = raster.band_info(1).unwrap().block_shape.0 * blocks_per_band;
            assert_eq!(
                *heights.last().unwrap(),
                if block_rows >= 100 {
                    100
                } else {
                    100 - (99 / block_rows) * block_rows
                }
            );
            assert!(
                stitched.iter().zip(whole.iter()).all(|(&a, &b)| same(a, b)),
                "{file}"
            );
        }
    }
}

#[test]
fn validity_follows_the_documented_nodata_layout() {
    let raster = GdalRaster::open(testdata("ntl.tif")).unwrap();
    let v = raster
        .read_window_f64(1, raster.grid().full_window())
        .unwrap();
    assert!(
        v.row(40).iter().all(|x| x.is_nan()),
        "row 40 is a nodata stripe"
    );
    assert!(
        (0..60).all(|r| v[[r, 75]].is_nan()),
        "column 75 is nodata above row 60"
    );
    assert!(
        v.slice(s![84..92, 96..108]).iter().all(|x| x.is_nan()),
        "the nodata patch"
    );
    assert!(
        v.slice(s![90..100, 0..20])
            .iter()
            .all(|&x| x == 0.0 || x.is_nan()),
        "the dark corner"
    );
    assert_eq!(v.iter().filter(|x| x.is_nan()).count(), 344);
    // Three of the invalid cells are NaN, the others carry the nodata value.
    let raw = raster
        .read_window::<f32>(1, raster.grid().full_window())
        .unwrap();
    assert_eq!(raw.iter().filter(|x| x.is_nan()).count(), 3);
    assert_eq!(raw.iter().filter(|&&x| x == -999.9f32).count(), 341);
    let max = v
        .iter()
        .filter(|x| !x.is_nan())
        .fold(f64::MIN, |a, &b| a.max(b));
    assert!(
        max > 70.0 && max < 90.0,
        "the brightest city peaks at about 80 nW"
    );
}

#[test]
fn scaled_integers_decode_to_the_same_radiance() {
    let float = GdalRaster::open(testdata("ntl.tif")).unwrap();
    let scaled = GdalRaster::open(testdata("ntl_u16.tif")).unwrap();
    let w = float.grid().full_window();
    let a = float.read_window_f64(1, w).unwrap();
    let b = scaled.read_window_f64(1, w).unwrap();
    for (&x, &y) in a.iter().zip(b.iter()) {
        assert_eq!(x.is_nan(), y.is_nan());
        if !x.is_nan() {
            assert!((x - y).abs() <= 0.05 + 1e-5, "{x} vs {y}");
        }
    }
    let mut buffer = Vec::new();
    scaled.read_window_f64_into(1, w, &mut buffer).unwrap();
    assert!(
        buffer.iter().zip(b.iter()).all(|(&x, &y)| same(x, y)),
        "scaled, into a buffer"
    );
    // The raw typed read is the stored integer: scale applied by hand gives the f64 read.
    let raw = scaled
        .read_window::<u16>(1, Window::new(10, 10, 3, 4))
        .unwrap();
    let decoded = scaled
        .read_window_f64(1, Window::new(10, 10, 3, 4))
        .unwrap();
    for (&r, &d) in raw.iter().zip(decoded.iter()) {
        assert_eq!(r as f64 * 0.1, d);
    }
}

#[test]
fn gdal_source_and_in_memory_raster_agree() {
    let gdal = GdalRaster::open(testdata("ntl.tif")).unwrap();
    let full = gdal
        .read_window::<f32>(1, gdal.grid().full_window())
        .unwrap();
    let info = gdal.band_info(1).unwrap();
    let memory = Raster::new(gdal.grid().clone(), full)
        .unwrap()
        .with_nodata(info.encoding.nodata);
    for w in [
        Window::new(0, 0, 100, 120),
        Window::new(31, 31, 2, 2),
        Window::new(95, 100, 5, 20),
        Window::new(40, 0, 1, 120),
    ] {
        let a = gdal.read_window_f64(1, w).unwrap();
        let b = memory.read_window_f64(1, w).unwrap();
        assert!(a.iter().zip(b.iter()).all(|(&x, &y)| same(x, y)), "{w}");
        // The buffer-reusing reads give the same cells, row-major.
        let mut buffer = vec![7.0; 3];
        for source in [&gdal as &dyn RasterSource, &memory] {
            source.read_window_f64_into(1, w, &mut buffer).unwrap();
            assert_eq!(buffer.len(), w.cell_count());
            assert!(
                buffer.iter().zip(a.iter()).all(|(&x, &y)| same(x, y)),
                "{w}"
            );
        }
    }
}

#[test]
fn virtual_paths_and_connection_strings_open() {
    // A GTiff directory connection string, as GDAL writes subdatasets.
    let path = testdata("ntl.tif");
    let dir = GdalRaster::open(format!("GTIFF_DIR:1:{}", path.display())).unwrap();
    assert_eq!(dir.grid().shape(), (100, 120));
    // An in-memory virtual file.
    let source = gdal::Dataset::open(&path).unwrap();
    let driver = DriverManager::get_driver_by_name("GTiff").unwrap();
    source
        .create_copy(&driver, "/vsimem/terralux-copy.tif", &Default::default())
        .unwrap();
    let vsi = GdalRaster::open("/vsimem/terralux-copy.tif").unwrap();
    let w = Window::new(50, 50, 5, 5);
    let a = vsi.read_window_f64(1, w).unwrap();
    let b = GdalRaster::open(&path)
        .unwrap()
        .read_window_f64(1, w)
        .unwrap();
    assert_eq!(a, b);
    // Another handle on the same raster.
    let again = vsi.reopen().unwrap();
    assert_eq!(again.read_window_f64(1, w).unwrap(), a);
    assert_eq!(
        vsi.metadata_item("AREA_OR_POINT", ""),
        Some("Area".to_string())
    );
}

/// Write a small Float32 GeoTIFF with the given geotransform and optional EPSG code.
fn write_tif(path: &std::path::Path, gt: [f64; 6], epsg: Option<u32>) {
    let driver = DriverManager::get_driver_by_name("GTiff").unwrap();
    let mut ds = driver
        .create_with_band_type::<f32, _>(path, 4, 3, 1)
        .unwrap();
    ds.set_geo_transform(&gt).unwrap();
    if let Some(code) = epsg {
        ds.set_spatial_ref(&SpatialRef::from_epsg(code).unwrap())
            .unwrap();
    }
    let mut band = ds.rasterband(1).unwrap();
    let mut buffer = Buffer::new((4, 3), (0..12).map(|v| v as f32).collect());
    band.write((0, 0), (4, 3), &mut buffer).unwrap();
}

#[test]
fn missing_corrupt_and_truncated_files_are_clear_errors() {
    let tmp = TempDir::new("raster-bad");
    match GdalRaster::open(tmp.join("nope.tif")) {
        Err(e @ Error::NotFound { .. }) => {
            assert!(e.to_string().ends_with("nope.tif: no such file"), "{e}")
        }
        other => panic!("{other:?}"),
    }
    let corrupt = tmp.join("corrupt.tif");
    std::fs::write(&corrupt, b"this is not a GeoTIFF at all").unwrap();
    match GdalRaster::open(&corrupt) {
        Err(e @ Error::Open { .. }) => {
            assert!(e.to_string().contains("corrupt.tif: cannot open"), "{e}")
        }
        other => panic!("{other:?}"),
    }
    let empty = tmp.join("empty.tif");
    std::fs::write(&empty, b"").unwrap();
    assert!(matches!(GdalRaster::open(&empty), Err(Error::Open { .. })));
    // A truncated copy: the header survives, the tiles do not.
    let bytes = std::fs::read(testdata("ntl.tif")).unwrap();
    let truncated = tmp.join("truncated.tif");
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    match GdalRaster::open(&truncated) {
        Err(Error::Open { .. }) => {}
        Ok(raster) => {
            let err = raster
                .read_window_f64(1, raster.grid().full_window())
                .unwrap_err();
            assert!(matches!(err, Error::Read { band: 1, .. }), "{err}");
            assert!(
                err.to_string()
                    .contains("truncated.tif, band 1: read failed"),
                "{err}"
            );
        }
        Err(other) => panic!("{other:?}"),
    }
    // A vector file is not a raster.
    match GdalRaster::open(testdata("counties.gpkg")) {
        Err(e @ Error::Open { .. }) => assert!(e.to_string().contains("counties.gpkg"), "{e}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn rasters_without_crs_or_north_up_geotransform_are_refused() {
    let tmp = TempDir::new("raster-georef");
    let no_crs = tmp.join("no_crs.tif");
    write_tif(&no_crs, [100.0, 0.5, 0.0, 40.0, 0.0, -0.5], None);
    match GdalRaster::open(&no_crs) {
        Err(e @ Error::MissingCrs { .. }) => {
            assert!(
                e.to_string()
                    .contains("no_crs.tif: the data set has no coordinate reference system"),
                "{e}"
            )
        }
        other => panic!("{other:?}"),
    }
    let assumed = GdalRaster::open_with(
        &no_crs,
        &RasterOptions {
            assume_crs: Some(Crs::wgs84()),
            ..RasterOptions::default()
        },
    )
    .unwrap();
    assert_eq!(assumed.grid().crs(), Some(&Crs::wgs84()));

    let rotated = tmp.join("rotated.tif");
    write_tif(&rotated, [100.0, 0.5, 0.1, 40.0, 0.1, -0.5], Some(4326));
    match GdalRaster::open(&rotated) {
        Err(e @ Error::Grid { .. }) => {
            let msg = e.to_string();
            assert!(
                msg.contains("rotated.tif") && msg.contains("rotated or sheared"),
                "{msg}"
            );
        }
        other => panic!("{other:?}"),
    }

    // A raster with no geotransform at all.
    let plain = tmp.join("plain.tif");
    {
        let driver = DriverManager::get_driver_by_name("GTiff").unwrap();
        driver
            .create_with_band_type::<u8, _>(&plain, 2, 2, 1)
            .unwrap();
    }
    match GdalRaster::open(&plain) {
        Err(e @ Error::Grid { .. }) => assert!(e.to_string().contains("not georeferenced"), "{e}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn band_and_window_out_of_range_are_errors() {
    let raster = GdalRaster::open(testdata("ntl.tif")).unwrap();
    match raster.read_window_f64(2, Window::new(0, 0, 1, 1)) {
        Err(e @ Error::BandOutOfRange { .. }) => {
            assert!(
                e.to_string().ends_with(
                    "ntl.tif: band 2 does not exist (the raster has 1 band(s), numbered from 1)"
                ),
                "{e}"
            )
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        raster.band_info(0),
        Err(Error::BandOutOfRange { .. })
    ));
    assert!(matches!(
        raster.read_window_f64(1, Window::new(99, 0, 2, 1)),
        Err(Error::WindowOutOfBounds { .. })
    ));
    assert_eq!(
        raster
            .read_window_f64(1, Window::new(5, 5, 0, 0))
            .unwrap()
            .dim(),
        (0, 0)
    );
}

#[test]
fn float32_reads_by_block_and_by_window_agree() {
    let raster = GdalRaster::open(testdata("ntl.tif")).unwrap();
    let mut buffer = Vec::new();
    // Block-aligned windows (read block by block), edge blocks included, and unaligned ones.
    for w in [
        Window::new(0, 0, 100, 120),
        Window::new(32, 64, 64, 56),
        Window::new(96, 96, 4, 24),
        Window::new(5, 7, 30, 40),
    ] {
        assert!(raster.read_window_f32_into(1, w, &mut buffer).unwrap());
        let expected = raster.read_window_f64(1, w).unwrap();
        assert_eq!(buffer.len(), w.cell_count());
        assert!(
            buffer
                .iter()
                .zip(expected.iter())
                .all(|(&x, &y)| same(x as f64, y)),
            "{w}"
        );
    }
    // Scaled integers are not read as f32.
    let scaled = GdalRaster::open(testdata("ntl_u16.tif")).unwrap();
    assert!(
        !scaled
            .read_window_f32_into(1, Window::new(0, 0, 16, 120), &mut buffer)
            .unwrap()
    );
}
