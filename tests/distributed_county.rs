#![cfg(feature = "gdal")]
//! The county night-light workflow cut into work units (`CountyPlan`,
//! `county_unit`) gives the local `county_ntl` run bit for bit: VNL with
//! its `cf_cvg` masks, the masked share and a population on another grid,
//! a Black Marble mosaic of two tiles a day cut into one-chunk units, DMSP
//! calibrated; a run of some dates equals the local run of those dates; a
//! unit of another collection or options is refused.

mod common;

use geo_types::{MultiPolygon, polygon};
use terralux::Crs;
use terralux::engine::partials::{UnitPartials, WorkPlan};
use terralux::ntl::blackmarble::MaskPolicy;
use terralux::ntl::{
    Collection, CountyNtlOptions, CountyNtlRun, CountyPass, CountyPlan, ProductChoice, county_ntl,
    county_unit,
};
use terralux::zones::{Attributes, Zone, ZoneId, ZoneOptions, ZoneSet};

fn counties() -> ZoneSet {
    let options = ZoneOptions {
        id_field: Some("code".into()),
        ..Default::default()
    };
    ZoneSet::read(common::testdata("counties.gpkg"), &options).unwrap()
}

fn folder(name: &str) -> Collection {
    Collection::from_folder(&common::testdata(name), ProductChoice::Auto).unwrap()
}

/// The run as a cluster makes it: each pass's plan through its bytes, its
/// units of `chunks_per_unit` run from those bytes in reverse order, their
/// partials through bytes too, then the finish of `dates` (all if `None`).
fn distributed(
    collection: &Collection,
    zones: ZoneSet,
    options: &CountyNtlOptions,
    chunks_per_unit: usize,
    dates: Option<&[usize]>,
) -> (CountyNtlRun, usize) {
    let plan = CountyPlan::new(collection, zones, options, &|_| {}).unwrap();
    let mut partials = Vec::new();
    let mut units = 0;
    for pass in plan.passes() {
        let on_driver = plan.pass(pass).unwrap();
        let worker_plan = WorkPlan::from_bytes(&on_driver.to_bytes()).unwrap();
        for unit in worker_plan.units(chunks_per_unit).iter().rev() {
            if dates.is_some_and(|d| !d.contains(&unit.date)) {
                continue;
            }
            let bytes = county_unit(&worker_plan, collection, options, unit)
                .unwrap()
                .to_bytes();
            partials.push((pass, UnitPartials::from_bytes(on_driver, &bytes).unwrap()));
            units += 1;
        }
    }
    let all: Vec<usize> = (0..plan.dates().len()).collect();
    let run = plan
        .finish(partials, dates.unwrap_or(&all), &|_| {})
        .unwrap();
    (run, units)
}

/// Everything a run hands over, the values by their bits.
fn assert_same_run(got: &CountyNtlRun, want: &CountyNtlRun) {
    assert_eq!(got.series.dates, want.series.dates);
    assert_eq!(got.series.tables.len(), want.series.tables.len());
    for (g, w) in got.series.tables.iter().zip(&want.series.tables) {
        assert_eq!(g.columns, w.columns);
        assert_eq!(g.layers, w.layers);
        assert_eq!(g.zones.len(), w.zones.len());
        for (gz, wz) in g.zones.iter().zip(&w.zones) {
            assert_eq!(gz.id, wz.id);
            let bits = |z: &terralux::results::ZoneStats| -> Vec<Option<u64>> {
                z.values
                    .iter()
                    .map(|v| v.as_f64().map(f64::to_bits))
                    .collect()
            };
            assert_eq!(bits(gz), bits(wz), "zone {:?}", gz.id);
        }
    }
    assert_eq!(got.indicators, want.indicators);
    assert_eq!(got.notes, want.notes);
    assert_eq!(got.inputs, want.inputs);
    assert_eq!(got.zone_transformations, want.zone_transformations);
    assert_eq!(got.zones_crs_as_read, want.zones_crs_as_read);
    assert_eq!(got.zones.len(), want.zones.len());
}

#[test]
fn vnl_with_masks_masked_share_and_population_has_the_local_bits() {
    let collection = folder("products/vnl");
    let options = CountyNtlOptions {
        masked_frac: true,
        population: Some(common::testdata("products/population_30s.tif")),
        ..Default::default()
    };
    let want = county_ntl(&collection, counties(), &options, &|_| {}).unwrap();
    let (got, _) = distributed(&collection, counties(), &options, 1, None);
    assert_same_run(&got, &want);
    let columns: Vec<&str> = got.series.tables[0]
        .columns
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    assert!(columns.contains(&"per_capita") && columns.last() == Some(&"masked_frac"));
    // ALI divided by the run's largest value: some zone reaches 1 on some date.
    assert!(
        got.notes
            .iter()
            .any(|n| n.contains("the largest value of any zone"))
    );
}

