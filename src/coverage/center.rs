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

use std::cell::Cell;

use super::Coverage;
use super::exact::{Event, sweep};
use super::geometry::PixelRings;

/// Runs of cells whose centre is inside the zone, with fraction 1, and
/// whether some centre's winding number showed the rings to be invalid
/// (below 0 or above 1).
pub(super) fn center_runs(rings: &PixelRings, nrows: usize, ncols: usize) -> (Coverage, bool) {
    let mut events = Vec::new();
    for ((x0, y0), (x1, y1), factor) in rings.edges() {
        if y0 == y1 || !(x0.is_finite() && y0.is_finite() && x1.is_finite() && y1.is_finite()) {
            continue;
        }
        let (ymin, ymax) = (y0.min(y1), y0.max(y1));
        // Rows whose centre line y = row + 0.5 lies in [ymin, ymax).
        let first = (ymin - 0.5).ceil().max(0.0);
        let last = (ymax - 0.5).ceil().min(nrows as f64);
        if first >= last {
            continue;
        }
        let delta = if y1 > y0 { factor } else { -factor };
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
    let invalid = Cell::new(false);
    let coverage = sweep(events, ncols, |winding| {
        if !(-0.5..=1.5).contains(&winding) {
            invalid.set(true);
        }
        if winding.abs() > 0.5 { 1.0 } else { 0.0 }
    });
    (coverage, invalid.get())
}
