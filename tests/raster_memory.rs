//! The in-memory raster: validity, scale/offset, typed reads and row bands (no GDAL needed).

use ndarray::{Array2, array, s};
use terralux::raster::{CellEncoding, DataType};
use terralux::{Crs, Error, GeoTransform, Grid, Raster, RasterSource, Window};

fn grid(rows: usize, cols: usize) -> Grid {
    Grid::new(
        GeoTransform::new(100.0, 0.25, 40.0, -0.25).unwrap(),
        rows,
        cols,
    )
    .unwrap()
    .with_crs(Crs::wgs84())
}

#[test]
fn nodata_nan_and_scale_offset() {
    let raster = Raster::new(
        grid(2, 3),
        array![[1.0f32, f32::NAN, -999.9], [0.0, 2.5, 7.0]],
    )
    .unwrap()
    .with_nodata(Some(-999.9))
    .with_scale_offset(2.0, 1.0);
    let v = raster
        .read_window_f64(1, raster.grid().full_window())
        .unwrap();
    assert_eq!(v[[0, 0]], 3.0);
    assert!(v[[0, 1]].is_nan(), "NaN cells are invalid");
    assert!(v[[0, 2]].is_nan(), "nodata compared in Float32 matches");
    assert_eq!(v.row(1).to_vec(), vec![1.0, 6.0, 15.0]);
    // Typed reads keep raw values.
    let raw = raster
        .read_window::<f32>(1, Window::new(0, 2, 1, 1))
        .unwrap();
    assert_eq!(raw[[0, 0]], -999.9f32);
    let info = raster.band_info(1).unwrap();
    assert_eq!(info.data_type, DataType::F32);
    assert!(
        !info.encoding.is_valid(-999.9f32)
            && !info.encoding.is_valid(f32::NAN)
            && info.encoding.is_valid(0.0f32)
    );
}

#[test]
fn integer_nodata_that_the_type_cannot_hold_matches_nothing() {
    let enc = CellEncoding {
        nodata: Some(-1.0),
        ..CellEncoding::default()
    };
    let v = enc.decode(array![[0u8, 255]].view());
    assert_eq!(v.row(0).to_vec(), vec![0.0, 255.0]);
    let enc = CellEncoding {
        nodata: Some(2.5),
        ..CellEncoding::default()
    };
    assert!(enc.is_valid(2i16) && enc.is_valid(3i16));
    let enc = CellEncoding {
        nodata: Some(-32768.0),
        ..CellEncoding::default()
    };
    assert!(!enc.is_valid(-32768i16));
}

#[test]
fn typed_reads_convert_between_types() {
    let raster = Raster::new(grid(1, 3), array![[-5i32, 300, 7]]).unwrap();
    let as_u8 = raster
        .read_window::<u8>(1, Window::new(0, 0, 1, 3))
        .unwrap();
    assert_eq!(
        as_u8.row(0).to_vec(),
        vec![0, 255, 7],
        "saturating conversion"
    );
    let as_f64 = raster
        .read_window::<f64>(1, Window::new(0, 1, 1, 2))
        .unwrap();
    assert_eq!(as_f64.row(0).to_vec(), vec![300.0, 7.0]);
}

#[test]
fn row_bands_equal_a_whole_read() {
    let (rows, cols) = (23, 7);
    let data = Array2::from_shape_fn((rows, cols), |(r, c)| (r * 100 + c) as u16);
    let raster = Raster::new(grid(rows, cols), data.clone())
        .unwrap()
        .with_block_shape(5, 7)
        .with_nodata(Some(1203.0));
    let whole = raster
        .read_window_f64(1, raster.grid().full_window())
        .unwrap();
    for blocks_per_band in [1, 2, 10] {
        let mut stitched = Array2::<f64>::zeros((rows, cols));
        let mut heights = Vec::new();
        for item in raster.read_row_bands_f64(1, blocks_per_band).unwrap() {
            let (w, values) = item.unwrap();
            assert_eq!((w.col_off, w.cols), (0, cols));
            heights.push(w.rows);
            stitched
                .slice_mut(s![w.row_off..w.row_end(), ..])
                .assign(&values);
        }
        assert_eq!(heights.iter().sum::<usize>(), rows);
        assert_eq!(
            *heights.last().unwrap(),
            if blocks_per_band == 10 {
                rows
            } else {
                rows % (5 * blocks_per_band)
            }
        );
        assert!(
            stitched
                .iter()
                .zip(whole.iter())
                .all(|(a, b)| a == b || (a.is_nan() && b.is_nan()))
        );
    }
    assert!(whole[[12, 3]].is_nan());
}

