//! Edge geometry with known answers: zones crossing the antimeridian,
//! rasters on 0..360 longitudes and a little wider than the globe, zones
//! on the raster's edge, and polar rows.

use geo::GeodesicArea;
use geo_types::{LineString, MultiPolygon, Polygon, polygon};
use ndarray::Array2;
use terralux::coverage::{Coverage, CoverageMode};
use terralux::grid::{ellipsoidal_cell_area_km2, ellipsoidal_polygon_area_km2};
use terralux::stats::Stat;
use terralux::zones::{Attributes, Zone, ZoneId, ZoneSet};
use terralux::{Crs, GeoTransform, Grid, Raster, ZonalStats};

/// The WGS84 ellipsoid's surface area, km^2.
const EARTH_KM2: f64 = 510_065_621.724_088_5;

fn rect(west: f64, south: f64, east: f64, north: f64) -> Polygon<f64> {
    polygon![(x: west, y: south), (x: east, y: south), (x: east, y: north), (x: west, y: north)]
}

/// A geographic grid of 1-degree cells (or `cell` degrees) starting at `west`, `north`.
fn grid(west: f64, north: f64, cell: f64, rows: usize, cols: usize) -> Grid {
    Grid::new(
        GeoTransform::new(west, cell, north, -cell).unwrap(),
        rows,
        cols,
    )
    .unwrap()
    .with_crs(Crs::wgs84())
}

/// Cell values `col + 1000 * row`, so sums tell which cells were counted.
fn numbered(grid: &Grid) -> Raster<f64> {
    let data = Array2::from_shape_fn(grid.shape(), |(r, c)| (c + 1000 * r) as f64);
    Raster::new(grid.clone(), data).unwrap()
}

fn ones(grid: &Grid) -> Raster<f64> {
    Raster::new(grid.clone(), Array2::from_elem(grid.shape(), 1.0)).unwrap()
}

/// `stats` of each zone, as numbers (NaN for missing), in zone order.
fn run(raster: &Raster<f64>, zones: Vec<MultiPolygon<f64>>, stats: &str) -> Vec<Vec<f64>> {
    let zones = ZoneSet::new(
        zones
            .into_iter()
            .enumerate()
            .map(|(i, geometry)| Zone {
                id: ZoneId::Int(i as i64),
                attributes: Attributes::default(),
                geometry,
            })
            .collect(),
        Some(Crs::wgs84()),
    );
    let table = ZonalStats::new(&zones)
        .band(raster, 1)
        .stats(&Stat::parse_list(stats).unwrap())
        .chunk_cells(1000)
        .run()
        .unwrap();
    table
        .zones
        .iter()
        .map(|z| {
            z.values
                .iter()
                .map(|v| v.as_f64().unwrap_or(f64::NAN))
                .collect()
        })
        .collect()
}

fn close(a: f64, b: f64, relative: f64) -> bool {
    (a - b).abs() <= relative * b.abs().max(1e-300)
}

#[test]
fn a_zone_with_longitudes_past_180_wraps_onto_the_western_columns() {
    let g = grid(-180.0, 90.0, 1.0, 180, 360);
    // 178..182 E, 0..2 N: columns 358, 359 and (wrapped) 0, 1 of rows 88, 89.
    let continuous = MultiPolygon(vec![rect(178.0, 0.0, 182.0, 2.0)]);
    let split = MultiPolygon(vec![
        rect(178.0, 0.0, 180.0, 2.0),
        rect(-180.0, 0.0, -178.0, 2.0),
    ]);
    let got = run(
        &numbered(&g),
        vec![continuous, split],
        "count,sum,min,max,outside_frac",
    );
    let sum: f64 = [88.0, 89.0]
        .iter()
        .flat_map(|r| [358.0, 359.0, 0.0, 1.0].map(|c| c + 1000.0 * r))
        .sum();
    for zone in &got {
        assert_eq!(zone[0], 8.0);
        assert_eq!(zone[1], sum);
        assert_eq!(zone[2], 88_000.0);
        assert_eq!(zone[3], 89_359.0);
        assert_eq!(zone[4], 0.0, "nothing of the zone is off the globe");
    }
}

