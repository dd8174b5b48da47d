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

/// coverage, crash-9ab6f06a: an invalid zone mixing lattice coordinates
/// with 1e103 .. 1e164 ones made the repair's boolean operations (i_overlay)
/// index out of bounds. Rings are clipped to ±1e12 before repair.
#[test]
fn repairing_a_zone_with_astronomical_coordinates_does_not_panic() {
    // The fuzzer's input, decoded: a geographic grid of 16 x 16 1-degree
    // cells from 85 E, 5 N and four polygons with holes.
    let g = grid(85.0, 5.0, 1.0, 16, 16);
    let zone = MultiPolygon(vec![
        Polygon::new(
            ring(&[
                (2.9277127844293563e-261, 2.127835881338286e-308),
                (18.0, 42.5),
                (1.6912149507442206e-77, 4.554886267404437e-79),
                (7.5, 0.0),
                (35.5, 1.5),
                (f64::NAN, f64::NAN),
                (f64::NAN, f64::NAN),
                (f64::NAN, f64::NAN),
                (f64::NAN, f64::NAN),
                (f64::NAN, -1.162406851665098e+164),
                (14.5, -13.0),
                (0.0, 42.5),
                (1.5, 42.5),
                (42.5, 1.5),
                (35.5, 0.5),
                (42.5, 42.5),
                (35.5, 35.5),
                (42.5, -51.5),
                (5.5, 5.5),
                (2.835506519558676, 2.835506519558676),
                (0.0, -0.5),
                (-15.0, 21.5),
                (-13.0, -0.5),
                (42.5, 42.5),
                (f64::NAN, f64::NAN),
                (1.3361122424946846e-292, 1.6972586835065877e-302),
                (42.5, 42.5),
                (35.5, 35.5),
                (42.5, -51.5),
                (5.5, 5.5),
                (2.835506519558676, 2.835506519558676),
                (0.0, -0.5),
                (-15.0, 21.5),
                (-13.0, -0.5),
                (-30.41825476429288, -30.41825476429288),
                (-30.41825476429288, -30.41825476429288),
                (-2.0551654964894683, 11.148445336008024),
                (42.5, 42.5),
                (35.5, 35.5),
                (-51.5, -51.5),
                (-40.5, -2.0),
                (35.5, 0.5),
                (35.5, 5.5),
                (5.5, 1.5),
            ]),
            vec![
                ring(&[
                    (1.8382607638859923e-255, 7.786855262061562e-308),
                    (1.1945305284814354e+103, 1.1945304824326004e+103),
                    (35.5, 35.5),
                    (18.384152457372117, 21.91073219658977),
                    (35.5, 35.5),
                    (42.5, -51.5),
                    (5.5, 5.5),
                    (2.835506519558676, 21.836509528585758),
                    (35.5, 35.5),
                    (21.89669007021063, 21.91073219658977),
                    (35.5, 35.5),
                    (-51.5, -51.5),
                    (5.5, 5.5),
                    (-30.41825476429288, -30.41825476429288),
                    (-30.41825476429288, -30.41825476429288),
                    (-30.41825476429288, -30.41825476429288),
                    (1.1945305284814354e+103, 2.4173701011863102e+35),
                    (-51.5, -51.5),
                    (-40.5, -2.0),
                    (35.5, 0.5),
                    (35.5, 5.5),
                    (5.5, 1.5),
                ]),
                ring(&[
                    (1.8624552650961773e-255, 7.786855262061562e-308),
                    (1.1945305284814354e+103, 1.1945304824326004e+103),
                    (35.5, 35.5),
                    (18.384152457372117, 21.91073219658977),
                    (-0.5, 0.0),
                    (21.5, 21.5),
                    (2.4173705201032852e+35, 1.272112466242196e+34),
                    (5.5, 5.5),
                    (42.5, 1.5),
                    (35.5, 0.5),
                    (42.5, 42.5),
                    (35.5, 35.5),
                    (42.5, -51.5),
                    (5.5, 5.5),
                    (-0.10330992978936811, -0.0010030090270812437),
                    (2.835506519558676, 0.0),
                ]),
                ring(&[
                    (-0.5, -0.5),
                    (42.5, 42.5),
                    (35.5, 42.5),
                    (35.5, 35.5),
                    (42.5, 42.5),
                    (-26.293881644934803, -26.293881644934803),
                    (0.0, 0.0),
                ]),
            ],
        ),
        Polygon::new(
            ring(&[
                (-0.5, -0.5),
                (42.5, 42.5),
                (42.5, 35.5),
                (1.5, 35.5),
                (42.5, -51.5),
                (5.5, 5.5),
                (2.835506519558676, 2.835506519558676),
                (0.0, -0.5),
                (-15.0, 21.5),
                (-13.0, -0.5),
                (-5.5, 42.5),
                (1.5, 42.5),
                (42.5, 1.5),
                (35.5, 0.5),
                (42.5, 42.5),
                (35.5, 35.5),
                (42.5, -51.5),
                (5.5, 5.5),
                (2.835506519558676, 21.836509528585758),
                (35.5, 35.5),
                (21.89669007021063, 21.91073219658977),
                (35.5, 35.5),
                (-51.5, -51.5),
                (5.5, 5.5),
                (-0.0010030090270812437, -0.0010030090270812437),
                (5.5, 0.0),
            ]),
            vec![],
        ),
        Polygon::new(
            ring(&[
                (-0.5, -0.5),
                (42.5, 42.5),
                (35.5, 42.5),
                (35.5, 35.5),
                (42.5, 42.5),
                (-26.293881644934803, -26.293881644934803),
                (0.0, 0.0),
            ]),
            vec![ring(&[
                (0.0, -15.0),
                (14.5, -13.0),
                (0.0, 42.5),
                (1.5, 42.5),
                (42.5, 1.5),
                (35.5, 0.5),
                (42.5, 42.5),
                (35.5, 35.5),
                (42.5, -51.5),
                (5.5, 5.5),
                (2.835506519558676, 2.835506519558676),
                (0.0, -0.5),
                (-15.0, 21.5),
                (-13.0, -0.5),
                (5.5, 5.5),
                (0.0, 0.0),
                (0.0, -15.0),
                (14.5, -13.0),
                (16.5, 42.5),
                (1.5, 42.5),
                (42.5, 1.5),
                (35.5, 0.5),
                (42.5, 42.5),
                (35.5, 35.5),
                (42.5, -51.5),
                (5.5, 5.5),
                (2.835506519558676, 21.836509528585758),
                (35.5, 35.5),
                (21.89669007021063, 21.91073219658977),
                (35.5, 35.5),
                (-51.5, -51.5),
                (5.5, 5.5),
                (-0.0010030090270812437, -0.0010030090270812437),
                (5.5, 0.0),
            ])],
        ),
        Polygon::new(ring(&[(0.0, 0.0)]), vec![]),
    ]);
    for mode in MODES {
        let coverage = Coverage::compute(&zone, &g, mode);
        assert!(coverage.total_fraction().is_finite(), "{mode:?}");
    }
}

