//! Night-light products: names, Black Marble tile grids, DMSP calibration tables.

mod common;
use terralux::ntl::Product;
use terralux::ntl::blackmarble::{BlackMarbleName, check_bounds, tile_grid};
use terralux::ntl::dmsp::{Calibration, SatYear, calibrate};

#[test]
fn black_marble_tiles_over_china_have_whole_degree_edges() {
    // The 24 tiles that cover China (DOMAIN.md §1b).
    let tiles = [
        (25, 4),
        (25, 5),
        (26, 4),
        (26, 5),
        (26, 6),
        (27, 4),
        (27, 5),
        (27, 6),
        (28, 4),
        (28, 5),
        (28, 6),
        (28, 7),
        (28, 8),
        (29, 3),
        (29, 4),
        (29, 5),
        (29, 6),
        (29, 7),
        (29, 8),
        (30, 3),
        (30, 4),
        (30, 5),
        (30, 6),
        (31, 4),
    ];
    assert_eq!(tiles.len(), 24);
    for (h, v) in tiles {
        let grid = tile_grid(h, v).unwrap();
        let b = grid.bounds();
        assert_eq!(
            (b.min().x, b.max().y),
            (-180.0 + 10.0 * h as f64, 90.0 - 10.0 * v as f64)
        );
        assert_eq!((b.max().x - b.min().x, b.max().y - b.min().y), (10.0, 10.0));
        assert!(check_bounds(&grid, b.min().x, b.max().x, b.min().y, b.max().y, "tile").is_ok());
    }
    // A file whose bounding coordinates disagree is caught, naming it.
    let grid = tile_grid(29, 5).unwrap();
    let err = check_bounds(
        &grid,
        110.0,
        120.0,
        31.0,
        40.0,
        "VNP46A2.A2020100.h29v05.002.h5",
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("VNP46A2.A2020100.h29v05.002.h5: the tile's grid"),
        "{err}"
    );
    assert!(tile_grid(36, 0).is_err());
}

#[test]
fn black_marble_names_and_layer_paths_for_both_collections() {
    let c1 = BlackMarbleName::parse("data/VNP46A2.A2016366.h29v05.001.2019.h5").unwrap();
    assert_eq!(c1.date(), "2016-12-31");
    assert_eq!(
        c1.data_fields_group(),
        "HDFEOS/GRIDS/VNP_Grid_DNB/Data Fields"
    );
    let c2 = BlackMarbleName::parse("VNP46A2.A2015060.h29v05.002.2021.h5").unwrap();
    assert_eq!(c2.date(), "2015-03-01");
    // Day 366 of a year of 365 days is no date (it once became 2015-13-01).
    assert_eq!(
        BlackMarbleName::parse("VNP46A2.A2015366.h29v05.002.2021.h5"),
        None
    );
    assert_eq!(
        BlackMarbleName::parse("VNP46A2.A2015000.h29v05.002.2021.h5"),
        None
    );
    assert_eq!(
        BlackMarbleName::parse("VNP46A2.A2015365.h29v05.002.2021.h5").map(|n| n.date()),
        Some("2015-12-31".to_string())
    );
    assert_eq!(
        c2.data_fields_group(),
        "HDFEOS/GRIDS/VIIRS_Grid_DNB_2d/Data Fields"
    );
    let monthly = BlackMarbleName::parse("VJ146A3.A2021032.h30v05.001.2022.h5").unwrap();
    assert!(monthly.is_composite());
    assert_eq!(
        monthly.data_fields_group(),
        "HDFEOS/GRIDS/VIIRS_Grid_DNB_2d/Data Fields"
    );
    assert!(BlackMarbleName::parse("VNP46A2.A2015367.h29v05.001.x.h5").is_none());
    assert!(BlackMarbleName::parse("MOD13A2.A2015001.h29v05.006.x.hdf").is_none());
}