#[test]
fn a_raster_on_0_to_360_takes_zones_in_minus_180_to_180() {
    let g = grid(0.0, 90.0, 1.0, 180, 360);
    // -2..2 E is 358..360 and 0..2 on this raster.
    let across_greenwich = MultiPolygon(vec![rect(-2.0, 0.0, 2.0, 1.0)]);
    // -170..-160 E is 190..200.
    let western = MultiPolygon(vec![rect(-170.0, -1.0, -160.0, 0.0)]);
    let got = run(
        &numbered(&g),
        vec![across_greenwich, western],
        "count,sum,outside_frac",
    );
    assert_eq!(got[0][0], 4.0);
    assert_eq!(got[0][1], (358 + 359 + 1) as f64 + 4.0 * 89_000.0);
    assert_eq!(got[0][2], 0.0);
    assert_eq!(got[1][0], 10.0);
    assert_eq!(
        got[1][1],
        (190..200).map(|c| (c + 90_000) as f64).sum::<f64>()
    );
    assert_eq!(got[1][2], 0.0);
}

#[test]
fn a_raster_wider_than_the_globe_counts_the_seam_once() {
    // Like EOG's 15" grids (86,401 columns): 361 columns from -180.5 E.
    let g = grid(-180.5, 90.0, 1.0, 180, 361);
    let zone = MultiPolygon(vec![rect(179.0, 0.0, 181.0, 1.0)]);
    let coverage = Coverage::compute(&zone, &g, CoverageMode::Exact);
    // Column 359 is 178.5..179.5, column 360 is 179.5..180.5, and the part
    // beyond the raster (180.5..181) is column 1's western half (-179.5..-179).
    assert_eq!(coverage.fraction_at(89, 359), 0.5);
    assert_eq!(coverage.fraction_at(89, 360), 1.0);
    assert_eq!(
        coverage.fraction_at(89, 0),
        0.0,
        "the seam column is not counted twice"
    );
    assert_eq!(coverage.fraction_at(89, 1), 0.5);
    assert!(close(coverage.total_fraction(), 2.0, 1e-12));
    assert_eq!(coverage.outside_fraction(), Some(0.0));
}

#[test]
fn wrapping_keeps_holes_and_other_modes() {
    let g = grid(-180.0, 90.0, 1.0, 180, 360);
    // 176..184 x 0..4 with a 2 x 2 hole at 179..181 x 1..3, given past 180.
    let shell = LineString::from(vec![
        (176.0, 0.0),
        (184.0, 0.0),
        (184.0, 4.0),
        (176.0, 4.0),
        (176.0, 0.0),
    ]);
    let hole = LineString::from(vec![
        (179.0, 1.0),
        (181.0, 1.0),
        (181.0, 3.0),
        (179.0, 3.0),
        (179.0, 1.0),
    ]);
    let zone = MultiPolygon(vec![Polygon::new(shell, vec![hole])]);
    let exact = Coverage::compute(&zone, &g, CoverageMode::Exact);
    assert!(close(exact.total_fraction(), 32.0 - 4.0, 1e-12));
    assert_eq!(
        exact.fraction_at(88, 359),
        0.0,
        "179..180 x 1..2 is in the hole"
    );
    assert_eq!(
        exact.fraction_at(88, 0),
        0.0,
        "-180..-179 x 1..2 is in the hole"
    );
    assert_eq!(exact.fraction_at(88, 1), 1.0);
    let center = Coverage::compute(&zone, &g, CoverageMode::Center);
    assert_eq!(center.cell_count(), 28);
    assert_eq!(center.fraction_at(88, 0), 0.0);
    let touched = Coverage::compute(&zone, &g, CoverageMode::AllTouched);
    assert_eq!(
        touched.fraction_at(87, 3),
        1.0,
        "-177..-176 is the wrapped 183..184"
    );
    assert_eq!(touched.fraction_at(87, 4), 0.0);
}

#[test]
fn grids_without_a_geographic_crs_do_not_wrap() {
    let g = Grid::new(
        GeoTransform::new(-180.0, 1.0, 90.0, -1.0).unwrap(),
        180,
        360,
    )
    .unwrap();
    let zone = MultiPolygon(vec![rect(178.0, 0.0, 182.0, 2.0)]);
    let coverage = Coverage::compute(&zone, &g, CoverageMode::Exact);
    assert_eq!(coverage.cell_count(), 4);
    assert_eq!(coverage.outside_fraction(), Some(0.5));
    let projected = g.with_crs(Crs::projected("EPSG:3857", 1.0));
    let coverage = Coverage::compute(&zone, &projected, CoverageMode::Exact);
    assert_eq!(coverage.cell_count(), 4);
}

