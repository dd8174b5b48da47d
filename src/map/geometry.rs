//! Zone geometry for the page: projected, rounded to the output's
//! resolution and simplified without breaking topology, so that a border
//! two counties share is simplified once and stays shared.
//!
//! Every vertex is projected to page units and rounded to a grid of
//! `10^-decimals` units (a shared vertex rounds to the same point in both
//! rings). Rings are cut into *arcs* at junctions: points where the rings
//! through them stop running together (as TopoJSON does). Each arc is
//! simplified (Douglas-Peucker) in one canonical direction, so the two
//! rings that share it get the same points. The arcs that separate two
//! groups (provinces), or that only one ring uses (the layer's edge), are
//! the group outlines.

use std::collections::HashMap;
use std::fmt::Write;
use std::hash::{BuildHasherDefault, Hasher};

use rayon::prelude::*;

use crate::zones::ZoneSet;

/// A point on the page grid, in units of `10^-decimals` page units.
pub(super) type Point = (i64, i64);

/// A fast hash for grid points (multiply and rotate, as rustc's FxHash):
/// the junction table holds every vertex of the layer.
#[derive(Default, Clone, Copy)]
struct PointHasher(u64);

impl Hasher for PointHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(b as u64);
        }
    }

    fn write_u64(&mut self, v: u64) {
        self.0 = (self.0.rotate_left(5) ^ v).wrapping_mul(0x517c_c1b7_2722_0a95);
    }

    fn write_i64(&mut self, v: i64) {
        self.write_u64(v as u64);
    }
}

type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<PointHasher>>;

/// The zones on the page: per zone its rings (open: the closing point is
/// not repeated), and the group outlines as polylines.
#[derive(Debug, Clone, Default)]
pub(super) struct PageGeometry {
    /// Per zone, its simplified rings.
    pub zones: Vec<Vec<Vec<Point>>>,
    /// Group outlines: arcs between groups and along the layer's edge.
    pub outlines: Vec<Vec<Point>>,
    /// Decimals of a page unit kept.
    pub decimals: u32,
}

impl PageGeometry {
    /// The SVG path data of zone `zone`.
    pub fn zone_path(&self, zone: usize) -> String {
        let mut d = String::new();
        for ring in &self.zones[zone] {
            path_of(&mut d, ring, true, self.decimals);
        }
        d
    }

    /// The SVG path data of all group outlines.
    pub fn outline_path(&self) -> String {
        let mut d = String::new();
        for line in &self.outlines {
            path_of(&mut d, line, false, self.decimals);
        }
        d
    }

    /// Vertices kept, over all zones.
    #[cfg(test)]
    pub fn vertices(&self) -> usize {
        self.zones.iter().flatten().map(Vec::len).sum()
    }
}