#[test]
fn products_are_recognised_from_names() {
    let cases = [
        (
            "VNL_v21_npp_2014_global_vcmslcfg_c202205302300.median_masked.dat.tif.gz",
            "2014",
        ),
        (
            "SVDNB_npp_20140101-20140131_75N060E_vcmslcfg_v10_c201502061154.avg_rade9h.tif",
            "2014-01",
        ),
        ("VNP46A2.A2015001.h08v05.001.2017012234657.h5", "2015-01-01"),
        ("F182010.v4d_web.stable_lights.avg_vis.tif", "2010"),
    ];
    for (name, date) in cases {
        let product = Product::from_name(name).unwrap_or_else(|| panic!("{name} not recognised"));
        assert_eq!(product.date(), date, "{name}");
    }
    assert!(Product::from_name("counties.gpkg").is_none());
}

/// The DMSP calibration tables as published (DOMAIN.md §1c), from their copy in
/// `testdata/dmsp_calibration.csv`: every row, every run.
#[test]
fn dmsp_tables_reproduce_the_published_coefficients() {
    let table = terralux::table::Table::read(&common::testdata("dmsp_calibration.csv")).unwrap();
    let (mut elvidge, mut li_zhou) = (0, 0);
    for row in table.rows() {
        let sy = SatYear::from_name(&row[1]).unwrap_or_else(|| panic!("{}", row[1]));
        let c: Vec<f64> = row[2..5].iter().map(|v| v.parse().unwrap()).collect();
        let method = match row[0].as_str() {
            "elvidge2014" => {
                elvidge += 1;
                Calibration::Elvidge2014
            }
            "lizhou2017" => {
                li_zhou += 1;
                Calibration::LiZhou2017
            }
            other => panic!("unknown method {other}"),
        };
        assert_eq!(
            method.coefficients(sy),
            Some([c[0], c[1], c[2]]),
            "{} {sy}",
            row[0]
        );
    }
    assert_eq!(
        (elvidge, li_zhou),
        (33, 19),
        "every satellite-year of both tables"
    );
    let f = |satellite, year| SatYear { satellite, year };
    assert_eq!(
        Calibration::Elvidge2014.coefficients(f(12, 1999)),
        Some([0.0, 1.0, 0.0]),
        "the reference year"
    );
    assert_eq!(
        Calibration::Elvidge2014.coefficients(f(10, 1992)),
        Some([-2.0570, 1.5903, -0.0090])
    );
    assert_eq!(Calibration::Elvidge2014.coefficients(f(18, 2013)), None);
    assert_eq!(
        Calibration::LiZhou2017.coefficients(f(14, 2001)),
        Some([-0.0781, 1.4588, -0.0073])
    );
    assert_eq!(
        Calibration::LiZhou2017.coefficients(f(15, 2005)),
        Some([-0.4597, 1.714, -0.0114])
    );
    assert_eq!(Calibration::LiZhou2017.coefficients(f(15, 2008)), None);
    assert_eq!(
        Calibration::LiZhou2017.coefficients(f(16, 2007)),
        Some([0.0, 1.0, 0.0])
    );
    // Every entry of the Li & Zhou 2017 list in DOMAIN.md §1c, and some that are not in it.
    let li_zhou = [
        ((14, 1997), Some([-0.0781, 1.4588, -0.0073])),
        ((14, 2003), Some([-0.0781, 1.4588, -0.0073])),
        ((15, 2003), Some([-0.4597, 1.714, -0.0114])),
        ((15, 2007), Some([-0.4597, 1.714, -0.0114])),
        ((16, 2004), Some([0.1194, 1.2265, -0.0041])),
        ((16, 2005), Some([-0.3209, 1.4619, -0.0072])),
        ((16, 2006), Some([0.0877, 1.1616, -0.0021])),
        ((16, 2007), Some([0.0, 1.0, 0.0])),
        ((16, 2008), Some([0.1100, 1.0513, -0.001])),
        ((16, 2009), Some([0.6294, 1.1188, -0.0024])),
        ((18, 2010), Some([-0.0861, 0.821, 0.002])),
        ((15, 2002), None),
        ((18, 2011), None),
        ((12, 1999), None),
    ];
    for ((satellite, year), expected) in li_zhou {
        assert_eq!(
            Calibration::LiZhou2017.coefficients(f(satellite, year)),
            expected,
            "F{satellite}{year}"
        );
    }
    // Calibration: 0 stays 0, nodata stays invalid, results clip to 0..63.
    let c = Calibration::Elvidge2014.coefficients(f(10, 1992)).unwrap();
    assert_eq!(calibrate(0.0, c), 0.0);
    assert_eq!(
        calibrate(1.0, c),
        0.0,
        "-2.057 + 1.5903 - 0.009 < 0 clips to 0"
    );
    assert!((calibrate(30.0, c) - (-2.0570 + 1.5903 * 30.0 - 0.0090 * 900.0)).abs() < 1e-12);
    assert!(calibrate(255.0, c).is_nan() && calibrate(f64::NAN, c).is_nan());
}

