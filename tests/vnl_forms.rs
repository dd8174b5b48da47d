#![cfg(feature = "gdal")]
//! EOG VIIRS files as they are distributed: every release's name form,
//! gzipped GeoTIFFs, companions among the real files.

mod common;

use std::path::{Path, PathBuf};

use gdal::DriverManager;
use gdal::raster::Buffer;
use geo_types::{MultiPolygon, polygon};
use terralux::Crs;
use terralux::ntl::vnl::{Period, VnlName};
use terralux::ntl::{Collection, CountyNtlOptions, Product, ProductChoice, county_ntl};
use terralux::stats::StatValue;
use terralux::zones::{Attributes, Zone, ZoneId, ZoneSet};

use common::TempDir;

#[test]
fn every_release_name_form_is_recognised() {
    let forms = [
        // v2.1, a whole year.
        (
            "VNL_v21_npp_2014_global_vcmslcfg_c202205302300.median_masked.dat.tif.gz",
            "2014",
            "median_masked",
        ),
        // 2012 began in April, with another configuration.
        (
            "VNL_v21_npp_201204-201212_global_vcmcfg_c202205302300.average_masked.dat.tif.gz",
            "2012",
            "average_masked",
        ),
        // v2.2 for 2023/2024 puts the version after the configuration.
        (
            "VNL_npp_2023_global_vcmslcfg_v2_c202402081600.average_masked.dat.tif.gz",
            "2023",
            "average_masked",
        ),
        (
            "VNL_v2_npp_2020_global_vcmslcfg_c202102150000.average_masked.tif.gz",
            "2020",
            "average_masked",
        ),
        (
            "VNL_v22_npp_2022_global_vcmslcfg_c202402081200.cf_cvg.dat.tif",
            "2022",
            "cf_cvg",
        ),
        // Monthly tiles, plain and masked, and a global monthly file.
        (
            "SVDNB_npp_20140101-20140131_75N060E_vcmslcfg_v10_c201502061154.avg_rade9h.tif",
            "2014-01",
            "avg_rade9h",
        ),
        (
            "SVDNB_npp_20160201-20160229_00N060W_vcmcfg_v10_c201603152010.avg_rade9h.masked.tif",
            "2016-02",
            "avg_rade9h",
        ),
        (
            "SVDNB_npp_20220101-20220131_global_vcmslcfg_v10_c202202012200.avg_rade9h.masked.dat.tif.gz",
            "2022-01",
            "avg_rade9h",
        ),
    ];
    for (name, date, layer) in forms {
        let parsed = VnlName::parse(name).unwrap_or_else(|| panic!("{name} not recognised"));
        assert_eq!(
            (parsed.date().as_str(), parsed.layer.as_str()),
            (date, layer),
            "{name}"
        );
        assert!(matches!(
            Product::recognise(&format!("some/folder/{name}")),
            Ok(Some(Product::Vnl(_)))
        ));
    }
    let early = VnlName::parse(forms[1].0).unwrap();
    assert_eq!(
        (early.period, early.configuration.as_str()),
        (
            Period::PartOfYear {
                year: 2012,
                start: 4,
                end: 12
            },
            "vcmcfg"
        )
    );
    assert_eq!(
        VnlName::parse(forms[2].0).unwrap().version.as_deref(),
        Some("v2")
    );
    // Names that look like EOG's but cannot be read are errors naming the file.
    for bad in [
        "VNL_v21_npp_global_vcmslcfg_c202205302300.average_masked.dat.tif",
        "VNL_v21_npp_2014_global_c202205302300.average_masked.dat.tif",
        "VNL_v21_npp_2014_global_vcmslcfg_c202205302300",
        "SVDNB_npp_20140101-20140231_75N060E_vcmslcfg_v10_c1.avg_rade9h.tif",
        "SVDNB_npp_2014_75N060E_vcmslcfg_v10_c1.avg_rade9h.tif",
    ] {
        let err = Product::recognise(&format!("d/{bad}"))
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with(&format!("d/{bad}: looks like an EOG VNL name but has ")),
            "{err}"
        );
    }
}

/// A 2 x 2 WGS84 GeoTIFF of `values` over 106..106.02 E, 29.98..30 N.
fn write_tif(path: &Path, values: [f32; 4]) {
    let driver = DriverManager::get_driver_by_name("GTiff").unwrap();
    let mut ds = driver
        .create_with_band_type::<f32, _>(path, 2, 2, 1)
        .unwrap();
    ds.set_geo_transform(&[106.0, 0.01, 0.0, 30.0, 0.0, -0.01])
        .unwrap();
    ds.set_spatial_ref(&gdal::spatial_ref::SpatialRef::from_epsg(4326).unwrap())
        .unwrap();
    let mut band = ds.rasterband(1).unwrap();
    band.write((0, 0), (2, 2), &mut Buffer::new((2, 2), values.to_vec()))
        .unwrap();
}

