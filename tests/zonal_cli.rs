//! The `zonal` example binary: every output format checked against the
//! library and hand-computed values, and every error path for its exit
//! code, its message and the absence of any output.
#![cfg(feature = "gdal")]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{TempDir, files_in, test_counties, testdata};
use gdal::DriverManager;
use gdal::raster::Buffer;
use gdal::spatial_ref::SpatialRef;
use terralux::stats::{Stat, StatValue};
use terralux::zones::{ZoneOptions, ZoneSet};
use terralux::{Crs, GdalRaster, RasterSource, ZonalStats};

/// The `zonal` binary, built once per test run (in this test's profile).
fn zonal() -> PathBuf {
    common::example_binary("zonal")
}

fn run(args: &[&str]) -> Output {
    Command::new(zonal())
        .args(args)
        .output()
        .expect("run zonal")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn counties_args<'a>(output: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "--raster",
        "testdata/ntl.tif",
        "--zones",
        "testdata/counties.gpkg",
        "--id-field",
        "code",
        "--output",
        output,
    ];
    args.extend_from_slice(extra);
    args
}

fn in_manifest_dir(args: Vec<&str>) -> Output {
    Command::new(zonal())
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run zonal")
}

/// Parse the CSV the binary writes (no quoted fields in these tests).
fn read_csv(text: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut lines = text.lines();
    let header = lines
        .next()
        .unwrap()
        .split(',')
        .map(str::to_string)
        .collect();
    let rows = lines
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect();
    (header, rows)
}

fn library_table(stats: &str) -> terralux::results::ZonalTable {
    let raster = GdalRaster::open(testdata("ntl.tif")).unwrap();
    let zones = test_counties();
    ZonalStats::new(&zones)
        .band(&raster, 1)
        .stats(&Stat::parse_list(stats).unwrap())
        .run()
        .unwrap()
}

#[test]
fn csv_output_matches_the_library_and_hand_computed_values() {
    let tmp = TempDir::new("cli-csv");
    let out = tmp.join("counties.csv");
    let stats = "count,sum,mean,min,max,stdev,median,p90,valid_frac,outside_frac";
    let result = in_manifest_dir(counties_args(
        out.to_str().unwrap(),
        &["--stats", stats, "--quiet"],
    ));
    assert!(result.status.success(), "{}", stderr(&result));
    assert!(result.stdout.is_empty());
    let (header, rows) = read_csv(&std::fs::read_to_string(&out).unwrap());
    assert_eq!(
        header,
        [
            "code",
            "count",
            "sum",
            "mean",
            "min",
            "max",
            "stdev",
            "median",
            "p90",
            "valid_frac",
            "outside_frac"
        ]
    );
    let table = library_table(stats);
    assert_eq!(rows.len(), table.zones.len());
    for (row, zone) in rows.iter().zip(&table.zones) {
        assert_eq!(row[0], zone.id.to_string(), "input order");
        for (field, value) in row[1..].iter().zip(&zone.values) {
            match value {
                StatValue::Number(v) => assert_eq!(
                    field.parse::<f64>().unwrap().to_bits(),
                    v.to_bits(),
                    "full precision"
                ),
                StatValue::Missing => assert_eq!(field, ""),
                StatValue::Integer(v) => assert_eq!(field, &v.to_string()),
                StatValue::Fractions(_) | StatValue::IntegerFractions(_) => unreachable!(),
            }
        }
    }
    let row = |code: &str| rows.iter().find(|r| r[0] == code).unwrap().clone();
    // Hand-computed: the far-east zone lies outside the raster; the nodata patch has no valid cell.
    assert_eq!(
        row("510122")[1..],
        ["0", "0", "", "", "", "", "", "", "0", "1"]
    );
    assert_eq!(
        row("510124")[1..],
        ["0", "0", "", "", "", "", "", "", "0", "0"]
    );
    // The tiny triangle (legs 0.4 and 0.3 cell) counts 0.06 of one cell.
    assert!((row("500123")[1].parse::<f64>().unwrap() - 0.06).abs() < 1e-9);
    let provenance = std::fs::read_to_string(tmp.join("counties.csv.provenance.json")).unwrap();
    for key in [
        "\"library_version\"",
        "\"command_line\"",
        "\"size_bytes\"",
        "\"modified\"",
        "\"geotransform\"",
        "\"coverage\": \"exact\"",
        "\"weighting\": \"fraction\"",
        "\"definition\"",
        "\"threads\"",
        "\"started\"",
        "\"finished\"",
    ] {
        assert!(provenance.contains(key), "provenance lacks {key}");
    }
    assert_eq!(
        files_in(tmp.path()),
        ["counties.csv", "counties.csv.provenance.json"]
    );
}

