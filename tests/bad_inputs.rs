//! The bad-input corpus: what analysts feed terralux, each case run through
//! the library and the `zonal` binary with its exact outcome asserted.
//!
//! Every fixture is made by the test (GDAL for rasters, GeoJSON/CSV text
//! for zones) in a temporary folder. The base raster has 4 x 4 cells of
//! 1 degree from 100 E, 34 N (WGS84), valued 1..16 row by row; zone `A`
//! is the 2 x 2 cells at its north-west corner (values 1, 2, 5, 6).
//!
//! A case either fails (the binary exits 1 or 2 with one line naming the
//! problem and writes nothing; the library returns the error) or gives
//! known statistics (both the library and the binary's CSV are checked).
#![cfg(feature = "gdal")]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{TempDir, example_binary, files_in};
use gdal::DriverManager;
use gdal::raster::{Buffer, GdalType, RasterCreationOptions};
use gdal::spatial_ref::SpatialRef;
use terralux::raster::RasterOptions;
use terralux::results::ZonalTable;
use terralux::stats::Stat;
use terralux::zones::{BadGeometry, ZoneOptions, ZoneSet};
use terralux::{Crs, GdalRaster, RasterSource, ZonalStats};

const STATS: &str = "count,sum,min,max,outside_frac";

// ---------------------------------------------------------------- fixtures

/// A 4 x 4 raster of 1-degree cells from 100 E, 34 N, valued 1..16.
struct RasterSpec {
    geotransform: [f64; 6],
    epsg: Option<u32>,
    bands: usize,
    nodata: Option<f64>,
    /// Cells set to the nodata value (row, col).
    nodata_cells: Vec<(usize, usize)>,
    options: Vec<&'static str>,
}

impl Default for RasterSpec {
    fn default() -> Self {
        RasterSpec {
            geotransform: [100.0, 1.0, 0.0, 34.0, 0.0, -1.0],
            epsg: Some(4326),
            bands: 1,
            nodata: None,
            nodata_cells: Vec::new(),
            options: Vec::new(),
        }
    }
}

/// Cell value of band `band` (from 1) at `(row, col)`: `1..16` for band 1, plus 100 per extra band.
fn cell_value(band: usize, row: usize, col: usize) -> f64 {
    (1 + col + 4 * row + 100 * (band - 1)) as f64
}

fn write_raster<T: GdalType + Copy>(path: &Path, spec: &RasterSpec, convert: impl Fn(f64) -> T) {
    let driver = DriverManager::get_driver_by_name("GTiff").unwrap();
    let options = RasterCreationOptions::from_iter(spec.options.iter().copied());
    let mut ds = driver
        .create_with_band_type_with_options::<T, _>(path, 4, 4, spec.bands, &options)
        .unwrap();
    ds.set_geo_transform(&spec.geotransform).unwrap();
    if let Some(epsg) = spec.epsg {
        ds.set_spatial_ref(&SpatialRef::from_epsg(epsg).unwrap())
            .unwrap();
    }
    for b in 1..=spec.bands {
        let mut band = ds.rasterband(b).unwrap();
        if let Some(nodata) = spec.nodata {
            band.set_no_data_value(Some(nodata)).unwrap();
        }
        let data = (0..16)
            .map(|i| {
                let (r, c) = (i / 4, i % 4);
                let v = match spec.nodata {
                    Some(nodata) if spec.nodata_cells.contains(&(r, c)) => nodata,
                    _ => cell_value(b, r, c),
                };
                convert(v)
            })
            .collect();
        band.write((0, 0), (4, 4), &mut Buffer::new((4, 4), data))
            .unwrap();
    }
}

fn base_raster(path: &Path) {
    write_raster(path, &RasterSpec::default(), |v| v as f32);
}