/// Cells `rows` x `cols` of tile h28v06 (west 100 E, north 30 N, 1/240
/// degree) as a zone; columns from 2400 are in h29v06.
fn cells(id: i64, rows: (f64, f64), cols: (f64, f64)) -> Zone {
    let x = |c: f64| 100.0 + c / 240.0;
    let y = |r: f64| 30.0 - r / 240.0;
    let (x0, x1, y0, y1) = (x(cols.0), x(cols.1), y(rows.1), y(rows.0));
    Zone {
        id: ZoneId::Int(id),
        attributes: Attributes::default(),
        geometry: MultiPolygon(vec![
            polygon![(x: x0, y: y0), (x: x1, y: y0), (x: x1, y: y1), (x: x0, y: y1)],
        ]),
    }
}

#[test]
fn black_marble_mosaic_in_one_chunk_units_has_the_local_bits() {
    let collection = folder("blackmarble/c2");
    let zones = || {
        ZoneSet::new(
            vec![
                cells(1, (70.0, 76.0), (1480.0, 1490.0)),
                cells(2, (80.0, 89.0), (1500.0, 1510.0)),
                // Across the two tiles of each day, and down many chunks.
                cells(3, (60.0, 2300.0), (2390.0, 2410.0)),
                cells(4, (0.0, 5.0), (0.0, 5.0)),
            ],
            Some(Crs::wgs84()),
        )
    };
    // The strict masks: quality, cloud and snow layers read on the workers.
    {
        let options = CountyNtlOptions {
            bm_masks: MaskPolicy::Strict,
            masked_frac: true,
            ..Default::default()
        };
        let want = county_ntl(&collection, zones(), &options, &|_| {}).unwrap();
        let (got, units) = distributed(&collection, zones(), &options, 1, None);
        assert_same_run(&got, &want);
        // Two days, two passes, several chunks each.
        assert!(units > 2 * 2 * 2, "{units} units");
        let (grouped, _) = distributed(&collection, zones(), &options, 3, None);
        assert_same_run(&grouped, &want);
    }
}

#[test]
fn dmsp_calibrated_has_the_local_bits() {
    let collection = folder("products/dmsp");
    let options = CountyNtlOptions::default();
    let want = county_ntl(&collection, counties(), &options, &|_| {}).unwrap();
    let (got, _) = distributed(&collection, counties(), &options, 1, None);
    assert_same_run(&got, &want);
    assert!(got.notes.iter().any(|n| n.contains("saturated at DN 63")));
}

#[test]
fn a_run_of_some_dates_is_the_local_run_of_those_dates() {
    let collection = folder("products/vnl");
    let options = CountyNtlOptions {
        masked_frac: true,
        ..Default::default()
    };
    let (got, _) = distributed(&collection, counties(), &options, 1, Some(&[0, 2]));
    let kept = Collection {
        files: collection
            .files
            .iter()
            .filter(|f| f.date != "2022")
            .cloned()
            .collect(),
        ..collection.clone()
    };
    let want = county_ntl(&kept, counties(), &options, &|_| {}).unwrap();
    assert_eq!(got.series.dates, ["2021", "2023"]);
    // The notes name the files of the run, which differ; the tables do not.
    let mut got = got;
    got.notes.clone_from(&want.notes);
    got.inputs.clone_from(&want.inputs);
    assert_same_run(&got, &want);
}

#[test]
fn a_unit_of_other_options_or_dates_is_refused() {
    let collection = folder("products/vnl");
    let options = CountyNtlOptions {
        masked_frac: true,
        ..Default::default()
    };
    let plan = CountyPlan::new(&collection, counties(), &options, &|_| {}).unwrap();
    let masked = plan.pass(CountyPass::MaskedShare).unwrap();
    let unit = masked.units(1).remove(0);
    // A worker without masked_frac does not make the rasters of that pass.
    let e = county_unit(masked, &collection, &CountyNtlOptions::default(), &unit)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("cells removed by masks") && e.contains("the plan was made from others"),
        "{e}"
    );
    // A collection of fewer dates.
    let fewer = Collection {
        files: collection.files[..1].to_vec(),
        ..collection.clone()
    };
    let last = masked.units(1).pop().unwrap();
    let e = county_unit(masked, &fewer, &options, &last)
        .unwrap_err()
        .to_string();
    assert!(e.contains("the collection has 1 date(s)"), "{e}");
    // Partials of one pass are not the other's.
    let indicators = plan.pass(CountyPass::Indicators).unwrap();
    let bytes = county_unit(masked, &collection, &options, &unit)
        .unwrap()
        .to_bytes();
    assert!(UnitPartials::from_bytes(indicators, &bytes).is_err());
    // Missing units are refused at the finish.
    let e = plan
        .finish(Vec::new(), &[0], &|_| {})
        .unwrap_err()
        .to_string();
    assert!(!e.is_empty());
}
