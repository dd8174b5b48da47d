//! The `poverty_index` workflow as library calls (issue "Library-first"):
//! what was logic of the binary (joining a table to zones, the date
//! filter, the validation figures, the provenance's setting names, the
//! whole run), checked against truth worked out by hand.

mod common;

use terralux::index::poverty::{
    IndexSettings, Indicators, PoorListFigures, PovertyError, PovertyProvenance, Validation,
    WeightsSetting,
};
use terralux::index::{
    Aggregation, DateError, IndexSpec, Missing, Normalisation, Weights, join, join_table,
    rows_of_date,
};
use terralux::table::Table;

#[test]
fn join_counts_zones_without_rows_rows_without_zones_and_repeated_ids() {
    // Zones A, B, B (one county in two parts), C, D; rows for D, A, X, A, Y, B.
    let zones = ["A", "B", "B", "C", "D"];
    let rows = ["D", "A", "X", "A", "Y", "B"];
    let joined = join(&zones, &rows);
    assert_eq!(joined.zone_rows, [Some(1), Some(5), Some(5), None, Some(0)]);
    assert_eq!(joined.zones_without_row, 1, "C");
    assert_eq!(joined.matched_zones(), 4);
    assert_eq!(joined.rows_without_zone, 2, "X and Y");
    assert_eq!(joined.duplicate_ids, ["A"]);
    // Values follow their row; the zone without one is missing.
    let values = [Some(4.0), Some(1.0), Some(9.0), Some(8.0), None, Some(2.0)];
    assert_eq!(
        joined.column(&values),
        [Some(1.0), Some(2.0), Some(2.0), None, Some(4.0)]
    );
    // Nothing in common.
    let none = join(&["1", "2"], &["3"]);
    assert_eq!((none.zones_without_row, none.rows_without_zone), (2, 1));
    assert!(none.duplicate_ids.is_empty());
}

#[test]
fn a_table_with_an_id_given_twice_is_refused_naming_it() {
    let table = Table::parse("code,x\n1,5\n2,6\n2,7\n1,8\n", "t.csv").unwrap();
    let err = join_table(&table, "code", &["1", "2"]).unwrap_err();
    // The first id seen again is 2 (row 3), before 1 (row 4).
    assert_eq!(
        err.to_string(),
        "t.csv: id '2' appears twice in column 'code'"
    );
    let ok = Table::parse("code,x\n1,5\n2,6\n", "t.csv").unwrap();
    assert_eq!(
        join_table(&ok, "code", &["2", "3"]).unwrap().zone_rows,
        [Some(1), None]
    );
}

#[test]
fn the_date_filter_keeps_one_date_and_refuses_ambiguity() {
    let table = Table::parse(
        "code,date,x\n1,2021,10\n2,2021,20\n1,2022,11\n2,2022,21\n",
        "dated.csv",
    )
    .unwrap();
    let of_2022 = rows_of_date(table.clone(), Some("2022")).unwrap();
    assert_eq!(of_2022.column("x").unwrap(), ["11", "21"]);
    assert_eq!(
        rows_of_date(table.clone(), Some("1999"))
            .unwrap()
            .rows()
            .len(),
        0
    );
    let err = rows_of_date(table, None).unwrap_err();
    assert_eq!(
        err,
        DateError::SeveralDates {
            source: "dated.csv".into(),
            dates: vec!["2021".into(), "2022".into()],
        }
    );
    // A usage error for the binary (exit 2).
    assert!(matches!(PovertyError::from(err), PovertyError::Usage(_)));

    let one_date = Table::parse("code,date,x\n1,2021,10\n", "one.csv").unwrap();
    assert_eq!(rows_of_date(one_date, None).unwrap().rows().len(), 1);
    let undated = Table::parse("code,x\n1,10\n", "undated.csv").unwrap();
    assert_eq!(rows_of_date(undated.clone(), None).unwrap(), undated);
    let err = rows_of_date(undated, Some("2021")).unwrap_err();
    assert_eq!(
        err.to_string(),
        "undated.csv: --date given but the table has no 'date' column"
    );
    assert!(matches!(PovertyError::from(err), PovertyError::Data(_)));
}

#[test]
fn roc_auc_of_a_poor_list_by_hand() {
    let ids: Vec<String> = ["a", "b", "c", "d", "e"].map(String::from).to_vec();
    // Lower score = poorer. Listed: a (10) and d (30), and z, which is no zone;
    // e has no score and is left out. Unlisted: b (40), c (20).
    // Pairs (listed poorer than unlisted?): a<b yes, a<c yes, d<b yes, d<c no: 3/4.
    let scores = [Some(10.0), Some(40.0), Some(20.0), Some(30.0), None];
    let figures = PoorListFigures::new("poor.txt", " a\n\nd\nz\na\n", &ids, &scores);
    assert_eq!(figures.listed, 3, "a, d, z (a twice counts once)");
    assert_eq!(figures.not_in_zones, 1);
    assert_eq!(figures.roc_auc, Some(0.75));
    // A tie counts half: d scores 20 like c, so d<c is half a pair: 3.5/4.
    let tied = [Some(10.0), Some(40.0), Some(20.0), Some(20.0), None];
    let figures = PoorListFigures::new("poor.txt", "a\nd\n", &ids, &tied);
    assert_eq!(figures.roc_auc, Some(0.875));
    // Nobody listed: no AUC.
    assert_eq!(
        PoorListFigures::new("poor.txt", "", &ids, &scores).roc_auc,
        None
    );
}

