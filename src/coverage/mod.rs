//! Coverage: which cells of a grid a zone covers, and by how much.
//!
//! A [`Coverage`] is a sparse list of row runs: each [`Run`] is a span of
//! cells in one row that share one coverage fraction (1 for interior spans,
//! the exact partial share for boundary cells). It is computed once per
//! zone and grid and then applied to every band, raster and date on that
//! grid; a [`CoverageIndex`] holds the coverages of a whole [`crate::zones::ZoneSet`],
//! computed in parallel.
//!
//! # Modes
//! - [`CoverageMode::Exact`] (default): the exact share of each cell's area
//!   inside the zone, in the grid's planar coordinates.
//! - [`CoverageMode::Center`]: 1 for cells whose centre is inside the zone.
//!   Along a row the inside is half-open, `(west, east]`: a centre exactly
//!   on a zone's western boundary is outside, one on its eastern boundary
//!   inside, so that two zones sharing a border never both claim a cell.
//! - [`CoverageMode::AllTouched`]: 1 for every cell the zone's interior or
//!   boundary passes through.
//!
//! # How exact coverage is computed
//! Signed-area accumulation, as font rasterisers do it: every ring edge is
//! split at row and column lines; each piece adds its signed height times
//! the share of its cell to the right of it, and its full height to every
//! cell further right in the row. Summing along a row (a prefix sum) then
//! gives each cell's exact covered area. Rings are oriented so that
//! exteriors add and holes subtract, whatever their input orientation, so
//! holes and multipart zones need no special case. The contributions are
//! kept as sparse events sorted by (row, column), so memory scales with the
//! number of edge crossings, never with the zone's bounding box: a zone
//! that spans the globe costs what its boundary costs.
//!
//! # Invalid polygons are repaired
//! Polygons that break the OGC rules are measured as the valid polygon
//! GEOS's `MakeValid` would make of them: each polygon's rings are taken
//! by the even-odd rule (a bow-tie counts both lobes; a hole outside its
//! shell becomes a part of its own; a hole overlapping its shell removes
//! what they share), and the parts of a multipolygon are unioned (an
//! overlap counts once). Spikes, repeated points, unclosed rings and parts
//! of zero area add nothing and need no repair. Invalidity is detected
//! during accumulation, at no cost for valid zones: every cell of a valid
//! zone sums to a winding between 0 and 1, so a cell outside that range
//! (or covered cells that do not add up to the zone's area in the grid)
//! marks the zone, which is then repaired (after moving wrapped parts into
//! the grid's turn, so that parts overlapping only once wrapped are
//! unioned too) and computed again. [`Coverage::repaired_geometry`] says
//! which zones were; the engine lists them in its provenance.
//!
//! Detection works at the grid's resolution: a flaw within one cell whose
//! windings still sum to between 0 and 1 there (two parts overlapping
//! inside a single cell, a bow-tie smaller than a cell), or one entirely
//! outside the grid, is measured as given. The error that leaves is at
//! most the flaw's own area (less than a cell), in the fractions and in
//! `area_km2`.
//!
//! # Longitudes wrap
//! On a geographic grid, the part of a zone beyond the grid's west or east
//! edge is matched again one turn (360 degrees) further: see
//! [`Coverage::compute`].
//!
//! ```
//! # fn main() -> terralux::Result<()> {
//! use geo_types::{polygon, MultiPolygon};
//! use terralux::coverage::{Coverage, CoverageMode};
//! use terralux::{GeoTransform, Grid};
//! let grid = Grid::new(GeoTransform::new(0.0, 1.0, 4.0, -1.0)?, 4, 4)?;
//! // A 2 x 2 square shifted by half a cell: one full cell, four halves, four quarters.
//! let square = polygon![(x: 0.5, y: 0.5), (x: 2.5, y: 0.5), (x: 2.5, y: 2.5), (x: 0.5, y: 2.5)];
//! let cov = Coverage::compute(&MultiPolygon(vec![square]), &grid, CoverageMode::Exact);
//! assert_eq!(cov.fraction_at(2, 1), 1.0);
//! assert_eq!(cov.fraction_at(1, 1), 0.5);
//! assert_eq!(cov.fraction_at(1, 0), 0.25);
//! assert!((cov.total_fraction() - 4.0).abs() < 1e-12);
//! # Ok(())
//! # }
//! ```

