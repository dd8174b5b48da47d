//! The `poverty_index` example binary: the index table against the library
//! run on the same indicators, its maps and provenance, validation figures,
//! and its error paths (exit code, message, nothing left behind).
#![cfg(feature = "gdal")]

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::{TempDir, files_in, test_counties, testdata};
use terralux::index::{IndexSpec, composite_index};
use terralux::stats::{Stat, StatValue};
use terralux::{GdalRaster, ZonalStats};

/// The usual inputs (`table`, the test counties by `code`) followed by `extra`.
fn with_inputs<'a>(table: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "--table",
        table,
        "--zones",
        "testdata/counties.gpkg",
        "--id-field",
        "code",
    ];
    args.extend_from_slice(extra);
    args
}

fn run(args: &[&str]) -> Output {
    Command::new(common::example_binary("poverty_index"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run poverty_index")
}

/// A zone's statistics as numbers (`None` when missing).
fn numbers(values: &[StatValue]) -> Vec<Option<f64>> {
    values
        .iter()
        .map(|v| match v {
            StatValue::Number(x) => Some(*x),
            _ => None,
        })
        .collect()
}

/// Indicators per county from the library: mean, p90 and valid_frac, as CSV.
fn indicator_table(dir: &Path) -> (String, Vec<Vec<Option<f64>>>) {
    let zones = test_counties();
    let raster = GdalRaster::open(testdata("ntl.tif")).unwrap();
    let table = ZonalStats::new(&zones)
        .band(&raster, 1)
        .stats(&Stat::parse_list("mean,p90,valid_frac").unwrap())
        .run()
        .unwrap();
    let mut csv = String::from("code,mean,p90,valid_frac\n");
    let mut data = Vec::new();
    for zone in &table.zones {
        let values = numbers(&zone.values);
        let cells: Vec<String> = values
            .iter()
            .map(|v| v.map(|x| x.to_string()).unwrap_or_default())
            .collect();
        csv.push_str(&format!("{},{}\n", zone.id, cells.join(",")));
        data.push(values);
    }
    let path = dir.join("indicators.csv");
    std::fs::write(&path, csv).unwrap();
    (path.to_str().unwrap().to_string(), data)
}

fn read_rows(path: &Path) -> (String, Vec<Vec<String>>) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap().to_string();
    (
        header,
        lines
            .map(|l| l.split(',').map(str::to_string).collect())
            .collect(),
    )
}

#[test]
fn the_index_table_matches_the_library_and_the_maps_are_written() {
    let tmp = TempDir::new("poverty-index");
    let (table, data) = indicator_table(tmp.path());
    let output = tmp.join("index.csv");
    // The poorest three counties by the library's own index, as an "official" list.
    let expected = composite_index(&data, &IndexSpec::equal_min_max(3)).unwrap();
    let mut scored: Vec<(f64, usize)> = expected
        .scores
        .iter()
        .enumerate()
        .filter_map(|(z, s)| s.map(|v| (v, z)))
        .collect();
    scored.sort_by(|a, b| a.0.total_cmp(&b.0));
    let zones = test_counties();
    let poor: String = scored[..3]
        .iter()
        .map(|(_, z)| format!("{}\n", zones.zones()[*z].id))
        .collect();
    let poor_path = tmp.join("poor.txt");
    std::fs::write(&poor_path, poor).unwrap();

    let result = run(&with_inputs(
        &table,
        &[
            "--reference",
            "mean",
            "--indicators",
            "mean,p90,valid_frac",
            "--poor",
            poor_path.to_str().unwrap(),
            "--output",
            output.to_str().unwrap(),
        ],
    ));
    assert!(
        result.status.success(),
        "{}",
        String::from_utf8_lossy(&result.stderr)
    );
    let (header, rows) = read_rows(&output);
    assert_eq!(
        header,
        "code,score,rank,class,composite,mean_norm,p90_norm,valid_frac_norm"
    );
    assert_eq!(rows.len(), zones.len(), "every county has a row");
    for (z, row) in rows.iter().enumerate() {
        assert_eq!(row[0], zones.zones()[z].id.to_string());
        match expected.scores[z] {
            Some(score) => {
                assert!((row[1].parse::<f64>().unwrap() - score).abs() < 1e-9);
                assert_eq!(row[2], expected.ranks[z].unwrap().to_string());
                assert_eq!(row[3], expected.classes[z].unwrap().to_string());
            }
            None => assert!(row[1].is_empty() && row[2].is_empty() && row[3].is_empty()),
        }
    }
    for name in [
        "index.png",
        "index.svg",
        "index.html",
        "index.csv.provenance.json",
    ] {
        assert!(tmp.join(name).exists(), "{name} missing");
    }
    let png = std::fs::read(tmp.join("index.png")).unwrap();
    // 1000 px wide (96 dpi), as high as the counties' shape asks.
    let image = resvg::tiny_skia::Pixmap::decode_png(&png).unwrap();
    assert_eq!(image.width(), 1000);
    assert!((300..=1600).contains(&image.height()), "{}", image.height());
    let svg = std::fs::read_to_string(tmp.join("index.svg")).unwrap();
    assert!(
        svg.contains(">province outlines</text>"),
        "group outlines by default"
    );
    assert!(svg.contains("Data: "), "a source line");
    let html = std::fs::read_to_string(tmp.join("index.html")).unwrap();
    assert!(html.contains(r#""indicators":["index score","mean","p90","valid_frac"]"#));
    assert!(html.contains(r#""groupField":"province""#));

    let provenance = std::fs::read_to_string(tmp.join("index.csv.provenance.json")).unwrap();
    // The three lowest scores are exactly the listed counties: AUC 1.
    assert!(provenance.contains("\"roc_auc\": 1"), "{provenance}");
    assert!(provenance.contains("\"pearson\": 0."), "{provenance}");
    assert!(provenance.contains("\"zones_without_table_row\": 0"));
}

#[test]
fn choices_reach_the_index() {
    let tmp = TempDir::new("poverty-index-choices");
    let (table, data) = indicator_table(tmp.path());
    let output = tmp.join("index.csv");
    let result = run(&with_inputs(
        &table,
        &[
            "--indicators",
            "mean,valid_frac",
            "--worse",
            "valid_frac",
            "--weights",
            "mean=3,valid_frac=1",
            "--missing",
            "reweight",
            "--classes",
            "4",
            "--output",
            output.to_str().unwrap(),
        ],
    ));
    assert!(
        result.status.success(),
        "{}",
        String::from_utf8_lossy(&result.stderr)
    );
    let mut spec = IndexSpec::equal_min_max(2);
    spec.directions[1] = terralux::index::Direction::HigherIsWorse;
    spec.weights = terralux::index::Weights::Given(vec![3.0, 1.0]);
    spec.missing = terralux::index::Missing::Reweight;
    spec.classes = 4;
    let two: Vec<Vec<Option<f64>>> = data.iter().map(|r| vec![r[0], r[2]]).collect();
    let expected = composite_index(&two, &spec).unwrap();
    let (_, rows) = read_rows(&output);
    assert_eq!(rows.len(), expected.scores.len());
    let cell = |v: Option<usize>| v.map(|v| v.to_string()).unwrap_or_default();
    for (z, row) in rows.iter().enumerate() {
        let got = (!row[1].is_empty()).then(|| row[1].parse::<f64>().unwrap());
        match (got, expected.scores[z]) {
            (Some(g), Some(e)) => assert!((g - e).abs() < 1e-9),
            (None, None) => {}
            other => panic!("zone {z}: {other:?}"),
        }
        assert_eq!(row[2], cell(expected.ranks[z]), "rank of zone {z}");
        assert_eq!(row[3], cell(expected.classes[z]), "class of zone {z}");
    }
    // Four classes asked for, and all used.
    let mut classes: Vec<&str> = rows
        .iter()
        .map(|r| r[3].as_str())
        .filter(|c| !c.is_empty())
        .collect();
    classes.sort_unstable();
    classes.dedup();
    assert_eq!(classes, ["1", "2", "3", "4"]);
}

#[test]
fn a_failure_after_the_index_leaves_no_output() {
    let tmp = TempDir::new("poverty-index-late-failure");
    let (table, _) = indicator_table(tmp.path());
    let output = tmp.join("index.csv");
    let before = files_in(tmp.path());
    // The map's group field is checked only when the maps are made.
    let result = run(&with_inputs(
        &table,
        &[
            "--group-field",
            "prefecture",
            "--output",
            output.to_str().unwrap(),
        ],
    ));
    let err = String::from_utf8_lossy(&result.stderr);
    assert_eq!(result.status.code(), Some(1), "{err}");
    assert!(err.contains("no field named 'prefecture'"), "{err}");
    assert_eq!(files_in(tmp.path()), before);
}

#[test]
fn error_paths_have_their_exit_code_message_and_leave_nothing() {
    let tmp = TempDir::new("poverty-index-errors");
    let (table, _) = indicator_table(tmp.path());
    let dated = tmp.join("dated.csv");
    std::fs::write(&dated, "code,date,x\n500101,2021,1\n500101,2022,2\n").unwrap();
    let dated = dated.to_str().unwrap().to_string();
    let out = tmp.join("out.csv");
    let out = out.to_str().unwrap().to_string();
    let inputs = |extra: &[&'static str]| -> Vec<String> {
        with_inputs(&table, extra)
            .into_iter()
            .map(str::to_string)
            .collect()
    };
    let with_output = |mut args: Vec<String>| {
        args.extend(["--output".to_string(), out.clone()]);
        args
    };
    let cases: Vec<(Vec<String>, i32, &str)> = vec![
        (inputs(&[]), 2, "--output is required"),
        (
            inputs(&["--output", "x.png"]),
            2,
            "--output must end in .csv",
        ),
        (
            with_output(inputs(&[
                "--weights",
                "mean=1,rain=2",
                "--indicators",
                "mean",
            ])),
            2,
            "--weights names 'rain', which is not an indicator",
        ),
        (
            with_output(inputs(&["--normalisation", "log"])),
            2,
            "--normalisation takes min-max, z-score or rank",
        ),
        (
            with_output(
                with_inputs(&dated, &[])
                    .into_iter()
                    .map(str::to_string)
                    .collect(),
            ),
            2,
            "holds 2 dates (2021, 2022...); choose one with --date",
        ),
        (
            with_output(inputs(&["--table-id", "county"])),
            1,
            "no column named 'county' (columns: code, mean, p90, valid_frac)",
        ),
        (
            with_output(
                with_inputs("no/such.csv", &[])
                    .into_iter()
                    .map(str::to_string)
                    .collect(),
            ),
            1,
            "no/such.csv",
        ),
        (
            with_output(inputs(&[
                "--indicators",
                "mean",
                "--aggregation",
                "geometric",
                "--normalisation",
                "z-score",
            ])),
            1,
            "geometric mean needs non-negative",
        ),
    ];
    for (args, code, message) in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let before = files_in(tmp.path());
        let result = run(&args);
        let err = String::from_utf8_lossy(&result.stderr);
        assert_eq!(result.status.code(), Some(code), "{args:?}: {err}");
        assert!(
            err.contains(message),
            "{args:?}: expected '{message}' in '{err}'"
        );
        assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
        assert_eq!(files_in(tmp.path()), before, "{args:?} left files behind");
    }
}

#[test]
fn help_explains_every_flag_with_an_example() {
    let result = run(&["--help"]);
    assert!(result.status.success());
    let help = String::from_utf8(result.stdout).unwrap();
    for flag in [
        "--table",
        "--table-id",
        "--date",
        "--zones",
        "--layer",
        "--id-field",
        "--indicators",
        "--worse",
        "--normalisation",
        "--goalposts",
        "--weights",
        "--aggregation",
        "--missing",
        "--classes",
        "--group-field",
        "--label-field",
        "--reference",
        "--poor",
        "--output",
        "EXAMPLE",
    ] {
        assert!(help.contains(flag), "--help does not mention {flag}");
    }
}

#[test]
fn raster_mode_rolls_the_index_up_to_provinces() {
    let tmp = TempDir::new("poverty-index-raster");
    let output = tmp.join("index.csv");
    let result = run(&[
        "--raster",
        "testdata/ntl.tif",
        "--zones",
        "testdata/counties.gpkg",
        "--id-field",
        "code",
        "--indicators",
        "mean,p90,valid_frac",
        "--roll-up",
        "city",
        "--roll-up",
        "province",
        "--output",
        output.to_str().unwrap(),
    ]);
    assert!(
        result.status.success(),
        "{}",
        String::from_utf8_lossy(&result.stderr)
    );
    // The library: the same statistics rolled up, then the same index per level.
    let zones = test_counties();
    let raster = GdalRaster::open(testdata("ntl.tif")).unwrap();
    let (counties, levels) = ZonalStats::new(&zones)
        .band(&raster, 1)
        .stats(&Stat::parse_list("mean,p90,valid_frac").unwrap())
        .run_with_roll_ups(&["city", "province"])
        .unwrap();
    let rows_of = |table: &terralux::results::ZonalTable| -> Vec<Vec<Option<f64>>> {
        table.zones.iter().map(|z| numbers(&z.values)).collect()
    };
    let spec = IndexSpec::equal_min_max(3);
    for (table, file, id) in [
        (&counties, "index.csv", "code"),
        (&levels[0], "index_by_city.csv", "city"),
        (&levels[1], "index_by_province.csv", "province"),
    ] {
        let expected = composite_index(&rows_of(table), &spec).unwrap();
        let (header, rows) = read_rows(&tmp.join(file));
        assert!(
            header.starts_with(&format!("{id},score,rank,class")),
            "{header}"
        );
        assert_eq!(rows.len(), table.zones.len(), "{file}");
        for (z, row) in rows.iter().enumerate() {
            assert_eq!(row[0], table.zones[z].id.to_string());
            let got = (!row[1].is_empty()).then(|| row[1].parse::<f64>().unwrap());
            match (got, expected.scores[z]) {
                (Some(g), Some(e)) => assert!((g - e).abs() < 1e-9, "{file} row {z}"),
                (None, None) => {}
                other => panic!("{file} row {z}: {other:?}"),
            }
        }
    }
    let provenance = std::fs::read_to_string(tmp.join("index.csv.provenance.json")).unwrap();
    assert!(
        provenance.contains("\"field\": \"province\""),
        "{provenance}"
    );
    assert!(provenance.contains("\"role\": \"raster\""), "{provenance}");
    for level in ["index_by_city.csv", "index_by_province.csv"] {
        let beside = tmp.join(&format!("{level}.provenance.json"));
        assert_eq!(std::fs::read_to_string(beside).unwrap(), provenance);
    }
}

#[test]
fn raster_mode_usage_errors() {
    let tmp = TempDir::new("poverty-index-raster-errors");
    let out = tmp.join("out.csv");
    let out = out.to_str().unwrap();
    let base = [
        "--zones",
        "testdata/counties.gpkg",
        "--id-field",
        "code",
        "--output",
        out,
    ];
    let cases: [(&[&str], &str); 6] = [
        (
            &["--raster", "testdata/ntl.tif"],
            "--raster needs --indicators",
        ),
        (
            &[
                "--raster",
                "testdata/ntl.tif",
                "--table",
                "x.csv",
                "--indicators",
                "mean",
            ],
            "give --table or --raster, not both",
        ),
        (
            &["--table", "x.csv", "--roll-up", "province"],
            "--roll-up needs --raster",
        ),
        (
            &[
                "--raster",
                "testdata/ntl.tif",
                "--indicators",
                "mean",
                "--reference",
                "sum",
            ],
            "--reference goes with --table",
        ),
        (
            &["--table", "x.csv", "--snap-grid"],
            "--snap-grid goes with --raster, not --table",
        ),
        (
            &["--table", "x.csv", "--ignore-mask"],
            "--ignore-mask goes with --raster, not --table",
        ),
    ];
    for (extra, message) in cases {
        let args: Vec<&str> = base.iter().chain(extra.iter()).copied().collect();
        let result = run(&args);
        let err = String::from_utf8_lossy(&result.stderr);
        assert_eq!(result.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.contains(message),
            "{args:?}: expected '{message}' in '{err}'"
        );
        assert!(files_in(tmp.path()).is_empty());
    }
}

/// The comma-separated UTF-8 indicator table of `indicator_table` as Excel
/// saves it: fields separated by `;`, CRLF line ends, a `name` column of
/// Chinese text (`name`: the bytes of 渝北 in the file's encoding), after
/// an optional byte-order mark `bom`.
fn excel_table(dir: &Path, comma_table: &str, file: &str, bom: &[u8], name: &[u8]) -> String {
    let text = std::fs::read_to_string(comma_table).unwrap();
    let mut bytes = bom.to_vec();
    for (i, line) in text.lines().enumerate() {
        bytes.extend_from_slice(line.replace(',', ";").as_bytes());
        bytes.push(b';');
        bytes.extend_from_slice(if i == 0 { b"name" } else { name });
        bytes.extend_from_slice(b"\r\n");
    }
    let path = dir.join(file);
    std::fs::write(&path, bytes).unwrap();
    path.to_str().unwrap().to_string()
}

/// The index table of `table` with `extra` flags (success asserted).
fn index_of(dir: &Path, table: &str, file: &str, extra: &[&str]) -> Vec<u8> {
    let output = dir.join(file);
    let mut args = with_inputs(table, &["--indicators", "mean,p90,valid_frac", "--output"]);
    args.push(output.to_str().unwrap());
    args.extend_from_slice(extra);
    let result = run(&args);
    assert!(
        result.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&result.stderr)
    );
    std::fs::read(output).unwrap()
}

#[test]
fn delimiter_reads_a_semicolon_table_saved_by_excel_as_utf8_with_bom() {
    let tmp = TempDir::new("poverty-index-delimiter");
    let (comma, _) = indicator_table(tmp.path());
    let expected = index_of(tmp.path(), &comma, "comma.csv", &[]);
    let excel = excel_table(
        tmp.path(),
        &comma,
        "excel-utf8.csv",
        b"\xEF\xBB\xBF",
        "渝北".as_bytes(),
    );
    let got = index_of(tmp.path(), &excel, "semicolon.csv", &["--delimiter", ";"]);
    assert_eq!(got, expected);
    // Found from the header when not given, too.
    assert_eq!(index_of(tmp.path(), &excel, "found.csv", &[]), expected);
    // The wrong delimiter: one column, so no id column (exit 1, nothing written).
    let before = files_in(tmp.path());
    let out = tmp.join("tab.csv");
    let mut args = with_inputs(&excel, &["--delimiter", "tab", "--output"]);
    args.push(out.to_str().unwrap());
    let result = run(&args);
    let err = String::from_utf8_lossy(&result.stderr);
    assert_eq!(result.status.code(), Some(1), "{err}");
    assert!(err.contains("no column named 'code'"), "{err}");
    assert_eq!(files_in(tmp.path()), before);
}

#[test]
fn encoding_reads_a_gbk_table_saved_by_excel() {
    let tmp = TempDir::new("poverty-index-encoding");
    let (comma, _) = indicator_table(tmp.path());
    let expected = index_of(tmp.path(), &comma, "comma.csv", &[]);
    let gbk = excel_table(
        tmp.path(),
        &comma,
        "excel-gbk.csv",
        b"",
        b"\xD3\xE5\xB1\xB1",
    );
    let got = index_of(
        tmp.path(),
        &gbk,
        "gbk.csv",
        &["--encoding", "gbk", "--delimiter", ";"],
    );
    assert_eq!(got, expected);
    // gb18030 reads GBK too; the delimiter is found from the header.
    assert_eq!(
        index_of(tmp.path(), &gbk, "gb18030.csv", &["--encoding", "GB18030"]),
        expected
    );
    // Without --encoding the GBK bytes are not UTF-8: exit 1, naming the line.
    let out = tmp.join("utf8.csv");
    let mut args = with_inputs(&gbk, &["--output"]);
    args.push(out.to_str().unwrap());
    let result = run(&args);
    let err = String::from_utf8_lossy(&result.stderr);
    assert_eq!(result.status.code(), Some(1), "{err}");
    assert!(
        err.contains("excel-gbk.csv, line 2: not valid UTF-8"),
        "{err}"
    );
    assert!(!out.exists());
}

#[test]
fn delimiter_and_encoding_usage_errors() {
    let tmp = TempDir::new("poverty-index-table-flags");
    let out = tmp.join("out.csv");
    let out = out.to_str().unwrap();
    let base = ["--zones", "testdata/counties.gpkg", "--output", out];
    let cases: [(&[&str], &str); 4] = [
        (
            &["--table", "x.csv", "--delimiter", "|"],
            "--delimiter takes ',', ';' or 'tab', not '|'",
        ),
        (
            &["--table", "x.csv", "--encoding", "klingon"],
            "--encoding takes a WHATWG encoding label such as utf-8, gbk",
        ),
        (
            &[
                "--raster",
                "testdata/ntl.tif",
                "--indicators",
                "mean",
                "--delimiter",
                ";",
            ],
            "--delimiter goes with --table, not --raster",
        ),
        (
            &[
                "--raster",
                "testdata/ntl.tif",
                "--indicators",
                "mean",
                "--encoding",
                "gbk",
            ],
            "--encoding goes with --table, not --raster",
        ),
    ];
    for (extra, message) in cases {
        let args: Vec<&str> = base.iter().chain(extra.iter()).copied().collect();
        let result = run(&args);
        let err = String::from_utf8_lossy(&result.stderr);
        assert_eq!(result.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.contains(message),
            "{args:?}: expected '{message}' in '{err}'"
        );
        assert!(files_in(tmp.path()).is_empty());
    }
}