#[test]
fn validation_figures_are_named_and_recorded_in_order() {
    let scores = [Some(1.0), Some(2.0), Some(3.0), Some(4.0)];
    // The reference is the score doubled: r = rho = R^2 = 1.
    let reference = [Some(2.0), Some(4.0), Some(6.0), Some(8.0)];
    let ids: Vec<String> = ["a", "b", "c", "d"].map(String::from).to_vec();
    let validation = Validation {
        reference: Some(terralux::index::poverty::ReferenceFigures::new(
            "official", &scores, &reference,
        )),
        poor: Some(PoorListFigures::new("poor.txt", "a\n", &ids, &scores)),
    };
    let names: Vec<&str> = validation.figures().iter().map(|f| f.0).collect();
    assert_eq!(names, ["pearson", "spearman", "ols_r2", "roc_auc"]);
    for (_, value) in validation.figures() {
        assert!((value - 1.0).abs() < 1e-12, "{value}");
    }
    let json = validation.to_json().to_string_pretty();
    let keys: Vec<&str> = json
        .lines()
        .filter_map(|l| l.trim().strip_prefix('"')?.split('"').next())
        .collect();
    assert_eq!(
        keys,
        [
            "reference",
            "pearson",
            "spearman",
            "ols_r2",
            "poor_list",
            "poor_listed",
            "poor_not_in_zones",
            "roc_auc"
        ]
    );
    assert_eq!(Validation::default().to_json().to_string_pretty(), "{}");
}

#[test]
fn provenance_writes_settings_by_stable_names() {
    for (normalisation, name) in [
        (Normalisation::MinMax, "minmax"),
        (Normalisation::Goalposts(vec![(0.0, 1.0)]), "goalposts"),
        (Normalisation::ZScore, "zscore"),
        (Normalisation::Rank, "rank"),
    ] {
        assert_eq!(normalisation.name(), name);
    }
    for (weights, name) in [
        (Weights::Equal, "equal"),
        (Weights::Given(vec![1.0]), "given"),
        (Weights::Entropy, "entropy"),
        (Weights::FirstPrincipalComponent, "pca"),
    ] {
        assert_eq!(weights.name(), name);
    }
    assert_eq!(Aggregation::Arithmetic.name(), "arithmetic");
    assert_eq!(Aggregation::Geometric.name(), "geometric");
    assert_eq!(Missing::Propagate.name(), "propagate");
    assert_eq!(Missing::Reweight.name(), "reweight");

    let spec = IndexSpec {
        normalisation: Normalisation::Rank,
        weights: Weights::FirstPrincipalComponent,
        aggregation: Aggregation::Geometric,
        missing: Missing::Reweight,
        ..IndexSpec::equal_min_max(2)
    };
    let record = PovertyProvenance::new("poverty_index", &spec, std::time::SystemTime::UNIX_EPOCH);
    let text = record.to_text();
    for line in [
        "\"normalisation\": \"rank\",",
        "\"weights_method\": \"pca\",",
        "\"aggregation\": \"geometric\",",
        "\"missing\": \"reweight\",",
    ] {
        assert!(text.contains(line), "{line} in {text}");
    }
    // Every field of the record, in the order the binary has always written.
    let keys: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("  \"") && !l.starts_with("   "))
        .filter_map(|l| l.trim().strip_prefix('"')?.split('"').next())
        .collect();
    assert_eq!(
        keys,
        [
            "library",
            "version",
            "program",
            "command_line",
            "inputs",
            "outputs",
            "date",
            "indicators",
            "higher_is_worse",
            "normalisation",
            "weights_method",
            "weights",
            "aggregation",
            "missing",
            "classes",
            "zones",
            "zones_scored",
            "zones_without_table_row",
            "table_rows_without_zone",
            "roll_ups",
            "notes",
            "validation",
            "started",
            "finished"
        ]
    );
}

#[test]
fn settings_name_indicators_or_are_refused() {
    let names: Vec<String> = ["lights", "water"].map(String::from).to_vec();
    let settings = IndexSettings {
        worse: vec!["rain".into()],
        ..IndexSettings::default()
    };
    let err = settings.spec(&names).unwrap_err().to_string();
    assert_eq!(err, "--worse names 'rain', which is not an indicator");
    let settings = IndexSettings {
        weights: WeightsSetting::parse("lights=1").unwrap(),
        ..IndexSettings::default()
    };
    let err = settings.spec(&names).unwrap_err().to_string();
    assert_eq!(err, "--weights gives nothing for indicator 'water'");
}

