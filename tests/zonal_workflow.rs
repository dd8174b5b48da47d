//! The `zonal` workflow as library calls (`terralux::workflow::zonal`):
//! what was logic of the binary (roll-up paths, formats from file names,
//! the notes and events, the zones as given, the transaction of all
//! outputs), each checked against values worked out by hand or read back
//! through GDAL, not against the code under test.
#![cfg(feature = "gdal")]

mod common;

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use gdal::raster::Buffer;
use gdal::spatial_ref::SpatialRef;
use gdal::vector::LayerAccess;
use gdal::{Dataset, DriverManager};
use sha2::{Digest, Sha256};
use terralux::Error;
use terralux::stats::{Stat, StatValue};
use terralux::workflow::zonal::{
    self, ZonalEvent, ZonalInputs, ZonalOutput, ZonalRequest, read_zones,
};
use terralux::write::{Format, VectorFormat, roll_up_path};
use terralux::zones::PrepareStep;

use common::{TempDir, files_in};

/// A 4 x 4 raster of 1-degree cells from (0, 4), EPSG:4326; cell (row,
/// col) holds `1 + col + 4 row`, or `+inf` where `inf` lists it.
fn write_raster(path: &Path, inf: &[(usize, usize)]) {
    let driver = DriverManager::get_driver_by_name("GTiff").unwrap();
    let mut ds = driver
        .create_with_band_type::<f64, _>(path, 4, 4, 1)
        .unwrap();
    ds.set_geo_transform(&[0.0, 1.0, 0.0, 4.0, 0.0, -1.0])
        .unwrap();
    ds.set_spatial_ref(&SpatialRef::from_epsg(4326).unwrap())
        .unwrap();
    let data = (0..16)
        .map(|i| {
            let (r, c) = (i / 4, i % 4);
            if inf.contains(&(r, c)) {
                f64::INFINITY
            } else {
                (1 + c + 4 * r) as f64
            }
        })
        .collect();
    let mut band = ds.rasterband(1).unwrap();
    band.write((0, 0), (4, 4), &mut Buffer::new((4, 4), data))
        .unwrap();
}

/// A square ring from (x0, y0) to (x1, y1), as GeoJSON coordinates.
fn square(x0: f64, y0: f64, x1: f64, y1: f64) -> String {
    format!("[[[{x0},{y0}],[{x1},{y0}],[{x1},{y1}],[{x0},{y1}],[{x0},{y0}]]]")
}

/// Zones A (cells of rows 2-3, cols 0-1: 9, 10, 13, 14) and B (rows 0-1,
/// cols 2-3: 3, 4, 7, 8), both of province P; `extra` adds features.
fn zones_text(crs: Option<&str>, a: &str, b: &str, extra: &str) -> String {
    let crs = crs.map_or(String::new(), |c| {
        format!(r#""crs": {{"type": "name", "properties": {{"name": "{c}"}}}},"#)
    });
    format!(
        r#"{{"type": "FeatureCollection", {crs} "features": [
  {{"type": "Feature", "properties": {{"code": "A", "province": "P"}}, "geometry": {{"type": "Polygon", "coordinates": {a}}}}},
  {{"type": "Feature", "properties": {{"code": "B", "province": "P"}}, "geometry": {{"type": "Polygon", "coordinates": {b}}}}}{extra}
]}}"#
    )
}

/// The fixture: `ntl.tif` (no infinities), `inf.tif` (+inf in B's cell
/// (0, 3)), `zones.geojson` (WGS84).
struct Fixture {
    dir: TempDir,
}

