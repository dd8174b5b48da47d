//! Bugs of logic that lived in the binaries or in hand-written code, fixed
//! in the library (issue "Library-first"): each test failed before.

mod common;

use geo_types::{MultiPolygon, polygon};
use ndarray::array;
use terralux::coverage::{CoverageIndex, CoverageMode};
use terralux::ntl::series::{Dated, run_series};
use terralux::ntl::{IndicatorSet, Normaliser};
use terralux::stats::{Stat, StatValue};
use terralux::table::{Table, TableOptions};
use terralux::zones::{Attributes, Zone, ZoneId, ZoneSet};
use terralux::{Crs, GeoTransform, Grid, Raster, RasterSource, ZonalStats};

use common::TempDir;

fn rectangle(id: i64, x0: f64, x1: f64) -> Zone {
    Zone {
        id: ZoneId::Int(id),
        attributes: Attributes::default(),
        geometry: MultiPolygon(vec![
            polygon![(x: x0, y: 0.0), (x: x1, y: 0.0), (x: x1, y: 1.0), (x: x0, y: 1.0)],
        ]),
    }
}

fn grid() -> Grid {
    Grid::new(GeoTransform::new(0.0, 1.0, 1.0, -1.0).unwrap(), 1, 4)
        .unwrap()
        .with_crs(Crs::wgs84())
}

#[test]
fn a_coverage_index_refuses_other_zones_of_the_same_size() {
    let raster = Raster::new(grid(), array![[1.0, 2.0, 3.0, 4.0]]).unwrap();
    let built_for = ZoneSet::new(vec![rectangle(1, 0.0, 1.0)], Some(Crs::wgs84()));
    let other = ZoneSet::new(vec![rectangle(1, 2.0, 4.0)], Some(Crs::wgs84()));
    let index = CoverageIndex::build(&built_for, raster.grid(), CoverageMode::Exact);
    let run = |zones: &ZoneSet| {
        ZonalStats::new(zones)
            .band(&raster, 1)
            .stats(&[Stat::Sum])
            .coverage_index(&index)
            .run()
    };
    // The right zones: 1. Before, the other zones (one zone, like the index's)
    // got the first zone's coverage and a sum of 1 instead of 7.
    assert_eq!(
        run(&built_for).unwrap().zones[0].values,
        [StatValue::Number(1.0)]
    );
    let err = run(&other).unwrap_err().to_string();
    assert!(
        err.starts_with("coverage index: it was built for other zones (fingerprint "),
        "{err}"
    );
    // The same zones read again (a clone, or equal zones built anew) are accepted.
    let again = ZoneSet::new(vec![rectangle(1, 0.0, 1.0)], Some(Crs::wgs84()));
    assert!(index.check_zones(&again).is_ok());
    assert!(run(&again).is_ok());
    // Another id is another zone set too.
    let renamed = ZoneSet::new(vec![rectangle(2, 0.0, 1.0)], Some(Crs::wgs84()));
    assert!(index.check_zones(&renamed).is_err());
}

#[test]
fn the_fingerprint_follows_a_change_of_coordinates() {
    // In Chongqing (GCJ-02 leaves coordinates outside China alone).
    let mut chongqing = rectangle(1, 106.0, 107.0);
    use geo::MapCoordsInPlace;
    chongqing
        .geometry
        .map_coords_in_place(|c| geo_types::Coord {
            x: c.x,
            y: c.y + 29.0,
        });
    let zones = ZoneSet::new(vec![chongqing], Some(Crs::wgs84()));
    let before = zones.fingerprint();
    // GCJ-02 conversion moves every vertex: a fingerprint kept from before would be stale.
    let converted = zones.clone().gcj02_to_wgs84().unwrap();
    assert_ne!(converted.fingerprint(), before);
    assert_eq!(zones.fingerprint(), before);
}