#[test]
fn zones_on_the_raster_edges_are_covered_exactly() {
    let g = grid(10.0, 5.0, 1.0, 5, 6);
    let raster = numbered(&g);
    let whole = MultiPolygon(vec![rect(10.0, 0.0, 16.0, 5.0)]);
    // Shares the raster's north and east edges; half of it is beyond them.
    let corner = MultiPolygon(vec![rect(14.0, 3.0, 18.0, 7.0)]);
    // Touches the raster only along its western edge.
    let outside = MultiPolygon(vec![rect(8.0, 1.0, 10.0, 2.0)]);
    let got = run(
        &raster,
        vec![whole, corner, outside],
        "count,sum,outside_frac,valid_frac",
    );
    let all: f64 = (0..5)
        .flat_map(|r| (0..6).map(move |c| (c + 1000 * r) as f64))
        .sum();
    assert_eq!(got[0], vec![30.0, all, 0.0, 1.0]);
    assert_eq!(got[1][0], 4.0);
    assert_eq!(got[1][1], (4 + 5 + 1004 + 1005) as f64);
    assert_eq!(got[1][2], 0.75);
    assert_eq!(got[2][0], 0.0);
    assert_eq!(got[2][2], 1.0);
}

#[test]
fn polar_rows_have_their_ellipsoidal_area() {
    let g = grid(-180.0, 90.0, 1.0, 180, 360);
    let arctic = MultiPolygon(vec![rect(-180.0, 80.0, 180.0, 90.0)]);
    let antarctic = MultiPolygon(vec![rect(-180.0, -90.0, 180.0, -85.0)]);
    let globe = MultiPolygon(vec![rect(-180.0, -90.0, 180.0, 90.0)]);
    let got = run(
        &ones(&g),
        vec![arctic, antarctic, globe],
        "count,tnl_area,area_km2,density",
    );
    let cap = ellipsoidal_cell_area_km2(80.0, 90.0, 360.0);
    assert_eq!(got[0][0], 3600.0);
    assert!(close(got[0][1], cap, 1e-12));
    assert!(close(got[0][2], cap, 1e-12));
    assert!(close(got[0][3], 1.0, 1e-12), "density of ones is 1");
    // Independent: a sphere cap of the ellipsoid's authalic radius 6371007.181 m.
    let r_km = 6_371.007_181;
    let sphere_cap = 2.0 * std::f64::consts::PI * r_km * r_km * (1.0 - 80f64.to_radians().sin());
    assert!(
        close(got[0][1], sphere_cap, 0.01),
        "{} vs {sphere_cap}",
        got[0][1]
    );
    assert!(close(
        got[1][1],
        ellipsoidal_cell_area_km2(-90.0, -85.0, 360.0),
        1e-12
    ));
    assert!(close(got[2][1], EARTH_KM2, 1e-9), "{}", got[2][1]);
    assert!(close(got[2][2], EARTH_KM2, 1e-9), "{}", got[2][2]);
}

#[test]
fn rows_beyond_the_poles_have_no_area() {
    // 2 rows above 90 N and below 90 S, as some global grids pad.
    let g = grid(-180.0, 92.0, 1.0, 184, 360);
    let raster = ones(&g);
    let top = MultiPolygon(vec![rect(-180.0, 85.0, 180.0, 92.0)]);
    let got = run(&raster, vec![top], "count,tnl_area");
    assert_eq!(got[0][0], 7.0 * 360.0);
    assert!(close(
        got[0][1],
        ellipsoidal_cell_area_km2(85.0, 90.0, 360.0),
        1e-12
    ));
    assert_eq!(g.cell_area_km2(0).unwrap(), 0.0);
    assert_eq!(g.cell_area_km2(183).unwrap(), 0.0);
}