mod center;
mod exact;
mod geometry;
mod index;
mod repair;

pub use index::CoverageIndex;

use geo_types::MultiPolygon;

use crate::codec::{Codec, Reader, Writer};
use crate::error::Result;
use crate::grid::{Grid, Window};

/// Coverage values below this are taken as zero, above `1 - FRACTION_EPSILON` as one.
pub const FRACTION_EPSILON: f64 = 1e-12;

/// How cells are counted as covered by a zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum CoverageMode {
    /// The exact share of the cell's area inside the zone (default).
    #[default]
    Exact,
    /// 1 when the cell's centre is inside the zone, else 0.
    Center,
    /// 1 when the zone touches the cell at all, else 0.
    AllTouched,
}

impl CoverageMode {
    /// The name used on command lines and in provenance: `exact`, `center`, `all-touched`.
    pub fn name(self) -> &'static str {
        match self {
            CoverageMode::Exact => "exact",
            CoverageMode::Center => "center",
            CoverageMode::AllTouched => "all-touched",
        }
    }

    /// Parse `exact`, `center` (or `centre`) or `all-touched`.
    ///
    /// ```
    /// use terralux::coverage::CoverageMode;
    /// assert_eq!(CoverageMode::parse("all-touched"), Some(CoverageMode::AllTouched));
    /// assert_eq!(CoverageMode::parse("nearest"), None);
    /// ```
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "exact" => Some(CoverageMode::Exact),
            "center" | "centre" => Some(CoverageMode::Center),
            "all-touched" | "all_touched" => Some(CoverageMode::AllTouched),
            _ => None,
        }
    }
}

/// A span of cells `col .. col + len` in one row, all covered by `fraction`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Run {
    /// First column.
    pub col: u32,
    /// Number of cells.
    pub len: u32,
    /// The coverage fraction of each cell, in (0, 1].
    pub fraction: f64,
}

impl Run {
    /// One past the last column.
    pub fn col_end(&self) -> u32 {
        self.col + self.len
    }
}

/// The cells of a grid covered by one zone, as sorted row runs.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Coverage {
    /// `(row, index of the row's first run)`, sorted by row; a row's runs end where the next row's start.
    rows: Vec<(u32, u32)>,
    runs: Vec<Run>,
    area_cells: f64,
    inside_cells: f64,
    /// The repaired geometry, when the zone's own was invalid.
    repaired: Option<Box<MultiPolygon<f64>>>,
}