#[test]
fn indicator_columns_keep_their_own_statistics_without_population() {
    let raster = Raster::new(grid(), array![[0.0, 1.0, 3.0, 4.0]]).unwrap();
    let zones = ZoneSet::new(vec![rectangle(1, 0.0, 4.0)], Some(Crs::wgs84()));
    let set = IndicatorSet {
        threshold: 2.0,
        normaliser: Normaliser::RunMaximum,
        population: false,
    };
    let dates = [
        Dated {
            date: "2014".into(),
            raster: &raster,
            band: 1,
            weights: None,
        },
        Dated {
            date: "2015".into(),
            raster: &raster,
            band: 1,
            weights: None,
        },
    ];
    let mut series = run_series(&zones, &dates, &set.stats(), Some(1), &|_, _| {}).unwrap();
    assert_eq!(set.complete(&mut series.tables), Some(4.0));
    let (long, long_zones) = series.long_form(&zones).unwrap();
    assert_eq!(long_zones.len(), 2);
    let named: Vec<(&str, Stat)> = long
        .columns
        .iter()
        .map(|c| (c.name.as_str(), c.stat))
        .collect();
    // Before, the binary gave the columns after per_capita the statistics of
    // the columns two places further on (per_capita was gini, theil area_km2...).
    assert_eq!(
        named[8..],
        [
            ("per_capita", Stat::PerCapita),
            ("lit_pop_frac", Stat::LitPopFrac(2.0)),
            ("gini", Stat::Gini),
            ("theil", Stat::Theil),
            ("area_km2", Stat::AreaKm2),
            ("valid_frac", Stat::ValidFrac),
        ]
    );
    for zone in &long.zones {
        assert_eq!(zone.values.len(), 14);
        assert_eq!(zone.values[0], StatValue::Number(8.0), "tnl");
        assert!(zone.values[8].is_missing() && zone.values[9].is_missing());
        assert_eq!(zone.values[13], StatValue::Number(1.0), "valid_frac");
        // Gini of 0, 1, 3, 4 by hand: Σ|xi - xj| over ordered pairs = 2 (1+3+4+2+3+1) = 28,
        // over 2 n² mean = 2 * 16 * 2 = 64.
        assert_eq!(zone.values[10], StatValue::Number(28.0 / 64.0), "gini");
    }
}

#[test]
fn tables_from_spreadsheets_semicolons_tabs_and_gbk() {
    let dir = TempDir::new("spreadsheet-tables");
    let path = dir.join("t.csv");
    // Excel in a European locale: semicolons, CRLF, a byte-order mark.
    std::fs::write(
        &path,
        "\u{feff}code;name;density\r\n1;\"Yu; zhong\";2.5\r\n",
    )
    .unwrap();
    let table = Table::read(&path).unwrap();
    assert_eq!(table.header(), ["code", "name", "density"]);
    assert_eq!(table.column("name").unwrap(), ["Yu; zhong"]);
    assert_eq!(table.numbers("density").unwrap(), [Some(2.5)]);
    // Tabs.
    std::fs::write(&path, "code\tdensity\n1\t2.5\n").unwrap();
    assert_eq!(
        Table::read(&path).unwrap().numbers("density").unwrap(),
        [Some(2.5)]
    );
    // A delimiter given overrides the guess: one column with commas in it.
    let options = TableOptions {
        delimiter: Some(';'),
        ..TableOptions::default()
    };
    std::fs::write(&path, "name\nYuzhong, CQ\n").unwrap();
    assert_eq!(
        Table::read_with(&path, &options)
            .unwrap()
            .column("name")
            .unwrap(),
        ["Yuzhong, CQ"]
    );
    // GBK, read when the encoding is given: "渝北" is D3 E5 B1 B1.
    std::fs::write(&path, b"code,name\n500112,\xD3\xE5\xB1\xB1\n").unwrap();
    let gbk = TableOptions {
        encoding: Some("GBK".into()),
        ..TableOptions::default()
    };
    assert_eq!(
        Table::read_with(&path, &gbk)
            .unwrap()
            .column("name")
            .unwrap(),
        ["渝北"]
    );
    // Bytes that are not GBK either name their line; an unknown label is named.
    std::fs::write(&path, b"code,name\n1,a\n2,\xFF\xFF\n").unwrap();
    let err = Table::read_with(&path, &gbk).unwrap_err().to_string();
    assert_eq!(
        err,
        format!("{}, line 3: not valid GBK text", path.display())
    );
    let klingon = TableOptions {
        encoding: Some("klingon".into()),
        ..TableOptions::default()
    };
    let err = Table::read_with(&path, &klingon).unwrap_err().to_string();
    assert!(err.contains("unknown encoding 'klingon'"), "{err}");
}

