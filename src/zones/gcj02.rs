//! GCJ-02, the obfuscated datum of Chinese web maps (Amap/Gaode, Tencent,
//! and boundary data sets derived from them), and its inverse.
//!
//! The forward transform is the published one (DOMAIN.md §5): an offset
//! polynomial in `(lon - 105, lat - 35)` scaled onto the Krasovsky 1940
//! ellipsoid (`a = 6378245`, `e^2 = 0.00669342162296594323`). It moves points by
//! 50 to 700 m. Outside China's rough bounding box the transform is the
//! identity, as in the published code. The inverse has no closed form: a
//! fixed-point iteration `w <- w - (F(w) - g)` converges to well under a
//! millimetre in a few steps.
//!
//! ```
//! use terralux::zones::gcj02::{gcj02_to_wgs84, wgs84_to_gcj02};
//! let (lon, lat) = (106.55, 29.56); // Chongqing
//! let (glon, glat) = wgs84_to_gcj02(lon, lat);
//! assert!((glon - lon).abs() > 1e-4); // a few hundred metres away
//! let (back_lon, back_lat) = gcj02_to_wgs84(glon, glat);
//! assert!((back_lon - lon).abs() < 1e-9 && (back_lat - lat).abs() < 1e-9);
//! ```

use std::f64::consts::PI;

/// Semi-major axis of the Krasovsky 1940 ellipsoid used by GCJ-02, metres.
const KRASOVSKY_A: f64 = 6_378_245.0;
/// First eccentricity squared of the Krasovsky 1940 ellipsoid.
#[allow(clippy::excessive_precision)] // the published constant, kept as published
const KRASOVSKY_EE: f64 = 0.006_693_421_622_965_943_23;

/// True outside the box where GCJ-02 applies an offset (72.004..137.8347 E, 0.8293..55.8271 N).
pub fn outside_china(lon: f64, lat: f64) -> bool {
    !(72.004..=137.8347).contains(&lon) || !(0.8293..=55.8271).contains(&lat)
}

fn offset_lat(x: f64, y: f64) -> f64 {
    let mut r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * x.abs().sqrt();
    r += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    r += (20.0 * (y * PI).sin() + 40.0 * (y / 3.0 * PI).sin()) * 2.0 / 3.0;
    r += (160.0 * (y / 12.0 * PI).sin() + 320.0 * (y * PI / 30.0).sin()) * 2.0 / 3.0;
    r
}

fn offset_lon(x: f64, y: f64) -> f64 {
    let mut r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * x.abs().sqrt();
    r += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    r += (20.0 * (x * PI).sin() + 40.0 * (x / 3.0 * PI).sin()) * 2.0 / 3.0;
    r += (150.0 * (x / 12.0 * PI).sin() + 300.0 * (x / 30.0 * PI).sin()) * 2.0 / 3.0;
    r
}

/// WGS84 longitude/latitude (degrees) to GCJ-02.
pub fn wgs84_to_gcj02(lon: f64, lat: f64) -> (f64, f64) {
    if outside_china(lon, lat) {
        return (lon, lat);
    }
    let (x, y) = (lon - 105.0, lat - 35.0);
    let rad_lat = lat.to_radians();
    let magic = 1.0 - KRASOVSKY_EE * rad_lat.sin().powi(2);
    let sqrt_magic = magic.sqrt();
    let dlat = offset_lat(x, y) * 180.0
        / ((KRASOVSKY_A * (1.0 - KRASOVSKY_EE)) / (magic * sqrt_magic) * PI);
    let dlon = offset_lon(x, y) * 180.0 / (KRASOVSKY_A / sqrt_magic * rad_lat.cos() * PI);
    (lon + dlon, lat + dlat)
}

/// GCJ-02 longitude/latitude (degrees) to WGS84, by iterating the forward
/// transform until the residual is below 1e-10 degrees (about 0.01 mm);
/// at most 30 steps.
pub fn gcj02_to_wgs84(lon: f64, lat: f64) -> (f64, f64) {
    if !lon.is_finite() || !lat.is_finite() {
        return (lon, lat);
    }
    let (mut wlon, mut wlat) = (lon, lat);
    for _ in 0..30 {
        let (glon, glat) = wgs84_to_gcj02(wlon, wlat);
        let (dlon, dlat) = (glon - lon, glat - lat);
        wlon -= dlon;
        wlat -= dlat;
        if dlon.abs() < 1e-10 && dlat.abs() < 1e-10 {
            break;
        }
    }
    (wlon, wlat)
}