impl Coverage {
    /// Compute the coverage of `zone` on `grid`. Coordinates must be in the
    /// grid's CRS. Non-finite coordinates are ignored (their edges skipped).
    ///
    /// On a grid whose CRS is geographic, longitudes wrap: the part of a
    /// zone beyond the grid's west or east edge is also matched one turn
    /// (360 degrees) east or west, so zones crossing the antimeridian as
    /// continuous longitudes (`179..181`) or split at ±180 both work on
    /// `-180..180` and `0..360` grids. Edges are straight lines in
    /// longitude/latitude (as in GeoJSON and OGC simple features); a ring
    /// jumping from 179 to -179 goes the long way round.
    pub fn compute(zone: &MultiPolygon<f64>, grid: &Grid, mode: CoverageMode) -> Coverage {
        let (coverage, invalid) = Self::compute_as_given(zone, grid, mode);
        if !invalid {
            return coverage;
        }
        // Where longitudes wrap, repair what coverage saw: the zone moved into the grid's turn.
        let wrapped = grid.longitude_period_cols().and_then(|_| {
            let bounds = grid.bounds();
            geometry::into_grid_turn(zone, bounds.min().x, bounds.max().x)
        });
        // The boolean operations are a dependency's, and fuzzing found
        // degenerate inputs they panic on: should one slip past the ring
        // cleaning, the zone is measured as given rather than failing the run.
        let source = wrapped.as_ref().unwrap_or(zone);
        let Ok(repaired) =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| repair::repaired(source)))
        else {
            return coverage;
        };
        let (mut coverage, _) = Self::compute_as_given(&repaired, grid, mode);
        coverage.repaired = Some(Box::new(repaired));
        coverage
    }

    /// The coverage of the rings as they are, and whether they showed to be
    /// invalid: a winding outside `[0, 1]` somewhere in the grid, or (exact
    /// mode) covered cells that do not add up to the area inside the grid.
    fn compute_as_given(
        zone: &MultiPolygon<f64>,
        grid: &Grid,
        mode: CoverageMode,
    ) -> (Coverage, bool) {
        Self::compute_within(zone, grid, mode, exact::EVENT_BUDGET)
    }

    /// [`Coverage::compute_as_given`] with a band cut into parts past
    /// about `budget` events (see `exact::for_each_band`; the results do
    /// not depend on it from `exact::MIN_BUDGET` up).
    fn compute_within(
        zone: &MultiPolygon<f64>,
        grid: &Grid,
        mode: CoverageMode,
        budget: usize,
    ) -> (Coverage, bool) {
        let (nrows, ncols) = (grid.rows(), grid.cols());
        let rings = geometry::PixelRings::new(zone, grid);
        let area_cells = rings.area();
        let rings = match grid.longitude_period_cols() {
            Some(period) => rings.with_wrapped_parts(period, ncols as f64),
            None => rings,
        };
        let (mut coverage, mut invalid) = match mode {
            CoverageMode::Exact => exact::exact_runs(&rings, nrows, ncols, budget),
            CoverageMode::Center => center::center_runs(&rings, nrows, ncols, budget),
            CoverageMode::AllTouched => exact::all_touched_runs(&rings, nrows, ncols, budget),
        };
        coverage.area_cells = area_cells;
        coverage.inside_cells = rings.clipped_area(nrows as f64, ncols as f64);
        if mode == CoverageMode::Exact {
            let inside = coverage.inside_cells;
            invalid |= (coverage.total_fraction() - inside).abs() > 1e-6 * (1.0 + inside.abs());
        }
        (coverage, invalid)
    }

    /// The valid geometry this coverage was computed from, when the zone's
    /// own was invalid and had to be repaired (see the module docs).
    pub fn repaired_geometry(&self) -> Option<&MultiPolygon<f64>> {
        self.repaired.as_deref()
    }

    /// Rows with their runs, in row order.
    pub fn rows(&self) -> impl Iterator<Item = (usize, &[Run])> + '_ {
        self.rows.iter().enumerate().map(move |(i, &(row, start))| {
            let end = self
                .rows
                .get(i + 1)
                .map_or(self.runs.len(), |&(_, s)| s as usize);
            (row as usize, &self.runs[start as usize..end])
        })
    }

    /// Rows with their runs, limited to rows `row_start..row_end`.
    pub fn rows_in(
        &self,
        row_start: usize,
        row_end: usize,
    ) -> impl Iterator<Item = (usize, &[Run])> + '_ {
        let first = self
            .rows
            .partition_point(|&(r, _)| (r as usize) < row_start);
        let last = self.rows.partition_point(|&(r, _)| (r as usize) < row_end);
        (first..last).map(move |i| {
            let (row, start) = self.rows[i];
            let end = self
                .rows
                .get(i + 1)
                .map_or(self.runs.len(), |&(_, s)| s as usize);
            (row as usize, &self.runs[start as usize..end])
        })
    }

    /// All runs, in row order.
    pub fn runs(&self) -> &[Run] {
        &self.runs
    }

    /// True when no cell is covered.
    pub fn is_empty(&self) -> bool {
        self.runs.is_empty()
    }

    /// The smallest window holding every covered cell (empty when none is).
    pub fn window(&self) -> Window {
        let (Some(&(first, _)), Some(&(last, _))) = (self.rows.first(), self.rows.last()) else {
            return Window::default();
        };
        let col_start = self.runs.iter().map(|r| r.col).min().unwrap_or(0);
        let col_end = self.runs.iter().map(Run::col_end).max().unwrap_or(0);
        Window::new(
            first as usize,
            col_start as usize,
            (last - first + 1) as usize,
            (col_end - col_start) as usize,
        )
    }

    /// The coverage fraction of one cell (0 when not covered).
    pub fn fraction_at(&self, row: usize, col: usize) -> f64 {
        self.rows_in(row, row + 1)
            .flat_map(|(_, runs)| runs.iter())
            .find(|r| (r.col as usize..r.col_end() as usize).contains(&col))
            .map_or(0.0, |r| r.fraction)
    }

    /// The sum of all fractions: the covered area in cells.
    pub fn total_fraction(&self) -> f64 {
        self.runs.iter().map(|r| r.len as f64 * r.fraction).sum()
    }

    /// Number of covered cells.
    pub fn cell_count(&self) -> usize {
        self.runs.iter().map(|r| r.len as usize).sum()
    }

    /// The zone's planar area, in cells (inside and outside the grid).
    pub fn zone_area_cells(&self) -> f64 {
        self.area_cells
    }

    /// The planar area of the part of the zone inside the grid, in cells.
    pub fn inside_area_cells(&self) -> f64 {
        self.inside_cells
    }

    /// The share of the zone's area outside the grid (`None` for a zone of
    /// zero area, or one whose area overflows along with its inside part).
    pub fn outside_fraction(&self) -> Option<f64> {
        let share = 1.0 - self.inside_cells / self.area_cells;
        (self.area_cells > 0.0 && !share.is_nan()).then(|| share.clamp(0.0, 1.0))
    }
}

