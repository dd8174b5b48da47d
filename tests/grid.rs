//! Grid, windows, snapping and cell areas (no GDAL needed).

use geo_types::{Rect, coord};
use terralux::grid::{WGS84_A, WGS84_F, ellipsoidal_cell_area_km2};
use terralux::{Crs, Error, GeoTransform, Grid, PixelCoord, Window};

const CELL: f64 = 1.0 / 240.0;

fn geographic_grid(rows: usize, cols: usize) -> Grid {
    let gt = GeoTransform::new(106.0, CELL, 29.9, -CELL).unwrap();
    Grid::new(gt, rows, cols).unwrap().with_crs(Crs::wgs84())
}

#[test]
fn pixel_world_round_trip() {
    let grid = geographic_grid(100, 120);
    for &(row, col) in &[
        (0.0, 0.0),
        (0.5, 0.5),
        (99.25, 3.75),
        (100.0, 120.0),
        (-3.5, 130.2),
    ] {
        let p = PixelCoord { row, col };
        let back = grid.pixel_of(grid.world_of(p));
        assert!((back.row - row).abs() < 1e-9, "{row} -> {}", back.row);
        assert!((back.col - col).abs() < 1e-9, "{col} -> {}", back.col);
    }
    let c = grid.cell_center(0, 0);
    assert!((c.x - (106.0 + CELL / 2.0)).abs() < 1e-12);
    assert!((c.y - (29.9 - CELL / 2.0)).abs() < 1e-12);
    let b = grid.bounds();
    assert!((b.max().x - 106.5).abs() < 1e-12 && (b.min().y - (29.9 - 100.0 * CELL)).abs() < 1e-12);
}

#[test]
fn south_up_grids_round_trip_too() {
    let gt = GeoTransform::new(0.0, 1.0, -10.0, 1.0).unwrap();
    let grid = Grid::new(gt, 10, 10).unwrap();
    let c = grid.cell_center(0, 0);
    assert_eq!((c.x, c.y), (0.5, -9.5));
    let w = grid.window_from_bounds(&Rect::new(
        coord! { x: 1.5, y: -9.0 },
        coord! { x: 2.5, y: -7.5 },
    ));
    assert_eq!(w, Window::new(1, 1, 2, 2));
}

#[test]
fn gdal_coefficients_round_trip_and_rotation_is_refused() {
    let coefficients = [
        -180.00208333335,
        0.0041666667,
        0.0,
        75.00208333335,
        0.0,
        -0.0041666667,
    ];
    assert_eq!(
        GeoTransform::from_gdal(coefficients).unwrap().to_gdal(),
        coefficients
    );
    for rotated in [
        [0.0, 1.0, 0.2, 0.0, 0.0, -1.0],
        [0.0, 1.0, 0.0, 0.0, -0.1, -1.0],
    ] {
        match GeoTransform::from_gdal(rotated) {
            Err(Error::Grid { reason, .. }) => assert!(reason.contains("rotated"), "{reason}"),
            other => panic!("expected a grid error, got {other:?}"),
        }
    }
    assert!(GeoTransform::from_gdal([0.0, 0.0, 0.0, 0.0, 0.0, -1.0]).is_err());
    assert!(GeoTransform::from_gdal([f64::NAN, 1.0, 0.0, 0.0, 0.0, -1.0]).is_err());
    assert!(Grid::new(GeoTransform::new(0.0, 1.0, 0.0, -1.0).unwrap(), 0, 5).is_err());
}