/// A GeoJSON FeatureCollection of `(code, geometry JSON)` features, in WGS84
/// unless `crs` names another (as an OGC URN).
fn geojson(features: &[(&str, &str)], crs: Option<&str>) -> String {
    let features: Vec<String> = features
        .iter()
        .map(|(code, geometry)| {
            format!(r#"{{"type":"Feature","properties":{{"code":{code}}},"geometry":{geometry}}}"#)
        })
        .collect();
    let crs = crs.map_or(String::new(), |c| {
        format!(r#""crs":{{"type":"name","properties":{{"name":"{c}"}}}},"#)
    });
    format!(
        r#"{{"type":"FeatureCollection",{crs}"features":[{}]}}"#,
        features.join(",")
    )
}

/// A polygon of one ring, as GeoJSON.
fn polygon(ring: &[(f64, f64)]) -> String {
    format!(
        "{{\"type\":\"Polygon\",\"coordinates\":[{}]}}",
        ring_json(ring)
    )
}

fn ring_json(ring: &[(f64, f64)]) -> String {
    let points: Vec<String> = ring.iter().map(|(x, y)| format!("[{x},{y}]")).collect();
    format!("[{}]", points.join(","))
}

/// The closed ring of the rectangle `west..east x south..north`.
fn rect(west: f64, south: f64, east: f64, north: f64) -> Vec<(f64, f64)> {
    vec![
        (west, south),
        (east, south),
        (east, north),
        (west, north),
        (west, south),
    ]
}

/// Zone `A`: cells (0, 0), (0, 1), (1, 0), (1, 1), values 1, 2, 5, 6.
fn zone_a() -> String {
    polygon(&rect(100.0, 32.0, 102.0, 34.0))
}

/// A bow-tie over cells (2, 2) .. (3, 3): two triangles meeting at (103, 31).
fn bow_tie() -> String {
    polygon(&[
        (102.0, 30.0),
        (104.0, 32.0),
        (104.0, 30.0),
        (102.0, 32.0),
        (102.0, 30.0),
    ])
}

/// Zone A and a copy one cell east: they overlap on cells (0, 1) and (1, 1).
fn overlapping_parts() -> String {
    format!(
        "{{\"type\":\"MultiPolygon\",\"coordinates\":[[{}],[{}]]}}",
        ring_json(&rect(100.0, 32.0, 102.0, 34.0)),
        ring_json(&rect(101.0, 32.0, 103.0, 34.0))
    )
}

// ---------------------------------------------------------------- running

/// What a case should give.
enum Expect {
    /// The binary exits with `code` and one line containing every string;
    /// the library's error (when the library sees the input) contains them too.
    Fails {
        code: i32,
        says: &'static [&'static str],
    },
    /// Rows of `(id, [count, sum, min, max, outside_frac])`, NaN for an empty cell.
    Rows(Vec<(&'static str, [f64; 5])>),
}

/// Arguments of a case beyond the raster, zones and output.
#[derive(Default, Clone)]
struct Extra {
    args: Vec<String>,
    /// The library reads the zones with these options and stats (None: the case is the binary's only).
    keep_bad_geometry: bool,
    zones_crs: Option<&'static str>,
    raster_crs: Option<&'static str>,
    gcj02: bool,
    bands: Vec<usize>,
    /// What the binary adds to a failure's message (the flag that fixes it).
    binary_hint: Option<&'static str>,
}

struct Case {
    name: &'static str,
    raster: PathBuf,
    zones: PathBuf,
    output: PathBuf,
    extra: Extra,
    expect: Expect,
}

/// The library's pipeline, as `zonal` runs it.
fn library(case: &Case) -> terralux::Result<ZonalTable> {
    let raster_options = RasterOptions {
        assume_crs: case
            .extra
            .raster_crs
            .map(|c| Crs::from_user_input(c).unwrap()),
        ..RasterOptions::default()
    };
    let raster = GdalRaster::open_with(&case.raster, &raster_options)?;
    let options = ZoneOptions {
        id_field: Some("code".into()),
        assume_crs: case
            .extra
            .zones_crs
            .map(|c| Crs::from_user_input(c).unwrap()),
        bad_geometry: if case.extra.keep_bad_geometry {
            BadGeometry::KeepEmpty
        } else {
            BadGeometry::Error
        },
        ..ZoneOptions::default()
    };
    let mut zones = ZoneSet::read(&case.zones, &options)?;
    if case.extra.gcj02 {
        zones = zones.gcj02_to_wgs84()?;
    }
    let raster_crs = raster.grid().crs().cloned();
    if let (Some(raster_crs), Some(zones_crs)) = (&raster_crs, zones.crs())
        && !zones_crs.matches(raster_crs)
    {
        zones = zones.into_crs(raster_crs)?;
    }
    let bands = if case.extra.bands.is_empty() {
        vec![1]
    } else {
        case.extra.bands.clone()
    };
    ZonalStats::new(&zones)
        .bands(&raster, &bands)
        .stats(&Stat::parse_list(STATS).unwrap())
        .run()
}

fn binary(case: &Case) -> std::process::Output {
    let mut args: Vec<String> = vec![
        "--raster".into(),
        case.raster.display().to_string(),
        "--zones".into(),
        case.zones.display().to_string(),
        "--id-field".into(),
        "code".into(),
        "--stats".into(),
        STATS.into(),
        "--quiet".into(),
        "--output".into(),
        case.output.display().to_string(),
    ];
    args.extend(case.extra.args.iter().cloned());
    Command::new(example_binary("zonal"))
        .args(&args)
        .output()
        .unwrap()
}

fn number(text: &str) -> f64 {
    if text.is_empty() {
        f64::NAN
    } else {
        text.parse().unwrap()
    }
}

fn same(a: f64, b: f64) -> bool {
    (a.is_nan() && b.is_nan()) || (a - b).abs() <= 1e-9 * (1.0 + b.abs())
}

fn check(case: &Case) {
    let folder = case.output.parent().unwrap();
    let before = files_in(folder);
    let out = binary(case);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let name = case.name;
    assert!(
        !stderr.contains("panicked") && !stderr.contains("RUST_BACKTRACE"),
        "{name}: {stderr}"
    );
    match &case.expect {
        Expect::Fails { code, says } => {
            assert_eq!(out.status.code(), Some(*code), "{name}: {stderr}");
            assert_eq!(
                stderr.trim_end().lines().count(),
                1,
                "{name}: one line: {stderr}"
            );
            for s in says.iter().chain(&case.extra.binary_hint) {
                assert!(stderr.contains(s), "{name}: expected '{s}' in: {stderr}");
            }
            assert_eq!(files_in(folder), before, "{name}: files left behind");
            if *code == 1 {
                match library(case) {
                    Err(e) => {
                        let message = e.to_string();
                        for s in *says {
                            assert!(message.contains(s), "{name}: library said: {message}");
                        }
                    }
                    Ok(_) => panic!("{name}: the library accepted what the binary refused"),
                }
            }
        }
        Expect::Rows(rows) => {
            assert_eq!(out.status.code(), Some(0), "{name}: {stderr}");
            let text = std::fs::read_to_string(&case.output).unwrap();
            let lines: Vec<&str> = text.lines().collect();
            assert_eq!(lines.len(), rows.len() + 1, "{name}: {text}");
            let table = library(case).unwrap_or_else(|e| panic!("{name}: library failed: {e}"));
            assert_eq!(table.zones.len(), rows.len(), "{name}: library rows");
            for (i, (id, values)) in rows.iter().enumerate() {
                let fields: Vec<&str> = lines[i + 1].split(',').collect();
                assert_eq!(fields[0], *id, "{name}: row {i} id");
                assert_eq!(table.zones[i].id.to_string(), *id, "{name}: library id");
                let got: Vec<f64> = fields[fields.len() - 5..]
                    .iter()
                    .map(|f| number(f))
                    .collect();
                let lib: Vec<f64> = table.zones[i].values[table.zones[i].values.len() - 5..]
                    .iter()
                    .map(|v| v.as_f64().unwrap_or(f64::NAN))
                    .collect();
                for k in 0..5 {
                    assert!(
                        same(got[k], values[k]),
                        "{name}: zone {id}: CSV {got:?}, expected {values:?}"
                    );
                    assert!(
                        same(lib[k], values[k]),
                        "{name}: zone {id}: library {lib:?}, expected {values:?}"
                    );
                }
            }
            std::fs::remove_file(&case.output).unwrap();
            std::fs::remove_file(case.output.with_extension("csv.provenance.json")).ok();
        }
    }
}

/// Builds the cases of one folder.
struct Corpus {
    dir: TempDir,
    cases: Vec<Case>,
}

impl Corpus {
    fn new() -> Self {
        let dir = TempDir::new("bad-inputs");
        std::fs::create_dir(dir.join("out")).unwrap();
        base_raster(&dir.join("base.tif"));
        std::fs::write(
            dir.join("a.geojson"),
            geojson(&[("\"A\"", &zone_a())], None),
        )
        .unwrap();
        Corpus {
            dir,
            cases: Vec::new(),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    fn zones_file(&self, name: &str, text: impl AsRef<[u8]>) -> PathBuf {
        let path = self.path(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    fn add(
        &mut self,
        name: &'static str,
        raster: PathBuf,
        zones: PathBuf,
        extra: Extra,
        expect: Expect,
    ) {
        let output = self.dir.join("out").join(format!("{name}.csv"));
        self.cases.push(Case {
            name,
            raster,
            zones,
            output,
            extra,
            expect,
        });
    }

    /// A case on the base raster.
    fn zones_case(&mut self, name: &'static str, zones: PathBuf, extra: Extra, expect: Expect) {
        let raster = self.path("base.tif");
        self.add(name, raster, zones, extra, expect);
    }

    /// A case on the base raster and a GeoJSON file of `features` (WGS84).
    fn geojson_case(
        &mut self,
        name: &'static str,
        file: &str,
        features: &[(&str, &str)],
        extra: Extra,
        expect: Expect,
    ) {
        let zones = self.zones_file(file, geojson(features, None));
        self.zones_case(name, zones, extra, expect);
    }

    /// A case on zone `A`.
    fn raster_case(&mut self, name: &'static str, raster: PathBuf, extra: Extra, expect: Expect) {
        let zones = self.path("a.geojson");
        self.add(name, raster, zones, extra, expect);
    }
}

fn args(list: &[&str]) -> Extra {
    Extra {
        args: list.iter().map(|s| s.to_string()).collect(),
        ..Extra::default()
    }
}

fn keep_bad() -> Extra {
    Extra {
        keep_bad_geometry: true,
        ..args(&["--keep-bad-geometry"])
    }
}

/// Zone `A`'s statistics: 4 cells, values 1, 2, 5, 6.
const A: [f64; 5] = [4.0, 14.0, 1.0, 6.0, 0.0];
/// A zone without cells (or without area): the sum of nothing is 0, the
/// rest is missing, and a zone of no area has no outside share either.
const NOTHING: [f64; 5] = [0.0, 0.0, f64::NAN, f64::NAN, f64::NAN];

// ---------------------------------------------------------------- the corpus

fn files(c: &mut Corpus) {
    let missing = c.path("missing.tif");
    c.raster_case(
        "raster_missing",
        missing,
        Extra::default(),
        Expect::Fails {
            code: 1,
            says: &["missing.tif"],
        },
    );
    let empty = c.zones_file("empty.tif", "");
    c.raster_case(
        "raster_empty_file",
        empty,
        Extra::default(),
        Expect::Fails {
            code: 1,
            says: &["empty.tif"],
        },
    );
    let bytes = std::fs::read(c.path("base.tif")).unwrap();
    let truncated = c.zones_file("truncated.tif", &bytes[..bytes.len() / 3]);
    c.raster_case(
        "raster_truncated",
        truncated,
        Extra::default(),
        Expect::Fails {
            code: 1,
            says: &["truncated.tif"],
        },
    );
    let text = c.zones_file("text.tif", "id,value\n1,2\n");
    c.raster_case(
        "raster_not_a_raster",
        text,
        Extra::default(),
        Expect::Fails {
            code: 1,
            says: &["text.tif"],
        },
    );
    let zones_as_raster = c.path("a.geojson");
    c.raster_case(
        "raster_is_a_vector_file",
        zones_as_raster,
        Extra::default(),
        Expect::Fails {
            code: 1,
            says: &["a.geojson"],
        },
    );

    let missing = c.path("missing.geojson");
    c.zones_case(
        "zones_missing",
        missing,
        Extra::default(),
        Expect::Fails {
            code: 1,
            says: &["missing.geojson"],
        },
    );
    let empty = c.zones_file("empty.geojson", "");
    c.zones_case(
        "zones_empty_file",
        empty,
        Extra::default(),
        Expect::Fails {
            code: 1,
            says: &["empty.geojson"],
        },
    );
    let full = geojson(&[("\"A\"", &zone_a())], None);
    let truncated = c.zones_file("truncated.geojson", &full[..full.len() / 2]);
    c.zones_case(
        "zones_truncated",
        truncated,
        Extra::default(),
        Expect::Fails {
            code: 1,
            says: &["truncated.geojson"],
        },
    );
    let raster_as_zones = c.path("base.tif");
    c.zones_case(
        "zones_is_a_raster",
        raster_as_zones,
        Extra::default(),
        Expect::Fails {
            code: 1,
            says: &["base.tif"],
        },
    );
}

fn rasters(c: &mut Corpus) {
    let path = c.path("no_crs.tif");
    write_raster(
        &path,
        &RasterSpec {
            epsg: None,
            ..RasterSpec::default()
        },
        |v| v as f32,
    );
    c.raster_case(
        "raster_without_crs",
        path.clone(),
        Extra {
            binary_hint: Some("; use --raster-crs"),
            ..Extra::default()
        },
        Expect::Fails {
            code: 1,
            says: &["no_crs.tif", "no coordinate reference system"],
        },
    );
    c.raster_case(
        "raster_without_crs_stated",
        path,
        Extra {
            raster_crs: Some("EPSG:4326"),
            ..args(&["--raster-crs", "EPSG:4326"])
        },
        Expect::Rows(vec![("A", A)]),
    );

    let path = c.path("rotated.tif");
    write_raster(
        &path,
        &RasterSpec {
            geotransform: [100.0, 1.0, 0.1, 34.0, 0.1, -1.0],
            ..RasterSpec::default()
        },
        |v| v as f32,
    );
    c.raster_case(
        "raster_rotated",
        path,
        Extra::default(),
        Expect::Fails {
            code: 1,
            says: &["rotated.tif", "rotated"],
        },
    );

    // South-up: row 0 is the southern row (30..31 N), so zone A (32..34 N)
    // covers rows 2 and 3: values 9, 10, 13, 14.
    let path = c.path("south_up.tif");
    write_raster(
        &path,
        &RasterSpec {
            geotransform: [100.0, 1.0, 0.0, 30.0, 0.0, 1.0],
            ..RasterSpec::default()
        },
        |v| v as f32,
    );
    c.raster_case(
        "raster_south_up",
        path,
        Extra::default(),
        Expect::Rows(vec![("A", [4.0, 46.0, 9.0, 14.0, 0.0])]),
    );

    let path = c.path("nan_nodata.tif");
    write_raster(
        &path,
        &RasterSpec {
            nodata: Some(f64::NAN),
            nodata_cells: vec![(0, 1)],
            ..RasterSpec::default()
        },
        |v| v as f32,
    );
    c.raster_case(
        "raster_nan_nodata",
        path,
        Extra::default(),
        Expect::Rows(vec![("A", [3.0, 12.0, 1.0, 6.0, 0.0])]),
    );

    // No nodata: -9999 is a value like any other.
    let path = c.path("no_nodata.tif");
    write_raster(&path, &RasterSpec::default(), |v| {
        if v == 1.0 { -9999.0f32 } else { v as f32 }
    });
    c.raster_case(
        "raster_no_nodata",
        path,
        Extra::default(),
        Expect::Rows(vec![("A", [4.0, 13.0 - 9999.0, -9999.0, 6.0, 0.0])]),
    );

    // Every data type, with a type-specific nodata in cell (0, 1) (value 2).
    let without_2 = [3.0, 12.0, 1.0, 6.0, 0.0];
    macro_rules! typed {
        ($name:literal, $file:literal, $t:ty, $nodata:expr, $options:expr) => {
            typed!($name, $file, $t, $nodata, |v: f64| v as $t, $options)
        };
        ($name:literal, $file:literal, $t:ty, $nodata:expr, $convert:expr, $options:expr) => {{
            let path = c.path($file);
            let spec = RasterSpec {
                nodata: Some($nodata as f64),
                nodata_cells: vec![(0, 1)],
                options: $options,
                ..RasterSpec::default()
            };
            write_raster::<$t>(&path, &spec, $convert);
            c.raster_case(
                $name,
                path,
                Extra::default(),
                Expect::Rows(vec![("A", without_2)]),
            );
        }};
    }
    typed!("type_u8", "u8.tif", u8, u8::MAX, vec![]);
    // Signed bytes are GDAL 3.6's Byte with PIXELTYPE=SIGNEDBYTE: -56 is stored as 200.
    typed!(
        "type_i8",
        "i8.tif",
        u8,
        -56,
        |v: f64| v as i8 as u8,
        vec!["PIXELTYPE=SIGNEDBYTE"]
    );
    typed!("type_u16", "u16.tif", u16, u16::MAX, vec![]);
    typed!("type_i16", "i16.tif", i16, i16::MIN, vec![]);
    typed!("type_u32", "u32.tif", u32, u32::MAX, vec![]);
    typed!("type_i32", "i32.tif", i32, i32::MIN, vec![]);
    typed!("type_u64", "u64.tif", u64, 1u64 << 40, vec![]);
    typed!("type_i64", "i64.tif", i64, -(1i64 << 40), vec![]);
    typed!("type_f32", "f32.tif", f32, -3.4e38f32, vec![]);
    typed!("type_f64", "f64.tif", f64, -1e300, vec![]);

    // Complex cells (a VRT band without sources reads as zeros) are refused.
    let complex = c.zones_file(
        "complex.vrt",
        r#"<VRTDataset rasterXSize="4" rasterYSize="4">
  <SRS>EPSG:4326</SRS>
  <GeoTransform>100, 1, 0, 34, 0, -1</GeoTransform>
  <VRTRasterBand dataType="CFloat32" band="1"/>
</VRTDataset>"#,
    );
    c.raster_case(
        "type_complex",
        complex,
        Extra::default(),
        Expect::Fails {
            code: 1,
            says: &[
                "complex.vrt",
                "band 1",
                "not supported (complex or unknown)",
            ],
        },
    );

    // Three bands, the second and third asked for: 101..116 and 201..216.
    let path = c.path("three_bands.tif");
    write_raster(
        &path,
        &RasterSpec {
            bands: 3,
            ..RasterSpec::default()
        },
        |v| v as f32,
    );
    c.raster_case(
        "raster_several_bands",
        path.clone(),
        Extra {
            bands: vec![2, 3],
            ..args(&["--band", "2", "--band", "3"])
        },
        // The last five columns are band 3's.
        Expect::Rows(vec![("A", [4.0, 814.0, 201.0, 206.0, 0.0])]),
    );
    c.raster_case(
        "raster_band_out_of_range",
        path,
        Extra {
            bands: vec![4],
            ..args(&["--band", "4"])
        },
        Expect::Fails {
            code: 1,
            says: &["three_bands.tif", "band 4"],
        },
    );
}

fn zones(c: &mut Corpus) {
    let a = zone_a();
    let path = c.zones_file("empty_layer.geojson", geojson(&[], None));
    c.zones_case(
        "zones_empty_layer",
        path,
        Extra::default(),
        Expect::Fails {
            code: 1,
            says: &["empty_layer.geojson", "layer 'empty_layer' has no features"],
        },
    );

    let with_null = geojson(&[("\"A\"", &a), ("\"N\"", "null")], None);
    let path = c.zones_file("null_geometry.geojson", &with_null);
    c.zones_case(
        "zones_null_geometry",
        path.clone(),
        Extra::default(),
        Expect::Fails {
            code: 1,
            says: &["null_geometry.geojson", "has no geometry"],
        },
    );
    c.zones_case(
        "zones_null_geometry_kept",
        path,
        keep_bad(),
        Expect::Rows(vec![("A", A), ("N", NOTHING)]),
    );
    // GeoJSON's empty coordinates read as no geometry; WKT keeps an empty polygon.
    let csv = "code,WKT\nA,\"POLYGON ((100 32,102 32,102 34,100 34,100 32))\"\nE,POLYGON EMPTY\n";
    let path = c.zones_file("empty_geometry.csv", csv);
    let lonlat = || Extra {
        zones_crs: Some("EPSG:4326"),
        ..args(&["--zones-crs", "EPSG:4326"])
    };
    c.zones_case(
        "zones_empty_geometry",
        path.clone(),
        lonlat(),
        Expect::Fails {
            code: 1,
            says: &["empty_geometry.csv", "has an empty geometry"],
        },
    );
    let mut kept = lonlat();
    kept.keep_bad_geometry = true;
    kept.args.push("--keep-bad-geometry".into());
    c.zones_case(
        "zones_empty_geometry_kept",
        path,
        kept,
        Expect::Rows(vec![("A", A), ("E", NOTHING)]),
    );

    // A bow-tie over cells (2, 2) .. (3, 3): two triangles meeting at
    // (103, 31), each half of two cells; repaired, both lobes count.
    let bow_tie = bow_tie();
    let path = c.zones_file("bow_tie.geojson", geojson(&[("\"B\"", &bow_tie)], None));
    // Cells: (2,2) 11 and (2,3) 12 each half; (3,2) 15 and (3,3) 16 each half.
    c.zones_case(
        "zones_bow_tie",
        path,
        Extra::default(),
        Expect::Rows(vec![("B", [2.0, 27.0, 11.0, 16.0, 0.0])]),
    );

    // Unclosed ring: closed as if the first point were repeated.
    let unclosed = polygon(&rect(100.0, 32.0, 102.0, 34.0)[..4]);
    c.geojson_case(
        "zones_unclosed_ring",
        "unclosed.geojson",
        &[("\"A\"", &unclosed)],
        Extra::default(),
        Expect::Rows(vec![("A", A)]),
    );

    // A "3-point ring" A, B, A has no area: a zone of no cells.
    let three = polygon(&[(100.0, 32.0), (102.0, 34.0), (100.0, 32.0)]);
    c.geojson_case(
        "zones_three_point_ring",
        "three_point.geojson",
        &[("\"A\"", &a), ("\"T\"", &three)],
        Extra::default(),
        Expect::Rows(vec![("A", A), ("T", NOTHING)]),
    );

    let mut repeated = rect(100.0, 32.0, 102.0, 34.0);
    repeated.insert(1, repeated[0]);
    repeated.insert(3, repeated[2]);
    repeated.insert(3, repeated[2]);
    c.geojson_case(
        "zones_duplicate_points",
        "duplicate_points.geojson",
        &[("\"A\"", &polygon(&repeated))],
        Extra::default(),
        Expect::Rows(vec![("A", A)]),
    );

    // A spike out to 103.5 E along 33 N and back adds no area.
    let spike = polygon(&[
        (100.0, 32.0),
        (102.0, 32.0),
        (102.0, 33.0),
        (103.5, 33.0),
        (102.0, 33.0),
        (102.0, 34.0),
        (100.0, 34.0),
        (100.0, 32.0),
    ]);
    c.geojson_case(
        "zones_spike",
        "spike.geojson",
        &[("\"A\"", &spike)],
        Extra::default(),
        Expect::Rows(vec![("A", A)]),
    );

    let flat = polygon(&[(100.0, 32.0), (101.0, 33.0), (102.0, 34.0), (100.0, 32.0)]);
    c.geojson_case(
        "zones_zero_area",
        "zero_area.geojson",
        &[("\"Z\"", &flat)],
        Extra::default(),
        Expect::Rows(vec![("Z", NOTHING)]),
    );

    // Zone A with a "hole" at cell (3, 3) (value 16), outside its shell: repaired, it counts.
    let hole_outside = format!(
        "{{\"type\":\"Polygon\",\"coordinates\":[{},{}]}}",
        ring_json(&rect(100.0, 32.0, 102.0, 34.0)),
        ring_json(&rect(103.0, 30.0, 104.0, 31.0))
    );
    c.geojson_case(
        "zones_hole_outside_shell",
        "hole_outside.geojson",
        &[("\"H\"", &hole_outside)],
        Extra::default(),
        Expect::Rows(vec![("H", [5.0, 30.0, 1.0, 16.0, 0.0])]),
    );

    // Two parts overlapping on cells (0, 1) and (1, 1): counted once.
    let overlapping = overlapping_parts();
    c.geojson_case(
        "zones_overlapping_parts",
        "overlapping_parts.geojson",
        &[("\"O\"", &overlapping)],
        Extra::default(),
        Expect::Rows(vec![("O", [6.0, 24.0, 1.0, 7.0, 0.0])]),
    );

    let point = r#"{"type":"Point","coordinates":[100.5,33.5]}"#;
    let path = c.zones_file(
        "point.geojson",
        geojson(&[("\"A\"", &a), ("\"P\"", point)], None),
    );
    c.zones_case(
        "zones_point_in_polygon_layer",
        path.clone(),
        Extra::default(),
        Expect::Fails {
            code: 1,
            says: &["point.geojson", "Point", "not a polygon"],
        },
    );
    c.zones_case(
        "zones_point_kept",
        path,
        keep_bad(),
        Expect::Rows(vec![("A", A), ("P", NOTHING)]),
    );
    let line = r#"{"type":"LineString","coordinates":[[100.5,33.5],[101.5,32.5]]}"#;
    let path = c.zones_file("line.geojson", geojson(&[("\"L\"", line)], None));
    c.zones_case(
        "zones_line_in_polygon_layer",
        path,
        Extra::default(),
        Expect::Fails {
            code: 1,
            says: &["line.geojson", "Line String", "not a polygon"],
        },
    );

    // 3D coordinates (GeoJSON) and XYZM (WKT in CSV, no CRS: --zones-crs).
    let a3d = r#"{"type":"Polygon","coordinates":[[[100,32,5],[102,32,5],[102,34,7],[100,34,7],[100,32,5]]]}"#;
    c.geojson_case(
        "zones_3d",
        "three_d.geojson",
        &[("\"A\"", a3d)],
        Extra::default(),
        Expect::Rows(vec![("A", A)]),
    );
    let csv =
        "code,WKT\nA,\"POLYGON ZM ((100 32 1 9,102 32 1 9,102 34 1 9,100 34 1 9,100 32 1 9))\"\n";
    let path = c.zones_file("measured.csv", csv);
    c.zones_case(
        "zones_measured",
        path.clone(),
        Extra {
            zones_crs: Some("EPSG:4326"),
            ..args(&["--zones-crs", "EPSG:4326"])
        },
        Expect::Rows(vec![("A", A)]),
    );
    c.zones_case(
        "zones_without_crs",
        path,
        Extra {
            binary_hint: Some("; use --zones-crs"),
            ..Extra::default()
        },
        Expect::Fails {
            code: 1,
            says: &["measured.csv", "no coordinate reference system"],
        },
    );

    // Ids: empty text, a null, duplicates, bytes that are not UTF-8.
    c.geojson_case(
        "ids_empty_text",
        "empty_id.geojson",
        &[("\"\"", &a)],
        Extra::default(),
        Expect::Rows(vec![("", A)]),
    );
    let path = c.zones_file(
        "null_id.geojson",
        geojson(&[("\"A\"", &a), ("null", &a)], None),
    );
    c.zones_case(
        "ids_null",
        path,
        Extra::default(),
        Expect::Fails {
            code: 1,
            says: &["null_id.geojson", "id field 'code' is empty"],
        },
    );
    let path = c.zones_file(
        "duplicate_ids.geojson",
        geojson(
            &[
                ("\"A\"", &a),
                ("\"A\"", &polygon(&rect(102.0, 30.0, 104.0, 32.0))),
            ],
            None,
        ),
    );
    c.zones_case(
        "ids_duplicate",
        path,
        Extra::default(),
        Expect::Rows(vec![("A", A), ("A", [4.0, 54.0, 11.0, 16.0, 0.0])]),
    );
    let mut latin1 =
        b"code,WKT\nS\xe3o,\"POLYGON ((100 32,102 32,102 34,100 34,100 32))\"\n".to_vec();
    latin1.extend_from_slice(b"");
    let path = c.zones_file("latin1_ids.csv", latin1);
    c.zones_case(
        "ids_not_utf8",
        path,
        Extra {
            zones_crs: Some("EPSG:4326"),
            ..args(&["--zones-crs", "EPSG:4326"])
        },
        Expect::Rows(vec![("S\u{FFFD}o", A)]),
    );

    // Placement: entirely outside; covering the whole raster and as much again beyond it.
    let path = c.zones_file(
        "outside.geojson",
        geojson(
            &[("\"X\"", &polygon(&rect(110.0, 32.0, 112.0, 34.0)))],
            None,
        ),
    );
    c.zones_case(
        "zones_entirely_outside",
        path,
        Extra::default(),
        Expect::Rows(vec![("X", [0.0, 0.0, f64::NAN, f64::NAN, 1.0])]),
    );
    let path = c.zones_file(
        "whole.geojson",
        geojson(
            &[
                ("\"W\"", &polygon(&rect(100.0, 30.0, 104.0, 34.0))),
                ("\"D\"", &polygon(&rect(98.0, 30.0, 104.0, 34.0))),
            ],
            None,
        ),
    );
    c.zones_case(
        "zones_covering_the_raster",
        path,
        Extra::default(),
        Expect::Rows(vec![
            ("W", [16.0, 136.0, 1.0, 16.0, 0.0]),
            ("D", [16.0, 136.0, 1.0, 16.0, 1.0 / 3.0]),
        ]),
    );
}

fn crs(c: &mut Corpus) {
    // Zone A in Web Mercator (EPSG:3857), reprojected to the raster's WGS84.
    let merc = |lon: f64, lat: f64| {
        let r = 6_378_137.0;
        (
            r * lon.to_radians(),
            r * (std::f64::consts::FRAC_PI_4 + lat.to_radians() / 2.0)
                .tan()
                .ln(),
        )
    };
    // Densified along the parallels so that the reprojected edges stay on them.
    let mut ring = Vec::new();
    for i in 0..=20 {
        ring.push(merc(100.0 + 2.0 * i as f64 / 20.0, 32.0));
    }
    for i in 0..=20 {
        ring.push(merc(102.0 - 2.0 * i as f64 / 20.0, 34.0));
    }
    ring.push(ring[0]);
    let path = c.zones_file(
        "mercator.geojson",
        geojson(
            &[("\"A\"", &polygon(&ring))],
            Some("urn:ogc:def:crs:EPSG::3857"),
        ),
    );
    c.zones_case(
        "crs_zones_in_another_crs",
        path,
        Extra::default(),
        Expect::Rows(vec![("A", A)]),
    );

    // GCJ-02: zone A's corners shifted as Chinese web maps shift them; --gcj02 shifts them back.
    let gcj: Vec<(f64, f64)> = rect(100.0, 32.0, 102.0, 34.0)
        .iter()
        .map(|&(x, y)| terralux::zones::gcj02::wgs84_to_gcj02(x, y))
        .collect();
    let path = c.zones_file("gcj02.geojson", geojson(&[("\"A\"", &polygon(&gcj))], None));
    c.zones_case(
        "crs_gcj02",
        path,
        Extra {
            gcj02: true,
            ..args(&["--gcj02"])
        },
        Expect::Rows(vec![("A", A)]),
    );

    // --gcj02 on projected zones is refused.
    let path = c.zones_file(
        "gcj02_projected.geojson",
        geojson(
            &[("\"A\"", &polygon(&ring))],
            Some("urn:ogc:def:crs:EPSG::3857"),
        ),
    );
    c.zones_case(
        "crs_gcj02_needs_lonlat",
        path,
        Extra {
            gcj02: true,
            ..args(&["--gcj02"])
        },
        Expect::Fails {
            code: 1,
            says: &["gcj02_projected.geojson", "longitude/latitude"],
        },
    );
}

fn outputs(c: &mut Corpus) {
    let zones = c.path("a.geojson");
    let raster = c.path("base.tif");
    // A folder that cannot exist: its parent is a file.
    let blocked = c.path("base.tif").join("out.csv");
    c.cases.push(Case {
        name: "output_folder_unwritable",
        raster: raster.clone(),
        zones: zones.clone(),
        output: blocked,
        extra: Extra::default(),
        expect: Expect::Fails {
            code: 1,
            says: &["out.csv"],
        },
    });
    // An output that is a folder.
    let folder = c.dir.join("out").join("taken.csv");
    std::fs::create_dir(&folder).unwrap();
    c.cases.push(Case {
        name: "output_is_a_folder",
        raster,
        zones,
        output: folder,
        extra: Extra::default(),
        expect: Expect::Fails {
            code: 1,
            says: &["taken.csv"],
        },
    });
}

#[test]
fn every_bad_input_has_its_exact_outcome() {
    let mut corpus = Corpus::new();
    files(&mut corpus);
    rasters(&mut corpus);
    zones(&mut corpus);
    crs(&mut corpus);
    outputs(&mut corpus);
    assert!(corpus.cases.len() >= 30, "{} cases", corpus.cases.len());
    for case in &corpus.cases {
        // Binary-only failures (usage errors, output paths) have no library run.
        let binary_only = matches!(case.expect, Expect::Fails { code: 2, .. })
            || case.name.starts_with("output_");
        if binary_only {
            let out = binary(case);
            let stderr = String::from_utf8_lossy(&out.stderr);
            let Expect::Fails { code, says } = &case.expect else {
                unreachable!()
            };
            assert_eq!(out.status.code(), Some(*code), "{}: {stderr}", case.name);
            for s in *says {
                assert!(
                    stderr.contains(s),
                    "{}: expected '{s}' in {stderr}",
                    case.name
                );
            }
            assert!(!stderr.contains("panicked"));
            continue;
        }
        check(case);
    }
}

#[test]
fn an_existing_output_is_replaced_whole() {
    let corpus = Corpus::new();
    let output = corpus.dir.join("out").join("result.csv");
    std::fs::write(
        &output,
        "an older result, longer than the new one will be\n".repeat(100),
    )
    .unwrap();
    let case = Case {
        name: "output_exists",
        raster: corpus.path("base.tif"),
        zones: corpus.path("a.geojson"),
        output: output.clone(),
        extra: Extra::default(),
        expect: Expect::Rows(vec![("A", A)]),
    };
    check(&case);
    assert_eq!(files_in(&corpus.dir.join("out")), Vec::<String>::new());
}

/// A full disk, simulated with a file-size limit (`ulimit -f`, SIGXFSZ
/// ignored so that writes fail with EFBIG instead of killing the process):
/// the run fails with one line and leaves no file, not even a temporary one.
#[test]
fn a_full_disk_fails_cleanly_and_leaves_nothing() {
    let corpus = Corpus::new();
    // Enough zones for a CSV of several kilobytes.
    let features: Vec<(String, String)> = (0..400)
        .map(|i| (format!("\"zone-{i:04}\""), zone_a()))
        .collect();
    let refs: Vec<(&str, &str)> = features
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let zones = corpus.zones_file("many.geojson", geojson(&refs, None));
    let out_dir = corpus.dir.join("out");
    let output = out_dir.join("full.csv");
    let script = format!(
        "trap '' XFSZ; ulimit -f 2; exec \"$0\" --raster {} --zones {} --id-field code --quiet --output {}",
        corpus.path("base.tif").display(),
        zones.display(),
        output.display()
    );
    let out = Command::new("sh")
        .args(["-c", &script])
        .arg(example_binary("zonal"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("full.csv"), "{stderr}");
    assert!(
        stderr.contains("too large") || stderr.contains("No space"),
        "{stderr}"
    );
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert_eq!(files_in(&out_dir), Vec::<String>::new());
}

/// Invalid polygons are measured as repaired, and said so: on stderr and in
/// the provenance's `zones.repaired`, by id; valid zones are not listed.
#[test]
fn repaired_zones_are_reported_by_id() {
    let corpus = Corpus::new();
    let bow_tie = bow_tie();
    let overlapping = overlapping_parts();
    let zones = corpus.zones_file(
        "invalid.geojson",
        geojson(
            &[
                ("\"A\"", &zone_a()),
                ("\"B\"", &bow_tie),
                ("\"O\"", &overlapping),
            ],
            None,
        ),
    );
    let output = corpus.dir.join("out").join("repaired.csv");
    let out = Command::new(example_binary("zonal"))
        .args(["--raster", &corpus.path("base.tif").display().to_string()])
        .args([
            "--zones",
            &zones.display().to_string(),
            "--id-field",
            "code",
            "--quiet",
        ])
        .args(["--output", &output.display().to_string()])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("2 zone(s) with invalid geometry measured as repaired: B, O"),
        "{stderr}"
    );
    let provenance = std::fs::read_to_string(output.with_extension("csv.provenance.json")).unwrap();
    let compact: String = provenance.split_whitespace().collect();
    assert!(compact.contains(r#""repaired":["B","O"]"#), "{provenance}");
}