/// Project `zones` with `project` (world to page units), round to
/// `decimals` decimals, simplify with `tolerance` page units, and find
/// the outlines between the groups of `groups` (one group per zone;
/// `None`: no outlines).
pub(super) fn page_geometry(
    zones: &ZoneSet,
    project: &(dyn Fn(f64, f64) -> (f64, f64) + Sync),
    tolerance: f64,
    decimals: u32,
    groups: Option<&[usize]>,
) -> PageGeometry {
    let unit = 10f64.powi(decimals as i32);
    let rings: Vec<Vec<Vec<Point>>> = zones
        .zones()
        .par_iter()
        .map(|zone| {
            let mut out = Vec::new();
            for polygon in &zone.geometry.0 {
                for ring in std::iter::once(polygon.exterior()).chain(polygon.interiors()) {
                    let mut points: Vec<Point> = Vec::with_capacity(ring.0.len());
                    for c in ring.coords() {
                        let (x, y) = project(c.x, c.y);
                        if !(x.is_finite() && y.is_finite()) {
                            continue;
                        }
                        let p = ((x * unit).round() as i64, (y * unit).round() as i64);
                        if points.last() != Some(&p) {
                            points.push(p);
                        }
                    }
                    while points.len() > 1 && points.first() == points.last() {
                        points.pop();
                    }
                    if points.len() >= 3 {
                        out.push(points);
                    }
                }
            }
            out
        })
        .collect();

    // Junctions: points seen with more than one pair of neighbours.
    let total: usize = rings.iter().flatten().map(Vec::len).sum();
    let mut seen: FastMap<Point, (Point, Point, bool)> =
        FastMap::with_capacity_and_hasher(total, Default::default());
    for ring in rings.iter().flatten() {
        let n = ring.len();
        for i in 0..n {
            let (a, b) = (ring[(i + n - 1) % n], ring[(i + 1) % n]);
            let pair = if a <= b { (a, b) } else { (b, a) };
            seen.entry(ring[i])
                .and_modify(|e| {
                    if (e.0, e.1) != pair {
                        e.2 = true;
                    }
                })
                .or_insert((pair.0, pair.1, false));
        }
    }
    let is_junction = |p: &Point| seen.get(p).is_some_and(|e| e.2);
    let tolerance = tolerance * unit;

    // Each ring as its simplified arcs, canonical direction, with their keys.
    let arcs: Vec<Vec<Vec<Vec<Point>>>> = rings
        .par_iter()
        .map(|zone| {
            zone.iter()
                .map(|ring| ring_arcs(ring, &is_junction, tolerance))
                .collect()
        })
        .collect();

    let zones_out: Vec<Vec<Vec<Point>>> = arcs
        .par_iter()
        .zip(&rings)
        .map(|(zone, originals)| {
            zone.iter()
                .zip(originals)
                .filter_map(|(ring_arcs, original)| {
                    let ring = assemble(ring_arcs);
                    let distinct = {
                        let mut d = ring.clone();
                        d.sort_unstable();
                        d.dedup();
                        d.len()
                    };
                    if distinct >= 3 {
                        Some(ring)
                    } else if original.len() <= 8 {
                        Some(original.clone())
                    } else {
                        None
                    }
                })
                .collect()
        })
        .collect();

    let mut outlines = Vec::new();
    if let Some(groups) = groups {
        // Per arc (keyed by its first two points, canonical direction): the
        // groups of the rings that use it, and how many rings do.
        let mut users: FastMap<(Point, Point), (usize, usize, bool)> = FastMap::default();
        let mut order: Vec<(Point, Point)> = Vec::new();
        let mut shapes: FastMap<(Point, Point), &Vec<Point>> = FastMap::default();
        for (zone, zone_arcs) in arcs.iter().enumerate() {
            let group = groups.get(zone).copied().unwrap_or(usize::MAX);
            for arc in zone_arcs.iter().flatten() {
                let key = if canonical_forward(arc) {
                    arc_key(arc.iter())
                } else {
                    arc_key(arc.iter().rev())
                };
                let Some(key) = key else { continue };
                match users.get_mut(&key) {
                    Some(entry) => {
                        entry.1 += 1;
                        if entry.0 != group {
                            entry.2 = true;
                        }
                    }
                    None => {
                        users.insert(key, (group, 1, false));
                        order.push(key);
                        shapes.insert(key, arc);
                    }
                }
            }
        }
        for key in order {
            let (_, uses, between) = users[&key];
            if uses == 1 || between {
                outlines.push(shapes[&key].clone());
            }
        }
    }
    PageGeometry {
        zones: zones_out,
        outlines,
        decimals,
    }
}

/// An arc's key: its first two points in canonical direction. Two arcs
/// that start alike are the same arc: they could only part at a junction,
/// which would end both.
fn arc_key<'p>(mut points: impl Iterator<Item = &'p Point>) -> Option<(Point, Point)> {
    Some((*points.next()?, *points.next()?))
}

