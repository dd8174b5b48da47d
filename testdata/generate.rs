//! Generator of terralux's test data (`cargo run --example make_testdata [-- OUT_DIR]`).
//!
//! Deterministic: the same files (byte for byte for the GeoTIFFs; the same
//! content and timestamps for the GeoPackage) on every run. What each file
//! holds is described in `testdata/README.md`; tests rely on the facts
//! stated there, so change both together.

use std::error::Error;
use std::f64::consts::PI;
use std::path::{Path, PathBuf};

use gdal::raster::{Buffer, RasterCreationOptions};
use gdal::spatial_ref::SpatialRef;
use gdal::vector::{
    FieldDefn, LayerAccess, LayerOptions, OGRFieldType, OGRwkbGeometryType, ToGdal,
};
use gdal::{DriverManager, Metadata};
use geo_types::{Coord, LineString, MultiPolygon, Polygon};

/// 15 arc-seconds in degrees.
const CELL: f64 = 1.0 / 240.0;
const COLS: usize = 120;
const ROWS: usize = 100;
/// Grid edges sit half a cell off round degrees, as on EOG's VIIRS grid.
const WEST: f64 = 106.0 - CELL / 2.0;
const NORTH: f64 = 29.9 + CELL / 2.0;
/// The Float32 nodata value (chosen so that it is not exact in Float32).
const NODATA: f64 = -999.9;
/// The UInt16 product's fill value and scale, as in Black Marble collection 1.
const U16_FILL: u16 = 65535;
const U16_SCALE: f64 = 0.1;

fn main() -> Result<(), Box<dyn Error>> {
    let out = PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| "testdata".into()));
    std::fs::create_dir_all(&out)?;
    // Fixed timestamps inside the GeoPackage, for reproducible files.
    gdal::config::set_config_option("OGR_CURRENT_DATE", "2026-01-01T00:00:00Z")?;
    let values = radiance();
    write_float_raster(&out.join("ntl.tif"), &values)?;
    write_scaled_raster(&out.join("ntl_u16.tif"), &values)?;
    write_counties(&out.join("counties.gpkg"))?;
    write_products(&out.join("products"), &values)?;
    println!(
        "wrote ntl.tif, ntl_u16.tif, counties.gpkg and products/ to {}",
        out.display()
    );
    Ok(())
}

