//! The `county_ntl` example binary on the product fixtures of `testdata/products`.
#![cfg(feature = "gdal")]

mod common;

use std::path::PathBuf;
use std::process::{Command, Output};

use common::TempDir;

fn county_ntl() -> PathBuf {
    common::example_binary("county_ntl")
}

fn run(args: &[&str]) -> Output {
    Command::new(county_ntl())
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap()
}

/// Run county_ntl and insist that it succeeds (its stderr as the message).
fn run_ok(args: &[&str]) -> Output {
    let result = run(args);
    assert!(
        result.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&result.stderr)
    );
    result
}

fn csv(path: &std::path::Path) -> Vec<Vec<String>> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect()
}

const HEADER: &str = "code,date,tnl,tnl_area,mean,density,lit_area_km2,lit_frac,ali,cnli,per_capita,lit_pop_frac,gini,theil,area_km2,valid_frac";

#[test]
fn vnl_series_with_population_gives_one_row_per_county_and_date() {
    let tmp = TempDir::new("ntl-vnl");
    let out = tmp.join("ntl.csv");
    run_ok(&[
        "--dir",
        "testdata/products/vnl",
        "--zones",
        "testdata/counties.gpkg",
        "--id-field",
        "code",
        "--population",
        "testdata/products/population_30s.tif",
        "--quiet",
        "--output",
        out.to_str().unwrap(),
    ]);
    let rows = csv(&out);
    assert_eq!(rows[0].join(","), HEADER);
    assert_eq!(rows.len(), 1 + 24 * 3);
    let dates: Vec<&str> = rows[1..].iter().map(|r| r[1].as_str()).collect();
    assert_eq!((dates[0], dates[24], dates[48]), ("2021", "2022", "2023"));
    let col = |name: &str| rows[0].iter().position(|h| h == name).unwrap();
    let value = |row: &Vec<String>, name: &str| row[col(name)].parse::<f64>().ok();
    // Lights grow 10 % a year: tnl of a county grows 10 % too, unless the moving cf_cvg
    // band masks some of its cells.
    let first = &rows[1];
    assert_eq!(first[0], "500101");
    let (t21, t22) = (
        value(first, "tnl").unwrap(),
        value(&rows[25], "tnl").unwrap(),
    );
    assert!((t22 / t21 - 1.1).abs() < 1e-6, "{t21} -> {t22}");
    // Population on a 30" grid is split by area: per capita is defined where people live.
    assert!(value(first, "per_capita").unwrap() > 0.0);
    // The zone outside the raster: nothing lit, no light, area known.
    let far = rows.iter().find(|r| r[0] == "510122").unwrap();
    assert_eq!(
        (
            value(far, "tnl"),
            value(far, "lit_frac"),
            value(far, "valid_frac")
        ),
        (Some(0.0), Some(0.0), Some(0.0))
    );
    assert!(value(far, "area_km2").unwrap() > 100.0);
    // cf_cvg = 0 rows (60..64 in 2021) make cells invalid: some county loses valid share.
    assert!(
        rows[1..25]
            .iter()
            .any(|r| value(r, "valid_frac").is_some_and(|v| v < 0.99 && v > 0.5))
    );
    assert!(tmp.join("ntl.csv.provenance.json").exists());
}

#[test]
fn dmsp_is_calibrated_and_thresholded_at_seven() {
    let tmp = TempDir::new("ntl-dmsp");
    let calibrated = tmp.join("cal.csv");
    let raw = tmp.join("raw.csv");
    let tile = "testdata/products/dmsp/F182010.v4d_web.stable_lights.avg_vis.tif";
    for (out, calibration) in [(&calibrated, "elvidge2014"), (&raw, "none")] {
        run_ok(&[
            "--raster",
            tile,
            "--zones",
            "testdata/counties.gpkg",
            "--id-field",
            "code",
            "--calibration",
            calibration,
            "--output",
            out.to_str().unwrap(),
        ]);
    }
    let (cal, raw) = (csv(&calibrated), csv(&raw));
    assert_eq!(cal.len(), 25);
    assert_eq!(cal[1][1], "2010");
    // F18 2010 (Elvidge): DN' = 2.343 + 0.5102 DN + 0.0065 DN^2 for DN > 0, so totals change;
    // dark and empty counties stay at 0.
    let tnl = |rows: &Vec<Vec<String>>, i: usize| rows[i][2].parse::<f64>().unwrap();
    assert!((tnl(&cal, 1) - tnl(&raw, 1)).abs() > 1.0);
    for i in 1..cal.len() {
        if tnl(&raw, i) == 0.0 {
            assert_eq!(tnl(&cal, i), 0.0);
        }
    }
    // ALI uses DMSP's 63.
    let ali: f64 = raw[1][8].parse().unwrap();
    assert!(ali > 0.0 && ali < 1.0);
}

