//! Values of 64-bit integer bands (Int64, UInt64) are kept exactly by the
//! statistics that are values of the raster (issue #13, "Exact integers"):
//! `min`, `max`, `majority`, `minority`, `variety`, `unique`, `frac`,
//! `weighted_frac`, `median` and `pNN`, through the library, the CSV,
//! GeoJSON and GeoPackage writers and the `zonal` binary. Every expected
//! value is worked out here by hand from the cells and the zones.
#![cfg(feature = "gdal")]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{TempDir, example_binary};
use gdal::DriverManager;
use gdal::raster::{Buffer, GdalType, RasterBand, RasterCreationOptions};
use gdal::spatial_ref::SpatialRef;
use gdal::vector::{LayerAccess, OGRFieldType};
use ndarray::Array2;
use terralux::stats::{ModeTies, Stat, StatValue};
use terralux::write::{VectorFormat, write_csv, write_vector};
use terralux::zones::{ZoneOptions, ZoneSet};
use terralux::{GdalRaster, GeoTransform, Grid, Raster, ZonalStats};

/// 2397083434877565865: exactextract reports it exactly; through f64 it is 2397083434877566000.
const A: u64 = 2_397_083_434_877_565_865;
/// A + 1: the same f64 as A.
const B: u64 = A + 1;
/// u64::MAX - 1: the f64 2^64 (beyond u64 even).
const C: u64 = u64::MAX - 1;
const M: u64 = 5;
/// 2^62.
const P62: i64 = 1 << 62;

