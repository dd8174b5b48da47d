//! Exact and all-touched coverage by signed-area accumulation.

use std::ops::Range;

use super::geometry::PixelRings;
use super::{Coverage, FRACTION_EPSILON, RunBuilder};

/// A contribution to one row: `own` to the cell at its column, and `carry`
/// to every cell right of it (a piece of edge covers part of its own cell
/// and the whole height of the row further right).
#[derive(Debug, Clone, Copy)]
pub(super) struct Event {
    /// `row << 32 | col`, the sort key.
    key: u64,
    own: f64,
    carry: f64,
}

impl Event {
    pub(super) fn new(row: u32, col: u32, own: f64, carry: f64) -> Self {
        Event {
            key: (row as u64) << 32 | col as u64,
            own,
            carry,
        }
    }

    fn row(&self) -> u32 {
        (self.key >> 32) as u32
    }

    fn col(&self) -> u32 {
        self.key as u32
    }
}

/// How far an accumulated cell value may leave `[0, 1]` by rounding
/// before the rings are taken to overlap or wind backwards.
const WINDING_TOLERANCE: f64 = 1e-9;

/// True for an accumulated value no valid polygon gives: below 0 (a ring
/// winding backwards, as in a bow-tie or a hole outside its shell) or
/// above 1 (overlapping parts or rings).
pub(super) fn is_invalid_winding(s: f64) -> bool {
    !(-WINDING_TOLERANCE..=1.0 + WINDING_TOLERANCE).contains(&s)
}

/// Exact coverage fractions, and whether some cell's winding showed the
/// rings to be invalid (see [`is_invalid_winding`]). `budget`: see
/// [`for_each_band`].
pub(super) fn exact_runs(
    rings: &PixelRings,
    nrows: usize,
    ncols: usize,
    budget: usize,
) -> (Coverage, bool) {
    let mut builder = RunBuilder::default();
    let mut events = Vec::new();
    let mut invalid = false;
    for_each_band(rings, nrows, ncols, budget, |rows, edges, split| {
        events.clear();
        for e in edges {
            e.add_events(rows.clone(), ncols, &mut events, &mut |_, _| {});
        }
        sweep_into(&mut events, ncols, split, &mut builder, |s| {
            invalid |= is_invalid_winding(s);
            let s = s.abs();
            if s <= FRACTION_EPSILON {
                0.0
            } else if s >= 1.0 - FRACTION_EPSILON {
                1.0
            } else {
                s
            }
        });
    });
    (builder.finish(), invalid)
}

/// Every cell with positive exact coverage or crossed by the boundary, with
/// fraction 1, and whether the rings showed to be invalid. `budget`: see
/// [`for_each_band`].
pub(super) fn all_touched_runs(
    rings: &PixelRings,
    nrows: usize,
    ncols: usize,
    budget: usize,
) -> (Coverage, bool) {
    let mut builder = RunBuilder::default();
    let mut events = Vec::new();
    // (row, col_start, col_end) spans of touched cells in the band.
    let mut spans: Vec<(u32, u32, u32)> = Vec::new();
    let mut invalid = false;
    for_each_band(rings, nrows, ncols, budget, |rows, edges, split| {
        events.clear();
        spans.clear();
        for e in edges {
            // A ring of no area touches nothing; its edges still wind, so
            // that a bow-tie's cancelling lobes mark the zone for repair.
            let touches = e.touches;
            e.add_events(rows.clone(), ncols, &mut events, &mut |row, col| {
                if touches {
                    spans.push((row, col, col + 1))
                }
            });
            if touches {
                horizontal_touches(e.a, e.b, rows.clone(), ncols, &mut spans);
            }
        }
        let mut covered = RunBuilder::default();
        sweep_into(&mut events, ncols, split, &mut covered, |s| {
            invalid |= is_invalid_winding(s);
            if s.abs() > FRACTION_EPSILON { 1.0 } else { 0.0 }
        });
        for (row, runs) in covered.finish().rows() {
            spans.extend(runs.iter().map(|r| (row as u32, r.col, r.col_end())));
        }
        spans.sort_unstable();
        let mut current: Option<(u32, u32, u32)> = None;
        for &(row, start, end) in spans.iter() {
            current = match current {
                Some((r, s, e)) if r == row && start <= e => Some((r, s, e.max(end))),
                Some((r, s, e)) => {
                    builder.push(r as usize, s as usize, (e - s) as usize, 1.0);
                    Some((row, start, end))
                }
                None => Some((row, start, end)),
            };
        }
        if let Some((r, s, e)) = current {
            builder.push(r as usize, s as usize, (e - s) as usize, 1.0);
        }
    });
    (builder.finish(), invalid)
}