#[test]
fn county_ntl_errors_are_clear_and_leave_nothing() {
    let tmp = TempDir::new("ntl-errors");
    let out = tmp.join("x.csv");
    let out = out.to_str().unwrap();
    let vnl = "testdata/products/vnl/VNL_v22_npp_2021_global_vcmslcfg_c202402081200.average_masked.dat.tif";
    let dmsp = "testdata/products/dmsp/F182010.v4d_web.stable_lights.avg_vis.tif";
    let cases: [(&[&str], i32, &str); 6] = [
        (
            &[
                "--raster",
                vnl,
                dmsp,
                "--zones",
                "testdata/counties.gpkg",
                "--output",
                out,
            ],
            2,
            "are different products",
        ),
        (
            &["--raster", vnl, "--output", out],
            2,
            "--zones is required",
        ),
        (
            &[
                "--raster",
                vnl,
                "--zones",
                "testdata/counties.gpkg",
                "--negatives",
                "maybe",
                "--output",
                out,
            ],
            2,
            "--negatives takes zero or invalid",
        ),
        (
            &[
                "--raster",
                "testdata/products/vnl/missing.tif",
                "--zones",
                "testdata/counties.gpkg",
                "--output",
                out,
            ],
            1,
            "missing.tif: no such file",
        ),
        (
            &[
                "--raster",
                vnl,
                "--zones",
                "testdata/counties.gpkg",
                "--output",
                "/no/such/dir/x.csv",
            ],
            1,
            "does not exist",
        ),
        (
            &[
                "--raster",
                vnl,
                "--zones",
                "testdata/counties.gpkg",
                "--id-field",
                "adcode",
                "--output",
                out,
            ],
            1,
            "no field named 'adcode'",
        ),
    ];
    for (args, code, message) in cases {
        let result = run(args);
        let err = String::from_utf8_lossy(&result.stderr);
        assert_eq!(result.status.code(), Some(code), "{args:?}: {err}");
        assert!(err.contains(message), "{args:?}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1);
        assert_eq!(
            std::fs::read_dir(tmp.path()).unwrap().count(),
            0,
            "{args:?} left files"
        );
    }
    let help = run(&["--help"]);
    let help = String::from_utf8(help.stdout).unwrap();
    for flag in [
        "--raster",
        "--dir",
        "--zones",
        "--layer",
        "--id-field",
        "--gcj02",
        "--threshold",
        "--population",
        "--product",
        "--threads",
        "--quiet",
        "--output",
        "EXAMPLE",
    ] {
        assert!(help.contains(flag), "{flag}");
    }
}

#[test]
fn black_marble_tiles_of_a_date_make_one_mosaic() {
    let tmp = TempDir::new("ntl-bm");
    let (c1, c2) = (tmp.join("c1.csv"), tmp.join("c2.csv"));
    for (dir, out) in [
        ("testdata/blackmarble/c1", &c1),
        ("testdata/blackmarble/c2", &c2),
    ] {
        run_ok(&[
            "--dir",
            dir,
            "--zones",
            "testdata/counties.gpkg",
            "--id-field",
            "code",
            "--quiet",
            "--output",
            out.to_str().unwrap(),
        ]);
    }
    let (one, two) = (csv(&c1), csv(&c2));
    assert_eq!(one[0].join(","), HEADER);
    // Collection 2: two tiles per date, two dates; collection 1: one tile, one date.
    assert_eq!((one.len(), two.len()), (1 + 24, 1 + 24 * 2));
    assert_eq!(
        (two[1][1].as_str(), two[25][1].as_str()),
        ("2020-04-09", "2020-04-10")
    );
    let tnl = |rows: &Vec<Vec<String>>, i: usize| rows[i][2].parse::<f64>().unwrap();
    for i in 1..25 {
        // Both collections decode to the same radiance; the second day is 1.2 times brighter.
        assert!(
            (tnl(&one, i) - tnl(&two, i)).abs() <= 1e-6 * tnl(&one, i).max(1.0),
            "row {i}"
        );
        if tnl(&two, i) > 0.0 {
            assert!(
                (tnl(&two, i + 24) / tnl(&two, i) - 1.2).abs() < 1e-5,
                "row {i}"
            );
        }
    }
    // The bright block over the counties is lit.
    assert!(
        two[1..25]
            .iter()
            .any(|r| r[6].parse::<f64>().unwrap() > 0.0)
    );
}

#[test]
fn trends_dmsp_saturation_and_black_marble_layers() {
    let tmp = TempDir::new("ntl-extras");
    let (out, trends) = (tmp.join("ntl.csv"), tmp.join("trends.csv"));
    run_ok(&[
        "--dir",
        "testdata/products/vnl",
        "--zones",
        "testdata/counties.gpkg",
        "--id-field",
        "code",
        "--quiet",
        "--trends",
        trends.to_str().unwrap(),
        "--output",
        out.to_str().unwrap(),
    ]);
    let rows = csv(&trends);
    assert_eq!(
        rows[0].join(","),
        "code,indicator,n,ols_slope,sen_slope,mann_kendall_s,mann_kendall_z,p_value,annual_growth"
    );
    assert_eq!(rows.len(), 1 + 24 * 14);
    // 500101's lights grow 10 % a year over 2021-2023 (none of its cells is masked).
    let tnl = rows
        .iter()
        .find(|r| r[0] == "500101" && r[1] == "tnl")
        .unwrap();
    assert_eq!((tnl[2].as_str(), tnl[5].as_str()), ("3", "3"));
    assert!((tnl[8].parse::<f64>().unwrap() - 0.1).abs() < 1e-6);
    assert!(tmp.join("trends.csv.provenance.json").exists());
    // DMSP: saturation is reported on stderr and in the provenance.
    let dmsp = tmp.join("dmsp.csv");
    let result = run(&[
        "--dir",
        "testdata/products/dmsp",
        "--zones",
        "testdata/counties.gpkg",
        "--output",
        dmsp.to_str().unwrap(),
    ]);
    assert!(result.status.success());
    assert!(String::from_utf8_lossy(&result.stderr).contains("valid cells saturated at DN 63"));
    let provenance = std::fs::read_to_string(tmp.join("dmsp.csv.provenance.json")).unwrap();
    assert!(provenance.contains("saturated at DN 63"));
    // A Black Marble layer that the files lack is named in the error.
    let result = run(&[
        "--dir",
        "testdata/blackmarble/c2",
        "--bm-layer",
        "No_Such_Layer",
        "--zones",
        "testdata/counties.gpkg",
        "--output",
        tmp.join("bm.csv").to_str().unwrap(),
    ]);
    assert_eq!(result.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&result.stderr)
            .contains("layer No_Such_Layer: cannot open: the file has no such layer")
    );
    assert!(!tmp.join("bm.csv").exists());
}

