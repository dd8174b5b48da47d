//! Repair of invalid zone geometry, as GEOS's `MakeValid` would do it.

use geo::BooleanOps;
use geo_types::MultiPolygon;

/// The valid multipolygon covering what `zone` means: each polygon's rings
/// filled by the even-odd rule, then the polygons unioned.
pub(super) fn repaired(zone: &MultiPolygon<f64>) -> MultiPolygon<f64> {
    let nothing = MultiPolygon::<f64>::new(Vec::new());
    let pieces: Vec<MultiPolygon<f64>> = zone
        .0
        .iter()
        // A polygon without an exterior is nothing, whatever its holes.
        .filter(|polygon| polygon.exterior().0.len() >= 3)
        .map(|polygon| polygon.union(&nothing))
        .collect();
    geo::unary_union(&pieces)
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::Area;
    use geo_types::{LineString, Polygon, polygon};

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
    fn a_hole_outside_its_shell_becomes_a_part() {
        let shell = LineString::from(vec![(0.0, 0.0), (2.0, 0.0), (2.0, 2.0), (0.0, 2.0)]);
        let hole = LineString::from(vec![(5.0, 0.0), (6.0, 0.0), (6.0, 1.0), (5.0, 1.0)]);
        assert!((area(vec![Polygon::new(shell, vec![hole])]) - 5.0).abs() < 1e-9);
    }
}