#[test]
fn zone_areas_agree_with_geodesic_ones_for_county_sized_zones() {
    // Short edges: straight-in-degrees and geodesic edges nearly coincide.
    let county = polygon![
        (x: 106.2, y: 29.4), (x: 106.9, y: 29.3), (x: 107.1, y: 29.9),
        (x: 106.6, y: 30.3), (x: 106.1, y: 30.0)
    ];
    let zone = MultiPolygon(vec![county]);
    let ours = ellipsoidal_polygon_area_km2(&zone);
    let geodesic = zone.geodesic_area_unsigned() / 1e6;
    assert!(close(ours, geodesic, 1e-4), "{ours} vs {geodesic}");
    // A 1-degree rectangle is exactly one cell's area, in either orientation.
    let cell = MultiPolygon(vec![rect(10.0, 45.0, 11.0, 46.0)]);
    let reversed = MultiPolygon(vec![Polygon::new(
        LineString::from(vec![(10.0, 45.0), (10.0, 46.0), (11.0, 46.0), (11.0, 45.0)]),
        vec![],
    )]);
    let expected = ellipsoidal_cell_area_km2(45.0, 46.0, 1.0);
    assert!(close(ellipsoidal_polygon_area_km2(&cell), expected, 1e-12));
    assert!(close(
        ellipsoidal_polygon_area_km2(&reversed),
        expected,
        1e-12
    ));
}

#[test]
fn parts_that_overlap_only_once_wrapped_are_counted_once() {
    let g = grid(-180.0, 90.0, 1.0, 180, 360);
    // 170..180.5 E and -180..-170 E: the half degree past 180 is -180..-179.5,
    // which the second part already covers.
    let zone = MultiPolygon(vec![
        rect(170.0, 0.0, 180.5, 1.0),
        rect(-180.0, 0.0, -170.0, 1.0),
    ]);
    let coverage = Coverage::compute(&zone, &g, CoverageMode::Exact);
    assert!(coverage.repaired_geometry().is_some());
    assert!(
        close(coverage.total_fraction(), 20.0, 1e-9),
        "{}",
        coverage.total_fraction()
    );
    assert_eq!(coverage.fraction_at(89, 0), 1.0);
    assert_eq!(coverage.outside_fraction(), Some(0.0));
    let got = run(&ones(&g), vec![zone], "count,area_km2");
    assert!(close(got[0][0], 20.0, 1e-9));
    assert!(
        close(got[0][1], ellipsoidal_cell_area_km2(0.0, 1.0, 20.0), 1e-6),
        "{}",
        got[0][1]
    );
}

/// The repair of a wrapped zone sees what coverage sees: no point made up
/// from an infinite coordinate, and a hole outside its shell and beyond
/// the grid's edge kept as a part of its own.
#[test]
fn repairs_of_wrapped_zones_keep_to_what_coverage_sees() {
    let g = grid(-180.0, 90.0, 1.0, 180, 360);
    let with_infinity = Polygon::new(
        LineString::from(vec![
            (0.0, 0.0),
            (10.0, 0.0),
            (f64::INFINITY, 5.0),
            (10.0, 10.0),
            (0.0, 10.0),
        ]),
        vec![],
    );
    let zone = MultiPolygon(vec![
        with_infinity,
        rect(5.0, 0.0, 15.0, 10.0), // overlaps the first: the zone is invalid
        rect(179.0, 20.0, 181.0, 21.0), // past 180: the zone wraps
    ]);
    let coverage = Coverage::compute(&zone, &g, CoverageMode::Exact);
    assert!(coverage.repaired_geometry().is_some());
    assert!(
        close(coverage.total_fraction(), 150.0 + 2.0, 1e-9),
        "{}",
        coverage.total_fraction()
    );

    let shell_with_far_hole = Polygon::new(
        LineString::from(vec![
            (0.0, 0.0),
            (10.0, 0.0),
            (10.0, 10.0),
            (0.0, 10.0),
            (0.0, 0.0),
        ]),
        vec![LineString::from(vec![
            (-185.0, 20.0),
            (-183.0, 20.0),
            (-183.0, 22.0),
            (-185.0, 22.0),
            (-185.0, 20.0),
        ])],
    );
    let zone = MultiPolygon(vec![rect(170.0, 0.0, 190.0, 10.0), shell_with_far_hole]);
    let coverage = Coverage::compute(&zone, &g, CoverageMode::Exact);
    assert!(coverage.repaired_geometry().is_some());
    assert!(
        close(coverage.total_fraction(), 200.0 + 100.0 + 4.0, 1e-9),
        "{}",
        coverage.total_fraction()
    );
    // The hole, wrapped to 175..177 E x 20..22 N, counts as a part.
    assert_eq!(coverage.fraction_at(68, 355), 1.0);
}