#[test]
fn monthly_tiles_of_one_month_are_one_mosaic() {
    use gdal::DriverManager;
    use gdal::raster::Buffer;
    use terralux::{GdalRaster, RasterSource, Window};
    let tmp = TempDir::new("ntl-tiles");
    let (tiles, whole) = (tmp.join("tiles"), tmp.join("whole"));
    std::fs::create_dir_all(&tiles).unwrap();
    std::fs::create_dir_all(&whole).unwrap();
    let source = GdalRaster::open(common::testdata("ntl.tif")).unwrap();
    let write = |path: &std::path::Path, window: Window| {
        let t = source.grid().transform();
        let values: Vec<f32> = source
            .read_window::<f32>(1, window)
            .unwrap()
            .iter()
            .copied()
            .collect();
        let driver = DriverManager::get_driver_by_name("GTiff").unwrap();
        let mut ds = driver
            .create_with_band_type::<f32, _>(path, window.cols, window.rows, 1)
            .unwrap();
        ds.set_geo_transform(&[
            t.origin_x + window.col_off as f64 * t.pixel_width,
            t.pixel_width,
            0.0,
            t.origin_y,
            0.0,
            t.pixel_height,
        ])
        .unwrap();
        ds.set_spatial_ref(&gdal::spatial_ref::SpatialRef::from_epsg(4326).unwrap())
            .unwrap();
        let mut band = ds.rasterband(1).unwrap();
        band.set_no_data_value(Some(-999.9)).unwrap();
        band.write(
            (0, 0),
            (window.cols, window.rows),
            &mut Buffer::new((window.cols, window.rows), values),
        )
        .unwrap();
    };
    let name = |tile: &str| {
        format!("SVDNB_npp_20210101-20210131_{tile}_vcmslcfg_v10_c202102.avg_rade9h.tif")
    };
    write(&tiles.join(name("75N060E")), Window::new(0, 0, 100, 64));
    write(&tiles.join(name("00N060E")), Window::new(0, 64, 100, 56));
    write(&whole.join(name("global")), Window::new(0, 0, 100, 120));
    let (a, b) = (tmp.join("tiles.csv"), tmp.join("whole.csv"));
    for (dir, out) in [(&tiles, &a), (&whole, &b)] {
        run_ok(&[
            "--dir",
            dir.to_str().unwrap(),
            "--zones",
            "testdata/counties.gpkg",
            "--id-field",
            "code",
            "--quiet",
            "--output",
            out.to_str().unwrap(),
        ]);
    }
    let (a, b) = (csv(&a), csv(&b));
    assert_eq!(a.len(), 25, "one date: the two tiles make one mosaic");
    assert_eq!(a[1][1], "2021-01");
    for (x, y) in a[1..].iter().zip(&b[1..]) {
        let (p, q): (f64, f64) = (x[2].parse().unwrap(), y[2].parse().unwrap());
        assert!(
            (p - q).abs() <= 1e-9 * p.abs().max(1.0),
            "{}: {p} vs {q}",
            x[0]
        );
    }
}