/// coverage, crash-d9c97d97: another degenerate invalid zone (coordinates
/// from 1e-304 to 3e306, rings crossing themselves many times) on which the
/// boolean operations still panic after the rings are cleaned. The panic is
/// caught and the zone measured as given: no panic escapes.
#[test]
fn a_panic_in_the_repair_leaves_the_zone_measured_as_given() {
    let g = Grid::new(GeoTransform::new(43.0, 1.0, 27.0, -1.0).unwrap(), 16, 16).unwrap();
    let zone = MultiPolygon(vec![
        Polygon::new(
            ring(&[
                (3.0722166499498496, 22.59478435305918),
                (0.0, 16.5),
                (0.0, -48.5),
                (16.5, 1.0),
            ]),
            vec![],
        ),
        Polygon::new(
            ring(&[
                (3.245424988190517e-294, -6.69234868746414e-198),
                (0.0, -48.5),
                (9.001050677776691e-178, 8.362042007047455e-299),
                (22.5, 22.5),
                (14.0, -0.5),
                (19.5, 19.5),
                (-0.5, 23.5),
                (23.5, 23.5),
                (23.5, 23.5),
                (0.0, 48.0),
                (0.0, 1.5),
                (22.5, 22.5),
                (20.0, -54.5),
                (10.5, 0.0),
            ]),
            vec![
                ring(&[
                    (52.5, -0.5),
                    (2.0, -0.5),
                    (0.0, -0.5),
                    (21.91273821464393, -0.16649949849548645),
                    (48.5, 21.5),
                    (-24.284854563691074, -24.263791374122366),
                    (-24.488465396188566, -24.23169508525577),
                    (-24.23169508525577, -24.23169508525577),
                    (-24.23169508525577, 21.986960882647942),
                ]),
                ring(&[
                    (6.5, 0.5),
                    (0.5, 58.5),
                    (30.159478435305918, 10.902708124373119),
                    (47.5, 47.5),
                    (43.5, 0.0),
                    (-0.13941825476429287, 30.05717151454363),
                    (58.5, -0.5),
                    (24.488465396188566, 24.488465396188566),
                    (24.488465396188566, 5.648946840521565),
                    (-0.16649949849548645, -1.4553660982948846),
                    (3.4053717210595607e-302, f64::NAN),
                    (22.5, 22.5),
                    (-24.5, 18.5),
                    (16.690070210631895, 0.5125376128385155),
                    (22.5, 0.5),
                    (18.5, 21.5),
                    (-5.872761767629815e-21, -5.872761767629815e-21),
                    (-5.872761767629815e-21, 2228225.1686319984),
                    (21.5, -48.5),
                ]),
                ring(&[
                    (0.3440320962888666, -12.568706118355065),
                    (2.525e-321, 9.832036714751979e-130),
                    (32.5, -0.5),
                    (16.5, 16.5),
                ]),
            ],
        ),
        Polygon::new(
            ring(&[
                (-5.872761767629815e-21, -5.872761767629815e-21),
                (-5.872761767629815e-21, -5.872761767629815e-21),
                (-23.5, -23.5),
                (13.5, 13.5),
                (13.5, 13.5),
                (13.5, 13.5),
                (2.0, -0.5),
                (43.5, -0.5),
                (7.25180714592139e-304, -3.241616237923342e+306),
            ]),
            vec![],
        ),
        Polygon::new(
            ring(&[
                (1.0076664155696598e+103, 6.3329306982111075e+112),
                (-1.1259687594041196e-146, -1.1030779787789206e-146),
                (4.5, 6.5),
                (21.5, -48.5),
                (23.194583751253763, 0.3440320962888666),
                (-5.872761767629815e-21, 2261504.0045649684),
                (-48.5, 0.0),
                (22.429287863590773, 3.3390170511534603),
                (16.690070210631895, 0.5125376128385155),
                (22.5, 0.5),
                (18.5, 21.5),
                (1.1143430290872618, 0.0),
            ]),
            vec![],
        ),
    ]);
    for mode in MODES {
        let coverage = Coverage::compute(&zone, &g, mode);
        assert!(coverage.total_fraction().is_finite(), "{mode:?}");
    }
}