#[test]
fn screening_says_what_it_made_missing() {
    let mut gathered = Indicators {
        names: vec!["lights".into(), "water".into()],
        columns: vec![
            vec![Some(f64::INFINITY), Some(1.0), Some(f64::NAN)],
            vec![None, None, None],
        ],
        reference: None,
        zones_without_row: 0,
        rows_without_zone: 0,
        levels: vec![],
        repaired: vec![],
    };
    let notes = gathered.screen(Missing::Propagate);
    assert_eq!(gathered.columns[0], [None, Some(1.0), None]);
    assert_eq!(
        notes,
        [
            "indicator 'lights': 2 county value(s) are not finite (inf or nan) and count as missing",
            "indicator 'water' has no value for any county: every score is missing (--missing reweight leaves it out)",
        ]
    );
}

#[cfg(feature = "gdal")]
#[test]
fn the_whole_run_writes_the_index_of_the_joined_table() {
    use terralux::index::composite_index;
    use terralux::table::TableOptions;
    use terralux::workflow::poverty::{
        IndicatorSource, PovertyEvent, PovertyIndexRequest, run_poverty_index,
    };
    use terralux::zones::ZoneOptions;

    let tmp = common::TempDir::new("poverty-workflow");
    let zones = common::test_counties();
    let ids: Vec<String> = zones.iter().map(|z| z.id.to_string()).collect();
    // Lights 1, 2, 3... for the first five counties only (by id), one row for
    // no county, and a second date that is filtered away.
    let mut csv = String::from("code,date,lights,water\n");
    for (i, id) in ids.iter().take(5).enumerate() {
        csv.push_str(&format!("{id},2023,{},{}\n", i + 1, 10 - i));
        csv.push_str(&format!("{id},2022,0,0\n"));
    }
    csv.push_str("999999,2023,7,7\n");
    let table = tmp.join("table.csv");
    std::fs::write(&table, csv).unwrap();
    let output = tmp.join("index.csv");
    let request = PovertyIndexRequest {
        program: "test".into(),
        command_line: vec!["test".into()],
        source: IndicatorSource::Table {
            path: table.to_str().unwrap().into(),
            id_column: None,
            date: Some("2023".into()),
            options: TableOptions::default(),
            reference: None,
        },
        zones: common::testdata("counties.gpkg").to_str().unwrap().into(),
        zone_options: ZoneOptions {
            id_field: Some("code".into()),
            ..ZoneOptions::default()
        },
        indicators: None,
        settings: IndexSettings {
            worse: vec!["water".into()],
            ..IndexSettings::default()
        },
        poor: None,
        group_field: None,
        label_field: None,
        output: output.clone(),
    };
    let mut events = Vec::new();
    let run = run_poverty_index(&request, &mut |e| {
        if let PovertyEvent::Warning(w) = e {
            events.push(w.to_string())
        }
    })
    .unwrap();
    assert!(events.is_empty(), "{events:?}");
    assert_eq!(run.indicators.names, ["lights", "water"]);
    assert_eq!(run.indicators.zones_without_row, ids.len() - 5);
    assert_eq!(run.indicators.rows_without_zone, 1);
    // By hand: lights 1..5 and water 10..6 (higher is worse) both rise
    // with the county: min-max 0, 1/4, ... 1 each, so scores 0, 25 ... 100.
    for (z, score) in run.index.scores.iter().enumerate() {
        let expected = (z < 5).then_some(25.0 * z as f64);
        match (score, expected) {
            (Some(s), Some(e)) => assert!((s - e).abs() < 1e-9, "zone {z}: {s}"),
            (None, None) => {}
            other => panic!("zone {z}: {other:?}"),
        }
    }
    let direct = composite_index(
        &run.indicators.rows(),
        &request.settings.spec(&run.indicators.names).unwrap(),
    )
    .unwrap();
    assert_eq!(direct, run.index);
    let written = std::fs::read_to_string(&output).unwrap();
    assert!(
        written.starts_with("code,score,rank,class,composite,lights_norm,water_norm\n"),
        "{written}"
    );
    assert_eq!(
        common::files_in(tmp.path()),
        [
            "index.csv",
            "index.csv.provenance.json",
            "index.html",
            "index.png",
            "index.svg",
            "table.csv"
        ]
    );
    let provenance = std::fs::read_to_string(tmp.join("index.csv.provenance.json")).unwrap();
    assert_eq!(provenance, run.provenance.to_text());
    assert!(
        provenance.contains("\"normalisation\": \"minmax\""),
        "{provenance}"
    );
    assert!(
        provenance.contains("\"table_rows_without_zone\": 1"),
        "{provenance}"
    );
}