#[test]
fn text_after_a_closing_quote_is_an_error_not_dropped_quotes() {
    // Before, "a"b was read as ab.
    let err = Table::parse("code,name\n1,\"a\"b\n", "t.csv")
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("t.csv, line 2: text after the closing quote of a field"),
        "{err}"
    );
    // A quote inside an unquoted field is kept as it is; doubled quotes inside quotes are one.
    let table = Table::parse("code,name\n1,a\"b\n2,\"say \"\"hi\"\"\"\n", "t.csv").unwrap();
    assert_eq!(table.column("name").unwrap(), ["a\"b", "say \"hi\""]);
}

#[test]
fn ali_and_cnli_rank_a_uniformly_dim_county_below_a_bright_one() {
    // Zone 1: four cells of 1.0 (dim, all lit above 0.5); zone 2: 10, 20, 40, 60.
    let grid = Grid::new(GeoTransform::new(0.0, 1.0, 1.0, -1.0).unwrap(), 1, 8)
        .unwrap()
        .with_crs(Crs::wgs84());
    let raster = Raster::new(grid, array![[1.0, 1.0, 1.0, 1.0, 10.0, 20.0, 40.0, 60.0]]).unwrap();
    let zones = ZoneSet::new(
        vec![rectangle(1, 0.0, 4.0), rectangle(2, 4.0, 8.0)],
        Some(Crs::wgs84()),
    );
    let set = IndicatorSet {
        threshold: 0.5,
        normaliser: Normaliser::RunMaximum,
        population: false,
    };
    let mut tables = vec![
        ZonalStats::new(&zones)
            .band(&raster, 1)
            .stats(&set.stats())
            .run()
            .unwrap(),
    ];
    assert_eq!(set.complete(&mut tables), Some(60.0));
    let value = |z: usize, c: usize| tables[0].zones[z].values[c].as_f64().unwrap();
    // By hand: ALI = mean lit / 60, dim 1/60, bright 32.5/60; every cell lit, so CNLI = ALI x 1.
    // Each zone's own maximum made the dim county score 1 (1/1) above the bright one (32.5/60).
    assert!((value(0, 6) - 1.0 / 60.0).abs() < 1e-12);
    assert!((value(1, 6) - 32.5 / 60.0).abs() < 1e-12);
    assert!(value(0, 6) < value(1, 6) && value(0, 7) < value(1, 7));
    // A fixed normaliser is used as given.
    let fixed = IndicatorSet {
        normaliser: Normaliser::Fixed(100.0),
        ..set
    };
    let mut tables = vec![
        ZonalStats::new(&zones)
            .band(&raster, 1)
            .stats(&fixed.stats())
            .run()
            .unwrap(),
    ];
    assert_eq!(fixed.complete(&mut tables), Some(100.0));
    assert!((tables[0].zones[1].values[6].as_f64().unwrap() - 0.325).abs() < 1e-12);
}