/// A ring cut at its junctions into arcs, each simplified in its canonical
/// direction and returned in ring order.
fn ring_arcs(
    ring: &[Point],
    is_junction: &dyn Fn(&Point) -> bool,
    tolerance: f64,
) -> Vec<Vec<Point>> {
    let n = ring.len();
    let start = match (0..n).find(|&i| is_junction(&ring[i])) {
        Some(i) => i,
        // No junction: one closed arc from the smallest point.
        None => (0..n).min_by_key(|&i| ring[i]).unwrap_or(0),
    };
    let rotated: Vec<Point> = (0..=n).map(|i| ring[(start + i) % n]).collect();
    let mut cuts = vec![0];
    cuts.extend((1..n).filter(|&i| is_junction(&rotated[i])));
    cuts.push(n);
    cuts.windows(2)
        .map(|w| {
            let arc = &rotated[w[0]..=w[1]];
            let forward = canonical_forward(arc);
            let mut canon: Vec<Point> = arc.to_vec();
            if !forward {
                canon.reverse();
            }
            let mut simple = simplify(&canon, tolerance);
            if !forward {
                simple.reverse();
            }
            simple
        })
        .collect()
}

/// Whether `arc` already runs in its canonical direction (smaller end
/// first; a closed arc: smaller second point first).
fn canonical_forward(arc: &[Point]) -> bool {
    let (first, last) = (arc[0], arc[arc.len() - 1]);
    if first != last {
        first < last
    } else if arc.len() > 2 {
        arc[1] <= arc[arc.len() - 2]
    } else {
        true
    }
}

/// Arcs of one ring (in ring order) joined into the ring (open), without
/// repeated points and without spikes (`a b a`: there and straight back,
/// left where junctions lie closer together than the grid).
fn assemble(arcs: &[Vec<Point>]) -> Vec<Point> {
    let mut ring: Vec<Point> = Vec::new();
    for arc in arcs {
        for &p in arc {
            if ring.last() == Some(&p) {
                continue;
            }
            if ring.len() >= 2 && ring[ring.len() - 2] == p {
                ring.pop();
                continue;
            }
            ring.push(p);
        }
    }
    while ring.len() > 1 && ring.first() == ring.last() {
        ring.pop();
    }
    ring
}

/// Douglas-Peucker on `points` with `tolerance` (grid units); a closed
/// arc (same ends) is first split at the point farthest from its end.
fn simplify(points: &[Point], tolerance: f64) -> Vec<Point> {
    if points.len() <= 2 {
        return points.to_vec();
    }
    let n = points.len();
    let mut keep = vec![false; n];
    keep[0] = true;
    keep[n - 1] = true;
    let mut stack = Vec::new();
    if points[0] == points[n - 1] {
        let far = (1..n - 1)
            .max_by_key(|&i| {
                let (dx, dy) = (points[i].0 - points[0].0, points[i].1 - points[0].1);
                (
                    dx as i128 * dx as i128 + dy as i128 * dy as i128,
                    std::cmp::Reverse(i),
                )
            })
            .unwrap_or(1);
        keep[far] = true;
        stack.push((0, far));
        stack.push((far, n - 1));
    } else {
        stack.push((0, n - 1));
    }
    while let Some((a, b)) = stack.pop() {
        if b <= a + 1 {
            continue;
        }
        let (pa, pb) = (points[a], points[b]);
        let (dx, dy) = ((pb.0 - pa.0) as f64, (pb.1 - pa.1) as f64);
        let length = (dx * dx + dy * dy).sqrt();
        let mut best = (0.0, 0);
        for (i, p) in points.iter().enumerate().take(b).skip(a + 1) {
            let (px, py) = ((p.0 - pa.0) as f64, (p.1 - pa.1) as f64);
            let distance = if length == 0.0 {
                (px * px + py * py).sqrt()
            } else {
                (px * dy - py * dx).abs() / length
            };
            if distance > best.0 {
                best = (distance, i);
            }
        }
        if best.0 > tolerance {
            keep[best.1] = true;
            stack.push((a, best.1));
            stack.push((best.1, b));
        }
    }
    points
        .iter()
        .zip(keep)
        .filter_map(|(p, k)| k.then_some(*p))
        .collect()
}