/// A 2 x 3 raster of known values and one zone over its left 2 x 2 cells, shifted half a cell right.
fn hand_case(dir: &Path) -> (PathBuf, PathBuf) {
    let raster = dir.join("hand.tif");
    let driver = DriverManager::get_driver_by_name("GTiff").unwrap();
    let mut ds = driver
        .create_with_band_type::<f32, _>(&raster, 3, 2, 1)
        .unwrap();
    ds.set_geo_transform(&[0.0, 1.0, 0.0, 2.0, 0.0, -1.0])
        .unwrap();
    ds.set_spatial_ref(&SpatialRef::from_epsg(32650).unwrap())
        .unwrap();
    let mut band = ds.rasterband(1).unwrap();
    band.set_no_data_value(Some(-1.0)).unwrap();
    // row 0: 1 2 -1 ; row 1: 3 4 5
    band.write(
        (0, 0),
        (3, 2),
        &mut Buffer::new((3, 2), vec![1.0f32, 2.0, -1.0, 3.0, 4.0, 5.0]),
    )
    .unwrap();
    drop(ds);
    let zones = dir.join("hand.geojson");
    std::fs::write(
        &zones,
        r#"{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::32650"}},
           "features":[{"type":"Feature","properties":{"name":"half"},"geometry":{"type":"Polygon","coordinates":[[[0.5,0],[2.5,0],[2.5,2],[0.5,2],[0.5,0]]]}}]}"#,
    )
    .unwrap();
    (raster, zones)
}

#[test]
fn every_output_format_carries_the_hand_computed_values() {
    let tmp = TempDir::new("cli-formats");
    let (raster, zones) = hand_case(tmp.path());
    // Coverage: (0,0) 0.5, (0,1) 1, (0,2) 0.5 nodata, (1,0) 0.5, (1,1) 1, (1,2) 0.5.
    // Valid: 1*0.5 + 2*1 + 3*0.5 + 4*1 + 5*0.5 = 10.5 over weight 3.5: mean 3.
    let args = |out: &Path| {
        vec![
            "--raster".to_string(),
            raster.display().to_string(),
            "--zones".into(),
            zones.display().to_string(),
            "--stats".into(),
            "count,sum,mean,min,max,valid_frac".into(),
            "--output".into(),
            out.display().to_string(),
        ]
    };
    let csv = tmp.join("hand.csv");
    let result = Command::new(zonal()).args(args(&csv)).output().unwrap();
    assert!(result.status.success(), "{}", stderr(&result));
    assert_eq!(
        std::fs::read_to_string(&csv).unwrap(),
        "fid,count,sum,mean,min,max,valid_frac\n0,3.5,10.5,3,1,5,0.875\n"
    );

    let stdout = Command::new(zonal())
        .args(args(Path::new("-")))
        .output()
        .unwrap();
    assert!(stdout.status.success());
    assert_eq!(
        String::from_utf8(stdout.stdout).unwrap(),
        "fid,count,sum,mean,min,max,valid_frac\n0,3.5,10.5,3,1,5,0.875\n"
    );
    assert!(!tmp.join("-.provenance.json").exists());

    let geojson = tmp.join("hand_out.geojson");
    let result = Command::new(zonal()).args(args(&geojson)).output().unwrap();
    assert!(result.status.success(), "{}", stderr(&result));
    let text = std::fs::read_to_string(&geojson).unwrap();
    for expected in [
        "\"name\": \"half\"",
        "\"count\": 3.5",
        "\"sum\": 10.5",
        "\"mean\": 3.0",
        "\"valid_frac\": 0.875",
        "EPSG::32650",
        "MultiPolygon",
    ] {
        assert!(text.contains(expected), "{expected} not in {text}");
    }

    let gpkg = tmp.join("hand_out.gpkg");
    let result = Command::new(zonal()).args(args(&gpkg)).output().unwrap();
    assert!(result.status.success(), "{}", stderr(&result));
    let read = ZoneSet::read(&gpkg, &ZoneOptions::default()).unwrap();
    assert_eq!(read.len(), 1);
    assert_eq!(read.crs().unwrap().definition(), "EPSG:32650");
    let attrs = &read.zones()[0].attributes;
    use terralux::zones::AttrValue;
    assert_eq!(attrs.get("name"), Some(&AttrValue::Text("half".into())));
    assert_eq!(attrs.get("count"), Some(&AttrValue::Real(3.5)));
    assert_eq!(attrs.get("mean"), Some(&AttrValue::Real(3.0)));
    assert_eq!(attrs.get("valid_frac"), Some(&AttrValue::Real(0.875)));
    for file in [
        "hand_out.geojson.provenance.json",
        "hand_out.gpkg.provenance.json",
        "hand.csv.provenance.json",
    ] {
        assert!(tmp.join(file).exists(), "{file}");
    }
}