impl Fixture {
    fn new(label: &str) -> Self {
        let dir = TempDir::new(label);
        write_raster(&dir.join("ntl.tif"), &[]);
        write_raster(&dir.join("inf.tif"), &[(0, 3)]);
        let text = zones_text(
            None,
            &square(0.0, 0.0, 2.0, 2.0),
            &square(2.0, 2.0, 4.0, 4.0),
            "",
        );
        std::fs::write(dir.join("zones.geojson"), text).unwrap();
        std::fs::create_dir(dir.join("out")).unwrap();
        Fixture { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    fn out(&self, name: &str) -> PathBuf {
        self.dir.join("out").join(name)
    }

    fn request(&self, raster: &str, stats: &str) -> ZonalRequest {
        let mut request = ZonalRequest::new(self.path(raster), self.path("zones.geojson"));
        request.id_field = Some("code".into());
        request.stats = Stat::parse_list(stats).unwrap();
        request
    }
}

/// Every event of a run, in order.
#[derive(Default)]
struct Events(Mutex<Vec<ZonalEvent>>);

impl Events {
    fn push(&self, event: &ZonalEvent) {
        self.0.lock().unwrap().push(event.clone());
    }

    fn without_progress(self) -> Vec<ZonalEvent> {
        let mut events = self.0.into_inner().unwrap();
        events.retain(|e| !matches!(e, ZonalEvent::Progress { .. }));
        events
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn provenance(path: &Path) -> serde_json::Value {
    let mut name = path.as_os_str().to_owned();
    name.push(".provenance.json");
    serde_json::from_str(&std::fs::read_to_string(PathBuf::from(name)).unwrap()).unwrap()
}

#[test]
fn roll_up_paths_make_every_unsafe_character_of_the_field_an_underscore() {
    let output = Path::new("out/counties.gpkg");
    for c in [
        '/', '\\', ':', '*', '?', '"', '<', '>', '|', '\0', '\t', '\n', '\u{7f}',
    ] {
        let field = format!("a{c}b");
        assert_eq!(
            roll_up_path(output, &field),
            PathBuf::from("out/counties_by_a_b.csv"),
            "{field:?}"
        );
    }
    // Everything else is kept, and the roll-up never leaves the output's folder.
    assert_eq!(
        roll_up_path(output, "市 name.x"),
        PathBuf::from("out/counties_by_市 name.x.csv")
    );
    assert_eq!(
        roll_up_path(output, "../../etc/passwd"),
        PathBuf::from("out/counties_by_.._.._etc_passwd.csv")
    );
    assert_eq!(
        roll_up_path(Path::new("t.csv"), "city"),
        PathBuf::from("t_by_city.csv")
    );
    // The stem is kept as it is, even when it is not UTF-8.
    #[cfg(unix)]
    {
        use std::ffi::OsStr;
        use std::os::unix::ffi::OsStrExt;
        let stem = OsStr::from_bytes(b"d/t\xff");
        let expected = OsStr::from_bytes(b"d/t\xff_by_p.csv");
        assert_eq!(
            roll_up_path(&Path::new(stem).with_extension("csv"), "p"),
            Path::new(expected)
        );
    }
}

#[test]
fn two_roll_ups_of_one_file_name_are_refused_before_any_work() {
    let fixture = Fixture::new("rollup-clash");
    let mut request = fixture.request("ntl.tif", "sum");
    request.roll_ups = vec!["p:q".into(), "p/q".into()];
    let output = ZonalOutput::new(fixture.out("t.csv"));
    let request = request.for_output(&output).unwrap();
    let error = zonal::plan_outputs(&request, Some(&output)).err().unwrap();
    assert!(matches!(error, Error::OutputConflict { .. }), "{error}");
    assert!(error.to_string().contains("t_by_p_q.csv"), "{error}");
    assert_eq!(files_in(&fixture.dir.join("out")), Vec::<String>::new());
}

#[test]
fn the_format_comes_from_the_file_name() {
    for (name, format) in [
        ("t.csv", Some(Format::Csv)),
        ("T.CSV", Some(Format::Csv)),
        ("t.geojson", Some(Format::Vector(VectorFormat::GeoJson))),
        ("t.json", Some(Format::Vector(VectorFormat::GeoJson))),
        ("t.GPKG", Some(Format::Vector(VectorFormat::GeoPackage))),
        ("t.xlsx", None),
        ("t", None),
        ("csv", None),
    ] {
        let output = ZonalOutput::new(name);
        match format {
            Some(format) => assert_eq!(output.format().unwrap(), format, "{name}"),
            None => assert!(
                matches!(output.format(), Err(Error::Request { .. })),
                "{name}"
            ),
        }
    }
    // What was written is what GDAL reads back as that format.
    let fixture = Fixture::new("formats");
    for (name, driver) in [("t.GPKG", "GPKG"), ("t.json", "GeoJSON")] {
        let output = ZonalOutput::new(fixture.out(name));
        let request = fixture
            .request("ntl.tif", "sum")
            .for_output(&output)
            .unwrap();
        zonal::run_to_files(&request, &output, &|_| {}).unwrap();
        let ds = Dataset::open(fixture.out(name)).unwrap();
        assert_eq!(ds.driver().short_name(), driver);
    }
}

#[test]
fn a_run_gives_the_statistics_and_roll_ups_worked_out_by_hand() {
    let fixture = Fixture::new("by-hand");
    let mut request = fixture.request("ntl.tif", "count,sum,mean");
    request.roll_ups = vec!["province".into()];
    let run = zonal::run(&request, &|_| {}).unwrap();
    let number = |v: f64| StatValue::Number(v);
    // A: 9 + 10 + 13 + 14; B: 3 + 4 + 7 + 8.
    assert_eq!(
        run.table.zones[0].values,
        [number(4.0), number(46.0), number(11.5)]
    );
    assert_eq!(
        run.table.zones[1].values,
        [number(4.0), number(22.0), number(5.5)]
    );
    assert_eq!(run.roll_ups.len(), 1);
    assert_eq!(run.roll_ups[0].0, "province");
    assert_eq!(
        run.roll_ups[0].1.zones[0].values,
        [number(8.0), number(68.0), number(8.5)]
    );
    let mut csv = Vec::new();
    run.write_csv(&Default::default(), &mut csv).unwrap();
    assert_eq!(
        String::from_utf8(csv).unwrap(),
        "code,count,sum,mean\nA,4,46,11.5\nB,4,22,5.5\n"
    );
}

#[test]
fn all_outputs_of_a_run_are_one_transaction_listed_in_each_provenance() {
    let fixture = Fixture::new("transaction");
    let mut request = fixture.request("ntl.tif", "count,sum");
    request.roll_ups = vec!["province".into()];
    let mut output = ZonalOutput::new(fixture.out("t.csv"));
    output.cells = Some(fixture.out("cells.csv"));
    output.command_line = vec!["zonal".into(), "--test".into()];
    let request = request.for_output(&output).unwrap();
    let (_, files) = zonal::run_to_files(&request, &output, &|_| {}).unwrap();
    assert_eq!(
        files_in(&fixture.dir.join("out")),
        [
            "cells.csv",
            "cells.csv.provenance.json",
            "t.csv",
            "t.csv.provenance.json",
            "t_by_province.csv",
            "t_by_province.csv.provenance.json"
        ]
    );
    assert_eq!(
        std::fs::read_to_string(fixture.out("t_by_province.csv")).unwrap(),
        "province,count,sum\nP,8,68\n"
    );
    // One row per zone and covered cell: A covers cells 8, 9, 12, 13 (row * 4 + col).
    let cells = std::fs::read_to_string(fixture.out("cells.csv")).unwrap();
    let a_cells: Vec<&str> = cells
        .lines()
        .skip(1)
        .filter(|l| l.starts_with("A,"))
        .map(|l| l.split(',').nth(1).unwrap())
        .collect();
    assert_eq!(a_cells, ["8", "9", "12", "13"]);
    assert_eq!(cells.lines().count(), 1 + 8);
    // Each provenance file lists the data files with their sizes and SHA-256.
    let data_files = ["t.csv", "t_by_province.csv", "cells.csv"];
    for name in data_files {
        let record = provenance(&fixture.out(name));
        assert_eq!(
            record["command_line"],
            serde_json::json!(["zonal", "--test"])
        );
        let listed = record["outputs"].as_array().unwrap();
        for (entry, expected) in listed.iter().zip(data_files) {
            let bytes = std::fs::read(fixture.out(expected)).unwrap();
            assert!(entry["path"].as_str().unwrap().ends_with(expected));
            assert_eq!(entry["size_bytes"], bytes.len());
            assert_eq!(entry["sha256"], sha256_hex(&bytes));
        }
        assert_eq!(listed.len(), 3, "{name}");
    }
    let notes = provenance(&fixture.out("t_by_province.csv"))["notes"].clone();
    assert_eq!(
        notes,
        serde_json::json!([format!(
            "zones rolled up by 'province' from {}",
            fixture.out("t.csv").display()
        )])
    );
    // The files the run reported are the files on disk.
    for file in &files {
        assert_eq!(
            file.size_bytes,
            std::fs::metadata(&file.path).unwrap().len()
        );
    }
}

#[test]
fn a_run_that_fails_while_writing_leaves_the_previous_outputs_untouched() {
    let fixture = Fixture::new("untouched");
    let output = ZonalOutput::new(fixture.out("t.csv"));
    let request = fixture
        .request("ntl.tif", "sum")
        .for_output(&output)
        .unwrap();
    zonal::run_to_files(&request, &output, &|_| {}).unwrap();
    let before: Vec<(String, Vec<u8>)> = files_in(&fixture.dir.join("out"))
        .into_iter()
        .map(|n| {
            let bytes = std::fs::read(fixture.out(&n)).unwrap();
            (n, bytes)
        })
        .collect();
    // Outputs planned with a roll-up that the run does not have: the table
    // is staged, then the set cannot be complete.
    let mut planned = fixture.request("ntl.tif", "count");
    planned.roll_ups = vec!["province".into()];
    let set = zonal::plan_outputs(&planned, Some(&output)).unwrap();
    let run = zonal::run(&fixture.request("ntl.tif", "count"), &|_| {}).unwrap();
    assert!(zonal::write_outputs(set, &run, &output, &|_| {}).is_err());
    let after: Vec<(String, Vec<u8>)> = files_in(&fixture.dir.join("out"))
        .into_iter()
        .map(|n| {
            let bytes = std::fs::read(fixture.out(&n)).unwrap();
            (n, bytes)
        })
        .collect();
    assert_eq!(before, after);
}

#[test]
fn snapping_the_grid_is_noted_with_the_declared_and_the_used_grid() {
    let raster = common::testdata("ntl.tif");
    let mut request = ZonalRequest::new(&raster, common::testdata("counties.gpkg"));
    assert!(zonal::run(&request, &|_| {}).unwrap().notes.is_empty());
    request.snap_grid = true;
    let run = zonal::run(&request, &|_| {}).unwrap();
    let declared = Dataset::open(&raster).unwrap().geo_transform().unwrap();
    // EOG's 0.0041666667 is 1/240 of a degree; the origin goes to the nearest half cell.
    let half = |v: f64| (v * 480.0).round() / 480.0;
    let expected = format!(
        "grid snapped to exact degree fractions (--snap-grid): declared origin ({}, {}) and cell {} x {}, used origin ({}, {}) and cell {} x {}",
        declared[0],
        declared[3],
        declared[1],
        declared[5],
        half(declared[0]),
        half(declared[3]),
        1.0 / 240.0,
        -1.0 / 240.0
    );
    assert_eq!(run.notes.len(), 1);
    assert!(run.notes[0].ends_with(&expected), "{}", run.notes[0]);
    assert!(run.notes[0].contains("ntl.tif"), "{}", run.notes[0]);
    // ... and recorded in the provenance.
    let dir = TempDir::new("snap-note");
    let output = ZonalOutput::new(dir.join("t.csv"));
    let request = request.for_output(&output).unwrap();
    zonal::run_to_files(&request, &output, &|_| {}).unwrap();
    assert_eq!(
        provenance(&dir.join("t.csv"))["notes"],
        serde_json::json!([run.notes[0]])
    );
}

#[test]
fn nan_in_a_geopackage_is_said_and_noted() {
    let fixture = Fixture::new("nan-gpkg");
    // B holds +inf, so its variance is NaN (numpy's rule); A's is not.
    let output = ZonalOutput::new(fixture.out("t.gpkg"));
    let request = fixture
        .request("inf.tif", "sum,variance")
        .for_output(&output)
        .unwrap();
    let events = Events::default();
    zonal::run_to_files(&request, &output, &|e| events.push(e)).unwrap();
    let note = format!(
        "{}: 1 value(s) are NaN, which a GeoPackage (SQLite) stores as null; a CSV output keeps them as nan",
        fixture.out("t.gpkg").display()
    );
    let events = events.without_progress();
    assert_eq!(
        events.last(),
        Some(&ZonalEvent::NanInGeoPackage { note: note.clone() })
    );
    assert_eq!(
        events.last().unwrap().message(),
        Some(format!("warning: {note}"))
    );
    assert_eq!(
        provenance(&fixture.out("t.gpkg"))["notes"],
        serde_json::json!([note])
    );
    // The GeoPackage holds null for B's variance, a number for A's.
    let ds = Dataset::open(fixture.out("t.gpkg")).unwrap();
    let mut layer = ds.layer(0).unwrap();
    let variances: Vec<Option<f64>> = layer
        .features()
        .map(|f| {
            f.field_as_double(f.field_index("variance").unwrap())
                .unwrap()
        })
        .collect();
    assert!(variances[0].is_some_and(f64::is_finite));
    assert_eq!(variances[1], None);
    // A CSV keeps the NaN, and says nothing.
    let output = ZonalOutput::new(fixture.out("t.csv"));
    let request = request.for_output(&output).unwrap();
    let events = Events::default();
    zonal::run_to_files(&request, &output, &|e| events.push(e)).unwrap();
    assert!(
        !events
            .without_progress()
            .iter()
            .any(|e| matches!(e, ZonalEvent::NanInGeoPackage { .. }))
    );
    let csv = std::fs::read_to_string(fixture.out("t.csv")).unwrap();
    assert!(csv.ends_with("B,inf,nan\n"), "{csv}");
}

/// Zones in EPSG:3857 (the fixture's squares, projected by hand), with a
/// feature C without geometry.
fn mercator_zones(fixture: &Fixture, declared: Option<&str>) -> PathBuf {
    const R: f64 = 6378137.0;
    let x = |lon: f64| R * lon.to_radians();
    let y = |lat: f64| {
        R * (std::f64::consts::FRAC_PI_4 + lat.to_radians() / 2.0)
            .tan()
            .ln()
    };
    let text = zones_text(
        declared,
        &square(x(0.0), y(0.0), x(2.0), y(2.0)),
        &square(x(2.0), y(2.0), x(4.0), y(4.0)),
        r#",
  {"type": "Feature", "properties": {"code": "C", "province": "P"}, "geometry": null}"#,
    );
    let path = fixture.path("mercator.geojson");
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn events_come_in_order_and_vector_outputs_carry_the_zones_as_given() {
    let fixture = Fixture::new("as-given");
    let zones = mercator_zones(&fixture, Some("urn:ogc:def:crs:EPSG::3857"));
    let mut request = fixture.request("ntl.tif", "count,sum");
    request.zones = zones.clone();
    // A feature without geometry is an error, unless kept as a zone of no cells.
    assert!(zonal::run(&request, &|_| {}).is_err());
    request.keep_bad_geometry = true;
    let output = ZonalOutput::new(fixture.out("t.geojson"));
    let request = request.for_output(&output).unwrap();
    let events = Events::default();
    let (run, _) = zonal::run_to_files(&request, &output, &|e| events.push(e)).unwrap();
    let events = events.without_progress();
    assert_eq!(events.len(), 3, "{events:?}");
    assert_eq!(
        events[0],
        ZonalEvent::EmptyZones {
            ids: vec!["C".into()]
        }
    );
    assert_eq!(
        events[0].message().unwrap(),
        "1 zone(s) without a usable polygon kept with no cells (--keep-bad-geometry): C"
    );
    let ZonalEvent::Preparing(step @ PrepareStep::Reprojected { .. }) = &events[1] else {
        panic!("{events:?}")
    };
    assert_eq!(
        step.message().unwrap(),
        "reprojecting the zones from EPSG:3857 to the raster's EPSG:4326"
    );
    assert_eq!(events[2], ZonalEvent::Measured);
    // Measured in degrees: A and B as on the WGS84 fixture; C has no cells.
    let sum = |i: usize| match run.table.zones[i].values[1] {
        StatValue::Number(v) => v,
        ref other => panic!("{other:?}"),
    };
    assert!((sum(0) - 46.0).abs() < 1e-6 && (sum(1) - 22.0).abs() < 1e-6);
    assert_eq!(sum(2), 0.0);
    // The GeoJSON carries the zones' own coordinates (metres), not the reprojected ones.
    let source = Dataset::open(&zones).unwrap();
    let written = Dataset::open(fixture.out("t.geojson")).unwrap();
    let envelope = |ds: &Dataset| {
        let mut layer = ds.layer(0).unwrap();
        let feature = layer.features().next().unwrap();
        let e = feature.geometry().unwrap().envelope();
        [e.MinX, e.MinY, e.MaxX, e.MaxY]
    };
    let (given, out) = (envelope(&source), envelope(&written));
    for (a, b) in given.iter().zip(out) {
        assert!((a - b).abs() < 1e-3, "{given:?} {out:?}");
    }
    assert!(out[2] > 200_000.0); // metres, not degrees
    let record = provenance(&fixture.out("t.geojson"));
    assert_eq!(
        record["zones"]["transformations"],
        serde_json::json!(["reprojected from EPSG:3857 to EPSG:4326"])
    );
}

#[test]
fn a_crs_override_is_said_and_recorded_and_a_refused_gcj02_says_only_it() {
    let fixture = Fixture::new("override");
    // Metres in a file that declares WGS84 (GeoJSON's default).
    let zones = mercator_zones(&fixture, None);
    let mut request = fixture.request("ntl.tif", "sum");
    request.zones = zones.clone();
    request.keep_bad_geometry = true;
    request.zones_crs = Some(terralux::Crs::from_user_input("EPSG:3857").unwrap());
    let events = Events::default();
    let run = zonal::run(&request, &|e| events.push(e)).unwrap();
    let messages: Vec<String> = events
        .without_progress()
        .iter()
        .filter_map(ZonalEvent::message)
        .collect();
    assert_eq!(
        messages[1..],
        [
            format!(
                "using --zones-crs EPSG:3857 instead of the CRS declared by {}",
                zones.display()
            ),
            "reprojecting the zones from EPSG:3857 to the raster's EPSG:4326".to_string()
        ]
    );
    assert_eq!(
        run.zones.transformations(),
        [
            "CRS set to EPSG:3857 (--zones-crs)",
            "reprojected from EPSG:3857 to EPSG:4326"
        ]
    );
    // GCJ-02 coordinates are degrees: after the override they are not, the
    // conversion is refused, and only the override was said.
    request.gcj02 = true;
    let events = Events::default();
    let error = zonal::run(&request, &|e| events.push(e)).err().unwrap();
    assert!(error.to_string().contains("GCJ-02"), "{error}");
    let events = events.without_progress();
    assert!(matches!(
        events[..],
        [
            ZonalEvent::EmptyZones { .. },
            ZonalEvent::Preparing(PrepareStep::CrsOverride { .. })
        ]
    ));
}

#[test]
fn requests_that_cannot_run_are_request_errors() {
    let fixture = Fixture::new("requests");
    let base = fixture.request("ntl.tif", "sum");
    let is_request = |result: terralux::Result<()>| matches!(result, Err(Error::Request { .. }));
    #[allow(clippy::type_complexity)]
    let cases: Vec<(&str, Box<dyn Fn(&mut ZonalRequest)>)> = vec![
        ("no band", Box::new(|r| r.bands.clear())),
        ("band 0", Box::new(|r| r.bands = vec![0])),
        ("a band twice", Box::new(|r| r.bands = vec![1, 1])),
        (
            "a statistic twice",
            Box::new(|r| r.stats = vec![Stat::Sum, Stat::Sum]),
        ),
        (
            "weighted without weights",
            Box::new(|r| r.stats = vec![Stat::WeightedSum]),
        ),
        (
            "a default weight without weights",
            Box::new(|r| r.default_weight = Some(1.0)),
        ),
        (
            "a roll-up twice",
            Box::new(|r| r.roll_ups = vec!["province".into(), "province".into()]),
        ),
    ];
    assert!(base.check().is_ok());
    for (name, change) in &cases {
        let mut request = base.clone();
        change(&mut request);
        assert!(is_request(request.check()), "{name}");
        assert!(
            matches!(zonal::run(&request, &|_| {}), Err(Error::Request { .. })),
            "{name}"
        );
    }
    // A table for a stream has no files beside it.
    let mut request = base.clone();
    request.roll_ups = vec!["province".into()];
    assert!(matches!(
        zonal::plan_outputs(&request, None),
        Err(Error::Request { .. })
    ));
    // A cells table is a .csv, and needs the coverage kept.
    let mut output = ZonalOutput::new(fixture.out("t.csv"));
    output.cells = Some(fixture.out("cells.txt"));
    let ready = base.clone().for_output(&output).unwrap();
    assert!(matches!(
        zonal::plan_outputs(&ready, Some(&output)),
        Err(Error::Request { .. })
    ));
    output.cells = Some(fixture.out("cells.csv"));
    assert!(matches!(
        zonal::plan_outputs(&base, Some(&output)),
        Err(Error::Request { .. })
    ));
    // An output with geometry needs the zones as given.
    let output = ZonalOutput::new(fixture.out("t.gpkg"));
    assert!(matches!(
        zonal::plan_outputs(&base, Some(&output)),
        Err(Error::Request { .. })
    ));
    assert_eq!(files_in(&fixture.dir.join("out")), Vec::<String>::new());
}

#[test]
fn the_steps_fail_apart_as_the_binary_tells_them() {
    let fixture = Fixture::new("steps");
    let request = fixture.request("ntl.tif", "sum");
    let inputs = ZonalInputs::open(&request).unwrap();
    let zones = read_zones(&request).unwrap();
    assert_eq!(zones.len(), 2);
    let run = zonal::run_on(&request, inputs, zones, &|_| {}).unwrap();
    assert_eq!(run.id_column(), "code");
    assert!(run.coverage.is_none());
    // A band the raster does not have is an error of opening it.
    let mut bad = request.clone();
    bad.bands = vec![2];
    assert!(ZonalInputs::open(&bad).is_err());
}
