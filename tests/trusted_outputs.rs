//! Outputs you can trust: every case of the "Outputs you can trust" issue,
//! run through the binaries with its exact outcome. No input is ever
//! overwritten, a failed run leaves the previous outputs byte-identical and
//! no temporary file, concurrent and interrupted runs never leave a mixed
//! set, and no value is written under another column's name.
#![cfg(feature = "gdal")]

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use common::{TempDir, example_binary, files_in, testdata};
use sha2::{Digest, Sha256};

// ---------------------------------------------------------------- helpers

fn run(program: &str, args: &[&str]) -> Output {
    let mut command = Command::new(example_binary(program));
    command.args(args);
    if program != "poverty_index" {
        command.arg("--quiet");
    }
    command.output().expect("run the binary")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn s(path: &Path) -> String {
    path.display().to_string()
}

/// Copy a test data file into `dir`.
fn copy(dir: &TempDir, name: &str, as_name: &str) -> PathBuf {
    let target = dir.join(as_name);
    std::fs::copy(testdata(name), &target).unwrap();
    target
}

/// Every file of `dir` with its content.
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    files_in(dir)
        .into_iter()
        .filter(|n| !dir.join(n).is_dir())
        .map(|n| {
            let bytes = std::fs::read(dir.join(&n)).unwrap();
            (n, bytes)
        })
        .collect()
}

fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A zonal run of the test counties over the test raster into `output`.
fn zonal_args<'a>(raster: &'a str, zones: &'a str, output: &'a str) -> Vec<&'a str> {
    vec![
        "--raster",
        raster,
        "--zones",
        zones,
        "--id-field",
        "code",
        "--output",
        output,
    ]
}

/// `zonal` over the test raster with `zones` (ids in `code`), `stats`, into `output`.
fn zonal_on_ntl(zones: &Path, stats: &str, output: &Path) -> Output {
    run(
        "zonal",
        &[
            "--raster",
            &s(&testdata("ntl.tif")),
            "--zones",
            &s(zones),
            "--id-field",
            "code",
            "--stats",
            stats,
            "--output",
            &s(output),
        ],
    )
}

/// Assert a refusal: exit 2, one line naming `name` and saying it is an input.
fn assert_refused_as_input(out: &Output, name: &str) {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains(name), "{err}");
    assert!(err.contains("is an input of this run"), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
}

/// A GeoJSON of unit squares over the test raster (106.1..107.1 E, 29.5..29.9 N)
/// with the given properties (JSON text) per feature.
fn squares_geojson(properties: &[String]) -> String {
    let features: Vec<String> = properties
        .iter()
        .enumerate()
        .map(|(i, props)| {
            let x = 106.1 + 0.01 * (i % 80) as f64;
            let y = 29.55 + 0.01 * (i / 80) as f64;
            format!(
                r#"{{"type":"Feature","properties":{props},"geometry":{{"type":"Polygon","coordinates":[[[{x},{y}],[{x2},{y}],[{x2},{y2}],[{x},{y2}],[{x},{y}]]]}}}}"#,
                x2 = x + 0.008,
                y2 = y + 0.008
            )
        })
        .collect();
    format!(
        r#"{{"type":"FeatureCollection","features":[{}]}}"#,
        features.join(",")
    )
}

// ------------------------------------------------- inputs are never outputs

#[test]
fn zonal_refuses_to_write_over_its_zones() {
    let dir = TempDir::new("trust-zones");
    let zones = copy(&dir, "counties.gpkg", "z.gpkg");
    let before = std::fs::read(&zones).unwrap();
    let raster = s(&testdata("ntl.tif"));
    let out = run("zonal", &zonal_args(&raster, &s(&zones), &s(&zones)));
    assert_refused_as_input(&out, "z.gpkg");
    assert_eq!(std::fs::read(&zones).unwrap(), before);
    assert_eq!(files_in(dir.path()), ["z.gpkg"]);
}

#[test]
fn zonal_refuses_to_write_over_a_raster_named_csv() {
    let dir = TempDir::new("trust-raster-csv");
    let raster = copy(&dir, "ntl.tif", "lights.csv");
    let before = std::fs::read(&raster).unwrap();
    let zones = s(&testdata("counties.gpkg"));
    let out = run("zonal", &zonal_args(&s(&raster), &zones, &s(&raster)));
    assert_refused_as_input(&out, "lights.csv");
    assert_eq!(std::fs::read(&raster).unwrap(), before);
    assert_eq!(files_in(dir.path()), ["lights.csv"]);
}

#[test]
fn zonal_refuses_to_write_over_its_weights() {
    let dir = TempDir::new("trust-weights");
    let weights = copy(&dir, "ntl.tif", "weights.csv");
    let before = std::fs::read(&weights).unwrap();
    let (raster, zones) = (s(&testdata("ntl.tif")), s(&testdata("counties.gpkg")));
    let w = s(&weights);
    let mut args = zonal_args(&raster, &zones, &w);
    args.extend(["--weights", &w, "--stats", "weighted_sum"]);
    let out = run("zonal", &args);
    assert_refused_as_input(&out, "weights.csv");
    assert_eq!(std::fs::read(&weights).unwrap(), before);
}

#[test]
fn an_input_reached_through_a_symlinked_folder_is_refused() {
    let dir = TempDir::new("trust-symlink");
    let zones = copy(&dir, "counties.gpkg", "z.gpkg");
    let before = std::fs::read(&zones).unwrap();
    std::os::unix::fs::symlink(dir.path(), dir.join("link")).unwrap();
    let through_link = dir.join("link").join("z.gpkg");
    let raster = s(&testdata("ntl.tif"));
    let out = run("zonal", &zonal_args(&raster, &s(&zones), &s(&through_link)));
    assert_refused_as_input(&out, "z.gpkg");
    assert_eq!(std::fs::read(&zones).unwrap(), before);
}

#[test]
fn a_hard_link_of_an_input_is_refused() {
    let dir = TempDir::new("trust-hardlink");
    let zones = copy(&dir, "counties.gpkg", "z.gpkg");
    std::fs::hard_link(&zones, dir.join("same.gpkg")).unwrap();
    let before = std::fs::read(&zones).unwrap();
    let raster = s(&testdata("ntl.tif"));
    let out = run(
        "zonal",
        &zonal_args(&raster, &s(&zones), &s(&dir.join("same.gpkg"))),
    );
    assert_refused_as_input(&out, "same.gpkg");
    assert_eq!(std::fs::read(&zones).unwrap(), before);
}

#[test]
fn county_ntl_refuses_to_write_over_its_population() {
    let dir = TempDir::new("trust-population");
    let population = copy(&dir, "products/population_30s.tif", "pop.csv");
    let before = std::fs::read(&population).unwrap();
    let vnl = testdata("products/vnl");
    let out = run(
        "county_ntl",
        &[
            "--dir",
            &s(&vnl),
            "--zones",
            &s(&testdata("counties.gpkg")),
            "--id-field",
            "code",
            "--population",
            &s(&population),
            "--output",
            &s(&population),
        ],
    );
    assert_refused_as_input(&out, "pop.csv");
    assert_eq!(std::fs::read(&population).unwrap(), before);
}