impl Codec for CoverageMode {
    fn encode(&self, w: &mut Writer) {
        w.u8(match self {
            CoverageMode::Exact => 0,
            CoverageMode::Center => 1,
            CoverageMode::AllTouched => 2,
        });
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self> {
        Ok(match r.tag(3, "coverage mode")? {
            0 => CoverageMode::Exact,
            1 => CoverageMode::Center,
            _ => CoverageMode::AllTouched,
        })
    }
}

/// The bulk of a plan's bytes, so written compactly: the row and run
/// counts (`u64`), then each row as the difference from the previous row
/// and its number of runs, then each run as the difference of its first
/// column from the previous run's in the row (from 0 for a row's first),
/// its length times two plus one when its fraction is exactly 1 (the
/// fraction is then left out), and otherwise its fraction (`f64` bits);
/// these are variable-length integers ([`Writer::varint`]), the
/// differences modulo 2^32 (any coverage gives its bytes back exactly).
/// About 10 bytes a boundary cell and 2-4 an interior run, against 16 at
/// full width. Then the areas and the repaired geometry.
impl Codec for Coverage {
    fn encode(&self, w: &mut Writer) {
        w.len(self.rows.len());
        w.len(self.runs.len());
        let mut previous_row = 0u32;
        for (row, runs) in self.rows() {
            let row = row as u32;
            w.varint(u64::from(row.wrapping_sub(previous_row)));
            w.varint(runs.len() as u64);
            previous_row = row;
        }
        for (_, runs) in self.rows() {
            let mut previous_col = 0u32;
            for run in runs {
                w.varint(u64::from(run.col.wrapping_sub(previous_col)));
                let full = run.fraction.to_bits() == 1f64.to_bits();
                w.varint((u64::from(run.len) << 1) | u64::from(full));
                if !full {
                    w.f64(run.fraction);
                }
                previous_col = run.col;
            }
        }
        w.f64(self.area_cells);
        w.f64(self.inside_cells);
        w.put(&self.repaired);
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self> {
        let corrupt = |r: &Reader<'_>| r.error("corrupt: coverage rows out of order");
        let row_count = r.len()?;
        let run_count = r.len()?;
        let mut rows = Vec::with_capacity(row_count);
        let mut runs_in_row = Vec::with_capacity(row_count);
        let (mut row, mut start) = (0u32, 0u32);
        for _ in 0..row_count {
            row = row.wrapping_add(r.varint_u32()?);
            let count = r.varint_u32()?;
            rows.push((row, start));
            runs_in_row.push(count);
            start = start.checked_add(count).ok_or_else(|| corrupt(r))?;
        }
        if start as usize != run_count {
            return Err(r.error("corrupt: the coverage rows do not hold its runs"));
        }
        // Each run takes at least two bytes.
        let mut runs = Vec::with_capacity(run_count.min(r.left() / 2));
        for count in runs_in_row {
            let mut col = 0u32;
            for _ in 0..count {
                col = col.wrapping_add(r.varint_u32()?);
                let len = r.varint()?;
                let fraction = if len & 1 == 1 { 1.0 } else { r.f64()? };
                let len = u32::try_from(len >> 1)
                    .map_err(|_| r.error("corrupt: a coverage run beyond 32 bits"))?;
                runs.push(Run { col, len, fraction });
            }
        }
        let coverage = Coverage {
            rows,
            runs,
            area_cells: r.f64()?,
            inside_cells: r.f64()?,
            repaired: r.get()?,
        };
        // What `rows()` slices by must hold: rows increasing, run starts in order.
        let rows_ordered = coverage
            .rows
            .windows(2)
            .all(|p| p[0].0 < p[1].0 && p[0].1 <= p[1].1);
        if !rows_ordered {
            return Err(corrupt(r));
        }
        Ok(coverage)
    }
}

impl Coverage {
    /// Whether every covered cell lies in a grid of `rows x cols` cells.
    pub(crate) fn fits(&self, rows: usize, cols: usize) -> bool {
        self.rows
            .last()
            .is_none_or(|&(row, _)| (row as usize) < rows)
            && self.runs.iter().all(|run| {
                run.len > 0
                    && run
                        .col
                        .checked_add(run.len)
                        .is_some_and(|end| end as usize <= cols)
            })
    }
}

/// Collects runs row by row, merging adjacent runs of equal fraction.
#[derive(Default)]
pub(crate) struct RunBuilder {
    coverage: Coverage,
}

impl RunBuilder {
    /// Append a run; rows must come in increasing order and columns in increasing order within a row.
    pub(crate) fn push(&mut self, row: usize, col: usize, len: usize, fraction: f64) {
        if len == 0 || fraction <= 0.0 {
            return;
        }
        let cov = &mut self.coverage;
        let (row, col, len) = (row as u32, col as u32, len as u32);
        let same_row = cov.rows.last().is_some_and(|&(r, _)| r == row);
        if same_row {
            if let Some(last) = cov.runs.last_mut()
                && last.col_end() == col
                && last.fraction == fraction
            {
                last.len += len;
                return;
            }
        } else {
            cov.rows.push((row, cov.runs.len() as u32));
        }
        cov.runs.push(Run { col, len, fraction });
    }