/// Rows per band (see [`for_each_band`]).
const BAND_ROWS: usize = 256;

/// About how many events a band may make before it is cut into parts (see
/// [`for_each_band`]): 4 M events of 24 bytes, about 100 MB, twice while
/// they are sorted.
pub(super) const EVENT_BUDGET: usize = 4 << 20;

/// The smallest budget for which cutting changes no bit: a band of at most
/// 48 events (the most that [`sort_events`] sorts in one sort, a band of
/// 256 rows) has at most 48 edges that [`BandEdge::events_bound`] counts,
/// each at most `2 * BAND_ROWS + 2` more than its own events.
pub(super) const MIN_BUDGET: usize = 48 * (2 * BAND_ROWS + 3);

/// Whether [`for_each_band`] hands over a whole band or a part of one cut
/// to the event budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Split {
    /// A whole band of up to [`BAND_ROWS`] rows.
    Whole,
    /// Some rows of a band whose events would pass [`EVENT_BUDGET`]: its
    /// events are sorted row by row, as the whole band's (that many
    /// events) would be, so that the cut does not change a bit.
    Part,
}

/// A ring edge (pixel coordinates) with the rows it may reach.
#[derive(Debug, Clone, Copy)]
pub(super) struct BandEdge {
    pub a: (f64, f64),
    pub b: (f64, f64),
    /// The ring's accumulation factor.
    pub factor: f64,
    /// False for edges of a ring of no area: they wind, but touch no cell.
    pub touches: bool,
    /// The row after the last the edge may reach.
    end_row: usize,
}

impl BandEdge {
    /// About how many events, at most, the edge makes in grid rows `rows`
    /// of a grid `ncols` wide: two a row it spans there and one a column
    /// line it crosses inside the grid (none right of the grid). An edge
    /// it counts makes at least one event there, and it counts at most
    /// `2 * BAND_ROWS + 2` more than the column lines crossed (each of
    /// which makes one): so bands over a budget of at least
    /// [`MIN_BUDGET`] make more events than [`sort_events`] ever sorts
    /// in one sort, and are sorted row by row, cut or not.
    fn events_bound(&self, rows: &Range<usize>, ncols: usize) -> usize {
        let ((x0, y0), (x1, y1)) = (self.a, self.b);
        let lo = y0.min(y1).max(rows.start as f64);
        let hi = y0.max(y1).min(rows.end as f64);
        if y0 == y1 || hi <= lo {
            return 0;
        }
        let x_at = |y: f64| x0 + (y - y0) * (x1 - x0) / (y1 - y0);
        let (xa, xb) = (x_at(lo), x_at(hi));
        let cols = ncols as f64;
        if xa.min(xb) >= cols {
            // Right of the grid: no events.
            return 0;
        }
        let rows_spanned = hi.ceil() - lo.floor();
        (2.0 * rows_spanned + (xb.clamp(0.0, cols) - xa.clamp(0.0, cols)).abs() + 1.0) as usize
    }

    /// This edge's accumulation events in grid rows `rows` (see [`edge_events`]).
    fn add_events(
        &self,
        rows: Range<usize>,
        ncols: usize,
        events: &mut Vec<Event>,
        touch: &mut impl FnMut(u32, u32),
    ) {
        edge_events(self.a, self.b, self.factor, rows, ncols, events, touch);
    }
}