#[test]
fn county_ntl_refuses_trends_written_over_the_output() {
    let dir = TempDir::new("trust-trends");
    let output = dir.join("ntl.csv");
    let out = run(
        "county_ntl",
        &[
            "--dir",
            &s(&testdata("products/vnl")),
            "--zones",
            &s(&testdata("counties.gpkg")),
            "--id-field",
            "code",
            "--trends",
            &s(&output),
            "--output",
            &s(&output),
        ],
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("is also another output of this run"), "{err}");
    assert_eq!(files_in(dir.path()), Vec::<String>::new());
}

#[test]
fn poverty_index_refuses_to_write_over_its_table_or_poor_list() {
    let dir = TempDir::new("trust-poverty-inputs");
    let table = dir.join("table.csv");
    let zonal = run(
        "zonal",
        &zonal_args(
            &s(&testdata("ntl.tif")),
            &s(&testdata("counties.gpkg")),
            &s(&table),
        ),
    );
    assert!(zonal.status.success(), "{}", stderr(&zonal));
    let poor = dir.join("poor.csv");
    std::fs::write(&poor, "500101\n500102\n").unwrap();
    let before = snapshot(dir.path());
    let zones = s(&testdata("counties.gpkg"));
    for output in [&table, &poor] {
        let out = run(
            "poverty_index",
            &[
                "--table",
                &s(&table),
                "--zones",
                &zones,
                "--id-field",
                "code",
                "--indicators",
                "mean,max",
                "--poor",
                &s(&poor),
                "--output",
                &s(output),
            ],
        );
        let name = output.file_name().unwrap().to_str().unwrap();
        assert_refused_as_input(&out, name);
        assert_eq!(snapshot(dir.path()), before);
    }
}

// --------------------------------------- failures leave the previous set

/// A good set of zonal outputs in `dir/out`, and its snapshot.
fn good_zonal_set(dir: &TempDir, name: &str) -> (PathBuf, BTreeMap<String, Vec<u8>>) {
    let out_dir = dir.join("out");
    std::fs::create_dir_all(&out_dir).unwrap();
    let output = out_dir.join(name);
    let first = run(
        "zonal",
        &zonal_args(
            &s(&testdata("ntl.tif")),
            &s(&testdata("counties.gpkg")),
            &s(&output),
        ),
    );
    assert!(first.status.success(), "{}", stderr(&first));
    (output, snapshot(&out_dir))
}

#[test]
fn a_geojson_on_a_full_disk_fails_and_keeps_the_previous_set() {
    let dir = TempDir::new("trust-full-geojson");
    let (output, before) = good_zonal_set(&dir, "counties.geojson");
    assert_eq!(
        before.keys().collect::<Vec<_>>(),
        ["counties.geojson", "counties.geojson.provenance.json"]
    );
    // 8 blocks: far less than the GeoJSON of the 24 counties (about 40 kB).
    let script = format!(
        "trap '' XFSZ; ulimit -f 8; exec \"$0\" --raster {} --zones {} --id-field code \
         --stats count,sum --quiet --output {}",
        testdata("ntl.tif").display(),
        testdata("counties.gpkg").display(),
        output.display()
    );
    let out = Command::new("sh")
        .args(["-c", &script])
        .arg(example_binary("zonal"))
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("counties.geojson"), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert_eq!(snapshot(&dir.join("out")), before);
}

#[test]
fn a_provenance_that_cannot_be_written_keeps_the_previous_output() {
    let dir = TempDir::new("trust-provenance-folder");
    let (output, _) = good_zonal_set(&dir, "counties.csv");
    let provenance = dir.join("out").join("counties.csv.provenance.json");
    std::fs::remove_file(&provenance).unwrap();
    std::fs::create_dir(&provenance).unwrap();
    let before = snapshot(&dir.join("out"));
    let out = run(
        "zonal",
        &[
            "--raster",
            &s(&testdata("ntl.tif")),
            "--zones",
            &s(&testdata("counties.gpkg")),
            "--id-field",
            "code",
            "--stats",
            "max",
            "--output",
            &s(&output),
        ],
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("counties.csv.provenance.json"), "{err}");
    assert!(err.contains("is a folder"), "{err}");
    assert_eq!(snapshot(&dir.join("out")), before);
}

#[test]
fn poverty_index_keeps_all_five_previous_files_when_one_cannot_be_written() {
    let dir = TempDir::new("trust-poverty-set");
    let out_dir = dir.join("out");
    std::fs::create_dir_all(&out_dir).unwrap();
    let output = out_dir.join("index.csv");
    let args = |indicators: &str| {
        vec![
            "--raster".to_string(),
            s(&testdata("ntl.tif")),
            "--zones".to_string(),
            s(&testdata("counties.gpkg")),
            "--id-field".to_string(),
            "code".to_string(),
            "--indicators".to_string(),
            indicators.to_string(),
            "--output".to_string(),
            s(&output),
        ]
    };
    let first = Command::new(example_binary("poverty_index"))
        .args(args("mean,p90"))
        .output()
        .unwrap();
    assert!(first.status.success(), "{}", stderr(&first));
    let before = snapshot(&out_dir);
    assert_eq!(
        before.keys().collect::<Vec<_>>(),
        [
            "index.csv",
            "index.csv.provenance.json",
            "index.html",
            "index.png",
            "index.svg"
        ]
    );
    // The HTML map's path taken by a folder: the run fails before any work, and
    // the other four files stay as they were.
    std::fs::remove_file(out_dir.join("index.html")).unwrap();
    std::fs::create_dir(out_dir.join("index.html")).unwrap();
    let before = snapshot(&out_dir);
    let second = Command::new(example_binary("poverty_index"))
        .args(args("mean,valid_frac"))
        .output()
        .unwrap();
    assert_eq!(second.status.code(), Some(1), "{}", stderr(&second));
    assert_eq!(snapshot(&out_dir), before);
    assert!(out_dir.join("index.html").is_dir());
}