#[test]
fn bad_bands_windows_and_shapes_are_errors() {
    let raster = Raster::new(grid(2, 2), Array2::<f32>::zeros((2, 2)))
        .unwrap()
        .with_name("mem");
    match raster.read_window_f64(2, Window::new(0, 0, 1, 1)) {
        Err(Error::BandOutOfRange {
            band: 2,
            band_count: 1,
            ..
        }) => {}
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        raster.read_window_f64(0, Window::new(0, 0, 1, 1)),
        Err(Error::BandOutOfRange { .. })
    ));
    let err = raster
        .read_window_f64(1, Window::new(1, 1, 2, 1))
        .unwrap_err();
    assert!(matches!(err, Error::WindowOutOfBounds { .. }));
    assert!(
        err.to_string().starts_with("mem: window rows 1..3"),
        "{err}"
    );
    assert!(matches!(
        Raster::new(grid(2, 2), Array2::<f32>::zeros((3, 2))),
        Err(Error::Shape { .. })
    ));
    assert!(matches!(
        Raster::<u8>::from_bands(grid(2, 2), vec![]),
        Err(Error::Shape { .. })
    ));
}

#[test]
fn several_bands() {
    let a = Array2::from_elem((2, 2), 1u8);
    let b = Array2::from_elem((2, 2), 2u8);
    let raster = Raster::from_bands(grid(2, 2), vec![a, b]).unwrap();
    assert_eq!(raster.band_count(), 2);
    assert_eq!(
        raster.read_window_f64(2, Window::new(1, 1, 1, 1)).unwrap()[[0, 0]],
        2.0
    );
    assert_eq!(raster.band(1).unwrap()[[0, 0]], 1);
}

#[test]
fn extensive_rasters_split_and_sum_by_area_on_other_grids() {
    use terralux::raster::{Quantity, Resampled};
    // Population on a 30" grid, lights on 15" cells offset by half a 15" cell.
    let c30 = 1.0 / 120.0;
    let c15 = 1.0 / 240.0;
    let coarse = Grid::new(GeoTransform::new(106.0, c30, 30.0, -c30).unwrap(), 6, 8)
        .unwrap()
        .with_crs(Crs::wgs84());
    let pop = Array2::from_shape_fn((6, 8), |(r, c)| {
        (r * 8 + c) as f64 + if (r, c) == (2, 3) { f64::NAN } else { 0.0 }
    });
    let total: f64 = pop.iter().filter(|v| !v.is_nan()).sum();
    let raster = Raster::new(coarse.clone(), pop.clone()).unwrap();
    // Finer, aligned: each 30" cell splits into four 15" cells of a quarter each.
    let fine = Grid::new(GeoTransform::new(106.0, c15, 30.0, -c15).unwrap(), 12, 16)
        .unwrap()
        .with_crs(Crs::wgs84());
    let split = Resampled::new(raster.clone(), fine, Quantity::Extensive).unwrap();
    let v = split
        .read_window_f64(1, split.grid().full_window())
        .unwrap();
    assert!((v[[0, 1]] - pop[[0, 0]] / 4.0).abs() < 1e-12);
    assert!(v[[4, 6]].is_nan(), "nodata stays nodata");
    let sum: f64 = v.iter().filter(|x| !x.is_nan()).sum();
    assert!((sum - total).abs() < 1e-9 * total, "{sum} vs {total}");
    // Offset by half a fine cell and one fine cell larger all round: totals inside still kept.
    let shifted = Grid::new(
        GeoTransform::new(106.0 - c15 / 2.0, c15, 30.0 + c15 / 2.0, -c15).unwrap(),
        13,
        17,
    )
    .unwrap()
    .with_crs(Crs::wgs84());
    let split = Resampled::new(raster.clone(), shifted, Quantity::Extensive).unwrap();
    let v = split
        .read_window_f64(1, split.grid().full_window())
        .unwrap();
    let sum: f64 = v.iter().filter(|x| !x.is_nan()).sum();
    assert!((sum - total).abs() < 1e-9 * total, "{sum} vs {total}");
    // A window of it equals the same part of the whole.
    let part = split.read_window_f64(1, Window::new(3, 5, 4, 6)).unwrap();
    assert!(
        part.iter()
            .zip(v.slice(ndarray::s![3..7, 5..11]).iter())
            .all(|(a, b)| a == b || (a.is_nan() && b.is_nan()))
    );
    // Coarser: four 30" cells sum into one 1' cell.
    let c60 = 1.0 / 60.0;
    let coarser = Grid::new(GeoTransform::new(106.0, c60, 30.0, -c60).unwrap(), 3, 4)
        .unwrap()
        .with_crs(Crs::wgs84());
    let summed = Resampled::new(raster.clone(), coarser, Quantity::Extensive)
        .unwrap()
        .read_window_f64(1, Window::new(0, 0, 3, 4))
        .unwrap();
    assert_eq!(
        summed[[0, 0]],
        pop[[0, 0]] + pop[[0, 1]] + pop[[1, 0]] + pop[[1, 1]]
    );
    // Intensive values are averaged instead: a constant density stays constant.
    let density = Raster::new(coarse, Array2::from_elem((6, 8), 7.5)).unwrap();
    let shifted = Grid::new(
        GeoTransform::new(106.0 - c15 / 2.0, c15, 30.0 + c15 / 2.0, -c15).unwrap(),
        13,
        17,
    )
    .unwrap()
    .with_crs(Crs::wgs84());
    let mean = Resampled::new(density, shifted, Quantity::Intensive)
        .unwrap()
        .read_window_f64(1, Window::new(0, 0, 13, 17))
        .unwrap();
    assert!(
        mean.iter()
            .filter(|x| !x.is_nan())
            .all(|&x| (x - 7.5).abs() < 1e-12)
    );
    // Other CRS: refused.
    let utm = Grid::new(GeoTransform::new(0.0, 100.0, 0.0, -100.0).unwrap(), 2, 2)
        .unwrap()
        .with_crs(Crs::projected("EPSG:32648", 1.0));
    assert!(Resampled::new(raster, utm, Quantity::Extensive).is_err());
}

