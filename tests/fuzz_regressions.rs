//! Inputs the fuzz targets (`fuzz/`) found to break an invariant, each
//! kept as a test of the fixed behaviour. See `fuzz/README.md`.

use geo_types::{Coord, LineString, MultiPolygon, Polygon};
use terralux::coverage::{Coverage, CoverageMode};
use terralux::{Crs, GeoTransform, Grid};

fn grid(origin_x: f64, origin_y: f64, cell: f64, rows: usize, cols: usize) -> Grid {
    Grid::new(
        GeoTransform::new(origin_x, cell, origin_y, -cell).unwrap(),
        rows,
        cols,
    )
    .unwrap()
    .with_crs(Crs::wgs84())
}

fn ring(points: &[(f64, f64)]) -> LineString<f64> {
    LineString(points.iter().map(|&(x, y)| Coord { x, y }).collect())
}

const MODES: [CoverageMode; 3] = [
    CoverageMode::Exact,
    CoverageMode::Center,
    CoverageMode::AllTouched,
];

/// coverage, crash-7bb0f8dd: a polygon with an empty exterior and one hole
/// was "repaired" into the hole's triangle.
#[test]
fn a_hole_without_an_exterior_covers_nothing() {
    let g = grid(0.0, 5.375, 0.125, 24, 24);
    let hole = ring(&[(0.0, -2.6875), (0.8125, 6.75), (0.0, 0.0)]);
    let zone = MultiPolygon(vec![Polygon::new(LineString(vec![]), vec![hole])]);
    for mode in MODES {
        let coverage = Coverage::compute(&zone, &g, mode);
        assert!(coverage.is_empty(), "{mode:?}");
        assert!(coverage.repaired_geometry().is_none());
        assert_eq!(coverage.outside_fraction(), None);
    }
}

/// coverage, crash-f1e2a68b: coordinates near 1e257 made the zone's area
/// overflow and its outside fraction NaN.
#[test]
fn overflowing_coordinates_give_no_nan() {
    let g = grid(-128.0, 128.0, 128.0, 24, 24);
    let exterior = ring(&[
        (4.107_321_966, -0.001_003),
        (1.313_444_103_619_435_1e103, 6.397_426_989_295_325e257),
        (-0.001_003, -0.001_003),
        (3.765_672_191_385_805e255, 4.719_172_692_808_726e-79),
        (0.256_770_3, 0.018_054_16),
    ]);
    let zone = MultiPolygon(vec![Polygon::new(exterior, vec![])]);
    for mode in MODES {
        let coverage = Coverage::compute(&zone, &g, mode);
        assert!(coverage.total_fraction().is_finite(), "{mode:?}");
        let outside = coverage.outside_fraction();
        assert!(
            outside.is_none_or(|o| (0.0..=1.0).contains(&o)),
            "{mode:?}: {outside:?}"
        );
    }
}

/// coverage, crash-b16f6926: an edge piece 4e-323 wide lost its height
/// (`d * width` underflowed to 0), so a sliver's carry spilled over the row.
#[test]
fn an_edge_a_few_subnormals_wide_keeps_its_height() {
    let g = Grid::new(GeoTransform::new(0.0, 1.0, 8.0, -1.0).unwrap(), 24, 16).unwrap();
    let exterior = ring(&[
        (42.5, -39.5),
        (0.0, 0.017_051_153_460_381_142),
        (4e-323, 0.0),
    ]);
    let zone = MultiPolygon(vec![Polygon::new(exterior, vec![])]);
    let coverage = Coverage::compute(&zone, &g, CoverageMode::Exact);
    assert!(coverage.repaired_geometry().is_none());
    // The part of the sliver with x in 0..16, by similar triangles.
    let area = 42.5 * 0.017_051_153_460_381_142 / 2.0;
    let inside = area * (1.0 - ((42.5 - 16.0) / 42.5f64).powi(2));
    assert!((coverage.total_fraction() - inside).abs() < 1e-12);
    assert!(
        coverage.fraction_at(7, 5) == 0.0,
        "no carry past the sliver"
    );
}

/// coverage, crash-be889da8: an exterior whose points lie on one line (it
/// encloses nothing) with a triangular hole was flagged invalid and
/// "repaired" into the hole. A polygon whose exterior encloses nothing is
/// empty, whatever its holes.
#[test]
fn holes_of_an_exterior_that_encloses_nothing_cut_nothing() {
    let g = grid(-8.0, 8.0, 1.0, 24, 24);
    let exterior = ring(&[
        (-27.84, -27.84),
        (21.91, 21.91),
        (42.5, 42.5),
        (-27.84, -27.84),
    ]);
    let hole = ring(&[(42.5, 42.5), (21.5, -0.5), (10.5, 0.0), (42.5, 42.5)]);
    let zone = MultiPolygon(vec![Polygon::new(exterior, vec![hole])]);
    for mode in MODES {
        let coverage = Coverage::compute(&zone, &g, mode);
        assert!(coverage.is_empty(), "{mode:?}");
        assert!(coverage.repaired_geometry().is_none(), "{mode:?}");
    }
    assert_eq!(terralux::grid::ellipsoidal_polygon_area_km2(&zone), 0.0);
}

/// Found by `tests/properties.rs`: an invalid zone (a bow-tie) with a NaN
/// vertex reached the repair, whose boolean operations panic on NaN.
/// Non-finite vertices are dropped before repair, as coverage drops them.
#[test]
fn an_invalid_zone_with_a_nan_vertex_is_repaired_without_panic() {
    let g = grid(0.0, 4.0, 1.0, 4, 4);
    let bow_tie = ring(&[
        (0.0, 0.0),
        (2.0, 2.0),
        (f64::NAN, 1.0),
        (2.0, 0.0),
        (0.0, 2.0),
    ]);
    let zone = MultiPolygon(vec![Polygon::new(bow_tie, vec![])]);
    for mode in MODES {
        let coverage = Coverage::compute(&zone, &g, mode);
        assert!(coverage.repaired_geometry().is_some(), "{mode:?}");
    }
    let exact = Coverage::compute(&zone, &g, CoverageMode::Exact);
    assert!(
        (exact.total_fraction() - 2.0).abs() < 1e-9,
        "{}",
        exact.total_fraction()
    );
}

/// coverage, crash-478d41e6: a valid sliver whose two vertices lie 1e-185
/// apart has a signed area near zero but no cancelling lobes; it was
/// taken for a bow-tie and "repaired".
#[test]
fn a_valid_sliver_of_almost_no_area_is_not_repaired() {
    // (The fuzzer's grid lay east of the sliver; this one lies under it.)
    let g = grid(0.0, 24.0, 1.0, 24, 24);
    let sliver = ring(&[
        (17.5, 17.5),
        (-2.353_436_785_071_718e-185, -2.353_437_368_264_535e-185),
        (3.947_843_530_591_775, 19.771_313_941_825_476),
        (1.21e-321, 0.0),
        (17.5, 17.5),
    ]);
    let zone = MultiPolygon(vec![Polygon::new(sliver, vec![])]);
    for mode in MODES {
        let coverage = Coverage::compute(&zone, &g, mode);
        assert!(coverage.repaired_geometry().is_none(), "{mode:?}");
        assert!(coverage.total_fraction() < 1e-9, "{mode:?}");
    }
}