/// Call `band(rows, edges, split)` for consecutive bands of at most
/// [`BAND_ROWS`] grid rows, top to bottom, with every finite edge that may
/// reach them, in the order of the rows they first reach (ring order
/// within a row). A band whose edges would make more than about `budget`
/// events ([`EVENT_BUDGET`]: a boundary crossing millions of cells within
/// 256 rows; at least [`MIN_BUDGET`]) comes in parts of fewer rows,
/// [`Split::Part`].
///
/// Events are made, sorted and swept one band (or part) at a time, so the
/// memory a zone needs while its coverage is computed follows its boundary
/// within one band, not its whole boundary (a 15-degree zone with a long
/// boundary crosses millions of cells). The cut does not change results: a
/// row's events come in the same order whatever band holds the row (the
/// edges' order), and are summed in the same order as long as a band of
/// few events is not sorted whole instead of row by row (see
/// [`sort_events`]), which a part never is.
pub(super) fn for_each_band(
    rings: &PixelRings,
    nrows: usize,
    ncols: usize,
    budget: usize,
    mut band: impl FnMut(Range<usize>, &[BandEdge], Split),
) {
    // Every edge that reaches the grid's rows, listed by position (16
    // bytes an edge, where a `BandEdge` takes 56: a zone of 5 million
    // vertices lists them in 80 MB rather than 280, plus a stable sort's
    // scratch), then ordered by first row and, within a row, in ring
    // order: the order a stable sort by first row gives, from an unstable
    // sort of unique keys (no scratch). A band's `BandEdge`s are made as
    // the band reaches them.
    let mut edges: Vec<EdgeAt> = Vec::new();
    for (ring_at, ring) in rings.rings.iter().enumerate() {
        for (edge_at, (a, b)) in ring.edges().enumerate() {
            if let Some((first_row, _)) = rows_reached(a, b, nrows) {
                let ordinal = edges.len() as u64;
                edges.push(EdgeAt {
                    key: ((first_row as u64) << 32) | ordinal,
                    ring: ring_at as u32,
                    edge: edge_at as u32,
                });
            }
        }
    }
    debug_assert!(edges.len() < 1 << 32, "an edge's place must fit in 32 bits");
    debug_assert!(
        budget >= MIN_BUDGET,
        "a budget below MIN_BUDGET could change bits"
    );
    edges.sort_unstable_by_key(|e| e.key);
    let band_edge = |at: &EdgeAt| {
        let ring = &rings.rings[at.ring as usize];
        let i = at.edge as usize;
        let (a, b) = (ring.points[i], ring.points[(i + 1) % ring.points.len()]);
        BandEdge {
            a,
            b,
            factor: ring.accumulation_factor(),
            touches: ring.signed_area != 0.0,
            end_row: rows_reached(a, b, nrows).map_or(0, |(_, end)| end),
        }
    };
    let mut active: Vec<BandEdge> = Vec::new();
    let mut next = 0;
    let mut start = 0;
    while next < edges.len() || !active.is_empty() {
        active.retain(|e| e.end_row > start);
        if active.is_empty() {
            match edges.get(next) {
                Some(e) => start = start.max(e.first_row()),
                None => break,
            }
        }
        let end = (start + BAND_ROWS).min(nrows);
        while next < edges.len() && edges[next].first_row() < end {
            active.push(band_edge(&edges[next]));
            next += 1;
        }
        let rows = start..end;
        // Most bands are far below the budget by a bound cheap enough for
        // every band (each edge's whole width, every row of the band); the
        // edges' own bounds decide the others.
        let loose: f64 = active
            .iter()
            .map(|e| (2 * rows.len() + 1) as f64 + (e.b.0 - e.a.0).abs())
            .sum();
        let bound: usize = if loose <= budget as f64 {
            0
        } else {
            active.iter().map(|e| e.events_bound(&rows, ncols)).sum()
        };
        if bound <= budget {
            band(rows, &active, Split::Whole);
        } else {
            let per_part = rows.len().div_ceil(bound.div_ceil(budget.max(1))).max(1);
            for first in rows.clone().step_by(per_part) {
                band(first..(first + per_part).min(end), &active, Split::Part);
            }
        }
        start = end;
        if start >= nrows {
            break;
        }
    }
}

/// An edge of a zone's rings by position (edge `edge` of ring `ring`, from
/// its point `edge` to the next), keyed by the first grid row it may reach
/// (high 32 bits) and its place among the zone's edges (low 32 bits).
struct EdgeAt {
    key: u64,
    ring: u32,
    edge: u32,
}

