//! Zone geometry for the page: shared borders found once in the zones' own
//! coordinates, then projected, rounded to the output's resolution and
//! simplified without breaking topology, so that a border two counties
//! share is simplified once and stays shared.
//!
//! A [`Topology`] cuts every ring into *arcs* at junctions: vertices where
//! the rings through them stop running together (as TopoJSON does; the
//! zones' vertices compared on a grid of 2^30 steps across the layer). An arc two rings share is stored
//! once, in one canonical direction. It depends only on the zones, so the
//! static map and the interactive page build it once between them.
//!
//! [`Topology::page`] then projects each arc to page units, rounds it to a
//! grid of `10^-decimals` units and simplifies it (Douglas-Peucker), once
//! per arc: the two rings that share it get the same points. The arcs that
//! separate two groups (provinces), or that only one ring uses (the layer's
//! edge), are the group outlines.

use std::collections::HashMap;
use std::fmt::Write;
use std::hash::{BuildHasher, BuildHasherDefault, Hasher};

use geo::BoundingRect;
use rayon::prelude::*;

use crate::zones::ZoneSet;

/// A point on the page grid, in units of `10^-decimals` page units.
pub(super) type Point = (i64, i64);

/// A vertex of the zones' own coordinates on the topology's grid (see
/// [`Snap`]).
type Vertex = (i64, i64);

/// The grid the zones' vertices are snapped to before borders are
/// compared: 2^30 steps across the layer, far finer than any page (a
/// step is 6 mm across China), so that two rings whose shared vertices
/// differ only by floating-point noise (`0.2 * c + 0.2` against
/// `0.2 * (c + 1)`) still share their border.
#[derive(Debug, Clone, Copy)]
struct Snap {
    origin: (f64, f64),
    step: f64,
}

impl Snap {
    fn new(zones: &ZoneSet) -> Self {
        let bounds = zones
            .zones()
            .par_iter()
            .filter_map(|zone| zone.geometry.bounding_rect())
            .map(|r| (r.min().x, r.min().y, r.max().x, r.max().y))
            .reduce_with(|a, b| (a.0.min(b.0), a.1.min(b.1), a.2.max(b.2), a.3.max(b.3)));
        match bounds {
            Some((x0, y0, x1, y1)) if (x1 - x0).max(y1 - y0) > 0.0 => Snap {
                origin: (x0, y0),
                step: (x1 - x0).max(y1 - y0) / f64::from(1u32 << 30),
            },
            _ => Snap {
                origin: (0.0, 0.0),
                step: 1.0,
            },
        }
    }

    fn vertex(&self, x: f64, y: f64) -> Vertex {
        (
            ((x - self.origin.0) / self.step).round() as i64,
            ((y - self.origin.1) / self.step).round() as i64,
        )
    }

    fn world(&self, (x, y): Vertex) -> (f64, f64) {
        (
            self.origin.0 + x as f64 * self.step,
            self.origin.1 + y as f64 * self.step,
        )
    }
}

/// A fast hash for points (multiply and rotate, as rustc's FxHash, with a
/// final mix so that the low bits vary even for round coordinates): the
/// junction table holds every vertex of the layer.
#[derive(Default, Clone, Copy)]
struct PointHasher(u64);