/// `--stats ali,cnli` (no normaliser given) divide by the run's largest
/// value, not each zone's own maximum, in the zones' table and in a
/// roll-up alike; the columns name the normaliser for the provenance.
#[test]
fn zonal_ali_and_cnli_divide_by_the_runs_maximum() {
    // Zone 1: four cells of 1.0 (dim); zone 2: 10, 20, 40, 60; both in province P.
    let grid = Grid::new(GeoTransform::new(0.0, 1.0, 1.0, -1.0).unwrap(), 1, 8)
        .unwrap()
        .with_crs(Crs::wgs84());
    let raster = Raster::new(grid, array![[1.0, 1.0, 1.0, 1.0, 10.0, 20.0, 40.0, 60.0]]).unwrap();
    let names: std::sync::Arc<[String]> = vec!["province".to_string()].into();
    let in_province = |mut zone: Zone| {
        zone.attributes = Attributes::new(
            names.clone(),
            vec![terralux::zones::AttrValue::Text("P".into())],
        );
        zone
    };
    let zones = ZoneSet::new(
        vec![
            in_province(rectangle(1, 0.0, 4.0)),
            in_province(rectangle(2, 4.0, 8.0)),
        ],
        Some(Crs::wgs84()),
    );
    let stats = Stat::parse_list("ali,mean,cnli,lit_frac").unwrap();
    let (table, levels) = ZonalStats::new(&zones)
        .band(&raster, 1)
        .stats(&stats)
        .run_with_roll_ups(&["province"])
        .unwrap();
    let names: Vec<&str> = table.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        ["ali", "mean", "cnli", "lit_frac"],
        "no column added or lost"
    );
    let value = |t: &terralux::results::ZonalTable, z: usize, c: usize| {
        t.zones[z].values[c].as_f64().unwrap()
    };
    // By hand: every cell is lit (> 0.5); mean lit 1 and 32.5; the run's maximum 60.
    assert!((value(&table, 0, 0) - 1.0 / 60.0).abs() < 1e-12);
    assert!((value(&table, 1, 0) - 32.5 / 60.0).abs() < 1e-12);
    assert_eq!(value(&table, 1, 1), 32.5, "other statistics untouched");
    for z in 0..2 {
        let lit_frac = value(&table, z, 3);
        assert!((lit_frac - 1.0).abs() < 1e-9, "{lit_frac}");
        assert_eq!(value(&table, z, 2), value(&table, z, 0) * lit_frac);
    }
    // The province: all eight cells, mean lit (4 + 130) / 8 = 16.75, over the same 60.
    assert_eq!(levels[0].columns.len(), 4);
    assert!((value(&levels[0], 0, 0) - 16.75 / 60.0).abs() < 1e-12);
    // The provenance says what was divided by.
    assert_eq!(
        table.columns[0].stat,
        Stat::Ali {
            threshold: 0.5,
            dn_max: Some(60.0)
        }
    );
    assert!(
        table.columns[2]
            .stat
            .definition()
            .contains("/ 60 * lit_frac")
    );
    assert_eq!(table.provenance.stats, stats);
    // A normaliser given is used as given (DMSP's 63).
    let dmsp = [Stat::Ali {
        threshold: 0.5,
        dn_max: Some(63.0),
    }];
    let fixed = ZonalStats::new(&zones)
        .band(&raster, 1)
        .stats(&dmsp)
        .run()
        .unwrap();
    assert!((value(&fixed, 0, 0) - 1.0 / 63.0).abs() < 1e-12);
}