impl EdgeAt {
    fn first_row(&self) -> usize {
        (self.key >> 32) as usize
    }
}

/// The grid rows `first..end` that edge `a -> b` may reach in a grid of
/// `nrows` rows; `None` for an edge with a non-finite end or outside the
/// rows.
fn rows_reached(a: (f64, f64), b: (f64, f64), nrows: usize) -> Option<(usize, usize)> {
    if !(a.0.is_finite() && a.1.is_finite() && b.0.is_finite() && b.1.is_finite()) {
        return None;
    }
    let (ymin, ymax) = (a.1.min(b.1), a.1.max(b.1));
    if ymax < 0.0 || ymin > nrows as f64 {
        return None;
    }
    let first_row = ymin.max(0.0).floor() as usize;
    let end_row = (ymax.min(nrows as f64).floor() as usize + 1).min(nrows);
    (first_row < end_row).then_some((first_row, end_row))
}

/// Cells crossed by a horizontal edge that lies inside a row (not on a row line).
fn horizontal_touches(
    a: (f64, f64),
    b: (f64, f64),
    rows: Range<usize>,
    ncols: usize,
    spans: &mut Vec<(u32, u32, u32)>,
) {
    let y = a.1;
    if a.1 != b.1 || y.fract() == 0.0 || y <= rows.start as f64 || y >= rows.end as f64 {
        return;
    }
    let (x0, x1) = (a.0.min(b.0).max(0.0), a.0.max(b.0).min(ncols as f64));
    if x0 >= x1 {
        return;
    }
    let (c0, c1) = (x0.floor() as u32, (x1.ceil() as u32).min(ncols as u32));
    spans.push((y.floor() as u32, c0, c1));
}

/// Add the accumulation events of edge `a -> b` (pixel coordinates) in
/// grid rows `rows` of a grid `ncols` wide, and report every cell the edge
/// passes through there to `touch(row, col)`.
///
/// The edge is cut at row lines; each row piece is cut at column lines
/// (only inside the grid: everything left of column 0 adds its height to
/// the whole row, everything right of the last column adds nothing). A
/// piece of signed height `d` in column `c` whose midpoint lies `m` into
/// the column adds `d * (1 - m)` to cell `c` and `d * m` to cell `c + 1`;
/// the running sum along the row then carries `d` to every cell further right.
fn edge_events(
    a: (f64, f64),
    b: (f64, f64),
    factor: f64,
    rows: Range<usize>,
    ncols: usize,
    events: &mut Vec<Event>,
    touch: &mut impl FnMut(u32, u32),
) {
    let ((x0, y0), (x1, y1)) = (a, b);
    if y0 == y1 || !(x0.is_finite() && y0.is_finite() && x1.is_finite() && y1.is_finite()) {
        return;
    }
    let (ymin, ymax) = (y0.min(y1), y0.max(y1));
    let (top, bottom) = (rows.start as f64, rows.end as f64);
    if ymax <= top || ymin >= bottom {
        return;
    }
    let dxdy = (x1 - x0) / (y1 - y0);
    let x_at = |y: f64| {
        if y == y0 {
            x0
        } else if y == y1 {
            x1
        } else {
            x0 + (y - y0) * dxdy
        }
    };
    let direction = if y1 > y0 { 1.0 } else { -1.0 };
    let first_row = ymin.max(top).floor() as usize;
    let last_row = (ymax.min(bottom).ceil() as usize).min(rows.end);
    for row in first_row..last_row {
        let lo = ymin.max(row as f64);
        let hi = ymax.min(row as f64 + 1.0);
        if hi <= lo {
            continue;
        }
        let d = (hi - lo) * direction * factor;
        let (xa, xb) = (x_at(lo), x_at(hi));
        row_piece_events(row as u32, xa, xb, d, ncols, events, touch);
    }
}