#[test]
fn masks_and_light_max_flags() {
    let tmp = TempDir::new("ntl-masks");
    let out = |name: &str| tmp.join(name);
    let bm = |masks: &str, path: &std::path::Path| {
        run_ok(&[
            "--dir",
            "testdata/blackmarble/c2",
            "--zones",
            "testdata/counties.gpkg",
            "--id-field",
            "code",
            "--bm-layer",
            "DNB_BRDF-Corrected_NTL",
            "--masks",
            masks,
            "--quiet",
            "--output",
            path.to_str().unwrap(),
        ]);
        csv(path)
    };
    // Strict drops the poor, cloudy and snowy cells fill keeps: never more light, less somewhere.
    let (fill, strict) = (
        bm("fill", &out("fill.csv")),
        bm("strict", &out("strict.csv")),
    );
    let tnl = |rows: &Vec<Vec<String>>, i: usize| rows[i][2].parse::<f64>().unwrap();
    assert!((1..fill.len()).all(|i| tnl(&strict, i) <= tnl(&fill, i) + 1e-9));
    assert!((1..fill.len()).any(|i| tnl(&strict, i) < tnl(&fill, i) - 1e-6));
    let provenance = std::fs::read_to_string(out("strict.csv.provenance.json")).unwrap();
    assert!(provenance.contains("masks 'strict'"), "{provenance}");
    let err = run(&[
        "--dir",
        "testdata/blackmarble/c2",
        "--zones",
        "testdata/counties.gpkg",
        "--masks",
        "all",
        "--output",
        out("x.csv").to_str().unwrap(),
    ]);
    assert_eq!(err.status.code(), Some(2));
    // A fixed normaliser: ali and cnli halve when it doubles; the provenance says which.
    let vnl = |max: &str, path: &std::path::Path| {
        run_ok(&[
            "--dir",
            "testdata/products/vnl",
            "--zones",
            "testdata/counties.gpkg",
            "--id-field",
            "code",
            "--light-max",
            max,
            "--quiet",
            "--output",
            path.to_str().unwrap(),
        ]);
        csv(path)
    };
    let (a, b) = (vnl("50", &out("a.csv")), vnl("100", &out("b.csv")));
    for i in 1..a.len() {
        for column in [8, 9] {
            let (x, y) = (a[i][column].parse::<f64>(), b[i][column].parse::<f64>());
            if let (Ok(x), Ok(y)) = (x, y) {
                assert!((x - 2.0 * y).abs() <= 1e-12 * x.abs().max(1.0), "row {i}");
            }
        }
    }
    let provenance = std::fs::read_to_string(out("b.csv.provenance.json")).unwrap();
    assert!(
        provenance.contains("ali and cnli divided by 100 (given)"),
        "{provenance}"
    );
}

