//! Repair of invalid zone geometry, as GEOS's `MakeValid` would do it.

use geo::{Area, BooleanOps};
use geo_types::{Coord, LineString, MultiPolygon, Polygon};

use super::geometry::{clip_to_box, finite_points};

/// The valid multipolygon covering what `zone` means: each polygon's rings
/// filled by the even-odd rule, then the polygons unioned.
///
/// The rings are cleaned first: non-finite coordinates dropped (coverage
/// ignores them), rings clipped to `±COORDINATE_LIMIT`, coordinates snapped
/// to the power of two nearest 2^-30 of the zone's extent (about the resolution the boolean
/// operations work at) and repeated points dropped. Fuzzing found inputs
/// mixing 1e-308 and 1e103 coordinates on which the boolean operations
/// (i_overlay) index out of bounds; clean rings avoid them.
pub(super) fn repaired(zone: &MultiPolygon<f64>) -> MultiPolygon<f64> {
    let nothing = MultiPolygon::<f64>::new(Vec::new());
    let pieces: Vec<MultiPolygon<f64>> = cleaned(zone)
        .into_iter()
        // A polygon without an exterior is nothing, whatever its holes.
        .filter(|polygon| polygon.exterior().0.len() >= 3)
        // An exterior of no area (on a line, or a bow-tie whose lobes
        // cancel) has no inside for its holes to cut, as in coverage.
        .map(|polygon| {
            let exterior = Polygon::new(polygon.exterior().clone(), Vec::new());
            if exterior.signed_area() == 0.0 {
                exterior
            } else {
                polygon
            }
        })
        .map(|polygon| polygon.union(&nothing))
        .collect();
    geo::unary_union(&pieces)
}

/// Coordinates beyond this (in any CRS unit: a hundred thousand km in
/// metres) are garbage, and clipped away before repair.
const COORDINATE_LIMIT: f64 = 1e8;

/// The zone's polygons with clean rings (see [`repaired`]).
fn cleaned(zone: &MultiPolygon<f64>) -> Vec<Polygon<f64>> {
    let clip = |r: &LineString<f64>| -> Vec<(f64, f64)> {
        let points = finite_points(r);
        let inside = points
            .iter()
            .all(|p| p.0.abs() <= COORDINATE_LIMIT && p.1.abs() <= COORDINATE_LIMIT);
        if inside {
            points
        } else {
            let l = COORDINATE_LIMIT;
            clip_to_box(&points, -l, l, -l, l)
        }
    };
    let polygons: Vec<Vec<Vec<(f64, f64)>>> = zone
        .0
        .iter()
        .map(|p| {
            std::iter::once(p.exterior())
                .chain(p.interiors())
                .map(clip)
                .collect()
        })
        .collect();
    let extent = polygons
        .iter()
        .flatten()
        .flatten()
        .fold(0.0f64, |m, p| m.max(p.0.abs()).max(p.1.abs()));
    // A power of two, so that round coordinates stay exact.
    let quantum = 2f64.powi(extent.log2().ceil() as i32 - 30);
    let snap = |v: f64| {
        if quantum > 0.0 && quantum.is_finite() {
            (v / quantum).round() * quantum
        } else {
            v
        }
    };
    let ring = |points: &Vec<(f64, f64)>| {
        let mut coords: Vec<Coord<f64>> = points
            .iter()
            .map(|&(x, y)| Coord {
                x: snap(x),
                y: snap(y),
            })
            .collect();
        coords.dedup();
        LineString(coords)
    };
    polygons
        .iter()
        .map(|rings| {
            let exterior = ring(&rings[0]);
            let holes = rings[1..]
                .iter()
                .map(ring)
                .filter(|h| h.0.len() >= 3)
                .collect();
            Polygon::new(exterior, holes)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo_types::{LineString, polygon};

    fn area(zone: Vec<Polygon<f64>>) -> f64 {
        repaired(&MultiPolygon(zone)).unsigned_area()
    }

    #[test]
    fn bow_tie_keeps_both_lobes() {
        let bow_tie =
            polygon![(x: 0.0, y: 0.0), (x: 2.0, y: 2.0), (x: 2.0, y: 0.0), (x: 0.0, y: 2.0)];
        assert!((area(vec![bow_tie]) - 2.0).abs() < 1e-9);
    }

    #[test]
    fn overlapping_parts_count_once() {
        let a = polygon![(x: 0.0, y: 0.0), (x: 2.0, y: 0.0), (x: 2.0, y: 2.0), (x: 0.0, y: 2.0)];
        let b = polygon![(x: 1.0, y: 0.0), (x: 3.0, y: 0.0), (x: 3.0, y: 2.0), (x: 1.0, y: 2.0)];
        assert!((area(vec![a, b]) - 6.0).abs() < 1e-9);
    }

    #[test]
    fn holes_of_an_exterior_of_no_area_cut_nothing() {
        // A bow-tie exterior (lobes cancel) with a hole in its lower lobe,
        // next to a valid square: the hole is ignored, as coverage ignores it.
        let bow_tie = LineString::from(vec![(0.0, 0.0), (2.0, 2.0), (2.0, 0.0), (0.0, 2.0)]);
        let hole = LineString::from(vec![(1.4, 0.2), (1.8, 0.2), (1.8, 0.4), (1.4, 0.4)]);
        let square =
            polygon![(x: 5.0, y: 0.0), (x: 6.0, y: 0.0), (x: 6.0, y: 1.0), (x: 5.0, y: 1.0)];
        assert!((area(vec![Polygon::new(bow_tie, vec![hole]), square]) - 3.0).abs() < 1e-9);
    }

    #[test]
    fn a_hole_outside_its_shell_becomes_a_part() {
        let shell = LineString::from(vec![(0.0, 0.0), (2.0, 0.0), (2.0, 2.0), (0.0, 2.0)]);
        let hole = LineString::from(vec![(5.0, 0.0), (6.0, 0.0), (6.0, 1.0), (5.0, 1.0)]);
        assert!((area(vec![Polygon::new(shell, vec![hole])]) - 5.0).abs() < 1e-9);
    }
}
