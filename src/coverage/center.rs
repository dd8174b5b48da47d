//! Centre coverage: cells whose centre lies inside the zone.
//!
//! For each row, every edge crossing the line through the row's cell
//! centres (`y = row + 0.5`, counted half-open so that a vertex on the line
//! is counted once) changes the winding number for all centres to its
//! right. A centre is inside when its winding number is not zero (holes,
//! oriented against their exterior, bring it back to zero). Along a row the
//! inside is half-open, `(west, east]`: a centre exactly on a zone's western
//! boundary is outside, one exactly on its eastern boundary inside, so that
//! two zones sharing a border never both claim a cell.

use super::exact::{Event, for_each_band, is_invalid_winding, sweep_into};
use super::geometry::PixelRings;
use super::{Coverage, RunBuilder};

/// Runs of cells whose centre is inside the zone, with fraction 1, and
/// whether some centre's winding number showed the rings to be invalid
/// (below 0 or above 1). `budget`: see [`for_each_band`].
pub(super) fn center_runs(
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
            let ((x0, y0), (x1, y1)) = (e.a, e.b);
            if y0 == y1 {
                continue;
            }
            let (ymin, ymax) = (y0.min(y1), y0.max(y1));
            // Rows whose centre line y = row + 0.5 lies in [ymin, ymax).
            let first = (ymin - 0.5).ceil().max(rows.start as f64);
            let last = (ymax - 0.5).ceil().min(rows.end as f64);
            if first >= last {
                continue;
            }
            let delta = if y1 > y0 { e.factor } else { -e.factor };
            let dxdy = (x1 - x0) / (y1 - y0);
            for row in first as usize..last as usize {
                let x = x0 + (row as f64 + 0.5 - y0) * dxdy;
                // Cells whose centre lies strictly right of the crossing.
                let col = (x + 0.5).floor().max(0.0);
                if col < ncols as f64 {
                    events.push(Event::new(row as u32, col as u32, delta, delta));
                }
            }
        }
        sweep_into(&mut events, ncols, split, &mut builder, |winding| {
            invalid |= is_invalid_winding(winding);
            if winding.abs() > 0.5 { 1.0 } else { 0.0 }
        });
    });
    (builder.finish(), invalid)
}