/// The binary is a shell over `workflow::county_ntl`: the library calls of
/// the crate docs write the same bytes (table, GeoPackage-free trends) as
/// the command line.
#[test]
fn the_library_workflow_writes_what_the_binary_writes() {
    use terralux::ntl::ProductChoice;
    use terralux::workflow::county_ntl::{self, CountyNtlOutput, CountyNtlRequest};
    let tmp = TempDir::new("ntl-workflow");
    let (cli_table, cli_trends) = (tmp.join("cli.csv"), tmp.join("cli_trends.csv"));
    run_ok(&[
        "--dir",
        "testdata/products/vnl",
        "--zones",
        "testdata/counties.gpkg",
        "--id-field",
        "code",
        "--population",
        "testdata/products/population_30s.tif",
        "--quiet",
        "--output",
        cli_table.to_str().unwrap(),
        "--trends",
        cli_trends.to_str().unwrap(),
    ]);
    let data = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata");
    let mut request = CountyNtlRequest::from_folder(
        data.join("products/vnl"),
        ProductChoice::Auto,
        data.join("counties.gpkg"),
    )
    .unwrap();
    request.zone_options.id_field = Some("code".into());
    request.options.population = Some(data.join("products/population_30s.tif"));
    let mut output = CountyNtlOutput::new(tmp.join("lib.csv"));
    output.trends = Some(tmp.join("lib_trends.csv"));
    let (_, files) = county_ntl::run_to_files(&request, &output, &|_| {}).unwrap();
    assert_eq!(files.len(), 4, "two tables and their provenance");
    let read = |p: PathBuf| std::fs::read(p).unwrap();
    assert_eq!(read(tmp.join("lib.csv")), read(cli_table));
    assert_eq!(read(tmp.join("lib_trends.csv")), read(cli_trends));
    // The provenance of a library call names its inputs as the binary's does.
    let provenance = std::fs::read_to_string(tmp.join("lib.csv.provenance.json")).unwrap();
    assert!(provenance.contains("population_30s.tif"), "{provenance}");
}

/// `--masked-frac` adds one last column (the header is otherwise today's);
/// DMSP, which has no masks, refuses it as a usage error.
#[test]
fn masked_frac_flag_adds_a_last_column() {
    let tmp = TempDir::new("ntl-masked-frac");
    let out = tmp.join("ntl.csv");
    let base = [
        "--zones",
        "testdata/counties.gpkg",
        "--id-field",
        "code",
        "--quiet",
    ];
    let mut args = vec![
        "--dir",
        "testdata/products/vnl",
        "--masked-frac",
        "--output",
    ];
    args.push(out.to_str().unwrap());
    args.extend(base);
    run_ok(&args);
    let rows = csv(&out);
    assert_eq!(rows[0].join(","), format!("{HEADER},masked_frac"));
    for row in &rows[1..] {
        let share = row.last().unwrap();
        assert!(
            share.is_empty() || (0.0..=1.0).contains(&share.parse::<f64>().unwrap()),
            "{row:?}"
        );
    }
    let dmsp_out = tmp.join("dmsp.csv");
    let mut args = vec![
        "--dir",
        "testdata/products/dmsp",
        "--masked-frac",
        "--output",
    ];
    args.push(dmsp_out.to_str().unwrap());
    args.extend(base);
    let result = run(&args);
    let err = String::from_utf8_lossy(&result.stderr);
    assert_eq!(result.status.code(), Some(2), "{err}");
    assert!(err.contains("no quality masks"), "{err}");
    assert!(!dmsp_out.exists());
}