    pub(crate) fn finish(self) -> Coverage {
        self.coverage
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::{Reader, Writer};

    /// A row's runs: first column, length, fraction.
    type Runs<'a> = &'a [(u32, u32, f64)];

    fn coverage(rows: &[(u32, Runs<'_>)]) -> Coverage {
        let mut b = RunBuilder::default();
        for &(row, runs) in rows {
            for &(col, len, fraction) in runs {
                b.push(row as usize, col as usize, len as usize, fraction);
            }
        }
        b.finish()
    }

    fn bytes_of(c: &Coverage) -> Vec<u8> {
        let mut w = Writer::default();
        w.put(c);
        w.bytes
    }

    /// A jagged star (radius drawn afresh at every vertex, so that edges
    /// cross tens of cells) reaching past the grid's top and left, with a
    /// hole, and a polygon whose horizontal edges lie inside rows.
    fn jagged_zone() -> MultiPolygon<f64> {
        use geo_types::{Coord, LineString, Polygon};
        let mut state = 7u64;
        let mut uniform = || {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1);
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        let ring =
            |centre: (f64, f64), r: (f64, f64), n: usize, uniform: &mut dyn FnMut() -> f64| {
                let mut points: Vec<Coord<f64>> = (0..n)
                    .map(|i| {
                        let angle = 2.0 * std::f64::consts::PI * i as f64 / n as f64;
                        let radius = r.0 + (r.1 - r.0) * uniform();
                        Coord {
                            x: centre.0 + radius * angle.cos(),
                            y: centre.1 + radius * angle.sin(),
                        }
                    })
                    .collect();
                points.push(points[0]);
                LineString(points)
            };
        let star = Polygon::new(
            ring((100.0, -100.0), (60.0, 130.0), 3_000, &mut uniform),
            vec![ring((100.0, -100.0), (10.0, 25.0), 200, &mut uniform)],
        );
        let flat = Polygon::new(
            LineString::from(vec![
                (230.0, -10.5),
                (290.0, -10.5),
                (290.0, -250.25),
                (230.0, -250.25),
                (230.0, -10.5),
            ]),
            vec![],
        );
        MultiPolygon(vec![star, flat])
    }

    #[test]
    fn bands_cut_to_an_event_budget_give_the_same_bits() {
        // One degree cells, 300 x 300, origin at (0, 0): y grows upwards, rows downwards.
        let grid = Grid::new(
            crate::grid::GeoTransform::new(0.0, 1.0, 0.0, -1.0).unwrap(),
            300,
            300,
        )
        .unwrap();
        let zone = jagged_zone();
        for mode in [
            CoverageMode::Exact,
            CoverageMode::AllTouched,
            CoverageMode::Center,
        ] {
            let (whole, invalid) = Coverage::compute_within(&zone, &grid, mode, usize::MAX);
            assert!(!whole.runs.is_empty(), "{mode:?}");
            for budget in [exact::MIN_BUDGET, 60_000, 150_000] {
                let (cut, cut_invalid) = Coverage::compute_within(&zone, &grid, mode, budget);
                assert_eq!(
                    bytes_of(&cut),
                    bytes_of(&whole),
                    "{mode:?}, budget {budget}"
                );
                assert_eq!(cut_invalid, invalid, "{mode:?}, budget {budget}");
            }
        }
    }

    #[test]
    fn coverage_bytes_are_compact_and_give_the_coverage_back_bit_for_bit() {
        let c = coverage(&[
            (
                3,
                &[(0, 1, 0.25), (1, 40, 1.0), (41, 1, 1.0 - f64::EPSILON)],
            ),
            (4, &[(7, 1, f64::MIN_POSITIVE), (70_000, 2, 0.5)]),
            (90_000, &[(u32::MAX - 5, 5, 1.0)]),
        ]);
        let bytes = bytes_of(&c);
        let mut r = Reader::new(&bytes, "test bytes");
        let back: Coverage = r.get().unwrap();
        r.finish().unwrap();
        assert_eq!(back, c);
        for (a, b) in back.runs.iter().zip(&c.runs) {
            assert_eq!(a.fraction.to_bits(), b.fraction.to_bits());
        }
        // Counts 16; rows 2+2+4; runs (1+1+8)+(1+1)+(1+1+8), (1+1+8)+(3+1+8),
        // (5+1); areas 16; no repaired geometry 1.
        assert_eq!(bytes.len(), 16 + 8 + 22 + 22 + 6 + 16 + 1);
        // Every cut is an error, never a panic.
        for cut in 0..bytes.len() {
            let mut r = Reader::new(&bytes[..cut], "test bytes");
            assert!(r.get::<Coverage>().is_err(), "cut at {cut}");
        }
    }

    #[test]
    fn coverage_bytes_whose_rows_and_runs_disagree_are_refused() {
        let c = coverage(&[(1, &[(0, 2, 0.5)]), (2, &[(0, 1, 1.0)])]);
        let mut bytes = bytes_of(&c);
        // The run count (bytes 8..16) one more than the rows hold.
        bytes[8] += 1;
        let e = Reader::new(&bytes, "test bytes")
            .get::<Coverage>()
            .unwrap_err();
        assert!(e.to_string().contains("do not hold its runs"), "{e}");
        // The second row's difference 0: rows out of order.
        let mut bytes = bytes_of(&c);
        bytes[18] = 0;
        let e = Reader::new(&bytes, "test bytes")
            .get::<Coverage>()
            .unwrap_err();
        assert!(e.to_string().contains("out of order"), "{e}");
    }
}