fn gzip(path: &Path) -> PathBuf {
    let status = std::process::Command::new("gzip")
        .arg("-n")
        .arg(path)
        .status()
        .expect("gzip");
    assert!(status.success());
    PathBuf::from(format!("{}.gz", path.display()))
}

fn zones() -> ZoneSet {
    let zone = Zone {
        id: ZoneId::Int(1),
        attributes: Attributes::default(),
        geometry: MultiPolygon(vec![polygon![
            (x: 106.0, y: 29.98), (x: 106.02, y: 29.98), (x: 106.02, y: 30.0), (x: 106.0, y: 30.0)
        ]]),
    };
    ZoneSet::new(vec![zone], Some(Crs::wgs84()))
}

/// The annual layers of 2012-2024 in every name form, half of them gzipped,
/// each with its cf_cvg companion (gzipped with it) masking one cell.
fn mixed_folder(dir: &Path, gzipped: bool) {
    for year in 2012..=2024 {
        let stem = match year {
            2012 => "VNL_v21_npp_201204-201212_global_vcmcfg_c202205302300".to_string(),
            2013..=2019 => format!("VNL_v21_npp_{year}_global_vcmslcfg_c202205302300"),
            2020 => "VNL_v2_npp_2020_global_vcmslcfg_c202102150000".to_string(),
            2021 | 2022 => format!("VNL_v22_npp_{year}_global_vcmslcfg_c202402081200"),
            _ => format!("VNL_npp_{year}_global_vcmslcfg_v2_c202402081600"),
        };
        let suffix = if year == 2020 { "tif" } else { "dat.tif" };
        let v = (year - 2000) as f32;
        let layer = dir.join(format!("{stem}.average_masked.{suffix}"));
        let mask = dir.join(format!("{stem}.cf_cvg.{suffix}"));
        write_tif(&layer, [v, 2.0 * v, 100.0, 1.0]);
        write_tif(&mask, [3.0, 5.0, 0.0, 2.0]);
        if gzipped && year % 2 == 0 {
            gzip(&layer);
            gzip(&mask);
        }
    }
}

#[test]
fn a_folder_of_every_form_from_2012_to_2024_runs_and_gzip_changes_nothing() {
    let tmp = TempDir::new("vnl-forms");
    let (plain, mixed) = (tmp.join("plain"), tmp.join("mixed"));
    for (dir, gzipped) in [(&plain, false), (&mixed, true)] {
        std::fs::create_dir_all(dir).unwrap();
        mixed_folder(dir, gzipped);
    }
    let years: Vec<String> = (2012..=2024).map(|y| y.to_string()).collect();
    let mut results = Vec::new();
    for dir in [&plain, &mixed] {
        let collection = Collection::from_folder(dir, ProductChoice::Auto).unwrap();
        assert_eq!(collection.dates(), years, "{}", dir.display());
        assert!(
            collection.files.iter().all(|f| f.companion.is_some()),
            "every layer finds its cf_cvg companion, gzipped or not"
        );
        assert!(
            collection.warnings().is_empty(),
            "{:?}",
            collection.warnings()
        );
        let run = county_ntl(&collection, zones(), &CountyNtlOptions::default(), &|_| {}).unwrap();
        results.push(run.series);
    }
    // Gzipped files give the same numbers, to the bit.
    for (a, b) in results[0].tables.iter().zip(&results[1].tables) {
        assert_eq!(a.zones[0].values, b.zones[0].values);
    }
    // The cf_cvg mask removed the third cell (cf_cvg 0): tnl of 2014 is 14 + 28 + 1, not 143.
    let tnl_2014 = &results[1].tables[2].zones[0].values[0];
    let StatValue::Number(tnl) = tnl_2014 else {
        panic!("{tnl_2014:?}")
    };
    // Cells are whole (the zone is the raster), so tnl is the sum of the valid cells.
    assert!((tnl - 43.0).abs() < 1e-9, "{tnl}");
}

#[test]
fn monthly_masked_layers_find_their_cf_cvg_companion() {
    let tmp = TempDir::new("vnl-monthly-masked");
    let stem = "SVDNB_npp_20210101-20210131_75N060E_vcmslcfg_v10_c202102";
    write_tif(
        &tmp.join(&format!("{stem}.avg_rade9h.masked.tif")),
        [1.0, 2.0, 3.0, 4.0],
    );
    write_tif(
        &tmp.join(&format!("{stem}.cf_cvg.tif")),
        [1.0, 0.0, 1.0, 1.0],
    );
    let collection = Collection::from_folder(tmp.path(), ProductChoice::Vnl).unwrap();
    assert_eq!(collection.files.len(), 1);
    assert_eq!(
        collection.files[0].companion.as_deref(),
        Some(tmp.join(&format!("{stem}.cf_cvg.tif")).as_path())
    );
    let run = county_ntl(&collection, zones(), &CountyNtlOptions::default(), &|_| {}).unwrap();
    assert_eq!(
        run.series.tables[0].zones[0].values[0],
        StatValue::Number(8.0),
        "tnl without the unobserved cell"
    );
}