/// Events of one piece of an edge inside one row, from `xa` to `xb`, of signed height `d`.
fn row_piece_events(
    row: u32,
    xa: f64,
    xb: f64,
    d: f64,
    ncols: usize,
    events: &mut Vec<Event>,
    touch: &mut impl FnMut(u32, u32),
) {
    let cols = ncols as f64;
    let (xl, xr) = (xa.min(xb), xa.max(xb));
    // A piece in column `col` whose midpoint lies `m` into it: `share * (1 - m)`
    // for its own cell, its whole `share` for every cell further right.
    let mut push = |col: usize, share: f64, m: f64| {
        if col < ncols && share != 0.0 {
            events.push(Event::new(row, col as u32, share * (1.0 - m), share));
        }
    };
    // The part left of the grid: its whole height reaches every cell of the row.
    if xr <= 0.0 {
        push(0, d, 0.0);
        return;
    }
    if xl >= cols {
        return;
    }
    if xl == xr {
        // Vertical piece inside the grid.
        let col = xl.floor() as usize;
        let m = xl - col as f64;
        push(col, d, m);
        if m != 0.0 {
            touch(row, col as u32);
        }
        return;
    }
    // Shares are `d` times a ratio in [0, 1], taken ratio first: `d * (v - u)`
    // can underflow to 0 for a piece only a few subnormals wide.
    let width = xr - xl;
    let mut u = xl;
    if u < 0.0 {
        push(0, d * (-u / width), 0.0);
        u = 0.0;
    }
    let end = xr.min(cols);
    while u < end {
        let col = u.floor() as usize;
        let v = ((col + 1) as f64).min(end);
        push(col, d * ((v - u) / width), (u + v) / 2.0 - col as f64);
        touch(row, col as u32);
        u = v;
    }
}

/// Sort events by (row, column): a counting sort by row, then each row by
/// column (rows hold few events); a whole band of few events over many
/// rows in one sort instead. Unstable within equal keys but deterministic:
/// the same coverage on every run.
fn sort_events(events: &mut Vec<Event>, split: Split) {
    let Some(first) = events.first() else { return };
    let (mut min_row, mut max_row) = (first.row(), first.row());
    for e in events.iter() {
        min_row = min_row.min(e.row());
        max_row = max_row.max(e.row());
    }
    let span = (max_row - min_row) as usize + 1;
    if split == Split::Whole && span > 4 * events.len() + 64 {
        events.sort_unstable_by_key(|e| e.key);
        return;
    }
    let mut starts = vec![0usize; span + 1];
    for e in events.iter() {
        starts[(e.row() - min_row) as usize + 1] += 1;
    }
    for i in 0..span {
        starts[i + 1] += starts[i];
    }
    let mut sorted = vec![Event::new(0, 0, 0.0, 0.0); events.len()];
    let mut next = starts.clone();
    for e in events.iter() {
        let slot = &mut next[(e.row() - min_row) as usize];
        sorted[*slot] = *e;
        *slot += 1;
    }
    for r in 0..span {
        sorted[starts[r]..starts[r + 1]].sort_unstable_by_key(|e| e.key);
    }
    *events = sorted;
}

/// Sort `events` (of a band or part of one: `split`), sum them along each
/// row and append the running values, turned into fractions by
/// `classify`, to `builder` as runs.
pub(super) fn sweep_into(
    events: &mut Vec<Event>,
    ncols: usize,
    split: Split,
    builder: &mut RunBuilder,
    mut classify: impl FnMut(f64) -> f64,
) {
    sort_events(events, split);
    let mut i = 0;
    while i < events.len() {
        let row = events[i].row();
        let mut running = 0.0;
        while i < events.len() && events[i].row() == row {
            let key = events[i].key;
            let col = events[i].col() as usize;
            let (mut own, mut carry) = (0.0, 0.0);
            while i < events.len() && events[i].key == key {
                own += events[i].own;
                carry += events[i].carry;
                i += 1;
            }
            let next_col = if i < events.len() && events[i].row() == row {
                events[i].col() as usize
            } else {
                ncols
            };
            let cell = classify(running + own);
            if cell > 0.0 {
                builder.push(row as usize, col, 1, cell);
            }
            running += carry;
            if next_col > col + 1 {
                let span = classify(running);
                if span > 0.0 {
                    builder.push(row as usize, col + 1, next_col - col - 1, span);
                }
            }
        }
    }
}