#[test]
fn trends_match_hand_computations() {
    use terralux::ntl::trend::{decimal_year, trend};
    // Increasing with one outlier: Sen's slope ignores it, OLS does not.
    let t = [2012.0, 2013.0, 2014.0, 2015.0, 2016.0];
    let y = [1.0, 2.0, 30.0, 4.0, 5.0];
    let r = trend(&t, &y);
    // Pairwise slopes: 1, 14.5, 1, 1, 28, 1, 1, -26, -12.5, 1 -> sorted median of 10 = (1 + 1) / 2.
    assert_eq!(r.sen_slope, Some(1.0));
    // OLS: t - mean = -2..2, Σ(t - m) y = -2 - 2 + 0 + 4 + 10 = 10, Σ(t - m)^2 = 10.
    assert!((r.ols_slope.unwrap() - 1.0).abs() < 1e-12);
    // S = 4 + 3 + (-2) + 1 = 6 (pairs after 30 fall): 1<2,1<30,1<4,1<5 (4); 2<30,2<4,2<5 (3); 30>4,30>5 (-2); 4<5 (1).
    assert_eq!(r.mann_kendall_s, 6);
    let var = 5.0 * 4.0 * 15.0 / 18.0;
    assert!((r.mann_kendall_z.unwrap() - 5.0 / f64::sqrt(var)).abs() < 1e-12);
    // Ties reduce the variance: values {1, 1, 2, 2} at four times.
    let tied = trend(&[1.0, 2.0, 3.0, 4.0], &[1.0, 1.0, 2.0, 2.0]);
    assert_eq!(tied.mann_kendall_s, 4);
    let var = (4.0 * 3.0 * 13.0 - 2.0 * (2.0 * 1.0 * 9.0)) / 18.0;
    assert!((tied.mann_kendall_z.unwrap() - 3.0 / f64::sqrt(var)).abs() < 1e-12);
    // Missing dates are left out; a constant series has no trend; decreasing is negative.
    let gaps = trend(&[2010.0, 2011.0, 2012.0], &[f64::NAN, 2.0, 4.0]);
    assert_eq!(
        (gaps.n, gaps.sen_slope, gaps.annual_growth),
        (2, Some(2.0), Some(1.0))
    );
    let flat = trend(&[1.0, 2.0, 3.0], &[5.0, 5.0, 5.0]);
    assert_eq!(
        (flat.mann_kendall_s, flat.ols_slope, flat.sen_slope),
        (0, Some(0.0), Some(0.0))
    );
    assert_eq!(flat.mann_kendall_z, None, "all values tied: no variance");
    let down = trend(
        &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
        &[6.0, 5.0, 4.0, 3.0, 2.0, 1.0],
    );
    assert!(down.mann_kendall_z.unwrap() < 0.0 && down.p_value.unwrap() < 0.01);
    let single = trend(&[2020.0], &[3.0]);
    assert_eq!(
        (single.ols_slope, single.sen_slope, single.p_value),
        (None, None, None)
    );
    // Monthly labels become decimal years at the start of the month (days
    // 0, 31 and 59 of 2014), so slopes are per year of elapsed time: by hand,
    // day deviations -30, 1, 29 against -1, 0, 1 give 59 / 1742 a day.
    let months: Vec<f64> = ["2014-01", "2014-02", "2014-03"]
        .iter()
        .map(|d| decimal_year(d).unwrap())
        .collect();
    let per_year = trend(&months, &[1.0, 2.0, 3.0]);
    assert!((per_year.ols_slope.unwrap() - 59.0 / 1742.0 * 365.0).abs() < 1e-9);
    // A month label and its first day are the same time; days that do not exist are no time.
    assert_eq!(decimal_year("2014-07"), decimal_year("2014-07-01"));
    for bad in [
        "2014-02-31",
        "2015-02-29",
        "2014-13",
        "2014-00-10",
        "2014-7-1x",
        "-2014",
    ] {
        assert_eq!(decimal_year(bad), None, "{bad}");
    }
    assert_eq!(decimal_year("2016-02-29"), Some(2016.0 + 59.0 / 366.0));
}