#[test]
fn windows_at_edges_are_clamped() {
    let grid = geographic_grid(100, 120);
    let b = grid.bounds();
    // Entirely inside.
    let inside = Rect::new(
        coord! { x: 106.0 + 10.2 * CELL, y: 29.9 - 20.5 * CELL },
        coord! { x: 106.0 + 12.0 * CELL, y: 29.9 - 18.0 * CELL },
    );
    assert_eq!(grid.window_from_bounds(&inside), Window::new(18, 10, 3, 2));
    // Over the north-west corner.
    let corner = Rect::new(
        coord! { x: 105.0, y: 29.9 - 2.5 * CELL },
        coord! { x: 106.0 + 1.5 * CELL, y: 31.0 },
    );
    assert_eq!(grid.window_from_bounds(&corner), Window::new(0, 0, 3, 2));
    // Over the south-east corner.
    let se = Rect::new(
        coord! { x: b.max().x - 0.5 * CELL, y: 20.0 },
        coord! { x: 200.0, y: b.min().y + 1.2 * CELL },
    );
    assert_eq!(grid.window_from_bounds(&se), Window::new(98, 119, 2, 1));
    // Covering everything.
    let all = Rect::new(coord! { x: -180.0, y: -90.0 }, coord! { x: 180.0, y: 90.0 });
    assert_eq!(grid.window_from_bounds(&all), grid.full_window());
    // Entirely outside: empty.
    let east = Rect::new(coord! { x: 107.0, y: 29.6 }, coord! { x: 107.1, y: 29.7 });
    assert!(grid.window_from_bounds(&east).is_empty());
    let north = Rect::new(coord! { x: 106.1, y: 30.0 }, coord! { x: 106.2, y: 30.1 });
    assert!(grid.window_from_bounds(&north).is_empty());
    // Window bounds invert window_from_bounds on cell edges.
    let w = Window::new(5, 7, 11, 13);
    assert_eq!(grid.window_from_bounds(&grid.window_bounds(&w)), w);
}

#[test]
fn window_intersection() {
    let full = Window::new(0, 0, 100, 120);
    assert_eq!(
        full.intersection(&Window::new(90, 110, 20, 20)),
        Window::new(90, 110, 10, 10)
    );
    assert_eq!(
        Window::new(3, 4, 5, 6).intersection(&full),
        Window::new(3, 4, 5, 6)
    );
    let apart = Window::new(0, 0, 2, 2).intersection(&Window::new(5, 5, 2, 2));
    assert!(apart.is_empty());
    let touching = Window::new(0, 0, 2, 2).intersection(&Window::new(2, 0, 2, 2));
    assert!(touching.is_empty());
    assert_eq!(Window::new(1, 2, 3, 4).cell_count(), 12);
    assert!(full.contains(99, 119) && !full.contains(100, 0));
    assert_eq!(Window::new(1, 2, 3, 4).to_string(), "rows 1..4, cols 2..6");
}

#[test]
fn eog_grid_snaps_to_exact_fifteen_arcseconds() {
    let eog = [
        -180.00208333335,
        0.0041666667,
        0.0,
        75.00208333335,
        0.0,
        -0.0041666667,
    ];
    let grid = Grid::new(GeoTransform::from_gdal(eog).unwrap(), 33601, 86401)
        .unwrap()
        .with_crs(Crs::wgs84())
        .snapped();
    let t = grid.transform();
    assert_eq!(t.pixel_width, 1.0 / 240.0);
    assert_eq!(t.pixel_height, -1.0 / 240.0);
    assert_eq!(t.origin_x, -180.0 - 1.0 / 480.0);
    assert_eq!(t.origin_y, 75.0 + 1.0 / 480.0);
    // The centre of column 43200 is then exactly on the prime meridian.
    assert!(grid.cell_center(0, 43200).x.abs() < 1e-12);
    // DMSP's 30" grid and whole-degree grids snap too; a 0.3-degree grid has no 1/n form.
    assert_eq!(
        GeoTransform::new(-180.0, 0.0083333333, 75.0, -0.0083333333)
            .unwrap()
            .snapped_to_degree_fractions()
            .pixel_width,
        1.0 / 120.0
    );
    assert_eq!(
        GeoTransform::new(0.0, 0.3, 0.0, -0.3)
            .unwrap()
            .snapped_to_degree_fractions()
            .pixel_width,
        0.3
    );
    // Projected grids are never snapped.
    let utm = Grid::new(GeoTransform::from_gdal(eog).unwrap(), 10, 10)
        .unwrap()
        .with_crs(Crs::projected("EPSG:32648", 1.0));
    assert_eq!(utm.snapped().transform().pixel_width, 0.0041666667);
}