/// A `rows x cols` GeoTIFF of `cells` (row-major) with one-row strips,
/// cells one degree wide, its top-left corner at (0, rows) in EPSG:4326;
/// `nodata` sets the band's nodata and `mask` (0 = invalid) adds an
/// internal per-dataset mask.
fn tiff<T: GdalType + Copy>(
    path: &Path,
    (rows, cols): (usize, usize),
    cells: &[T],
    nodata: impl FnOnce(&mut RasterBand<'_>),
    mask: Option<&[u8]>,
) {
    assert_eq!(cells.len(), rows * cols);
    let driver = DriverManager::get_driver_by_name("GTiff").unwrap();
    let options = RasterCreationOptions::from_iter(["BLOCKYSIZE=1"]);
    let mut ds = driver
        .create_with_band_type_with_options::<T, _>(path, cols, rows, 1, &options)
        .unwrap();
    ds.set_geo_transform(&[0.0, 1.0, 0.0, rows as f64, 0.0, -1.0])
        .unwrap();
    ds.set_spatial_ref(&SpatialRef::from_epsg(4326).unwrap())
        .unwrap();
    let mut band = ds.rasterband(1).unwrap();
    nodata(&mut band);
    let mut buffer = Buffer::new((cols, rows), cells.to_vec());
    band.write((0, 0), (cols, rows), &mut buffer).unwrap();
    if let Some(mask) = mask {
        band.create_mask_band(true).unwrap();
        let mut mask_band = band.open_mask_band().unwrap();
        let mut bytes = Buffer::new((cols, rows), mask.to_vec());
        mask_band.write((0, 0), (cols, rows), &mut bytes).unwrap();
    }
}

fn no_nodata(_: &mut RasterBand<'_>) {}

/// A GeoJSON file of zones, each `(code, ring)` with the ring as GeoJSON coordinates.
fn zones_file(dir: &TempDir, zones: &[(&str, &str)]) -> PathBuf {
    let features: Vec<String> = zones
        .iter()
        .map(|(code, ring)| {
            format!(
                r#"{{"type":"Feature","properties":{{"code":"{code}"}},"geometry":{{"type":"Polygon","coordinates":[{ring}]}}}}"#
            )
        })
        .collect();
    let path = dir.join("zones.geojson");
    std::fs::write(
        &path,
        format!(
            r#"{{"type":"FeatureCollection","features":[{}]}}"#,
            features.join(",")
        ),
    )
    .unwrap();
    path
}

fn read_zones(path: &Path) -> ZoneSet {
    let options = ZoneOptions {
        id_field: Some("code".into()),
        ..ZoneOptions::default()
    };
    ZoneSet::read(path, &options).unwrap()
}

/// The rectangle `[x0, x1] x [y0, y1]` as a GeoJSON ring.
fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> String {
    format!("[[{x0},{y0}],[{x1},{y0}],[{x1},{y1}],[{x0},{y1}],[{x0},{y0}]]")
}

/// The 2 x 3 UInt64 raster of the first tests: `[A, A, B] / [C, M, A]`.
const U_CELLS: [u64; 6] = [A, A, B, C, M, A];

/// Zone `all` covers the 6 cells; zone `half` covers row 1 and half of cell (0, 2) (B).
fn u_zones(dir: &TempDir) -> PathBuf {
    let half = "[[0,0],[3,0],[3,2],[2.5,2],[2.5,1],[0,1],[0,0]]";
    zones_file(dir, &[("all", &rect(0.0, 0.0, 3.0, 2.0)), ("half", half)])
}

fn int(v: impl Into<i128>) -> StatValue {
    StatValue::Integer(v.into())
}

fn stats_of(raster: &GdalRaster, zones: &ZoneSet, stats: &str) -> Vec<Vec<StatValue>> {
    ZonalStats::new(zones)
        .band(raster, 1)
        .stats(&Stat::parse_list(stats).unwrap())
        .run()
        .unwrap()
        .zones
        .into_iter()
        .map(|z| z.values)
        .collect()
}

/// `IntegerFractions` pairs: values exactly, shares to 1e-15 (a half cell's
/// fraction may come out an ulp off 0.5).
fn assert_pairs(got: &StatValue, want: &[(i128, f64)]) {
    let StatValue::IntegerFractions(pairs) = got else {
        panic!("expected exact integer pairs, got {got:?}");
    };
    let values: Vec<i128> = pairs.iter().map(|p| p.0).collect();
    let wanted: Vec<i128> = want.iter().map(|p| p.0).collect();
    assert_eq!(values, wanted);
    for (p, w) in pairs.iter().zip(want) {
        assert!(
            (p.1 - w.1).abs() <= 1e-15,
            "{} has {}, not {}",
            p.0,
            p.1,
            w.1
        );
    }
}

#[test]
fn the_test_values_are_ones_f64_cannot_tell_apart() {
    // Otherwise the tests below would pass through f64 as well.
    assert_eq!(A as f64, B as f64);
    assert_ne!(A as f64 as u64, A);
    assert_eq!(C as f64, u64::MAX as f64);
    assert_eq!(P62 as f64, (P62 + 1) as f64);
    assert_eq!((P62 + 99) as f64, P62 as f64); // 100 values, one f64
}

#[test]
fn uint64_values_are_exact() {
    let dir = TempDir::new("exact-u64");
    let path = dir.join("u64.tif");
    tiff(&path, (2, 3), &U_CELLS, no_nodata, None);
    let raster = GdalRaster::open(&path).unwrap();
    let zones = read_zones(&u_zones(&dir));
    let stats = "count,min,max,majority,minority,variety,unique,frac,median,p10,p90";
    let v = stats_of(&raster, &zones, stats);
    // Zone all: 5 (1 cell), A (3), B (1), C (1), all whole.
    assert_eq!(v[0][0], StatValue::Number(6.0));
    assert_eq!(
        v[0][1..6],
        [int(M), int(C), int(A), int(M), StatValue::Number(4.0)]
    );
    assert_pairs(
        &v[0][6],
        &[(5, 1.0), (A.into(), 3.0), (B.into(), 1.0), (C.into(), 1.0)],
    );
    let sixth = 1.0 / 6.0;
    assert_pairs(
        &v[0][7],
        &[
            (5, sixth),
            (A.into(), 0.5),
            (B.into(), sixth),
            (C.into(), sixth),
        ],
    );
    // Sorted 5, A, A, A, B, C: the 3rd of 6 is A, the 0.6th is 5, the 5.4th is C.
    assert_eq!(v[0][8..], [int(A), int(M), int(C)]);
    // Zone half: C, M, A whole, B half (total 3.5). Majority ties C, M, A:
    // the larger (exactextract's rule) is C; minority is B.
    assert_eq!(v[1][0], StatValue::Number(3.5));
    assert_eq!(
        v[1][1..6],
        [int(M), int(C), int(C), int(B), StatValue::Number(4.0)]
    );
    assert_pairs(
        &v[1][6],
        &[(5, 1.0), (A.into(), 1.0), (B.into(), 0.5), (C.into(), 1.0)],
    );
    assert_pairs(
        &v[1][7],
        &[
            (5, 1.0 / 3.5),
            (A.into(), 1.0 / 3.5),
            (B.into(), 0.5 / 3.5),
            (C.into(), 1.0 / 3.5),
        ],
    );
    // 5 (1), A (2): the median's 1.75 is reached at A; p10's 0.35 at 5; p90's 3.15 at C.
    assert_eq!(v[1][8..], [int(A), int(M), int(C)]);
}

#[test]
fn moments_of_64_bit_bands_stay_f64() {
    let dir = TempDir::new("exact-moments");
    let path = dir.join("u64.tif");
    tiff(&path, (2, 3), &U_CELLS, no_nodata, None);
    let raster = GdalRaster::open(&path).unwrap();
    let zones = read_zones(&u_zones(&dir));
    let v = stats_of(&raster, &zones, "sum,mean");
    let sum = 3.0 * A as f64 + B as f64 + C as f64 + M as f64;
    let StatValue::Number(got) = v[0][0] else {
        panic!("sum is a number: {:?}", v[0][0]);
    };
    assert!((got / sum - 1.0).abs() < 1e-15, "{got} vs {sum}");
    let StatValue::Number(mean) = v[0][1] else {
        panic!("mean is a number: {:?}", v[0][1]);
    };
    assert!((mean / (sum / 6.0) - 1.0).abs() < 1e-15);
}

#[test]
fn weighted_frac_keeps_exact_values() {
    let dir = TempDir::new("exact-wfrac");
    let (path, weights) = (dir.join("u64.tif"), dir.join("w.tif"));
    tiff(&path, (2, 3), &U_CELLS, no_nodata, None);
    tiff(
        &weights,
        (2, 3),
        &[1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0],
        no_nodata,
        None,
    );
    let (raster, weights) = (
        GdalRaster::open(&path).unwrap(),
        GdalRaster::open(&weights).unwrap(),
    );
    let zones = read_zones(&u_zones(&dir));
    let table = ZonalStats::new(&zones)
        .band(&raster, 1)
        .weights(&weights, 1)
        .stats(&[Stat::WeightedFrac])
        .run()
        .unwrap();
    // Zone all: A has weights 1 + 2 + 6, B 3, C 4, M 5; 21 in all.
    let share = |x: f64| x / 21.0;
    assert_pairs(
        &table.zones[0].values[0],
        &[
            (5, share(5.0)),
            (A.into(), share(9.0)),
            (B.into(), share(3.0)),
            (C.into(), share(4.0)),
        ],
    );
}

#[test]
fn int64_distinct_values_near_2_62() {
    let dir = TempDir::new("exact-i64");
    let path = dir.join("i64.tif");
    let cells: Vec<i64> = (0..100).map(|k| P62 + k).collect();
    tiff(&path, (10, 10), &cells, no_nodata, None);
    let raster = GdalRaster::open(&path).unwrap();
    let zones = read_zones(&zones_file(&dir, &[("z", &rect(0.0, 0.0, 10.0, 10.0))]));
    let stats = "variety,min,max,median,p90,majority,minority,frac";
    let v = &stats_of(&raster, &zones, stats)[0];
    assert_eq!(v[0], StatValue::Number(100.0));
    // The 50th of 100 is 2^62 + 49, the 90th 2^62 + 89; all tie: majority the largest.
    assert_eq!(
        v[1..7],
        [
            int(P62),
            int(P62 + 99),
            int(P62 + 49),
            int(P62 + 89),
            int(P62 + 99),
            int(P62)
        ]
    );
    let want: Vec<(i128, f64)> = (0..100).map(|k| ((P62 + k).into(), 0.01)).collect();
    assert_pairs(&v[7], &want);
    let smallest = ZonalStats::new(&zones)
        .band(&raster, 1)
        .stats(&[Stat::Majority])
        .mode_ties(ModeTies::Smallest)
        .run()
        .unwrap();
    assert_eq!(smallest.zones[0].values, [int(P62)]);
}

#[test]
fn int64_extremes() {
    let dir = TempDir::new("exact-i64-extremes");
    let path = dir.join("i64.tif");
    let cells = [i64::MIN + 1, i64::MIN + 1, -1, i64::MAX];
    tiff(&path, (1, 4), &cells, no_nodata, None);
    let raster = GdalRaster::open(&path).unwrap();
    let zones = read_zones(&zones_file(&dir, &[("z", &rect(0.0, 0.0, 4.0, 1.0))]));
    let v = &stats_of(
        &raster,
        &zones,
        "min,max,majority,minority,median,p90,unique",
    )[0];
    let low = i64::MIN + 1;
    // Sorted low, low, -1, MAX: the 2nd of 4 is low, the 3.6th MAX; -1 and MAX tie for minority.
    assert_eq!(
        v[..6],
        [
            int(low),
            int(i64::MAX),
            int(low),
            int(-1),
            int(low),
            int(i64::MAX)
        ]
    );
    assert_pairs(
        &v[6],
        &[(low.into(), 2.0), (-1, 1.0), (i64::MAX.into(), 1.0)],
    );
}

#[test]
fn exact_nodata_excludes_only_that_value() {
    let dir = TempDir::new("exact-nodata");
    let path = dir.join("i64.tif");
    let nodata = P62 + 1;
    tiff(
        &path,
        (1, 4),
        &[P62, nodata, P62 + 2, nodata],
        |band| band.set_no_data_value_i64(Some(nodata)).unwrap(),
        None,
    );
    let raster = GdalRaster::open(&path).unwrap();
    let zones = read_zones(&zones_file(&dir, &[("z", &rect(0.0, 0.0, 4.0, 1.0))]));
    let v = &stats_of(&raster, &zones, "count,min,max,unique")[0];
    assert_eq!(v[..3], [StatValue::Number(2.0), int(P62), int(P62 + 2)]);
    assert_pairs(&v[3], &[(P62.into(), 1.0), ((P62 + 2).into(), 1.0)]);
    // UInt64: nodata u64::MAX, which an f64 cannot hold; u64::MAX - 1 (the same f64) stays valid.
    let path = dir.join("u64.tif");
    tiff(
        &path,
        (1, 4),
        &[u64::MAX, C, 1, u64::MAX],
        |band| band.set_no_data_value_u64(Some(u64::MAX)).unwrap(),
        None,
    );
    let raster = GdalRaster::open(&path).unwrap();
    let v = &stats_of(&raster, &zones, "count,min,max,unique")[0];
    assert_eq!(v[..3], [StatValue::Number(2.0), int(1), int(C)]);
    assert_pairs(&v[3], &[(1, 1.0), (C.into(), 1.0)]);
}

#[test]
fn the_mask_band_still_applies() {
    let dir = TempDir::new("exact-mask");
    let path = dir.join("u64.tif");
    tiff(
        &path,
        (2, 2),
        &[A, B, A, C],
        no_nodata,
        Some(&[255, 0, 255, 255]),
    );
    let raster = GdalRaster::open(&path).unwrap();
    let zones = read_zones(&zones_file(&dir, &[("z", &rect(0.0, 0.0, 2.0, 2.0))]));
    let v = &stats_of(&raster, &zones, "count,min,unique")[0];
    assert_eq!(v[..2], [StatValue::Number(3.0), int(A)]);
    assert_pairs(&v[2], &[(A.into(), 2.0), (C.into(), 1.0)]);
}

#[test]
fn default_value_on_a_64_bit_band() {
    let dir = TempDir::new("exact-default");
    let path = dir.join("i64.tif");
    tiff(
        &path,
        (1, 4),
        &[P62 + 1, 0, P62 + 3, 0],
        |band| band.set_no_data_value_i64(Some(0)).unwrap(),
        None,
    );
    let raster = GdalRaster::open(&path).unwrap();
    let zones = read_zones(&zones_file(&dir, &[("z", &rect(0.0, 0.0, 4.0, 1.0))]));
    let stats = Stat::parse_list("count,min,max,majority,unique").unwrap();
    let run = |default: f64| {
        ZonalStats::new(&zones)
            .band(&raster, 1)
            .stats(&stats)
            .default_value(default)
            .run()
            .unwrap()
            .zones
            .remove(0)
            .values
    };
    // The two nodata cells take 2^62 exactly, a value apart from 2^62 + 1.
    let v = run(P62 as f64);
    assert_eq!(
        v[..4],
        [StatValue::Number(4.0), int(P62), int(P62 + 3), int(P62)]
    );
    assert_pairs(
        &v[4],
        &[
            (P62.into(), 2.0),
            ((P62 + 1).into(), 1.0),
            ((P62 + 3).into(), 1.0),
        ],
    );
    let v = run(-7.0);
    assert_eq!(
        v[..4],
        [StatValue::Number(4.0), int(-7), int(P62 + 3), int(-7)]
    );
    // A default that is not an integer: the band's values go through f64,
    // where 2^62 + 1 and 2^62 + 3 are both 2^62 (and tie with 0.5 for majority).
    let v = run(0.5);
    assert_eq!(
        v[..4],
        [
            StatValue::Number(4.0),
            StatValue::Number(0.5),
            StatValue::Number(P62 as f64),
            StatValue::Number(P62 as f64)
        ]
    );
}

/// The tables of a run on 1 and 2 threads, one chunk per raster row, as CSV text.
#[test]
fn one_and_two_threads_give_the_same_results() {
    let dir = TempDir::new("exact-threads");
    let path = dir.join("i64.tif");
    // 20 x 10 cells of 2^62 + (k mod 37): repeated values and partial cells on every row.
    let cells: Vec<i64> = (0..200).map(|k| P62 + (k * 7919) % 37).collect();
    tiff(&path, (20, 10), &cells, no_nodata, None);
    let raster = GdalRaster::open(&path).unwrap();
    let zones = read_zones(&zones_file(
        &dir,
        &[
            ("tri", "[[0.3,0.2],[9.6,0.7],[4.1,19.9],[0.3,0.2]]"),
            ("box", &rect(2.5, 3.25, 7.75, 17.5)),
        ],
    ));
    let stats =
        Stat::parse_list("count,min,max,median,p10,p90,majority,minority,variety,frac,unique")
            .unwrap();
    let csv = |threads: usize| {
        let table = ZonalStats::new(&zones)
            .band(&raster, 1)
            .stats(&stats)
            .threads(threads)
            .chunk_cells(10)
            .run()
            .unwrap();
        let mut out = Vec::new();
        write_csv(&table, "code", &mut out).unwrap();
        (table, String::from_utf8(out).unwrap())
    };
    let (one, one_text) = csv(1);
    let (two, two_text) = csv(2);
    assert_eq!(one_text, two_text);
    assert_eq!(one.zones[0].values, two.zones[0].values);
    // And the values are the raster's: every median is one of the cells.
    for zone in &one.zones {
        let median = zone.values[3].as_integer().unwrap();
        assert!(cells.iter().any(|&c| i128::from(c) == median));
    }
}

/// Below 2^53, an Int64 band gives the text an Int32 band of the same values gives (the f64 path of before).
#[test]
fn small_int64_values_print_as_before() {
    let dir = TempDir::new("exact-small");
    let cells: Vec<i32> = (0..30).map(|k| (k * 13) % 7 - 3).collect();
    let (p32, p64) = (dir.join("i32.tif"), dir.join("i64.tif"));
    tiff(&p32, (5, 6), &cells, no_nodata, None);
    let wide: Vec<i64> = cells.iter().map(|&c| c.into()).collect();
    tiff(&p64, (5, 6), &wide, no_nodata, None);
    let zones = read_zones(&zones_file(
        &dir,
        &[("tri", "[[0.3,0.2],[5.6,0.7],[2.1,4.9],[0.3,0.2]]")],
    ));
    let stats = Stat::parse_list(
        "count,sum,mean,min,max,median,p25,p90,majority,minority,variety,frac,unique",
    )
    .unwrap();
    let text = |path: &Path| {
        let raster = GdalRaster::open(path).unwrap();
        let table = ZonalStats::new(&zones)
            .band(&raster, 1)
            .stats(&stats)
            .run()
            .unwrap();
        let mut out = Vec::new();
        write_csv(&table, "code", &mut out).unwrap();
        String::from_utf8(out).unwrap()
    };
    let (narrow, wide) = (text(&p32), text(&p64));
    assert_eq!(narrow, wide);
    assert!(wide.contains("-3"), "{wide}");
}

#[test]
fn in_memory_64_bit_rasters_are_exact_too() {
    let grid = Grid::new(GeoTransform::new(0.0, 1.0, 2.0, -1.0).unwrap(), 2, 3).unwrap();
    let cells = Array2::from_shape_vec((2, 3), U_CELLS.to_vec()).unwrap();
    // Nodata B as f64 (A's f64 too) is the integer 2397083434877565952,
    // which no cell holds: every cell is valid (an f64 comparison would drop A, A, B, A).
    let raster = Raster::new(grid, cells)
        .unwrap()
        .with_nodata(Some(B as f64));
    let dir = TempDir::new("exact-memory");
    let zones = read_zones(&u_zones(&dir));
    let table = ZonalStats::new(&zones)
        .band(&raster, 1)
        .stats(&Stat::parse_list("count,max,majority,unique").unwrap())
        .run()
        .unwrap();
    let v = &table.zones[0].values;
    assert_eq!(B as f64 as u64, 2_397_083_434_877_565_952);
    assert_eq!(v[..3], [StatValue::Number(6.0), int(C), int(A)]);
    assert_pairs(
        &v[3],
        &[(5, 1.0), (A.into(), 3.0), (B.into(), 1.0), (C.into(), 1.0)],
    );
    // A nodata of exactly A's digits is impossible in f64; a Raster<i64> nodata 2^62 leaves 2^62 + 1 valid.
    let grid = Grid::new(GeoTransform::new(0.0, 1.0, 1.0, -1.0).unwrap(), 1, 2).unwrap();
    let cells = Array2::from_shape_vec((1, 2), vec![P62, P62 + 1]).unwrap();
    let raster = Raster::new(grid, cells)
        .unwrap()
        .with_nodata(Some(P62 as f64));
    let zones = read_zones(&zones_file(&dir, &[("z", &rect(0.0, 0.0, 2.0, 1.0))]));
    let table = ZonalStats::new(&zones)
        .band(&raster, 1)
        .stats(&Stat::parse_list("count,min").unwrap())
        .run()
        .unwrap();
    assert_eq!(
        table.zones[0].values,
        [StatValue::Number(1.0), int(P62 + 1)]
    );
}

/// GeoJSON and GeoPackage: Int64 values as Integer64 fields; a column with a
/// UInt64 value beyond i64::MAX as text of its digits.
#[test]
fn vector_outputs_keep_every_digit() {
    use OGRFieldType::{OFTInteger, OFTInteger64, OFTReal, OFTString};
    let dir = TempDir::new("exact-vector");
    let (u64_path, i64_path) = (dir.join("u64.tif"), dir.join("i64.tif"));
    tiff(&u64_path, (2, 3), &U_CELLS, no_nodata, None);
    // A/4 + 1 = B/4 + 1, C/4 + 1 = 2^62, M/4 + 1 = 2: all within i64.
    let i64_cells: Vec<i64> = U_CELLS.iter().map(|&v| (v / 4) as i64 + 1).collect();
    tiff(&i64_path, (2, 3), &i64_cells, no_nodata, None);
    let zones = read_zones(&u_zones(&dir));
    let stats = Stat::parse_list("min,max,majority,mean").unwrap();
    let q = |v: u64| (v / 4 + 1).to_string();
    // Zone `all`: min, max, majority; the majority of zone `half` is C (u64) or A/4 + 1 (i64).
    let cases = [
        (
            &u64_path,
            [OFTInteger64, OFTString, OFTString, OFTReal],
            [M.to_string(), C.to_string(), A.to_string()],
        ),
        (
            &i64_path,
            [OFTInteger64, OFTInteger64, OFTInteger64, OFTReal],
            [q(M), q(C), q(A)],
        ),
    ];
    for (raster_path, want_kinds, want) in cases {
        let raster = GdalRaster::open(raster_path).unwrap();
        let table = ZonalStats::new(&zones)
            .band(&raster, 1)
            .stats(&stats)
            .run()
            .unwrap();
        for (format, ext) in [
            (VectorFormat::GeoJson, "geojson"),
            (VectorFormat::GeoPackage, "gpkg"),
        ] {
            let stem = raster_path.file_stem().unwrap().to_string_lossy();
            let out = dir.join(&format!("out-{stem}.{ext}"));
            write_vector(&table, &zones, "code", &out, format).unwrap();
            let ds = gdal::Dataset::open(&out).unwrap();
            let mut layer = ds.layer(0).unwrap();
            let defn: Vec<(String, OGRFieldType::Type)> = layer
                .defn()
                .fields()
                .map(|f| (f.name(), f.field_type()))
                .collect();
            assert_eq!(defn[0].0, "code");
            // GeoJSON has no schema: GDAL reads small integers back as 32-bit ones.
            let kinds: Vec<OGRFieldType::Type> = defn[1..]
                .iter()
                .map(|f| if f.1 == OFTInteger { OFTInteger64 } else { f.1 })
                .collect();
            assert_eq!(kinds, want_kinds, "{ext}: {defn:?}");
            let feature = layer.features().next().unwrap();
            let text = |i: usize| feature.field_as_string(i).unwrap().unwrap();
            assert_eq!([text(1), text(2), text(3)], want, "{ext}");
            for (i, kind) in want_kinds.iter().enumerate().take(3) {
                if *kind == OFTInteger64 {
                    let exact = feature.field_as_integer64(i + 1).unwrap().unwrap();
                    assert_eq!(exact.to_string(), want[i], "{ext}");
                }
            }
        }
    }
}

fn zonal() -> PathBuf {
    example_binary("zonal")
}

fn zonal_out(args: &[&str]) -> String {
    let out = Command::new(zonal()).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "zonal {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn zonal_writes_every_digit() {
    let dir = TempDir::new("exact-cli");
    let raster = dir.join("u64.tif");
    tiff(&raster, (2, 3), &U_CELLS, no_nodata, None);
    let zones = u_zones(&dir);
    let (raster, zones) = (raster.to_str().unwrap(), zones.to_str().unwrap());
    let base = [
        "--raster",
        raster,
        "--zones",
        zones,
        "--id-field",
        "code",
        "--quiet",
    ];
    let args = |extra: &[&'static str]| -> Vec<&str> {
        let mut a: Vec<&str> = base.to_vec();
        a.extend_from_slice(extra);
        a
    };
    let text = zonal_out(&args(&[
        "--stats",
        "min,max,majority,minority,median,p90,unique,frac",
        "--output",
        "-",
    ]));
    let (a, b, c) = (A.to_string(), B.to_string(), C.to_string());
    let sixth = (1.0f64 / 6.0).to_string();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "code,min,max,majority,minority,median,p90,unique,frac"
    );
    assert_eq!(
        lines[1],
        format!(
            "all,5,{c},{a},5,{a},{c},5:1;{a}:3;{b}:1;{c}:1,5:{sixth};{a}:0.5;{b}:{sixth};{c}:{sixth}"
        )
    );
    let half: Vec<&str> = lines[2].split(',').collect();
    assert_eq!(half[..7], ["half", "5", &c, &c, &b, &a, &c]);
    let values = |field: &str| -> Vec<String> {
        field
            .split(';')
            .map(|p| p.split(':').next().unwrap().to_string())
            .collect()
    };
    assert_eq!(values(half[7]), ["5", &a, &b, &c]);
    assert_eq!(values(half[8]), ["5", &a, &b, &c]);

    // --frac-columns: one column per exact value.
    let text = zonal_out(&args(&[
        "--stats",
        "frac",
        "--frac-columns",
        "--output",
        "-",
    ]));
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], format!("code,frac_5,frac_{a},frac_{b},frac_{c}"));
    assert_eq!(lines[1], format!("all,{sixth},0.5,{sixth},{sixth}"));

    // --cells: the value column with every digit.
    let (out, cells) = (dir.join("out.csv"), dir.join("cells.csv"));
    let mut cli = args(&[]);
    let (out_s, cells_s) = (out.to_str().unwrap(), cells.to_str().unwrap());
    cli.extend_from_slice(&["--stats", "max", "--output", out_s, "--cells", cells_s]);
    zonal_out(&cli);
    let table = std::fs::read_to_string(&out).unwrap();
    assert_eq!(table, format!("code,max\nall,{c}\nhalf,{c}\n"));
    let cells = std::fs::read_to_string(&cells).unwrap();
    let all: Vec<&str> = cells
        .lines()
        .skip(1)
        .filter(|l| l.starts_with("all,"))
        .map(|l| l.split(',').nth(7).unwrap())
        .collect();
    assert_eq!(all, [a.as_str(), &a, &b, &c, "5", &a]);
}