#[test]
fn masks_only_ever_invalidate_and_negatives_follow_the_policy() {
    use ndarray::array;
    use terralux::ntl::mask::{Keep, MaskLayer, Masked, Negatives};
    use terralux::{GeoTransform, Grid, Raster, RasterSource};
    let grid = Grid::new(GeoTransform::new(0.0, 1.0, 1.0, -1.0).unwrap(), 1, 6).unwrap();
    let radiance = Raster::new(
        grid.clone(),
        array![[1.0f32, -0.5, 2.0, f32::NAN, 4.0, 5.0]],
    )
    .unwrap();
    let quality = Raster::new(grid.clone(), array![[0u8, 1, 2, 0, 1, 255]])
        .unwrap()
        .with_nodata(Some(255.0));
    let cloud = Raster::new(grid, array![[0u16, 0, 0, 0, 0b0100_0000, 0]]).unwrap();
    let masks = || {
        vec![
            MaskLayer {
                raster: &quality,
                band: 1,
                keep: Keep::OneOf(vec![0.0, 1.0]),
            },
            MaskLayer {
                raster: &cloud,
                band: 1,
                keep: Keep::BitsClear(0b1100_0000),
            },
        ]
    };
    let read = |negatives| {
        let m = Masked::new(&radiance, 1, masks(), negatives).unwrap();
        m.read_window_f64(1, m.grid().full_window())
            .unwrap()
            .row(0)
            .to_vec()
    };
    let keep = read(Negatives::Keep);
    assert_eq!(keep[..2], [1.0, -0.5]);
    assert!(keep[2].is_nan(), "poor quality");
    assert!(
        keep[3].is_nan(),
        "invalid values stay invalid even where every mask keeps them"
    );
    assert!(keep[4].is_nan(), "cloudy");
    assert!(keep[5].is_nan(), "the quality layer's fill value");
    assert_eq!(read(Negatives::Zero)[1], 0.0);
    assert!(read(Negatives::Invalid)[1].is_nan());
}

#[test]
fn a_series_uses_one_coverage_and_writes_a_long_table() {
    use geo_types::{MultiPolygon, polygon};
    use ndarray::array;
    use terralux::ntl::series::{Dated, run_series};
    use terralux::stats::Stat;
    use terralux::zones::{Attributes, Zone, ZoneId, ZoneSet};
    use terralux::{GeoTransform, Grid, Raster};
    let grid = Grid::new(GeoTransform::new(0.0, 1.0, 1.0, -1.0).unwrap(), 1, 3).unwrap();
    let years: Vec<Raster<f64>> = [1.0, 2.0, 4.0]
        .iter()
        .map(|&f| Raster::new(grid.clone(), array![[f, 2.0 * f, f64::NAN]]).unwrap())
        .collect();
    let zone = |id, x0: f64, x1: f64| Zone {
        id: ZoneId::Text(id),
        attributes: Attributes::default(),
        geometry: MultiPolygon(vec![
            polygon![(x: x0, y: 0.0), (x: x1, y: 0.0), (x: x1, y: 1.0), (x: x0, y: 1.0)],
        ]),
    };
    let zones = ZoneSet::new(
        vec![zone("a".into(), 0.0, 2.0), zone("b,c".into(), 2.0, 3.0)],
        None,
    );
    let dates: Vec<Dated<'_>> = years
        .iter()
        .zip(["2014", "2015", "2016"])
        .map(|(r, d)| Dated {
            date: d.into(),
            raster: r,
            band: 1,
            weights: None,
        })
        .collect();
    let calls = std::sync::atomic::AtomicUsize::new(0);
    let series = run_series(
        &zones,
        &dates,
        &[Stat::Tnl, Stat::Count],
        Some(1),
        &|_, _| {
            calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        },
    )
    .unwrap();
    assert_eq!(calls.into_inner(), 3);
    let mut csv = Vec::new();
    series
        .write_long_csv("code", Some(&["tnl".into(), "count".into()]), &mut csv)
        .unwrap();
    assert_eq!(
        String::from_utf8(csv).unwrap(),
        "code,date,tnl,count\na,2014,3,2\n\"b,c\",2014,0,0\na,2015,6,2\n\"b,c\",2015,0,0\na,2016,12,2\n\"b,c\",2016,0,0\n"
    );
    let trends = series.trends(0);
    assert_eq!(trends[0].annual_growth, Some(1.0));
    assert!((trends[0].ols_slope.unwrap() - 4.5).abs() < 1e-12);
    assert_eq!(trends[1].sen_slope, Some(0.0));
}