#[test]
fn the_provenance_names_every_output_with_its_size_and_sha256() {
    let dir = TempDir::new("trust-sha");
    let output = dir.join("z.csv");
    let out = run(
        "zonal",
        &[
            "--raster",
            &s(&testdata("ntl.tif")),
            "--zones",
            &s(&testdata("counties.gpkg")),
            "--id-field",
            "code",
            "--roll-up",
            "city",
            "--output",
            &s(&output),
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    for provenance in ["z.csv.provenance.json", "z_by_city.csv.provenance.json"] {
        let text = std::fs::read_to_string(dir.join(provenance)).unwrap();
        for data in ["z.csv", "z_by_city.csv"] {
            let bytes = std::fs::read(dir.join(data)).unwrap();
            let entry = format!(
                "\"path\": \"{}\",\n      \"size_bytes\": {},\n      \"sha256\": \"{}\"",
                s(&dir.join(data)),
                bytes.len(),
                sha256(&bytes)
            );
            assert!(text.contains(&entry), "{provenance} lacks {entry}:\n{text}");
        }
    }
}

// ------------------------------------------- concurrency and interruption

/// The output set in `dir` is consistent: the CSV's SHA-256 is the one its
/// provenance names, and no temporary file is left.
fn assert_consistent_set(dir: &Path, csv: &str) {
    let names = files_in(dir);
    assert!(
        names
            .iter()
            .all(|n| !n.contains(".partial-") && !n.contains(".previous-") && !n.contains(".tmp-")),
        "temporary files left: {names:?}"
    );
    let Ok(bytes) = std::fs::read(dir.join(csv)) else {
        assert!(
            !dir.join(format!("{csv}.provenance.json")).exists(),
            "a provenance without its output: {names:?}"
        );
        return;
    };
    let provenance = std::fs::read_to_string(dir.join(format!("{csv}.provenance.json")))
        .expect("an output without its provenance");
    assert!(
        provenance.contains(&sha256(&bytes)),
        "the provenance names another {csv} than the one in place"
    );
}

#[test]
fn two_runs_writing_one_output_at_once_never_mix_their_sets() {
    let dir = TempDir::new("trust-concurrent");
    let output = dir.join("z.csv");
    let (raster, zones) = (s(&testdata("ntl.tif")), s(&testdata("counties.gpkg")));
    let spawn = |stats: &str| {
        Command::new(example_binary("zonal"))
            .args(zonal_args(&raster, &zones, &s(&output)))
            .args(["--stats", stats, "--quiet"])
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    for round in 0..20 {
        let (a, b) = (spawn("count,sum"), spawn("mean,max,p90"));
        for child in [a, b] {
            let out = child.wait_with_output().unwrap();
            assert!(out.status.success(), "round {round}: {}", stderr(&out));
        }
        assert_consistent_set(dir.path(), "z.csv");
    }
}

/// Many small zones, so that writing a GeoPackage takes a while.
fn many_zones(dir: &TempDir) -> PathBuf {
    let props: Vec<String> = (0..2000)
        .map(|i| format!(r#"{{"code":"z{i:04}","name":"zone number {i}"}}"#))
        .collect();
    let path = dir.join("many.geojson");
    std::fs::write(&path, squares_geojson(&props)).unwrap();
    path
}

#[test]
fn an_interrupted_run_leaves_the_previous_set_or_the_new_one_and_no_temporary_file() {
    let dir = TempDir::new("trust-signals");
    let zones = many_zones(&dir);
    let out_dir = dir.join("out");
    std::fs::create_dir_all(&out_dir).unwrap();
    let output = out_dir.join("z.gpkg");
    let args = |stats: &str| {
        let mut a = zonal_args("", "", "")
            .into_iter()
            .map(str::to_string)
            .collect::<Vec<_>>();
        a[1] = s(&testdata("ntl.tif"));
        a[3] = s(&zones);
        a[7] = s(&output);
        a.extend(["--stats".into(), stats.into(), "--quiet".into()]);
        a
    };
    let timed = std::time::Instant::now();
    let first = Command::new(example_binary("zonal"))
        .args(args("count"))
        .output()
        .unwrap();
    assert!(first.status.success(), "{}", stderr(&first));
    let duration = timed.elapsed().as_micros() as u64;
    let old = snapshot(&out_dir);
    let mut interrupted = 0;
    for round in 0..24u64 {
        let child = Command::new(example_binary("zonal"))
            .args(args("count,sum,mean"))
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Spread the signals over the whole run: reading, computing, writing, renaming.
        let delay = duration * (round % 12 + 1) / 12;
        std::thread::sleep(std::time::Duration::from_micros(delay));
        let signal = if round % 2 == 0 { "-INT" } else { "-TERM" };
        let _ = Command::new("kill")
            .args([signal, &child.id().to_string()])
            .status();
        let out = child.wait_with_output().unwrap();
        let now = snapshot(&out_dir);
        assert!(
            now.keys()
                .all(|n| n == "z.gpkg" || n == "z.gpkg.provenance.json"),
            "round {round}: left {:?}",
            now.keys().collect::<Vec<_>>()
        );
        // Either the previous set, untouched, or the complete new one (a signal
        // that comes after the renames).
        if now != old {
            let gpkg = now.get("z.gpkg").unwrap();
            let provenance = String::from_utf8_lossy(now.get("z.gpkg.provenance.json").unwrap());
            assert!(
                provenance.contains(&sha256(gpkg)),
                "round {round}: a mixed set ({:?})",
                out.status
            );
        }
        if !out.status.success() {
            interrupted += 1;
        }
        // The next round starts from the first set again.
        for (name, bytes) in &old {
            std::fs::write(out_dir.join(name), bytes).unwrap();
        }
    }
    assert!(interrupted > 0, "no run was interrupted");
}

#[test]
fn leftovers_of_dead_processes_are_removed_and_live_ones_kept() {
    let dir = TempDir::new("trust-leftovers");
    // A process id that is certainly dead: a child that has exited.
    let mut child = Command::new("true").spawn().unwrap();
    let dead = child.id();
    child.wait().unwrap();
    let live = std::process::id();
    let leftovers = [
        format!("z.partial-{dead}-0.csv"),
        format!("z.partial-{dead}-3.gpkg-journal"),
        format!(".z.tmp-{dead}.csv"),
        format!("z.csv.provenance.partial-{dead}-1.json"),
    ];
    for name in &leftovers {
        std::fs::write(dir.join(name), "stale").unwrap();
    }
    let kept = format!("z.partial-{live}-0.csv");
    std::fs::write(dir.join(&kept), "a run still going").unwrap();
    let out = run(
        "zonal",
        &zonal_args(
            &s(&testdata("ntl.tif")),
            &s(&testdata("counties.gpkg")),
            &s(&dir.join("z.csv")),
        ),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        files_in(dir.path()),
        ["z.csv", "z.csv.provenance.json", kept.as_str()]
    );
}

// ------------------------------------------------------- column names

/// Zones with the given properties per feature, written to `name`.
fn zones_with(dir: &TempDir, name: &str, props: &[&str]) -> PathBuf {
    let path = dir.join(name);
    let props: Vec<String> = props.iter().map(|p| p.to_string()).collect();
    std::fs::write(&path, squares_geojson(&props)).unwrap();
    path
}

/// A field's value read back through GDAL.
#[derive(Debug, PartialEq)]
enum Field {
    Text(String),
    Real(f64),
    Null,
}

impl Field {
    fn real(&self) -> f64 {
        match self {
            Field::Real(v) => *v,
            other => panic!("not a real: {other:?}"),
        }
    }
}

/// The field names and the features' values of a vector file, read through GDAL.
fn read_fields(path: &Path) -> (Vec<String>, Vec<Vec<Field>>) {
    use gdal::vector::{LayerAccess, OGRFieldType};
    let ds = gdal::Dataset::open(path).unwrap();
    let mut layer = ds.layer(0).unwrap();
    let defn: Vec<(String, u32)> = layer
        .defn()
        .fields()
        .map(|f| (f.name(), f.field_type()))
        .collect();
    let rows = layer
        .features()
        .map(|f| {
            defn.iter()
                .enumerate()
                .map(|(i, (_, kind))| match *kind {
                    OGRFieldType::OFTReal => f
                        .field_as_double(i)
                        .unwrap()
                        .map_or(Field::Null, Field::Real),
                    _ => f
                        .field_as_string(i)
                        .unwrap()
                        .map_or(Field::Null, Field::Text),
                })
                .collect()
        })
        .collect();
    (defn.into_iter().map(|(n, _)| n).collect(), rows)
}

/// The CSV's rows as field name to value.
fn read_csv(path: &Path) -> Vec<BTreeMap<String, String>> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    lines
        .map(|l| {
            header
                .iter()
                .zip(l.split(','))
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

#[test]
fn a_statistic_named_like_an_attribute_never_shifts_the_values() {
    let dir = TempDir::new("trust-columns");
    let zones = zones_with(
        &dir,
        "z.geojson",
        &[
            r#"{"code":"a","zs_sum":"x","sum":"y"}"#,
            r#"{"code":"b","zs_sum":"x","sum":"y"}"#,
        ],
    );
    let raster = s(&testdata("ntl.tif"));
    let csv = dir.join("out.csv");
    let geojson = dir.join("out.geojson");
    for output in [&csv, &geojson] {
        let out = run(
            "zonal",
            &[
                "--raster",
                &raster,
                "--zones",
                &s(&zones),
                "--id-field",
                "code",
                "--stats",
                "sum,mean,count",
                "--output",
                &s(output),
            ],
        );
        assert!(out.status.success(), "{}", stderr(&out));
    }
    let (names, rows) = read_fields(&geojson);
    assert_eq!(
        names,
        ["code", "zs_sum", "sum", "zs_sum_2", "mean", "count"]
    );
    let expected = read_csv(&csv);
    assert_eq!(rows.len(), 2);
    for (row, csv_row) in rows.iter().zip(&expected) {
        assert_eq!(row[1], Field::Text("x".into()));
        assert_eq!(row[2], Field::Text("y".into()));
        for (i, stat) in [(3, "sum"), (4, "mean"), (5, "count")] {
            let in_csv: f64 = csv_row[stat].parse().unwrap();
            assert_eq!(row[i].real(), in_csv, "{stat}");
        }
    }
}

#[test]
fn a_case_only_clash_is_renamed_in_a_geopackage() {
    let dir = TempDir::new("trust-case");
    let zones = zones_with(
        &dir,
        "z.geojson",
        &[r#"{"code":"a","MEAN":1.5}"#, r#"{"code":"b","MEAN":2.5}"#],
    );
    let output = dir.join("out.gpkg");
    let out = zonal_on_ntl(&zones, "mean", &output);
    assert!(out.status.success(), "{}", stderr(&out));
    let (names, rows) = read_fields(&output);
    assert_eq!(names, ["code", "MEAN", "zs_mean"]);
    assert_eq!(rows[0][1], Field::Real(1.5));
    assert_eq!(rows[1][1], Field::Real(2.5));
    let csv = dir.join("out.csv");
    let again = zonal_on_ntl(&zones, "mean", &csv);
    assert!(again.status.success(), "{}", stderr(&again));
    for (row, csv_row) in rows.iter().zip(read_csv(&csv)) {
        assert_eq!(row[2].real(), csv_row["mean"].parse::<f64>().unwrap());
    }
}

#[test]
fn a_statistic_asked_twice_is_a_usage_error() {
    let dir = TempDir::new("trust-twice");
    for stats in ["sum,sum", "p90,p90.0", "count,mean,count"] {
        let out = run(
            "zonal",
            &[
                "--raster",
                &s(&testdata("ntl.tif")),
                "--zones",
                &s(&testdata("counties.gpkg")),
                "--stats",
                stats,
                "--output",
                &s(&dir.join("o.gpkg")),
            ],
        );
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{stats}: {err}");
        assert!(err.contains("is given twice in --stats"), "{err}");
    }
    assert_eq!(files_in(dir.path()), Vec::<String>::new());
}

#[test]
fn an_id_field_named_like_a_statistic_gives_unique_csv_columns() {
    let dir = TempDir::new("trust-id-clash");
    let zones = zones_with(
        &dir,
        "z.geojson",
        &[r#"{"sum":"a","count":7}"#, r#"{"sum":"b","count":8}"#],
    );
    let output = dir.join("out.csv");
    let out = run(
        "zonal",
        &[
            "--raster",
            &s(&testdata("ntl.tif")),
            "--zones",
            &s(&zones),
            "--id-field",
            "sum",
            "--stats",
            "count,sum",
            "--output",
            &s(&output),
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let text = std::fs::read_to_string(&output).unwrap();
    assert_eq!(text.lines().next(), Some("sum,count,zs_sum"));
}

// ------------------------------------------------------------ resources

#[test]
fn too_many_threads_is_a_usage_error() {
    let dir = TempDir::new("trust-threads");
    let out = run(
        "zonal",
        &[
            "--raster",
            &s(&testdata("ntl.tif")),
            "--zones",
            &s(&testdata("counties.gpkg")),
            "--threads",
            "100000",
            "--output",
            &s(&dir.join("o.csv")),
        ],
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("--threads 100000 is more than"), "{err}");
    assert_eq!(files_in(dir.path()), Vec::<String>::new());
}

#[test]
fn a_closed_pipe_ends_the_run_quietly() {
    let script = format!(
        "\"$0\" --raster {} --zones {} --id-field code --quiet --output - | head -1; \
         exit ${{PIPESTATUS[0]}}",
        testdata("ntl.tif").display(),
        testdata("counties.gpkg").display()
    );
    let out = Command::new("bash")
        .args(["-c", &script])
        .arg(example_binary("zonal"))
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "code,count,sum,mean,min,max,stdev\n"
    );
    assert_eq!(stderr(&out), "");
    assert_eq!(out.status.code(), Some(0));
}

// -------------------------------------------------- paths from the data

#[test]
fn roll_up_fields_with_slashes_stay_in_the_output_folder() {
    let dir = TempDir::new("trust-roll-up-names");
    std::fs::create_dir_all(dir.join("out")).unwrap();
    let zones = zones_with(
        &dir,
        "z.geojson",
        &[
            r#"{"code":"a","a/b":"x","../up":"p"}"#,
            r#"{"code":"b","a/b":"x","../up":"q"}"#,
        ],
    );
    let output = dir.join("out").join("o.csv");
    let out = run(
        "zonal",
        &[
            "--raster",
            &s(&testdata("ntl.tif")),
            "--zones",
            &s(&zones),
            "--id-field",
            "code",
            "--roll-up",
            "a/b",
            "--roll-up",
            "../up",
            "--output",
            &s(&output),
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(files_in(dir.path()), ["out", "z.geojson"]);
    assert_eq!(
        files_in(&dir.join("out")),
        [
            "o.csv",
            "o.csv.provenance.json",
            "o_by_.._up.csv",
            "o_by_.._up.csv.provenance.json",
            "o_by_a_b.csv",
            "o_by_a_b.csv.provenance.json"
        ]
    );
    let by_up = std::fs::read_to_string(dir.join("out").join("o_by_.._up.csv")).unwrap();
    assert!(by_up.starts_with("../up,count,"), "{by_up}");
}

#[test]
fn two_roll_up_fields_with_one_file_name_are_refused_before_any_work() {
    let dir = TempDir::new("trust-roll-up-clash");
    let zones = zones_with(&dir, "z.geojson", &[r#"{"code":"a","a/b":"x","a:b":"y"}"#]);
    let output = dir.join("o.csv");
    let out = run(
        "zonal",
        &[
            "--raster",
            &s(&testdata("ntl.tif")),
            "--zones",
            &s(&zones),
            "--id-field",
            "code",
            "--roll-up",
            "a/b",
            "--roll-up",
            "a:b",
            "--output",
            &s(&output),
        ],
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("o_by_a_b.csv"), "{err}");
    assert_eq!(files_in(dir.path()), ["z.geojson"]);
}

// ---------------------------------------------------- untrusted content

#[test]
fn csv_safe_escapes_formula_ids() {
    let dir = TempDir::new("trust-csv-safe");
    let zones = zones_with(
        &dir,
        "z.geojson",
        &[
            r#"{"code":"=HYPERLINK(\"http://x\")"}"#,
            r#"{"code":"+1"}"#,
            r#"{"code":"@SUM(A1)"}"#,
            r#"{"code":"-2"}"#,
            r#"{"code":"500101"}"#,
        ],
    );
    let run_with = |extra: &[&str], name: &str| {
        let output = dir.join(name);
        let mut args = vec![
            "--raster".to_string(),
            s(&testdata("ntl.tif")),
            "--zones".to_string(),
            s(&zones),
            "--id-field".to_string(),
            "code".to_string(),
            "--stats".to_string(),
            "count".to_string(),
            "--output".to_string(),
            s(&output),
        ];
        args.extend(extra.iter().map(|a| a.to_string()));
        let out = Command::new(example_binary("zonal"))
            .args(&args)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        std::fs::read_to_string(output).unwrap()
    };
    let ids = |text: &str| -> Vec<String> {
        text.lines()
            .skip(1)
            .map(|l| l.rsplit_once(',').unwrap().0.to_string())
            .collect()
    };
    assert_eq!(
        ids(&run_with(&["--csv-safe"], "safe.csv")),
        [
            "\"'=HYPERLINK(\"\"http://x\"\")\"",
            "'+1",
            "'@SUM(A1)",
            "'-2",
            "500101"
        ]
    );
    // Without the switch ids are written as they are.
    assert_eq!(
        ids(&run_with(&[], "plain.csv")),
        [
            "\"=HYPERLINK(\"\"http://x\"\")\"",
            "+1",
            "@SUM(A1)",
            "-2",
            "500101"
        ]
    );
}

/// A VRT of `cols` x `rows` Float32 cells of 0 (a band without sources),
/// `cell` degrees each from 100 E, 40 N.
fn blank_vrt(dir: &TempDir, name: &str, cols: u64, rows: u64, cell: f64) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(
        &path,
        format!(
            r#"<VRTDataset rasterXSize="{cols}" rasterYSize="{rows}">
  <SRS>EPSG:4326</SRS>
  <GeoTransform>100, {cell}, 0, 40, 0, -{cell}</GeoTransform>
  <VRTRasterBand dataType="Float32" band="1"/>
</VRTDataset>
"#
        ),
    )
    .unwrap();
    path
}

/// A square zone from (x0, y0) of side `side` degrees.
fn square_zone(dir: &TempDir, name: &str, x0: f64, y0: f64, side: f64) -> PathBuf {
    let path = dir.join(name);
    let (x1, y1) = (x0 + side, y0 + side);
    std::fs::write(
        &path,
        format!(
            r#"{{"type":"FeatureCollection","features":[{{"type":"Feature","properties":{{"code":"z"}},"geometry":{{"type":"Polygon","coordinates":[[[{x0},{y0}],[{x1},{y0}],[{x1},{y1}],[{x0},{y1}],[{x0},{y0}]]]}}}}]}}"#
        ),
    )
    .unwrap();
    path
}

/// Run `zonal` under an address-space limit (KiB), through sh.
fn zonal_limited(limit_kib: u64, args: &[String]) -> Output {
    let script = format!("ulimit -v {limit_kib}; exec \"$0\" \"$@\"");
    Command::new("sh")
        .args(["-c", &script])
        .arg(example_binary("zonal"))
        .args(args)
        .arg("--quiet")
        .output()
        .unwrap()
}

#[test]
fn running_out_of_memory_is_exit_1_with_the_zone_named_and_leaves_nothing() {
    let dir = TempDir::new("trust-oom");
    // 8,000 x 8,000 cells under one zone: a median keeps 64 M values (256 MB
    // and more while its buffer grows), over a 600 MB address-space limit.
    let raster = blank_vrt(&dir, "big.vrt", 8000, 8000, 0.001);
    let zones = square_zone(&dir, "z.geojson", 100.0, 32.0, 8.0);
    let output = dir.join("out.csv");
    let args: Vec<String> = [
        "--raster",
        &s(&raster),
        "--zones",
        &s(&zones),
        "--stats",
        "count,median",
        "--output",
        &s(&output),
    ]
    .iter()
    .map(|a| a.to_string())
    .collect();
    let out = zonal_limited(600_000, &args);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.starts_with("zonal: out of memory: an allocation of "),
        "{err}"
    );
    assert!(err.contains("zone number 1"), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert_eq!(files_in(dir.path()), ["big.vrt", "z.geojson"]);
}

#[test]
fn a_huge_grid_costs_only_the_rows_and_chunks_its_zones_touch() {
    let dir = TempDir::new("trust-huge-grid");
    // 1e9 x 1e9 cells of 1e-7 degrees: per-row areas or a list of every chunk
    // would take gigabytes (terabytes); a zone of two cells needs neither.
    let raster = blank_vrt(&dir, "huge.vrt", 1_000_000_000, 1_000_000_000, 1e-7);
    let zones = square_zone(&dir, "z.geojson", 100.00000001, 39.9999999, 1e-7);
    let args: Vec<String> = [
        "--raster",
        &s(&raster),
        "--zones",
        &s(&zones),
        "--id-field",
        "code",
        "--stats",
        "count,sum,tnl_area",
        "--output",
        "-",
    ]
    .iter()
    .map(|a| a.to_string())
    .collect();
    let out = zonal_limited(2_000_000, &args);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("code,count,sum,tnl_area"));
    let row: Vec<f64> = lines.next().unwrap()[2..]
        .split(',')
        .map(|v| v.parse().unwrap())
        .collect();
    assert!((row[0] - 1.0).abs() < 1e-6, "{row:?}");
    assert_eq!(&row[1..], [0.0, 0.0]);
}

// --------------------------------------------------- say what changed

/// The provenance's notes of `output`.
fn provenance_text(output: &Path) -> String {
    std::fs::read_to_string(terralux::write::provenance_path(output)).unwrap()
}

const VNL_2021: &str = "VNL_v22_npp_2021_global_vcmslcfg_c202402081200.average_masked.dat.tif";
const CF_CVG_2021: &str = "VNL_v22_npp_2021_global_vcmslcfg_c202402081200.cf_cvg.dat.tif";

fn county_ntl_dir(dir: &Path, output: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "--dir".to_string(),
        s(dir),
        "--zones".to_string(),
        s(&testdata("counties.gpkg")),
        "--id-field".to_string(),
        "code".to_string(),
        "--output".to_string(),
        s(output),
    ];
    args.extend(extra.iter().map(|a| a.to_string()));
    Command::new(example_binary("county_ntl"))
        .args(&args)
        .arg("--quiet")
        .output()
        .unwrap()
}

#[test]
fn a_vnl_layer_without_its_cf_cvg_companion_is_said() {
    let dir = TempDir::new("trust-cf-cvg");
    let products = dir.join("vnl");
    std::fs::create_dir_all(&products).unwrap();
    std::fs::copy(
        testdata(&format!("products/vnl/{VNL_2021}")),
        products.join(VNL_2021),
    )
    .unwrap();
    let output = dir.join("ntl.csv");
    let out = county_ntl_dir(&products, &output, &[]);
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    let expected = format!("no cf_cvg companion ({CF_CVG_2021}) beside it");
    assert!(err.contains("county_ntl: warning: "), "{err}");
    assert!(err.contains(&expected), "{err}");
    assert!(provenance_text(&output).contains(&expected));
}

#[test]
fn two_files_of_one_date_are_said() {
    let dir = TempDir::new("trust-two-versions");
    let products = dir.join("vnl");
    std::fs::create_dir_all(&products).unwrap();
    for name in [VNL_2021, CF_CVG_2021] {
        std::fs::copy(
            testdata(&format!("products/vnl/{name}")),
            products.join(name),
        )
        .unwrap();
        let older = name
            .replace("v22", "v21")
            .replace("c202402081200", "c202205302300");
        std::fs::copy(
            testdata(&format!("products/vnl/{name}")),
            products.join(older),
        )
        .unwrap();
    }
    let output = dir.join("ntl.csv");
    let out = county_ntl_dir(&products, &output, &[]);
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("date 2021: "), "{err}");
    assert!(err.contains("cover the same area"), "{err}");
    assert!(provenance_text(&output).contains("cover the same area"));
}

#[test]
fn population_cells_that_are_not_people_are_left_out_and_said() {
    use gdal::raster::Buffer;
    let dir = TempDir::new("trust-population-cells");
    let population = dir.join("pop.tif");
    std::fs::copy(testdata("products/population_30s.tif"), &population).unwrap();
    {
        let ds = gdal::Dataset::open_ex(
            &population,
            gdal::DatasetOptions {
                open_flags: gdal::GdalOpenFlags::GDAL_OF_UPDATE,
                ..Default::default()
            },
        )
        .unwrap();
        let mut band = ds.rasterband(1).unwrap();
        let mut bad = Buffer::new((3, 1), vec![-1e6f32, f32::INFINITY, -5.0]);
        // Row 20, columns 10..13: inside the counties.
        band.write((10, 20), (3, 1), &mut bad).unwrap();
    }
    let output = dir.join("ntl.csv");
    let out = county_ntl_dir(
        &testdata("products/vnl"),
        &output,
        &["--population", &s(&population)],
    );
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    let expected = "2 negative and 1 infinite cell(s) are not people counts";
    assert!(err.contains(expected), "{err}");
    assert!(provenance_text(&output).contains(expected));
    for row in read_csv(&output) {
        let per_capita: f64 = row["per_capita"].parse().unwrap_or(0.0);
        let lit_pop_frac: f64 = row["lit_pop_frac"].parse().unwrap_or(0.0);
        assert!(per_capita >= 0.0, "{row:?}");
        assert!((0.0..=1.0).contains(&lit_pop_frac), "{row:?}");
    }
}

#[test]
fn indicators_that_are_not_finite_or_missing_everywhere_are_said() {
    let dir = TempDir::new("trust-indicators");
    let zones = common::test_counties();
    let mut table = String::from("code,light,empty\n");
    for (i, zone) in zones.iter().enumerate() {
        let light = if i == 0 {
            "inf".to_string()
        } else {
            format!("{}", i)
        };
        table.push_str(&format!("{},{light},\n", zone.id));
    }
    let path = dir.join("table.csv");
    std::fs::write(&path, table).unwrap();
    let output = dir.join("index.csv");
    let run_index = |indicators: &str| {
        Command::new(example_binary("poverty_index"))
            .args([
                "--table",
                &s(&path),
                "--zones",
                &s(&testdata("counties.gpkg")),
                "--id-field",
                "code",
                "--indicators",
                indicators,
                "--output",
                &s(&output),
            ])
            .output()
            .unwrap()
    };
    let out = run_index("light");
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    let expected =
        "indicator 'light': 1 county value(s) are not finite (inf or nan) and count as missing";
    assert!(err.contains(expected), "{err}");
    assert!(provenance_text(&output).contains(expected));
    let rows = read_csv(&output);
    assert_eq!(rows[0]["score"], "");
    assert!(rows[1..].iter().all(|r| !r["score"].is_empty()));

    let out = run_index("light,empty");
    let err = stderr(&out);
    let expected = "indicator 'empty' has no value for any county: every score is missing";
    assert!(err.contains(expected), "{err}");
}

#[test]
fn a_raw_file_vrt_is_refused_unless_allowed() {
    let dir = TempDir::new("trust-raw-vrt");
    // 16 bytes of a local file read as a 4 x 4 Byte raster.
    let secret = dir.join("secret.txt");
    std::fs::write(&secret, "0123456789abcdef").unwrap();
    let vrt = dir.join("raw.vrt");
    std::fs::write(
        &vrt,
        format!(
            r#"<VRTDataset rasterXSize="4" rasterYSize="4">
  <SRS>EPSG:4326</SRS>
  <GeoTransform>100, 1, 0, 34, 0, -1</GeoTransform>
  <VRTRasterBand dataType="Byte" band="1" subClass="VRTRawRasterBand">
    <SourceFilename relativeToVRT="0">{}</SourceFilename>
    <ImageOffset>0</ImageOffset><PixelOffset>1</PixelOffset><LineOffset>4</LineOffset>
  </VRTRasterBand>
</VRTDataset>
"#,
            secret.display()
        ),
    )
    .unwrap();
    let zones = square_zone(&dir, "z.geojson", 100.0, 30.0, 4.0);
    let output = dir.join("out.csv");
    let args = |extra: &[&str]| {
        let mut a = vec![
            "--raster".to_string(),
            s(&vrt),
            "--zones".to_string(),
            s(&zones),
            "--id-field".to_string(),
            "code".to_string(),
            "--stats".to_string(),
            "min,max".to_string(),
            "--output".to_string(),
            s(&output),
        ];
        a.extend(extra.iter().map(|x| x.to_string()));
        a
    };
    let refused = Command::new(example_binary("zonal"))
        .args(args(&[]))
        .output()
        .unwrap();
    let err = stderr(&refused);
    assert_eq!(refused.status.code(), Some(1), "{err}");
    assert!(err.contains("raw.vrt"), "{err}");
    assert!(err.contains("VRTRawRasterBand"), "{err}");
    assert!(err.contains("--allow-raw-vrt"), "{err}");
    assert!(!output.exists());
    let allowed = Command::new(example_binary("zonal"))
        .args(args(&["--allow-raw-vrt"]))
        .output()
        .unwrap();
    assert!(allowed.status.success(), "{}", stderr(&allowed));
    // '0' is 48 and 'f' is 102.
    assert_eq!(
        std::fs::read_to_string(&output).unwrap(),
        "code,min,max\nz,48,102\n"
    );
}

// ------------------------------------- inputs read through other files

/// Run zonal over the test raster with `zones`, writing `output`; assert it is
/// refused as an input and that `protected` is unchanged.
fn assert_indirect_input_refused(raster: &str, zones: &str, output: &Path, protected: &Path) {
    let before = std::fs::read(protected).unwrap();
    let out = run("zonal", &zonal_args(raster, zones, &s(output)));
    let err = stderr(&out);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{zones} -> {}: {err}",
        s(output)
    );
    assert!(err.contains("is an input of this run"), "{err}");
    assert_eq!(std::fs::read(protected).unwrap(), before);
}

#[test]
fn inputs_read_through_gdal_paths_and_vrts_are_never_outputs() {
    let dir = TempDir::new("trust-indirect");
    let gpkg = copy(&dir, "counties.gpkg", "counties.gpkg");
    let raster = s(&testdata("ntl.tif"));
    let size = std::fs::metadata(&gpkg).unwrap().len();
    // A byte range of the file.
    let subfile = format!("/vsisubfile/0_{size},{}", s(&gpkg));
    assert_indirect_input_refused(&raster, &subfile, &gpkg, &gpkg);
    // An archive named like anything, in GDAL's braces.
    let zipped = dir.join("zz.gpkg");
    let status = Command::new("sh")
        .args(["-c", "cd \"$0\" && cp counties.gpkg inner.gpkg && python3 -c \"import zipfile; z=zipfile.ZipFile('zz.gpkg','w'); z.write('inner.gpkg'); z.close()\""])
        .arg(dir.path())
        .status()
        .unwrap();
    assert!(status.success());
    let in_zip = format!("/vsizip/{{{}}}/inner.gpkg", s(&zipped));
    assert_indirect_input_refused(&raster, &in_zip, &zipped, &zipped);
    // An OGR VRT over the GeoPackage.
    let ogr_vrt = dir.join("zones.vrt");
    std::fs::write(
        &ogr_vrt,
        format!(
            "<OGRVRTDataSource><OGRVRTLayer name=\"counties\"><SrcDataSource>{}</SrcDataSource><SrcLayer>counties</SrcLayer></OGRVRTLayer></OGRVRTDataSource>",
            s(&gpkg)
        ),
    )
    .unwrap();
    assert_indirect_input_refused(&raster, &s(&ogr_vrt), &gpkg, &gpkg);
    // A raster VRT over a GeoTIFF named .csv.
    let tiff = copy(&dir, "ntl.tif", "src.csv");
    let raster_vrt = dir.join("r.vrt");
    let status = Command::new("gdalbuildvrt")
        .args([s(&raster_vrt), s(&tiff)])
        .output()
        .unwrap();
    assert!(status.status.success());
    let zones = s(&testdata("counties.gpkg"));
    assert_indirect_input_refused(&s(&raster_vrt), &zones, &tiff, &tiff);
}

#[test]
fn an_input_named_like_a_leftover_is_never_removed() {
    let dir = TempDir::new("trust-leftover-input");
    let mut child = Command::new("true").spawn().unwrap();
    let dead = child.id();
    child.wait().unwrap();
    let zones = copy(&dir, "counties.gpkg", &format!("out.partial-{dead}-0.gpkg"));
    let before = std::fs::read(&zones).unwrap();
    let output = dir.join("out.csv");
    let out = run(
        "zonal",
        &zonal_args(&s(&testdata("ntl.tif")), &s(&zones), &s(&output)),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(std::fs::read(&zones).unwrap(), before);
}

#[test]
fn links_planted_under_temporary_names_are_neither_followed_nor_removed() {
    let dir = TempDir::new("trust-planted");
    let victim = dir.join("victim.txt");
    std::fs::write(&victim, "precious").unwrap();
    let mut child = Command::new("true").spawn().unwrap();
    let dead = child.id();
    child.wait().unwrap();
    // Names a dead process's leftovers would have, and the first names of
    // the next process (the temporary names also hold a random part).
    for n in 0..6 {
        for name in [
            format!("out.partial-{dead}-{n}.csv"),
            format!("out.csv.provenance.partial-{dead}-{n}.json"),
        ] {
            std::os::unix::fs::symlink(&victim, dir.join(&name)).unwrap();
        }
    }
    let output = dir.join("out.csv");
    let out = run(
        "zonal",
        &zonal_args(
            &s(&testdata("ntl.tif")),
            &s(&testdata("counties.gpkg")),
            &s(&output),
        ),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
    assert!(!std::fs::symlink_metadata(&output).unwrap().is_symlink());
    let links = files_in(dir.path())
        .into_iter()
        .filter(|n| n.contains(".partial-"))
        .count();
    assert_eq!(links, 12, "planted links are not ours to remove");
}

#[test]
fn a_geopackage_with_a_write_ahead_log_beside_it_is_refused() {
    let dir = TempDir::new("trust-wal");
    let (output, _) = good_zonal_set(&dir, "z.gpkg");
    let wal = dir.join("out").join("z.gpkg-wal");
    std::fs::write(&wal, "a log of another program").unwrap();
    let before = snapshot(&dir.join("out"));
    let out = run(
        "zonal",
        &zonal_args(
            &s(&testdata("ntl.tif")),
            &s(&testdata("counties.gpkg")),
            &s(&output),
        ),
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("z.gpkg-wal exists beside it"), "{err}");
    assert_eq!(snapshot(&dir.join("out")), before);
}

#[test]
fn a_file_size_limit_fails_with_a_message_not_a_signal() {
    let dir = TempDir::new("trust-ulimit");
    for name in ["z.csv", "z.gpkg", "z.geojson"] {
        let (output, before) = good_zonal_set(&dir, name);
        // No `trap '' XFSZ`: the binary itself must not die of SIGXFSZ.
        let script = format!(
            "ulimit -f 2; exec \"$0\" --raster {} --zones {} --id-field code --roll-up city \
             --quiet --output {}",
            testdata("ntl.tif").display(),
            testdata("counties.gpkg").display(),
            output.display()
        );
        let out = Command::new("sh")
            .args(["-c", &script])
            .arg(example_binary("zonal"))
            .output()
            .unwrap();
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{name}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{name}: {err}");
        assert_eq!(snapshot(&dir.join("out")), before, "{name}");
        for (n, _) in before {
            std::fs::remove_file(dir.join("out").join(n)).unwrap();
        }
    }
}

#[test]
fn an_attribute_named_geom_goes_into_a_geopackage() {
    let dir = TempDir::new("trust-geom");
    let zones = zones_with(
        &dir,
        "z.geojson",
        &[
            r#"{"code":"a","geom":"POINT"}"#,
            r#"{"code":"b","GEOM_1":"x"}"#,
        ],
    );
    let output = dir.join("out.gpkg");
    let out = zonal_on_ntl(&zones, "count", &output);
    assert!(out.status.success(), "{}", stderr(&out));
    let (names, rows) = read_fields(&output);
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(sorted, ["GEOM_1", "code", "count", "geom"]);
    let geom = names.iter().position(|n| n == "geom").unwrap();
    assert_eq!(rows[0][geom], Field::Text("POINT".into()));
}

// ------------------------------------ numbers and dates as they are

#[test]
fn extreme_cells_reach_every_format_as_numbers() {
    use gdal::raster::Buffer;
    let dir = TempDir::new("trust-extreme");
    let raster = dir.join("extreme.tif");
    {
        let driver = gdal::DriverManager::get_driver_by_name("GTiff").unwrap();
        let mut ds = driver
            .create_with_band_type::<f64, _>(&raster, 4, 1, 1)
            .unwrap();
        ds.set_geo_transform(&[100.0, 1.0, 0.0, 34.0, 0.0, -1.0])
            .unwrap();
        ds.set_spatial_ref(&gdal::spatial_ref::SpatialRef::from_epsg(4326).unwrap())
            .unwrap();
        let mut band = ds.rasterband(1).unwrap();
        // Zone a: 1, 1, 1e154 (stdev exact); zone b: one cell of +inf.
        let mut cells = Buffer::new((4, 1), vec![1.0, 1.0, 1e154, f64::INFINITY]);
        band.write((0, 0), (4, 1), &mut cells).unwrap();
    }
    let zones = dir.join("z.geojson");
    std::fs::write(
        &zones,
        r#"{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"code":"a"},"geometry":{"type":"Polygon","coordinates":[[[100,33],[103,33],[103,34],[100,34],[100,33]]]}},
{"type":"Feature","properties":{"code":"b"},"geometry":{"type":"Polygon","coordinates":[[[103,33],[104,33],[104,34],[103,34],[103,33]]]}}]}"#,
    )
    .unwrap();
    let outputs: Vec<PathBuf> = ["out.csv", "out.gpkg", "out.geojson"]
        .iter()
        .map(|n| dir.join(n))
        .collect();
    for output in &outputs {
        let out = run(
            "zonal",
            &[
                "--raster",
                &s(&raster),
                "--zones",
                &s(&zones),
                "--id-field",
                "code",
                "--stats",
                "sum,mean,max,stdev",
                "--output",
                &s(output),
            ],
        );
        assert!(out.status.success(), "{}", stderr(&out));
    }
    // Population stdev of {1, 1, x}: (x - 1) sqrt(2) / 3.
    let stdev_a = (1e154 - 1.0) * 2f64.sqrt() / 3.0;
    let csv = std::fs::read_to_string(&outputs[0]).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "code,sum,mean,max,stdev");
    let a: Vec<f64> = lines[1][2..]
        .split(',')
        .map(|v| v.parse().unwrap())
        .collect();
    assert!((a[3] / stdev_a - 1.0).abs() < 1e-15, "{}", lines[1]);
    assert_eq!(lines[2], "b,inf,inf,inf,nan");
    for vector in &outputs[1..] {
        let (_, rows) = read_fields(vector);
        assert!((rows[0][4].real() / stdev_a - 1.0).abs() < 1e-15);
        assert_eq!(rows[1][1].real(), f64::INFINITY, "{}", s(vector));
        assert_eq!(rows[1][3].real(), f64::INFINITY, "{}", s(vector));
    }
    // GeoJSON keeps NaN; SQLite cannot store one (it becomes null), which
    // the GeoPackage run says, on stderr and in its provenance.
    let (_, rows) = read_fields(&outputs[2]);
    assert!(rows[1][4].real().is_nan());
    let (_, rows) = read_fields(&outputs[1]);
    assert_eq!(rows[1][4], Field::Null);
    let note = "1 value(s) are NaN, which a GeoPackage (SQLite) stores as null";
    assert!(provenance_text(&outputs[1]).contains(note));
}

#[test]
fn date_ids_stay_iso_8601_dates() {
    let dir = TempDir::new("trust-dates");
    let zones = dir.join("z.gpkg");
    let status = Command::new("ogr2ogr")
        .args([
            "-f",
            "GPKG",
            &s(&zones),
            &s(&testdata("counties.gpkg")),
            "-sql",
            "SELECT geom, date('2023-01-02', '+' || fid || ' days') AS day FROM counties",
        ])
        .output()
        .unwrap();
    assert!(status.status.success(), "{}", stderr(&status));
    for output in ["out.csv", "out.gpkg"] {
        let path = dir.join(output);
        let out = run(
            "zonal",
            &[
                "--raster",
                &s(&testdata("ntl.tif")),
                "--zones",
                &s(&zones),
                "--id-field",
                "day",
                "--stats",
                "count",
                "--output",
                &s(&path),
            ],
        );
        assert!(out.status.success(), "{}", stderr(&out));
    }
    let csv = std::fs::read_to_string(dir.join("out.csv")).unwrap();
    assert!(csv.starts_with("day,count\n2023-01-03,"), "{csv}");
}

// ------------------------------------------------ messages, through the binaries

#[test]
fn a_table_in_another_encoding_is_named_with_its_line() {
    let dir = TempDir::new("trust-gbk");
    let table = dir.join("gbk.csv");
    // "code,name" then a row whose name is 渝中 in GBK (not UTF-8).
    let mut bytes = b"code,light,name\n500101,1,ok\n500102,2,".to_vec();
    bytes.extend([0xD3, 0xE5, 0xD6, 0xD0]);
    bytes.push(b'\n');
    std::fs::write(&table, bytes).unwrap();
    let out = run(
        "poverty_index",
        &[
            "--table",
            &s(&table),
            "--zones",
            &s(&testdata("counties.gpkg")),
            "--id-field",
            "code",
            "--indicators",
            "light",
            "--output",
            &s(&dir.join("index.csv")),
        ],
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("gbk.csv, line 3: not valid UTF-8"), "{err}");
    assert!(err.contains("GBK"), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert_eq!(files_in(dir.path()), ["gbk.csv"]);
}

#[test]
fn gdals_own_reason_reaches_the_message() {
    let dir = TempDir::new("trust-geojson-size");
    let zones = zones_with(&dir, "z.geojson", &[r#"{"code":"a"}"#]);
    // A 1 MB object limit (GDAL reads it from the environment): the file is bigger.
    let big = format!(
        r#"{{"type":"FeatureCollection","features":[{{"type":"Feature","properties":{{"code":"a","pad":"{}"}},"geometry":{{"type":"Polygon","coordinates":[[[106.1,29.6],[106.2,29.6],[106.2,29.7],[106.1,29.6]]]}}}}]}}"#,
        "x".repeat(3 << 20)
    );
    std::fs::write(&zones, big).unwrap();
    let out = Command::new(example_binary("zonal"))
        .env("OGR_GEOJSON_MAX_OBJ_SIZE", "1")
        .args(zonal_args(
            &s(&testdata("ntl.tif")),
            &s(&zones),
            &s(&dir.join("o.csv")),
        ))
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("OGR_GEOJSON_MAX_OBJ_SIZE"), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
}

#[test]
fn control_characters_in_ids_leave_the_maps_valid_xml() {
    let dir = TempDir::new("trust-xml");
    let zones = dir.join("z.gpkg");
    let status = Command::new("ogr2ogr")
        .args([
            "-f",
            "GPKG",
            &s(&zones),
            &s(&testdata("counties.gpkg")),
            "-sql",
            "SELECT geom, code || char(1) || char(27) AS code, name FROM counties",
        ])
        .output()
        .unwrap();
    assert!(status.status.success(), "{}", stderr(&status));
    let output = dir.join("index.csv");
    let out = run(
        "poverty_index",
        &[
            "--raster",
            &s(&testdata("ntl.tif")),
            "--zones",
            &s(&zones),
            "--id-field",
            "code",
            "--indicators",
            "mean,max",
            "--output",
            &s(&output),
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    // An independent XML parser (python3's) reads the SVG.
    let parsed = Command::new("python3")
        .args([
            "-c",
            "import sys, xml.etree.ElementTree as E; E.parse(sys.argv[1])",
            &s(&dir.join("index.svg")),
        ])
        .output()
        .unwrap();
    assert!(parsed.status.success(), "{}", stderr(&parsed));
    let svg = std::fs::read_to_string(dir.join("index.svg")).unwrap();
    assert!(!svg.contains('\u{1}') && !svg.contains('\u{1b}'));
}