/// Night-light product fixtures in `products/` (see testdata/README.md):
/// three EOG VNL annual layers with `cf_cvg` companions in `vnl/`, a DMSP
/// tile in `dmsp/` and a population raster on a 30" grid.
fn write_products(dir: &Path, values: &[f64]) -> Result<(), Box<dyn Error>> {
    std::fs::create_dir_all(dir.join("vnl"))?;
    std::fs::create_dir_all(dir.join("dmsp"))?;
    let driver = DriverManager::get_driver_by_name("GTiff")?;
    let options = create_options(&["COMPRESS=DEFLATE"])?;
    let gt15 = geotransform_as_eog_stores_it();
    // Lights grow 10 % a year; nodata cells stay nodata; one negative cell per year.
    for (k, year) in [2021, 2022, 2023].into_iter().enumerate() {
        let growth = 1.1f64.powi(k as i32);
        let stem = format!("VNL_v22_npp_{year}_global_vcmslcfg_c202402081200");
        let mut lights: Vec<f32> = values
            .iter()
            .map(|&v| {
                if v.is_nan() {
                    NODATA as f32
                } else {
                    (v * growth) as f32
                }
            })
            .collect();
        lights[50 * COLS + 10] = -0.3;
        write_tif(
            &driver,
            &dir.join("vnl")
                .join(format!("{stem}.average_masked.dat.tif")),
            COLS,
            ROWS,
            gt15,
            Some(NODATA),
            &lights,
            &options,
        )?;
        // cf_cvg: observations per cell; none (0) in a band of rows that moves each year.
        let coverage: Vec<u8> = (0..ROWS * COLS)
            .map(|i| {
                if (60 + 4 * k..64 + 4 * k).contains(&(i / COLS)) {
                    0
                } else {
                    12
                }
            })
            .collect();
        write_tif(
            &driver,
            &dir.join("vnl").join(format!("{stem}.cf_cvg.dat.tif")),
            COLS,
            ROWS,
            gt15,
            None,
            &coverage,
            &options,
        )?;
    }
    // DMSP F18 2010: 30" cells (twice 15"), DN 0..63 with saturation, 255 nodata.
    let (rows30, cols30) = (ROWS / 2, COLS / 2);
    let gt30 = [WEST, 2.0 * CELL, 0.0, NORTH, 0.0, -2.0 * CELL];
    let dn: Vec<u8> = (0..rows30 * cols30)
        .map(|i| {
            let (r, c) = (i / cols30, i % cols30);
            let v = values[(2 * r) * COLS + 2 * c];
            if v.is_nan() {
                255
            } else {
                (v * 1.5).round().min(63.0) as u8
            }
        })
        .collect();
    write_tif(
        &driver,
        &dir.join("dmsp")
            .join("F182010.v4d_web.stable_lights.avg_vis.tif"),
        cols30,
        rows30,
        gt30,
        None,
        &dn,
        &options,
    )?;
    // Population on the 30" grid (people per cell): denser where it is bright.
    let people: Vec<f32> = (0..rows30 * cols30)
        .map(|i| {
            let (r, c) = (i / cols30, i % cols30);
            let v = values[(2 * r) * COLS + 2 * c];
            if v.is_nan() {
                80.0
            } else {
                (80.0 + 40.0 * v).round() as f32
            }
        })
        .collect();
    write_tif(
        &driver,
        &dir.join("population_30s.tif"),
        cols30,
        rows30,
        gt30,
        None,
        &people,
        &options,
    )?;
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn write_tif<T: gdal::raster::GdalType + Copy>(
    driver: &gdal::Driver,
    path: &Path,
    cols: usize,
    rows: usize,
    gt: [f64; 6],
    nodata: Option<f64>,
    data: &[T],
    options: &RasterCreationOptions,
) -> Result<(), Box<dyn Error>> {
    let mut ds = driver.create_with_band_type_with_options::<T, _>(path, cols, rows, 1, options)?;
    ds.set_geo_transform(&gt)?;
    ds.set_spatial_ref(&SpatialRef::from_epsg(4326)?)?;
    let mut band = ds.rasterband(1)?;
    if nodata.is_some() {
        band.set_no_data_value(nodata)?;
    }
    let mut buffer = Buffer::new((cols, rows), data.to_vec());
    band.write((0, 0), (cols, rows), &mut buffer)?;
    Ok(())
}

#[path = "../benches/common/splitmix.rs"]
mod splitmix;
use splitmix::Rng;

/// Night-light-like radiance (nW/cm2/sr), row-major, with NaN marking nodata.
fn radiance() -> Vec<f64> {
    let mut rng = Rng(20_261_123);
    // (lon, lat, peak, sigma in degrees): bright clustered "cities".
    let cities = [
        (106.10, 29.80, 60.0, 0.020),
        (106.30, 29.70, 80.0, 0.030),
        (106.42, 29.60, 25.0, 0.015),
        (106.20, 29.55, 10.0, 0.010),
    ];
    let mut values = Vec::with_capacity(ROWS * COLS);
    for row in 0..ROWS {
        for col in 0..COLS {
            let lon = WEST + (col as f64 + 0.5) * CELL;
            let lat = NORTH - (row as f64 + 0.5) * CELL;
            let background = 0.15 + 0.35 * rng.uniform();
            let lights: f64 = cities
                .iter()
                .map(|&(x, y, peak, sigma)| {
                    let d2 = (lon - x).powi(2) + (lat - y).powi(2);
                    peak * (-d2 / (2.0 * sigma * sigma)).exp()
                })
                .sum();
            let sprinkle = rng.uniform();
            // Dark countryside in the south-west corner: exact zeros.
            let dark = row >= 90 && col < 20;
            let value = if dark {
                0.0
            } else {
                ((background + lights) * 100.0).round() / 100.0
            };
            let nodata = row == 40                              // a full nodata stripe
                || (col == 75 && row < 60)                      // a partial column stripe
                || ((84..92).contains(&row) && (96..108).contains(&col)) // a nodata patch
                || sprinkle < 0.005; // scattered missing cells
            values.push(if nodata { f64::NAN } else { value });
        }
    }
    values
}

fn geotransform_as_eog_stores_it() -> [f64; 6] {
    // EOG rounds 1/240 to 0.0041666667 and the origin to 11 decimals; readers must snap.
    let round = |v: f64, digits: i32| (v * 10f64.powi(digits)).round() / 10f64.powi(digits);
    [
        round(WEST, 11),
        0.0041666667,
        0.0,
        round(NORTH, 11),
        0.0,
        -0.0041666667,
    ]
}

fn create_options(options: &[&str]) -> Result<RasterCreationOptions, Box<dyn Error>> {
    let mut list = RasterCreationOptions::new();
    for option in options {
        list.add_string(option)?;
    }
    Ok(list)
}

/// `ntl.tif`: Float32, tiled 32 x 32, DEFLATE, nodata -999.9; NaN cells too.
fn write_float_raster(path: &Path, values: &[f64]) -> Result<(), Box<dyn Error>> {
    let driver = DriverManager::get_driver_by_name("GTiff")?;
    let options = create_options(&[
        "TILED=YES",
        "BLOCKXSIZE=32",
        "BLOCKYSIZE=32",
        "COMPRESS=DEFLATE",
        "PREDICTOR=3",
    ])?;
    let mut ds =
        driver.create_with_band_type_with_options::<f32, _>(path, COLS, ROWS, 1, &options)?;
    ds.set_geo_transform(&geotransform_as_eog_stores_it())?;
    ds.set_spatial_ref(&SpatialRef::from_epsg(4326)?)?;
    ds.set_description("terralux test radiance")?;
    let mut band = ds.rasterband(1)?;
    band.set_no_data_value(Some(NODATA))?;
    // Most missing cells carry the nodata value; three carry NaN, which is invalid too.
    let mut nan_left = 3;
    let data: Vec<f32> = values
        .iter()
        .map(|&v| {
            if v.is_nan() {
                if nan_left > 0 {
                    nan_left -= 1;
                    f32::NAN
                } else {
                    NODATA as f32
                }
            } else {
                v as f32
            }
        })
        .collect();
    let mut buffer = Buffer::new((COLS, ROWS), data);
    band.write((0, 0), (COLS, ROWS), &mut buffer)?;
    Ok(())
}

/// `ntl_u16.tif`: the same radiance as UInt16 with scale 0.1, fill 65535,
/// in strips of 16 rows (not tiled), DEFLATE.
fn write_scaled_raster(path: &Path, values: &[f64]) -> Result<(), Box<dyn Error>> {
    let driver = DriverManager::get_driver_by_name("GTiff")?;
    let options = create_options(&["TILED=NO", "BLOCKYSIZE=16", "COMPRESS=DEFLATE"])?;
    let mut ds =
        driver.create_with_band_type_with_options::<u16, _>(path, COLS, ROWS, 1, &options)?;
    ds.set_geo_transform(&geotransform_as_eog_stores_it())?;
    ds.set_spatial_ref(&SpatialRef::from_epsg(4326)?)?;
    let mut band = ds.rasterband(1)?;
    band.set_no_data_value(Some(U16_FILL as f64))?;
    band.set_scale(U16_SCALE)?;
    band.set_offset(0.0)?;
    let data: Vec<u16> = values
        .iter()
        .map(|&v| {
            if v.is_nan() {
                U16_FILL
            } else {
                (v / U16_SCALE).round() as u16
            }
        })
        .collect();
    let mut buffer = Buffer::new((COLS, ROWS), data);
    band.write((0, 0), (COLS, ROWS), &mut buffer)?;
    Ok(())
}

/// One county: its attributes and geometry.
struct County {
    code: String,
    name: &'static str,
    city: &'static str,
    province: &'static str,
    geometry: MultiPolygon<f64>,
}

const NAMES: [&str; 20] = [
    "Yuzhong",
    "Dadukou",
    "Jiangbei",
    "Shapingba",
    "Jiulongpo",
    "Nan'an",
    "Beibei",
    "Yubei",
    "Banan",
    "Fuling",
    "Changshou",
    "Jiangjin",
    "Hechuan",
    "Yongchuan",
    "Nanchuan",
    "Qijiang",
    "Dazu",
    "Bishan",
    "Tongliang",
    "Tongnan",
];

/// The tessellation: 4 rows x 5 columns of counties sharing wavy borders.
const TESS_ROWS: usize = 4;
const TESS_COLS: usize = 5;

fn node(rng_nodes: &[Coord<f64>], row: usize, col: usize) -> Coord<f64> {
    rng_nodes[row * (TESS_COLS + 1) + col]
}

/// The wavy border between two nodes, identical (reversed) from either side.
fn border(a: Coord<f64>, b: Coord<f64>, wave_seed: u64) -> Vec<Coord<f64>> {
    let steps = 9;
    let (dx, dy) = (b.x - a.x, b.y - a.y);
    let len = (dx * dx + dy * dy).sqrt();
    let (nx, ny) = (-dy / len, dx / len);
    let phase = (wave_seed % 7) as f64;
    (0..=steps)
        .map(|i| {
            let t = i as f64 / steps as f64;
            let amp = 0.004 * (PI * t).sin() * (3.0 * PI * t + phase).sin();
            Coord {
                x: a.x + t * dx + amp * nx,
                y: a.y + t * dy + amp * ny,
            }
        })
        .collect()
}

/// The border from node `a` to node `b`, generated in a canonical direction.
fn edge(nodes: &[Coord<f64>], a: (usize, usize), b: (usize, usize)) -> Vec<Coord<f64>> {
    let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
    let seed = (lo.0 * 31 + lo.1 * 17 + hi.0 * 7 + hi.1 * 3) as u64;
    let mut points = border(node(nodes, lo.0, lo.1), node(nodes, hi.0, hi.1), seed);
    if a > b {
        points.reverse();
    }
    points
}

fn ring(points: Vec<Coord<f64>>) -> LineString<f64> {
    let mut ls = LineString(points);
    ls.close();
    ls
}

fn regular_polygon(cx: f64, cy: f64, r: f64, n: usize, clockwise: bool) -> LineString<f64> {
    let mut points: Vec<Coord<f64>> = (0..n)
        .map(|i| {
            let a = 2.0 * PI * i as f64 / n as f64;
            Coord {
                x: cx + r * a.cos(),
                y: cy + r * a.sin(),
            }
        })
        .collect();
    if clockwise {
        points.reverse();
    }
    ring(points)
}

fn rectangle(x0: f64, y0: f64, x1: f64, y1: f64) -> Polygon<f64> {
    Polygon::new(
        ring(vec![
            Coord { x: x0, y: y0 },
            Coord { x: x1, y: y0 },
            Coord { x: x1, y: y1 },
            Coord { x: x0, y: y1 },
        ]),
        vec![],
    )
}

fn counties() -> Vec<County> {
    let mut rng = Rng(7);
    // Nodes: x from 106.03 to 106.555 (past the raster's east edge), y from 29.88 down to 29.62.
    let mut nodes = Vec::new();
    for row in 0..=TESS_ROWS {
        for col in 0..=TESS_COLS {
            let mut x = 106.03 + col as f64 * 0.105;
            let mut y = 29.88 - row as f64 * 0.065;
            let interior = row > 0 && row < TESS_ROWS && col > 0 && col < TESS_COLS;
            if interior {
                x += (rng.uniform() - 0.5) * 0.03;
                y += (rng.uniform() - 0.5) * 0.03;
            }
            nodes.push(Coord { x, y });
        }
    }
    let hole_centre = (106.03 + 1.5 * 0.105, 29.88 - 1.5 * 0.065);
    let mut out = Vec::new();
    for row in 0..TESS_ROWS {
        for col in 0..TESS_COLS {
            // Counter-clockwise: bottom-left, bottom-right, top-right, top-left.
            let corners = [
                (row + 1, col),
                (row + 1, col + 1),
                (row, col + 1),
                (row, col),
            ];
            let mut points = Vec::new();
            for k in 0..4 {
                let mut e = edge(&nodes, corners[k], corners[(k + 1) % 4]);
                e.pop(); // the next edge starts with this point
                points.extend(e);
            }
            let holes = if (row, col) == (1, 1) {
                vec![regular_polygon(hole_centre.0, hole_centre.1, 0.02, 6, true)]
            } else {
                vec![]
            };
            let mut parts = vec![Polygon::new(ring(points), holes)];
            if (row, col) == (TESS_ROWS - 1, 0) {
                // A multipart county: two islands in the southern margin.
                parts.push(rectangle(106.05, 29.565, 106.08, 29.585));
                parts.push(Polygon::new(
                    regular_polygon(106.11, 29.575, 0.008, 5, false),
                    vec![],
                ));
            }
            let index = row * TESS_COLS + col;
            let (province, city) = if col < 3 {
                (
                    "Chongqing",
                    if row < 2 {
                        "Chongqing North"
                    } else {
                        "Chongqing South"
                    },
                )
            } else {
                ("Sichuan", if row < 2 { "Guang'an" } else { "Suining" })
            };
            let prefix = if col < 3 { "50" } else { "51" };
            out.push(County {
                code: format!("{prefix}{:04}", 101 + index),
                name: NAMES[index],
                city,
                province,
                geometry: MultiPolygon(parts),
            });
        }
    }
    out.push(County {
        code: "500121".into(),
        name: "Lake Island",
        city: "Chongqing North",
        province: "Chongqing",
        geometry: MultiPolygon(vec![Polygon::new(
            regular_polygon(hole_centre.0, hole_centre.1, 0.02, 6, false),
            vec![],
        )]),
    });
    out.push(County {
        code: "510122".into(),
        name: "Far East",
        city: "Suining",
        province: "Sichuan",
        geometry: MultiPolygon(vec![rectangle(107.0, 29.6, 107.1, 29.7)]),
    });
    // Smaller than one 15" cell (about 0.0042 degrees), inside cell (row 89, col 60).
    let (tx, ty) = (WEST + 60.3 * CELL, NORTH - 89.4 * CELL);
    out.push(County {
        code: "500123".into(),
        name: "Tiny",
        city: "Chongqing South",
        province: "Chongqing",
        geometry: MultiPolygon(vec![Polygon::new(
            ring(vec![
                Coord { x: tx, y: ty },
                Coord {
                    x: tx + 0.4 * CELL,
                    y: ty,
                },
                Coord {
                    x: tx + 0.2 * CELL,
                    y: ty + 0.3 * CELL,
                },
            ]),
            vec![],
        )]),
    });
    // Entirely inside the nodata patch (rows 84..92, cols 96..108).
    out.push(County {
        code: "510124".into(),
        name: "Nodata Patch",
        city: "Suining",
        province: "Sichuan",
        geometry: MultiPolygon(vec![rectangle(
            WEST + 97.5 * CELL,
            NORTH - 90.5 * CELL,
            WEST + 106.5 * CELL,
            NORTH - 85.5 * CELL,
        )]),
    });
    out
}

/// `counties.gpkg`, layer `counties`, EPSG:4326, MultiPolygon.
fn write_counties(path: &Path) -> Result<(), Box<dyn Error>> {
    if path.exists() {
        std::fs::remove_file(path)?;
    }
    let driver = DriverManager::get_driver_by_name("GPKG")?;
    let mut ds = driver.create_vector_only(path)?;
    let srs = SpatialRef::from_epsg(4326)?;
    let layer = ds.create_layer(LayerOptions {
        name: "counties",
        srs: Some(&srs),
        ty: OGRwkbGeometryType::wkbMultiPolygon,
        options: None,
    })?;
    for name in ["code", "name", "city", "province"] {
        FieldDefn::new(name, OGRFieldType::OFTString)?.add_to_layer(&layer)?;
    }
    for county in counties() {
        let mut feature = gdal::vector::Feature::new(layer.defn())?;
        feature.set_field_string(0, &county.code)?;
        feature.set_field_string(1, county.name)?;
        feature.set_field_string(2, county.city)?;
        feature.set_field_string(3, county.province)?;
        feature.set_geometry(county.geometry.to_gdal()?)?;
        feature.create(&layer)?;
    }
    Ok(())
}