impl Hasher for PointHasher {
    fn finish(&self) -> u64 {
        let mut h = self.0;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h
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

type PointHash = BuildHasherDefault<PointHasher>;
type FastMap<K, V> = HashMap<K, V, PointHash>;

/// The zones' rings as shared arcs, in the zones' own coordinates.
#[derive(Debug, Clone)]
pub(super) struct Topology {
    /// Each arc once, in its canonical direction.
    arcs: Vec<Vec<Vertex>>,
    /// Per zone, per ring: its arcs in ring order, and whether each runs
    /// forward (in its canonical direction) there.
    rings: Vec<Vec<Vec<(usize, bool)>>>,
    /// Per arc: the zones of the rings that use it, one entry per use.
    users: Vec<Vec<u32>>,
    /// The grid of the arcs' vertices.
    snap: Snap,
}

impl Topology {
    /// The shared arcs of `zones`' rings.
    pub(super) fn new(zones: &ZoneSet) -> Self {
        let snap = Snap::new(zones);
        let rings: Vec<Vec<Vec<Vertex>>> = zones
            .zones()
            .par_iter()
            .map(|zone| {
                let mut out = Vec::new();
                for polygon in &zone.geometry.0 {
                    for ring in std::iter::once(polygon.exterior()).chain(polygon.interiors()) {
                        let mut points: Vec<Vertex> = Vec::with_capacity(ring.0.len());
                        for c in ring.coords() {
                            if !(c.x.is_finite() && c.y.is_finite()) {
                                continue;
                            }
                            let p = snap.vertex(c.x, c.y);
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
        let junctions = Junctions::new(&rings);

        // Each ring cut into arcs (canonical direction, with whether the ring runs them forward).
        let cut: Vec<Vec<Vec<CutArc>>> = rings
            .par_iter()
            .map(|zone| {
                zone.iter()
                    .map(|ring| ring_arcs(ring, &junctions))
                    .collect()
            })
            .collect();

        // One arc per key (its first two points, canonical direction): two
        // arcs that start alike are the same arc, as they could only part
        // at a junction, which would end both.
        let mut topology = Topology {
            arcs: Vec::new(),
            rings: Vec::new(),
            users: Vec::new(),
            snap,
        };
        let mut index: FastMap<(Vertex, Vertex), usize> = FastMap::default();
        for (zone, zone_rings) in cut.into_iter().enumerate() {
            let mut out = Vec::with_capacity(zone_rings.len());
            for ring in zone_rings {
                let mut refs = Vec::with_capacity(ring.len());
                for (arc, forward) in ring {
                    let key = (arc[0], arc[1]);
                    let id = *index.entry(key).or_insert_with(|| {
                        topology.arcs.push(arc);
                        topology.users.push(Vec::new());
                        topology.arcs.len() - 1
                    });
                    topology.users[id].push(zone as u32);
                    refs.push((id, forward));
                }
                out.push(refs);
            }
            topology.rings.push(out);
        }
        topology
    }

    /// The zones on the page: each arc projected with `project` (world to
    /// page units), rounded to `decimals` decimals and simplified with
    /// `tolerance` page units; with `groups` (one group per zone) the
    /// outlines between groups and along the layer's edge.
    pub(super) fn page(
        &self,
        project: &(dyn Fn(f64, f64) -> (f64, f64) + Sync),
        tolerance: f64,
        decimals: u32,
        groups: Option<&[usize]>,
    ) -> PageGeometry {
        let unit = 10f64.powi(decimals as i32);
        let on_grid = |arc: &[Vertex]| -> Vec<Point> {
            let mut points: Vec<Point> = Vec::with_capacity(arc.len());
            for &vertex in arc {
                let (x, y) = self.snap.world(vertex);
                let (x, y) = project(x, y);
                if !(x.is_finite() && y.is_finite()) {
                    continue;
                }
                let p = ((x * unit).round() as i64, (y * unit).round() as i64);
                if points.last() != Some(&p) {
                    points.push(p);
                }
            }
            points
        };
        let tolerance = tolerance * unit;
        let arcs: Vec<Vec<Point>> = self
            .arcs
            .par_iter()
            .map(|arc| simplify(&on_grid(arc), tolerance))
            .collect();
        let ring_of = |ring: &[(usize, bool)], arcs: &dyn Fn(usize) -> Vec<Point>| {
            let parts: Vec<Vec<Point>> = ring
                .iter()
                .map(|&(id, forward)| {
                    let mut arc = arcs(id);
                    if !forward {
                        arc.reverse();
                    }
                    arc
                })
                .collect();
            assemble(&parts)
        };
        let zones: Vec<Vec<Vec<Point>>> = self
            .rings
            .par_iter()
            .map(|zone| {
                zone.iter()
                    .filter_map(|ring| {
                        let simple = ring_of(ring, &|id| arcs[id].clone());
                        if distinct(&simple) >= 3 {
                            return Some(simple);
                        }
                        // Too small to simplify: a tiny ring keeps its points.
                        let original = ring_of(ring, &|id| on_grid(&self.arcs[id]));
                        let vertices: usize =
                            ring.iter().map(|&(id, _)| self.arcs[id].len() - 1).sum();
                        (vertices <= 8 && distinct(&original) >= 3).then_some(original)
                    })
                    .collect()
            })
            .collect();
        let outlines = match groups {
            Some(groups) => {
                let group = |zone: u32| groups.get(zone as usize).copied().unwrap_or(usize::MAX);
                self.users
                    .iter()
                    .zip(&arcs)
                    .filter(|(users, _)| {
                        users.len() == 1 || users.iter().any(|&z| group(z) != group(users[0]))
                    })
                    .map(|(_, arc)| arc.clone())
                    .collect()
            }
            None => Vec::new(),
        };
        PageGeometry {
            zones,
            outlines,
            decimals,
        }
    }
}

/// Points in `ring`, each counted once.
fn distinct(ring: &[Point]) -> usize {
    let mut d = ring.to_vec();
    d.sort_unstable();
    d.dedup();
    d.len()
}

/// A vertex's use in a ring: its hash and its neighbours' hashes summed
/// (the same whichever way the ring runs).
type Use = (u64, u64);

/// The junctions of a layer's rings: vertices seen with more than one pair
/// of neighbours.
///
/// Every vertex's use in a ring is one [`Use`]. The uses are bucketed by
/// the vertex hash's top bits, so that all uses of a vertex land in one
/// bucket, small enough to check in cache (buckets in parallel); a vertex
/// whose uses disagree is a junction. Junctions are few, so the set of
/// their hashes stays in cache while the rings are cut. Two vertices whose
/// 64-bit hashes collide can only turn non-junctions into junctions, which
/// cuts an arc in two in every ring that uses it: the topology stays
/// consistent (two different neighbour pairs with the same sum, which
/// would hide a junction, are as unlikely as any 64-bit collision).
struct Junctions {
    hashes: std::collections::HashSet<u64, PointHash>,
}

impl Junctions {
    fn new(rings: &[Vec<Vec<Vertex>>]) -> Self {
        // Per zone, the uses of its vertices.
        let uses: Vec<Vec<Use>> = rings
            .par_iter()
            .map(|zone| {
                let mut out = Vec::with_capacity(zone.iter().map(Vec::len).sum());
                for ring in zone {
                    let hashes: Vec<u64> = ring.iter().map(vertex_hash).collect();
                    let n = hashes.len();
                    // The neighbours' hashes summed: the same either way round.
                    out.extend((0..n).map(|i| {
                        let pair = hashes[(i + n - 1) % n].wrapping_add(hashes[(i + 1) % n]);
                        (hashes[i], pair)
                    }));
                }
                out
            })
            .collect();
        // Bucketed by the hash's top bits (each part of the zones on its
        // own), then each bucket, small enough to stay in cache, checked
        // on its own.
        let parts = rayon::current_num_threads().max(1);
        let per_part = uses.len().div_ceil(parts).max(1);
        let bucketed: Vec<(Vec<Use>, Vec<usize>)> = uses
            .par_chunks(per_part)
            .map(|part| {
                let mut starts = vec![0usize; BUCKETS + 1];
                for &(h, _) in part.iter().flatten() {
                    starts[bucket_of(h) + 1] += 1;
                }
                for i in 1..starts.len() {
                    starts[i] += starts[i - 1];
                }
                let mut out: Vec<Use> = vec![(0, 0); starts[BUCKETS]];
                let mut next = starts.clone();
                for &u in part.iter().flatten() {
                    let b = bucket_of(u.0);
                    out[next[b]] = u;
                    next[b] += 1;
                }
                (out, starts)
            })
            .collect();
        drop(uses);
        let buckets: Vec<Vec<&[Use]>> = (0..BUCKETS)
            .map(|b| {
                bucketed
                    .iter()
                    .map(|(out, starts)| &out[starts[b]..starts[b + 1]])
                    .collect()
            })
            .collect();
        let hashes = buckets
            .into_par_iter()
            .flat_map_iter(|bucket| {
                let len = bucket.iter().map(|part| part.len()).sum();
                let mut seen: FastMap<u64, (u64, bool)> =
                    FastMap::with_capacity_and_hasher(len, PointHash::default());
                for &(vertex, pair) in bucket.iter().copied().flatten() {
                    let entry = seen.entry(vertex).or_insert((pair, false));
                    entry.1 |= entry.0 != pair;
                }
                seen.into_iter()
                    .filter_map(|(vertex, (_, junction))| junction.then_some(vertex))
                    .collect::<Vec<u64>>()
            })
            .collect();
        Junctions { hashes }
    }

    fn contains(&self, p: &Vertex) -> bool {
        self.hashes.contains(&vertex_hash(p))
    }
}

/// Buckets of vertex uses checked apart (by the hashes' top bits).
const BUCKETS: usize = 1 << 8;

fn bucket_of(hash: u64) -> usize {
    (hash >> (64 - BUCKETS.trailing_zeros())) as usize
}

fn vertex_hash(p: &Vertex) -> u64 {
    PointHash::default().hash_one(p)
}

/// An arc cut from a ring: its vertices in canonical direction, and
/// whether the ring runs it forward.
type CutArc = (Vec<Vertex>, bool);

/// A ring cut at its junctions into arcs, in ring order, each in its
/// canonical direction with whether the ring runs it forward.
fn ring_arcs(ring: &[Vertex], junctions: &Junctions) -> Vec<CutArc> {
    let n = ring.len();
    let start = match (0..n).find(|&i| junctions.contains(&ring[i])) {
        Some(i) => i,
        // No junction: one closed arc from the smallest point.
        None => (0..n).min_by_key(|&i| ring[i]).unwrap_or(0),
    };
    let rotated: Vec<Vertex> = (0..=n).map(|i| ring[(start + i) % n]).collect();
    let mut cuts = vec![0];
    cuts.extend((1..n).filter(|&i| junctions.contains(&rotated[i])));
    cuts.push(n);
    cuts.windows(2)
        .map(|w| {
            let mut arc = rotated[w[0]..=w[1]].to_vec();
            let forward = canonical_forward(&arc);
            if !forward {
                arc.reverse();
            }
            (arc, forward)
        })
        .collect()
}

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
/// `None`: no outlines): [`Topology::page`] of a topology built for this
/// page alone.
#[cfg(test)]
pub(super) fn page_geometry(
    zones: &ZoneSet,
    project: &(dyn Fn(f64, f64) -> (f64, f64) + Sync),
    tolerance: f64,
    decimals: u32,
    groups: Option<&[usize]>,
) -> PageGeometry {
    Topology::new(zones).page(project, tolerance, decimals, groups)
}

/// Whether `arc` already runs in its canonical direction (smaller end
/// first; a closed arc: smaller second point first).
fn canonical_forward<P: Ord + Copy>(arc: &[P]) -> bool {
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
    fn borders_that_differ_by_floating_point_noise_are_shared() {
        // A row of squares 0.2 wide, each computed from its own corner:
        // 0.2 * c + 0.2 is not 0.2 * (c + 1) in floating point.
        let squares: Vec<Zone> = (0..5)
            .map(|c| {
                let x = 100.0 + 0.2 * c as f64;
                zone(
                    c,
                    vec![
                        (x, 25.0),
                        (x + 0.2, 25.0),
                        (x + 0.2, 25.2),
                        (x, 25.2),
                        (x, 25.0),
                    ],
                )
            })
            .collect();
        assert_ne!(100.0 + 0.2 * 2.0 + 0.2, 100.0 + 0.2 * 3.0);
        let zones = ZoneSet::new(squares, None);
        let topology = Topology::new(&zones);
        // The 4 inner sides once each, the 3 middle squares' tops and
        // bottoms, and each end square's three outer sides as one arc
        // (their outer corners are no junctions).
        assert_eq!(topology.arcs.len(), 4 + 6 + 2, "{:?}", topology.arcs);
        assert_eq!(topology.users.iter().filter(|u| u.len() == 2).count(), 4);
        // One group: the outline is the row's outer edge alone.
        let page = topology.page(&|x, y| (x * 1000.0, y * 1000.0), 0.5, 1, Some(&[0; 5]));
        let length: f64 = page
            .outlines
            .iter()
            .flat_map(|line| line.windows(2))
            .map(|w| (((w[1].0 - w[0].0) as f64).hypot((w[1].1 - w[0].1) as f64)) / 10.0)
            .sum();
        assert!((length - 2.0 * (1000.0 + 200.0)).abs() < 1.0, "{length}");
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