#[test]
fn indicators_by_hand_on_four_square_kilometres() {
    use geo_types::{MultiPolygon, polygon};
    use ndarray::array;
    use terralux::stats::{Stat, StatValue};
    use terralux::zones::{Attributes, Zone, ZoneId, ZoneSet};
    use terralux::{Crs, GeoTransform, Grid, Raster, ZonalStats};
    // 1 km cells in UTM: each cell is exactly 1 km^2.
    let crs = Crs::projected("EPSG:32648", 1.0);
    let grid = Grid::new(
        GeoTransform::new(500_000.0, 1000.0, 3_300_000.0, -1000.0).unwrap(),
        2,
        2,
    )
    .unwrap()
    .with_crs(crs.clone());
    let lights = Raster::new(grid.clone(), array![[0.0, 2.0], [4.0, 6.0]]).unwrap();
    let people = Raster::new(grid, array![[10.0, 10.0], [10.0, 10.0]]).unwrap();
    let square = polygon![(x: 500_000.0, y: 3_298_000.0), (x: 502_000.0, y: 3_298_000.0), (x: 502_000.0, y: 3_300_000.0), (x: 500_000.0, y: 3_300_000.0)];
    let zones = ZoneSet::new(
        vec![Zone {
            id: ZoneId::Int(1),
            attributes: Attributes::default(),
            geometry: MultiPolygon(vec![square]),
        }],
        Some(crs),
    );
    let t = 1.0;
    let stats = [
        Stat::Tnl,
        Stat::TnlArea,
        Stat::AreaMean,
        Stat::AreaKm2,
        Stat::Density,
        Stat::LitAreaKm2(t),
        Stat::LitFrac(t),
        Stat::Ali {
            threshold: t,
            dn_max: None,
        },
        Stat::Cnli {
            threshold: t,
            dn_max: None,
        },
        Stat::Gini,
        Stat::Theil,
        Stat::PerCapita,
        Stat::LitPopFrac(t),
    ];
    let table = ZonalStats::new(&zones)
        .band(&lights, 1)
        .weights(&people, 1)
        .stats(&stats)
        .run()
        .unwrap();
    let got: Vec<f64> = table.zones[0]
        .values
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    let theil = 0.25
        * ((2.0 / 3.0) * (2.0f64 / 3.0).ln()
            + (4.0 / 3.0) * (4.0f64 / 3.0).ln()
            + 2.0 * 2.0f64.ln());
    let expected = [
        12.0,             // tnl: 0 + 2 + 4 + 6
        12.0,             // tnl_area: each cell 1 km^2
        3.0,              // mean_area
        4.0,              // area_km2
        3.0,              // density: 12 / 4
        3.0,              // lit_area_km2: three cells above 1
        0.75,             // lit_frac
        4.0 / 6.0,        // ali: mean lit 4 over the run's max 6 (one zone)
        4.0 / 6.0 * 0.75, // cnli: I x S
        40.0 / 96.0,      // gini: sum |xi - xj| = 40 over 2 n^2 mean = 96
        theil,            // theil
        12.0 / 40.0,      // per_capita
        0.75,             // lit_pop_frac: 30 of 40 people on lit cells
    ];
    for ((stat, g), e) in stats.iter().zip(&got).zip(expected) {
        assert!((g - e).abs() < 1e-12, "{stat}: {g} vs {e}");
    }
    assert!(!table.zones[0].values.contains(&StatValue::Missing));
    // ALI with DMSP's 63 (another run: two statistics named `ali` would be
    // two columns of one name, which the engine refuses).
    let dmsp_ali = ZonalStats::new(&zones)
        .band(&lights, 1)
        .stats(&[Stat::Ali {
            threshold: t,
            dn_max: Some(63.0),
        }])
        .run()
        .unwrap();
    let ali = dmsp_ali.zones[0].values[0].as_f64().unwrap();
    assert!((ali - 4.0 / 63.0).abs() < 1e-12, "{ali}");
    let twice = ZonalStats::new(&zones)
        .band(&lights, 1)
        .stats(&[
            Stat::Ali {
                threshold: t,
                dn_max: None,
            },
            Stat::Ali {
                threshold: t,
                dn_max: Some(63.0),
            },
        ])
        .run();
    assert!(
        twice
            .unwrap_err()
            .to_string()
            .contains("statistic 'ali' is asked twice")
    );
}