/// Independent truth: Simpson integration of the ellipsoid's area element
/// `a^2 (1 - e^2) cos(phi) / (1 - e^2 sin^2 phi)^2 dphi dlambda`.
fn integrated_area_km2(lat1: f64, lat2: f64, width_deg: f64) -> f64 {
    let e2 = WGS84_F * (2.0 - WGS84_F);
    let f = |phi: f64| {
        let s = phi.sin();
        WGS84_A * WGS84_A * (1.0 - e2) * phi.cos() / (1.0 - e2 * s * s).powi(2)
    };
    let (a, b) = (lat1.to_radians(), lat2.to_radians());
    let n = 64;
    let h = (b - a) / n as f64;
    let mut sum = f(a) + f(b);
    for i in 1..n {
        sum += f(a + i as f64 * h) * if i % 2 == 1 { 4.0 } else { 2.0 };
    }
    (sum * h / 3.0 * width_deg.to_radians()).abs() / 1e6
}

#[test]
fn ellipsoidal_cell_areas_match_domain_table_and_integration() {
    // DOMAIN.md §3: one 15" cell centred on each latitude, km^2, 6 decimals.
    let table = [
        (0.0, 0.213699),
        (10.0, 0.210538),
        (20.0, 0.201126),
        (30.0, 0.185690),
        (40.0, 0.164612),
        (45.0, 0.152125),
        (50.0, 0.138449),
        (53.5, 0.128220),
    ];
    for (lat, expected) in table {
        let area = ellipsoidal_cell_area_km2(lat - CELL / 2.0, lat + CELL / 2.0, CELL);
        assert!(
            (area - expected).abs() <= 5e-7,
            "{lat}: {area} vs {expected}"
        );
        let truth = integrated_area_km2(lat - CELL / 2.0, lat + CELL / 2.0, CELL);
        assert!(
            (area / truth - 1.0).abs() < 1e-9,
            "{lat}: {area} vs integrated {truth}"
        );
        // Symmetric about the equator.
        let south = ellipsoidal_cell_area_km2(-lat - CELL / 2.0, -lat + CELL / 2.0, CELL);
        assert!((south / area - 1.0).abs() < 1e-9);
    }
    // Large cells and the pole.
    let big = ellipsoidal_cell_area_km2(80.0, 90.0, 10.0);
    assert!((big / integrated_area_km2(80.0, 90.0, 10.0) - 1.0).abs() < 1e-8);
    // The whole ellipsoid: 510,065,621.7 km^2.
    let earth = ellipsoidal_cell_area_km2(-90.0, 90.0, 360.0);
    assert!((earth - 510_065_621.7).abs() < 1.0, "{earth}");
}

#[test]
fn grid_cell_areas_per_row() {
    // A grid whose row 0 is centred on 30N.
    let gt = GeoTransform::new(100.0, CELL, 30.0 + CELL / 2.0, -CELL).unwrap();
    let grid = Grid::new(gt, 10, 10).unwrap().with_crs(Crs::wgs84());
    assert!((grid.cell_area_km2(0).unwrap() - 0.185690).abs() <= 5e-7);
    let areas = grid.cell_areas_km2(&Window::new(2, 0, 3, 10)).unwrap();
    assert_eq!(areas.len(), 3);
    assert!(
        areas[0] < areas[1] && areas[1] < areas[2],
        "cells grow towards the equator"
    );
    // Projected: planar, in the CRS's linear unit.
    let utm = Grid::new(
        GeoTransform::new(500_000.0, 500.0, 3_300_000.0, -500.0).unwrap(),
        4,
        4,
    )
    .unwrap()
    .with_crs(Crs::projected("EPSG:32648", 1.0));
    assert_eq!(utm.cell_area_km2(3).unwrap(), 0.25);
    let feet = Grid::new(GeoTransform::new(0.0, 1000.0, 0.0, -1000.0).unwrap(), 1, 1)
        .unwrap()
        .with_crs(Crs::projected("EPSG:2230", 0.3048006096012192));
    assert!((feet.cell_area_km2(0).unwrap() - 0.092903411613275).abs() < 1e-12);
    // No CRS: a clear error.
    let bare = Grid::new(gt, 1, 1).unwrap();
    assert!(matches!(bare.cell_area_km2(0), Err(Error::Grid { .. })));
}
