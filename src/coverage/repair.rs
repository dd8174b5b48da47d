//! Repair of invalid zone geometry, as GEOS's `MakeValid` would do it.

use geo::{Area, BooleanOps};
use geo_types::{LineString, MultiPolygon, Polygon};

/// The valid multipolygon covering what `zone` means: each polygon's rings
/// filled by the even-odd rule, then the polygons unioned.
/// Non-finite coordinates are dropped first, as coverage ignores them.
pub(super) fn repaired(zone: &MultiPolygon<f64>) -> MultiPolygon<f64> {
    let nothing = MultiPolygon::<f64>::new(Vec::new());
    let pieces: Vec<MultiPolygon<f64>> = zone
        .0
        .iter()
        .map(finite_only)
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

/// The polygon without its non-finite coordinates.
fn finite_only(polygon: &Polygon<f64>) -> Polygon<f64> {
    let ring = |r: &LineString<f64>| {
        LineString(
            r.0.iter()
                .copied()
                .filter(|c| c.x.is_finite() && c.y.is_finite())
                .collect(),
        )
    };
    Polygon::new(
        ring(polygon.exterior()),
        polygon.interiors().iter().map(ring).collect(),
    )
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