/// Append `points` as SVG path data: an absolute move, then relative lines.
fn path_of(d: &mut String, points: &[Point], close: bool, decimals: u32) {
    let Some(first) = points.first() else { return };
    d.push('M');
    write_fixed(d, first.0, decimals);
    d.push(' ');
    write_fixed(d, first.1, decimals);
    let mut previous = *first;
    for &p in &points[1..] {
        d.push('l');
        write_fixed(d, p.0 - previous.0, decimals);
        d.push(' ');
        write_fixed(d, p.1 - previous.1, decimals);
        previous = p;
    }
    if close {
        d.push('Z');
    }
}

/// `value / 10^decimals` written exactly, without trailing zeros.
pub(super) fn write_fixed(out: &mut String, value: i64, decimals: u32) {
    let unit = 10i64.pow(decimals);
    let sign = if value < 0 { "-" } else { "" };
    let (whole, mut fraction) = (
        value.unsigned_abs() / unit as u64,
        value.unsigned_abs() % unit as u64,
    );
    let _ = write!(out, "{sign}{whole}");
    if fraction != 0 {
        let mut digits = decimals;
        while fraction % 10 == 0 {
            fraction /= 10;
            digits -= 1;
        }
        let _ = write!(out, ".{fraction:0width$}", width = digits as usize);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::zones::{Attributes, Zone, ZoneId};
    use geo_types::{LineString, MultiPolygon, Polygon};

    fn zone(id: i64, ring: Vec<(f64, f64)>) -> Zone {
        Zone {
            id: ZoneId::Int(id),
            attributes: Attributes::default(),
            geometry: MultiPolygon(vec![Polygon::new(LineString::from(ring), vec![])]),
        }
    }

    #[test]
    fn numbers_are_written_exactly() {
        let mut s = String::new();
        for v in [0, 5, -5, 120, 123, -1234, 100] {
            write_fixed(&mut s, v, 2);
            s.push(',');
        }
        assert_eq!(s, "0,0.05,-0.05,1.2,1.23,-12.34,1,");
    }

    #[test]
    fn a_wiggly_shared_border_stays_shared_and_is_simplified() {
        // Two zones sharing a wiggly border x = 10 + small noise, many vertices.
        let border: Vec<(f64, f64)> = (0..=100)
            .map(|i| (10.0 + 0.01 * ((i * 7) % 3) as f64, i as f64 / 10.0))
            .collect();
        let mut left = vec![(0.0, 0.0)];
        left.extend(border.iter().copied());
        left.push((0.0, 10.0));
        left.push((0.0, 0.0));
        let mut right = vec![(20.0, 0.0), (20.0, 10.0)];
        right.extend(border.iter().rev().copied());
        right.push((20.0, 0.0));
        let zones = ZoneSet::new(vec![zone(1, left), zone(2, right)], None);
        let geometry = page_geometry(&zones, &|x, y| (x * 10.0, y * 10.0), 0.5, 1, Some(&[0, 1]));
        assert!(geometry.vertices() < 20, "{}", geometry.vertices());
        // Every vertex of the left zone on the border is a vertex of the right zone.
        let on_border = |p: &Point| (990..=1010).contains(&p.0);
        for p in geometry.zones[0][0].iter().filter(|p| on_border(p)) {
            assert!(geometry.zones[1][0].contains(p), "{p:?} not shared");
        }
        // The outlines: the shared border (between groups) and both outer edges.
        let total: usize = geometry.outlines.iter().map(|l| l.len()).sum();
        assert!(total >= 6, "{:?}", geometry.outlines);
        // Same group: only the outer edge remains.
        let same = page_geometry(&zones, &|x, y| (x * 10.0, y * 10.0), 0.5, 1, Some(&[0, 0]));
        assert!(same.outlines.len() < geometry.outlines.len());
        assert!(!same.outline_path().is_empty());
    }
}