#[test]
fn mosaics_cover_each_cell_once() {
    use geo_types::{MultiPolygon, polygon};
    use terralux::ZonalStats;
    use terralux::raster::Mosaic;
    use terralux::stats::{Stat, StatValue};
    use terralux::zones::{Attributes, Zone, ZoneId, ZoneSet};
    // Two 10 x 10 tiles side by side and a third overlapping the second's east half.
    let tile = |x0: f64, value: f64| {
        Raster::new(
            Grid::new(GeoTransform::new(x0, 1.0, 10.0, -1.0).unwrap(), 10, 10)
                .unwrap()
                .with_crs(Crs::wgs84()),
            Array2::from_elem((10, 10), value),
        )
        .unwrap()
    };
    let (a, b, c) = (tile(0.0, 1.0), tile(10.0, 2.0), tile(15.0, 3.0));
    let mosaic = Mosaic::new(vec![&a, &b, &c], 1).unwrap();
    assert_eq!(mosaic.grid().shape(), (10, 25));
    let v = mosaic.read_window_f64(1, Window::new(0, 8, 1, 17)).unwrap();
    assert_eq!(
        v.row(0).to_vec(),
        [
            1.0, 1.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 3.0, 3.0, 3.0, 3.0, 3.0
        ]
    );
    // A zone across the seam counts each cell once.
    let zone = Zone {
        id: ZoneId::Int(1),
        attributes: Attributes::default(),
        geometry: MultiPolygon(vec![
            polygon![(x: 8.0, y: 0.0), (x: 12.0, y: 0.0), (x: 12.0, y: 10.0), (x: 8.0, y: 10.0)],
        ]),
    };
    let zones = ZoneSet::new(vec![zone], Some(Crs::wgs84()));
    let table = ZonalStats::new(&zones)
        .band(&mosaic, 1)
        .stats(&[Stat::Count, Stat::Sum])
        .run()
        .unwrap();
    assert_eq!(
        table.zones[0].values,
        [StatValue::Number(40.0), StatValue::Number(60.0)]
    );
    // Misaligned or other cell sizes are refused.
    let shifted = tile(0.5, 1.0);
    assert!(Mosaic::new(vec![&a, &shifted], 1).is_err());
}