#[cfg(feature = "gdal")]
#[test]
fn black_marble_tiles_of_both_collections_read_alike() {
    use terralux::RasterSource;
    use terralux::ntl::blackmarble::{default_masks, mask_layers, open_layer};
    use terralux::ntl::mask::{Masked, Negatives};
    use terralux::{GeoTransform, Window};
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/blackmarble");
    let c1 = dir.join("c1/VNP46A2.A2020100.h28v06.001.2021125000000.h5");
    let c2 = dir.join("c2/VNP46A2.A2020100.h28v06.002.2021125000000.h5");
    let layer = "DNB_BRDF-Corrected_NTL";
    let mut reads = Vec::new();
    for path in [&c1, &c2] {
        let raster = open_layer(path, layer).unwrap();
        // The grid comes from the tile number: h28v06 is 100-110 E, 20-30 N.
        assert_eq!(
            *raster.grid().transform(),
            GeoTransform::new(100.0, 1.0 / 240.0, 30.0, -1.0 / 240.0).unwrap()
        );
        assert!(raster.grid().is_geographic());
        let v = raster
            .read_window_f64(1, Window::new(0, 0, 100, 1600))
            .unwrap();
        assert!(v[[0, 0]].is_nan(), "fill value");
        assert!(v[[50, 1530]].is_nan(), "fill over the counties");
        assert!(
            (v[[50, 1470]] - 50.0).abs() < 1e-5,
            "scale applied: {}",
            v[[50, 1470]]
        );
        assert!((v[[99, 100]] - 0.5).abs() < 1e-6);
        // Quality masks: poor quality, cloudy and snowy cells are dropped.
        let masks = default_masks(path, layer).unwrap();
        assert_eq!(masks.len(), 2, "mandatory flag and cloud mask");
        let masked = Masked::new(&raster, 1, mask_layers(&masks), Negatives::Keep).unwrap();
        let m = masked
            .read_window_f64(1, Window::new(0, 0, 100, 1600))
            .unwrap();
        for (r, c, why) in [
            (72, 1485, "poor quality"),
            (82, 1505, "cloudy"),
            (87, 1505, "snow"),
        ] {
            assert!(m[[r, c]].is_nan(), "{why}");
        }
        assert_eq!(m[[72, 1470]], v[[72, 1470]], "clear cells are kept");
        reads.push(v);
    }
    // Collection 1 (uint16 x 0.1) and collection 2 (float32) give the same radiance.
    assert!(
        reads[0]
            .iter()
            .zip(reads[1].iter())
            .all(|(a, b)| (a.is_nan() && b.is_nan()) || (a - b).abs() < 1e-5)
    );
    // A tile whose name and bounding coordinates disagree is refused, naming the file.
    let tmp = std::env::temp_dir().join(format!("terralux-bm-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    let renamed = tmp.join("VNP46A2.A2020100.h27v06.002.2021125000000.h5");
    std::fs::copy(&c2, &renamed).unwrap();
    let err = open_layer(&renamed, layer).unwrap_err();
    assert!(
        err.to_string()
            .contains("disagrees with the file's bounding coordinates"),
        "{err}"
    );
    std::fs::remove_dir_all(&tmp).unwrap();
    // A file name that is not Black Marble's, and a missing layer, are clear errors.
    assert!(open_layer(&dir.join("generate.py"), layer).is_err());
    let err = open_layer(&c2, "No_Such_Layer").unwrap_err();
    assert!(err.to_string().contains("No_Such_Layer"), "{err}");
}