#[test]
fn several_bands_are_named_by_band_and_zones_in_another_crs_are_reprojected() {
    let tmp = TempDir::new("cli-crs");
    // The counties in Web Mercator.
    let zones = test_counties();
    let mercator = zones
        .reprojected(&Crs::from_user_input("EPSG:3857").unwrap())
        .unwrap();
    let table = library_table("count");
    let merc_path = tmp.join("mercator.gpkg");
    terralux::write::write_vector(
        &table,
        &mercator,
        "code",
        &merc_path,
        terralux::write::VectorFormat::GeoPackage,
    )
    .unwrap();
    let out = tmp.join("merc.csv");
    let raster = testdata("ntl.tif");
    let result = Command::new(zonal())
        .args([
            "--raster",
            raster.to_str().unwrap(),
            "--zones",
            merc_path.to_str().unwrap(),
            "--id-field",
            "code",
            "--stats",
            "count,mean",
            "--output",
            out.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(result.status.success(), "{}", stderr(&result));
    assert!(
        stderr(&result).contains("reprojecting the zones from EPSG:3857 to the raster's EPSG:4326"),
        "{}",
        stderr(&result)
    );
    let (_, rows) = read_csv(&std::fs::read_to_string(&out).unwrap());
    let direct = library_table("count,mean");
    for (row, zone) in rows.iter().zip(&direct.zones) {
        let count: f64 = row[1].parse().unwrap();
        let expected = zone.values[0].as_f64().unwrap();
        assert!(
            (count - expected).abs() <= 1e-6 * expected.max(1.0),
            "{} {count} vs {expected}",
            row[0]
        );
    }
    // Two bands of one raster (the same band twice is refused).
    let result = in_manifest_dir(counties_args("-", &["--band", "1", "--stats", "mean"]));
    assert!(String::from_utf8_lossy(&result.stdout).starts_with("code,mean\n"));
    let twice = in_manifest_dir(counties_args("-", &["--band", "1", "--band", "1"]));
    assert_eq!(twice.status.code(), Some(2));
    assert!(stderr(&twice).contains("--band 1 is given twice"));
}

/// Run, expect failure with `code`, a one-line message containing `message`, and no output files.
fn expect_failure(dir: &Path, args: &[&str], code: i32, message: &str) {
    let before = files_in(dir);
    let result = Command::new(zonal())
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    let err = stderr(&result);
    assert_eq!(result.status.code(), Some(code), "{args:?}: {err}");
    assert!(
        err.contains(message),
        "{args:?}: expected '{message}' in '{err}'"
    );
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    assert!(!err.contains("panicked") && !err.contains("backtrace"));
    assert!(result.stdout.is_empty());
    assert_eq!(files_in(dir), before, "{args:?} left files behind");
}

#[test]
fn error_paths_have_their_exit_code_message_and_leave_nothing() {
    let tmp = TempDir::new("cli-errors");
    let out = tmp.join("out.csv");
    let out = out.to_str().unwrap();
    let counties = "testdata/counties.gpkg";
    let ntl = "testdata/ntl.tif";
    // Usage errors: 2.
    expect_failure(
        tmp.path(),
        &[
            "--raster",
            ntl,
            "--zones",
            counties,
            "--output",
            out,
            "--stats",
            "count,average",
        ],
        2,
        "unknown statistic 'average' in --stats (valid: count, sum, mean",
    );
    expect_failure(
        tmp.path(),
        &["--raster", ntl, "--zones", counties],
        2,
        "--output is required",
    );
    expect_failure(
        tmp.path(),
        &[
            "--raster",
            ntl,
            "--zones",
            counties,
            "--output",
            out,
            "--coverage",
            "nearest",
        ],
        2,
        "--coverage takes exact, center or all-touched",
    );
    expect_failure(
        tmp.path(),
        &[
            "--raster",
            ntl,
            "--zones",
            counties,
            "--output",
            out,
            "--frobnicate",
        ],
        2,
        "unknown option '--frobnicate'",
    );
    expect_failure(
        tmp.path(),
        &[
            "--raster",
            ntl,
            "--zones",
            counties,
            "--output",
            out,
            "--stats",
            "weighted_mean",
        ],
        2,
        "need --weights",
    );
    // Other errors: 1, naming what is at fault.
    expect_failure(
        tmp.path(),
        &[
            "--raster",
            "testdata/missing.tif",
            "--zones",
            counties,
            "--output",
            out,
        ],
        1,
        "testdata/missing.tif: no such file",
    );
    let corrupt = tmp.join("corrupt.tif");
    std::fs::write(&corrupt, b"II*\0garbage").unwrap();
    let corrupt_s = corrupt.to_str().unwrap();
    expect_failure(
        tmp.path(),
        &["--raster", corrupt_s, "--zones", counties, "--output", out],
        1,
        "corrupt.tif: cannot open",
    );
    expect_failure(
        tmp.path(),
        &[
            "--raster",
            ntl,
            "--zones",
            counties,
            "--output",
            out,
            "--id-field",
            "adcode",
        ],
        1,
        "layer 'counties': no field named 'adcode' (fields: code, name, city, province)",
    );
    expect_failure(
        tmp.path(),
        &[
            "--raster", ntl, "--zones", counties, "--output", out, "--band", "3",
        ],
        1,
        "testdata/ntl.tif: band 3 does not exist",
    );
    let missing_dir = tmp.join("no/such/dir/out.csv");
    expect_failure(
        tmp.path(),
        &[
            "--raster",
            ntl,
            "--zones",
            counties,
            "--output",
            missing_dir.to_str().unwrap(),
        ],
        1,
        "does not exist",
    );
    let file_as_dir = tmp.join("corrupt.tif/out.csv");
    expect_failure(
        tmp.path(),
        &[
            "--raster",
            ntl,
            "--zones",
            counties,
            "--output",
            file_as_dir.to_str().unwrap(),
        ],
        1,
        "cannot write here",
    );
    // Zones without CRS: an error unless --zones-crs is given.
    let bare = tmp.join("bare.csv");
    std::fs::write(
        &bare,
        "id,WKT\n1,\"POLYGON ((106.1 29.6, 106.2 29.6, 106.2 29.7, 106.1 29.6))\"\n",
    )
    .unwrap();
    let bare_s = bare.to_str().unwrap();
    expect_failure(
        tmp.path(),
        &["--raster", ntl, "--zones", bare_s, "--output", out],
        1,
        "bare.csv, layer 'bare': the data set has no coordinate reference system",
    );
    let ok = Command::new(zonal())
        .args([
            "--raster",
            ntl,
            "--zones",
            bare_s,
            "--zones-crs",
            "EPSG:4326",
            "--output",
            "-",
            "--stats",
            "count",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert!(ok.status.success(), "{}", stderr(&ok));
    assert!(String::from_utf8_lossy(&ok.stdout).starts_with("fid,count\n1,"));
    // An existing output is replaced only when the run succeeds.
    std::fs::write(tmp.join("out.csv"), "old").unwrap();
    expect_failure(
        tmp.path(),
        &[
            "--raster", ntl, "--zones", counties, "--output", out, "--band", "9",
        ],
        1,
        "band 9 does not exist",
    );
    assert_eq!(std::fs::read_to_string(tmp.join("out.csv")).unwrap(), "old");
}

/// `--memory-limit 0` sends every value kept for quantiles and gini to the
/// spill file: the same CSV, and the spill in the provenance.
#[test]
fn a_memory_limit_spills_with_the_same_table() {
    let dir = TempDir::new("zonal-memory-limit");
    let stats = ["--stats", "count,median,p10,p90,gini"];
    let (a, b) = (dir.join("memory.csv"), dir.join("spilled.csv"));
    let (a, b) = (a.to_str().unwrap(), b.to_str().unwrap());
    let out = in_manifest_dir(counties_args(a, &stats));
    assert!(out.status.success(), "{}", stderr(&out));
    let limited = [stats[0], stats[1], "--memory-limit", "0"];
    let out = in_manifest_dir(counties_args(b, &limited));
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(std::fs::read(a).unwrap(), std::fs::read(b).unwrap());
    let provenance =
        |path: &str| std::fs::read_to_string(format!("{path}.provenance.json")).unwrap();
    let spilled = provenance(b);
    assert!(spilled.contains("\"limit_bytes\": 0"), "{spilled}");
    assert!(!spilled.contains("\"spilled_bytes\": 0,"), "{spilled}");
    assert!(provenance(a).contains("\"spilled_bytes\": 0,"));
    let out = in_manifest_dir(counties_args(b, &["--memory-limit", "-1"]));
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}

#[test]
fn help_explains_every_flag_with_an_example() {
    let result = run(&["--help"]);
    assert!(result.status.success());
    let help = String::from_utf8(result.stdout).unwrap();
    for flag in [
        "--raster",
        "--band",
        "--zones",
        "--layer",
        "--id-field",
        "--stats",
        "--coverage",
        "--weights",
        "--area-weighted",
        "--zones-crs",
        "--gcj02",
        "--threads",
        "--quiet",
        "--roll-up",
        "--memory-limit",
        "--output",
        "EXAMPLE",
    ] {
        assert!(help.contains(flag), "--help does not mention {flag}");
    }
    let raster = GdalRaster::open(testdata("ntl.tif")).unwrap();
    assert_eq!(raster.band_count(), 1);
}

#[test]
fn gcj02_weights_and_area_weighting() {
    use geo::MapCoords;
    let tmp = TempDir::new("cli-gcj");
    // The counties shifted into GCJ-02, as a Chinese web map would serve them.
    let zones = test_counties();
    let shifted: Vec<_> = zones
        .iter()
        .map(|z| {
            let mut z = z.clone();
            z.geometry = z.geometry.map_coords(|c| {
                let (x, y) = terralux::zones::gcj02::wgs84_to_gcj02(c.x, c.y);
                geo_types::Coord { x, y }
            });
            z
        })
        .collect();
    let gcj = ZoneSet::new(shifted, Some(Crs::wgs84()));
    let table = library_table("count");
    let gcj_path = tmp.join("gcj.gpkg");
    terralux::write::write_vector(
        &table,
        &gcj,
        "code",
        &gcj_path,
        terralux::write::VectorFormat::GeoPackage,
    )
    .unwrap();
    let raster = testdata("ntl.tif");
    let weights = testdata("ntl_u16.tif");
    let csv = |extra: &[&str]| {
        let mut args = vec![
            "--raster",
            raster.to_str().unwrap(),
            "--zones",
            gcj_path.to_str().unwrap(),
            "--id-field",
            "code",
            "--output",
            "-",
        ];
        args.extend_from_slice(extra);
        let result = Command::new(zonal()).args(&args).output().unwrap();
        assert!(result.status.success(), "{}", stderr(&result));
        read_csv(&String::from_utf8(result.stdout).unwrap()).1
    };
    let direct = library_table("count,sum");
    // Converted back, the zones give the original results (to the conversion's sub-millimetre error).
    let converted = csv(&["--gcj02", "--stats", "count,sum"]);
    let unconverted = csv(&["--stats", "count,sum"]);
    let mut moved = 0;
    for ((c, u), zone) in converted.iter().zip(&unconverted).zip(&direct.zones) {
        let expected = zone.values[0].as_f64().unwrap();
        let got: f64 = c[1].parse().unwrap();
        assert!(
            (got - expected).abs() <= 1e-6 * expected.max(1.0),
            "{}: {got} vs {expected}",
            c[0]
        );
        if (u[2].parse::<f64>().unwrap() - zone.values[1].as_f64().unwrap()).abs() > 1e-3 {
            moved += 1;
        }
    }
    assert!(
        moved > 10,
        "without --gcj02 the sums are visibly off ({moved} zones)"
    );
    // Weights: the scaled raster as weights, compared with the library.
    let weighted = csv(&[
        "--gcj02",
        "--stats",
        "weighted_mean",
        "--weights",
        weights.to_str().unwrap(),
    ]);
    let raster_lib = GdalRaster::open(&raster).unwrap();
    let weights_lib = GdalRaster::open(&weights).unwrap();
    let lib = ZonalStats::new(&zones)
        .band(&raster_lib, 1)
        .weights(&weights_lib, 1)
        .stats(&[Stat::WeightedMean])
        .run()
        .unwrap();
    for (row, zone) in weighted.iter().zip(&lib.zones) {
        match zone.values[0].as_f64() {
            Some(v) => {
                assert!((row[1].parse::<f64>().unwrap() - v).abs() <= 1e-6 * v.abs().max(1.0))
            }
            None => assert_eq!(row[1], ""),
        }
    }
    // Area weighting: count becomes the valid area in km2 (about 0.186 km2 a cell here).
    let area = csv(&["--gcj02", "--stats", "count", "--area-weighted"]);
    for (row, zone) in area.iter().zip(&direct.zones) {
        let cells = zone.values[0].as_f64().unwrap();
        let km2: f64 = row[1].parse().unwrap();
        assert!(
            (km2 - cells * 0.1862).abs() <= 0.002 * cells + 1e-9,
            "{}: {km2} km2 for {cells} cells",
            row[0]
        );
    }
}

#[test]
fn roll_ups_add_the_counties_of_each_province_and_city() {
    let tmp = TempDir::new("cli-roll-up");
    let out = tmp.join("counties.csv");
    let result = in_manifest_dir(counties_args(
        out.to_str().unwrap(),
        &[
            "--stats",
            "count,sum,mean",
            "--roll-up",
            "province",
            "--roll-up",
            "city",
            "--quiet",
        ],
    ));
    assert!(result.status.success(), "{}", stderr(&result));
    for name in ["counties_by_province.csv", "counties_by_city.csv"] {
        assert!(tmp.join(name).exists(), "{name} missing");
        assert!(tmp.join(&format!("{name}.provenance.json")).exists());
    }
    let (_, counties) = read_csv(&std::fs::read_to_string(&out).unwrap());
    let zones = test_counties();
    let number = |s: &str| s.parse::<f64>().unwrap();
    for field in ["province", "city"] {
        let text = std::fs::read_to_string(tmp.join(&format!("counties_by_{field}.csv"))).unwrap();
        let (header, groups) = read_csv(&text);
        assert_eq!(header, [field, "count", "sum", "mean"]);
        let mut seen = 0;
        for group in &groups {
            let members: Vec<&Vec<String>> = counties
                .iter()
                .zip(zones.iter())
                .filter(|(_, zone)| zone.attributes.get(field).unwrap().to_string() == group[0])
                .map(|(row, _)| row)
                .collect();
            assert!(!members.is_empty(), "{field} {} has no county", group[0]);
            seen += members.len();
            let count: f64 = members.iter().map(|r| number(&r[1])).sum();
            let sum: f64 = members.iter().map(|r| number(&r[2])).sum();
            assert!((number(&group[1]) - count).abs() < 1e-9 * count.max(1.0));
            assert!((number(&group[2]) - sum).abs() < 1e-9 * sum.max(1.0));
            // The mean is the union's (sum over count), not the average of the counties' means.
            assert!((number(&group[3]) - sum / count).abs() < 1e-9 * (sum / count).max(1.0));
        }
        assert_eq!(seen, counties.len(), "every county in one {field}");
    }
}

#[test]
fn roll_up_errors_leave_nothing() {
    let tmp = TempDir::new("cli-roll-up-errors");
    let out = tmp.join("out.csv");
    let out = out.to_str().unwrap();
    let args = |output: &str, extra: &[&str]| -> Vec<String> {
        let mut args = vec![
            "--raster",
            "testdata/ntl.tif",
            "--zones",
            "testdata/counties.gpkg",
            "--output",
            output,
        ];
        args.extend_from_slice(extra);
        args.into_iter().map(str::to_string).collect()
    };
    let check = |args: Vec<String>, code: i32, message: &str| {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        expect_failure(tmp.path(), &args, code, message);
    };
    check(args("-", &["--roll-up", "province"]), 2, "cannot be '-'");
    check(
        args(out, &["--roll-up", "city", "--roll-up", "city"]),
        2,
        "--roll-up city is given twice",
    );
    check(
        args(out, &["--roll-up", "prefecture"]),
        1,
        "no field named 'prefecture'",
    );
}

#[cfg(unix)]
#[test]
fn an_argument_that_is_not_utf8_is_a_usage_error() {
    use std::os::unix::ffi::OsStrExt;
    let tmp = TempDir::new("cli-not-utf8");
    let out = tmp.join("out.csv");
    let result = Command::new(zonal())
        .arg("--raster")
        .arg(std::ffi::OsStr::from_bytes(b"\xffntl.tif"))
        .args(["--zones", "testdata/counties.gpkg", "--output"])
        .arg(&out)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    let err = stderr(&result);
    assert_eq!(result.status.code(), Some(2), "{err}");
    assert!(err.contains("is not valid UTF-8"), "{err}");
    assert!(!err.contains("panicked"));
    assert!(files_in(tmp.path()).is_empty());
}