/// A 2 x 2 DMSP-like Byte GeoTIFF (255 = nodata, as the product declares).
fn write_dn(path: &Path, values: [u8; 4]) {
    let driver = DriverManager::get_driver_by_name("GTiff").unwrap();
    let mut ds = driver
        .create_with_band_type::<u8, _>(path, 2, 2, 1)
        .unwrap();
    ds.set_geo_transform(&[106.0, 0.01, 0.0, 30.0, 0.0, -0.01])
        .unwrap();
    ds.set_spatial_ref(&gdal::spatial_ref::SpatialRef::from_epsg(4326).unwrap())
        .unwrap();
    let mut band = ds.rasterband(1).unwrap();
    band.set_no_data_value(Some(255.0)).unwrap();
    band.write((0, 0), (2, 2), &mut Buffer::new((2, 2), values.to_vec()))
        .unwrap();
}

#[test]
fn dmsp_years_of_two_satellites_are_their_mean_after_calibration() {
    use terralux::ntl::dmsp::Calibration;
    let tmp = TempDir::new("dmsp-pairs");
    let f14 = [10u8, 20, 255, 30];
    let f15 = [20u8, 255, 255, 40];
    write_dn(&tmp.join("F142000.v4b_web.stable_lights.avg_vis.tif"), f14);
    write_dn(&tmp.join("F152000.v4b_web.stable_lights.avg_vis.tif"), f15);
    write_dn(&tmp.join("F162008.v4b_web.stable_lights.avg_vis.tif"), f15);
    let collection = Collection::from_folder(tmp.path(), ProductChoice::Dmsp).unwrap();
    assert_eq!(collection.dates(), ["2000", "2008"]);
    assert!(
        collection.warnings().is_empty(),
        "{:?}",
        collection.warnings()
    );
    let tnl = |calibration, notes: &std::sync::Mutex<Vec<String>>| {
        let options = CountyNtlOptions {
            calibration,
            ..CountyNtlOptions::default()
        };
        let run = county_ntl(&collection, zones(), &options, &|event| {
            if let terralux::ntl::RunEvent::Note(text) = event {
                notes.lock().unwrap().push(text.to_string());
            }
        })
        .unwrap();
        let value = |t: usize| run.series.tables[t].zones[0].values[0].as_f64().unwrap();
        (value(0), value(1))
    };
    let notes = std::sync::Mutex::new(Vec::new());
    // Raw DN: cell means 15, 20 (F14 alone), none, 35.
    assert_eq!(tnl(None, &notes), (15.0 + 20.0 + 35.0, 20.0 + 40.0));
    assert!(
        notes
            .lock()
            .unwrap()
            .iter()
            .any(|n| n.starts_with("2000: ") && n.contains("averaged")),
        "{:?}",
        notes.lock().unwrap()
    );
    // Elvidge 2014 (DOMAIN.md §1c): F142000 [1.0988, 1.3155, -0.0053], F152000 [0.1254, 1.0452, -0.0010].
    let cal = |c: [f64; 3], dn: f64| (c[0] + c[1] * dn + c[2] * dn * dn).clamp(0.0, 63.0);
    let (a, b) = ([1.0988, 1.3155, -0.0053], [0.1254, 1.0452, -0.0010]);
    let expected_2000 =
        (cal(a, 10.0) + cal(b, 20.0)) / 2.0 + cal(a, 20.0) + (cal(a, 30.0) + cal(b, 40.0)) / 2.0;
    let elvidge = std::sync::Mutex::new(Vec::new());
    let got = tnl(Some(Calibration::Elvidge2014), &elvidge);
    assert!(
        (got.0 - expected_2000).abs() < 1e-9,
        "{got:?} vs {expected_2000}"
    );
    // Li & Zhou list no F152000 (F15 from 2003 only): its DN are used as they are, and said.
    let li_zhou = std::sync::Mutex::new(Vec::new());
    let got = tnl(Some(Calibration::LiZhou2017), &li_zhou);
    let f14_li_zhou = [-0.0781, 1.4588, -0.0073];
    let expected_2000 = (cal(f14_li_zhou, 10.0) + 20.0) / 2.0
        + cal(f14_li_zhou, 20.0)
        + (cal(f14_li_zhou, 30.0) + 40.0) / 2.0;
    assert!(
        (got.0 - expected_2000).abs() < 1e-9,
        "{got:?} vs {expected_2000}"
    );
    assert!(
        li_zhou
            .lock()
            .unwrap()
            .iter()
            .any(|n| n.contains("lists no coefficients for F152000")),
        "{:?}",
        li_zhou.lock().unwrap()
    );
}