/// `summary` prints the library's summaries; a reader that stops early ends it quietly.
#[cfg(feature = "gdal")]
#[test]
fn summary_is_the_library_summaries_and_survives_a_closed_pipe() {
    use std::process::{Command, Stdio};
    use terralux::GdalRaster;
    use terralux::summary::{RasterSummary, ZonesSummary};
    let raster_path = common::testdata("ntl.tif");
    let zones_path = common::testdata("counties.gpkg");
    let raster = GdalRaster::open(&raster_path).unwrap();
    let summary = RasterSummary::of(&raster).unwrap();
    // testdata/README.md: 12000 cells, 344 of them invalid.
    assert_eq!(
        (summary.bands[0].cells, summary.bands[0].valid),
        (12000, 12000 - 344)
    );
    let zones = common::test_counties();
    let expected = format!(
        "{}\n{}",
        summary,
        ZonesSummary::of(&zones, raster.grid()).unwrap()
    );
    let run = |stdout: Stdio| {
        Command::new(common::example_binary("summary"))
            .args(["--raster", raster_path.to_str().unwrap()])
            .args([
                "--zones",
                zones_path.to_str().unwrap(),
                "--id-field",
                "code",
            ])
            .stdout(stdout)
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let output = run(Stdio::piped()).wait_with_output().unwrap();
    assert!(output.status.success());
    assert_eq!(String::from_utf8(output.stdout).unwrap(), expected);
    // The reader closes before summary writes: exit 0 and nothing on stderr
    // (println! panicked with a backtrace before).
    let mut child = run(Stdio::piped());
    drop(child.stdout.take());
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "{output:?}");
    assert!(
        output.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn results_and_trends_serialise_for_library_users() {
    let raster = Raster::new(grid(), array![[1.0, f64::NAN, 3.0, f64::INFINITY]]).unwrap();
    let zones = ZoneSet::new(
        vec![rectangle(1, 0.0, 2.0), rectangle(2, 2.0, 4.0)],
        Some(Crs::wgs84()),
    );
    let table = ZonalStats::new(&zones)
        .band(&raster, 1)
        .stats(&[Stat::Count, Stat::Max, Stat::Frac])
        .run()
        .unwrap();
    let json: serde_json::Value = serde_json::to_value(&table).unwrap();
    assert_eq!(json["columns"][1]["name"], "max");
    assert_eq!(json["columns"][1]["stat"], "max");
    // Zone 1: one valid cell of 1 (the NaN cell is invalid); zone 2: 3 and an infinite cell.
    assert_eq!(json["zones"][0]["id"], 1);
    assert_eq!(json["zones"][0]["values"][0], 1.0);
    assert_eq!(
        json["zones"][1]["values"][1], "inf",
        "never null, which reads as missing"
    );
    assert_eq!(
        json["zones"][1]["values"][2],
        serde_json::json!([[3.0, 0.5], ["inf", 0.5]])
    );
    assert_eq!(json["provenance"]["grid"]["crs"], "EPSG:4326");
    assert_eq!(json["provenance"]["coverage"], "exact");
    let trend = terralux::ntl::trend::trend(&[2014.0, 2015.0], &[1.0, 3.0]);
    let json = serde_json::to_value(&trend).unwrap();
    assert_eq!(json["ols_slope"], 2.0);
    assert_eq!(json["n"], 2);
}

/// The index tables serialise too: four counties, one indicator, min-max,
/// equal weights, quartile classes, computed by hand.
#[test]
fn index_tables_serialise_for_library_users() {
    use terralux::index::{IndexSpec, composite_index, join};
    let mut spec = IndexSpec::equal_min_max(1);
    spec.classes = 4;
    let data = vec![
        vec![Some(2.0)],
        vec![Some(4.0)],
        vec![None],
        vec![Some(6.0)],
    ];
    let index = composite_index(&data, &spec).unwrap();
    let json = serde_json::to_value(&index).unwrap();
    // (v - 2) / (6 - 2): 0, 0.5, missing, 1; the score is 100 x that.
    assert_eq!(
        json["normalised"],
        serde_json::json!([[0.0], [0.5], [null], [1.0]])
    );
    assert_eq!(json["scores"], serde_json::json!([0.0, 50.0, null, 100.0]));
    assert_eq!(json["ranks"], serde_json::json!([3, 2, null, 1]));
    assert_eq!(json["weights"], serde_json::json!([1.0]));
    let ids = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let matched = join(&ids(&["a", "b", "c"]), &ids(&["b", "a", "a", "x"]));
    let json = serde_json::to_value(&matched).unwrap();
    assert_eq!(json["zone_rows"], serde_json::json!([1, 0, null]));
    assert_eq!(json["zones_without_row"], 1);
    assert_eq!(json["rows_without_zone"], 1);
    assert_eq!(json["duplicate_ids"], serde_json::json!(["a"]));
}
