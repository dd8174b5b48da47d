//! The chunk plan: the grid cut into chunks of whole blocks, the chunks
//! each zone touches, and the cell areas of the rows the zones cover.

use crate::coverage::{Coverage, CoverageIndex};
use crate::grid::{Grid, Window};

/// The grid cut into chunks of whole blocks, in file (row-major) order.
pub(super) struct ChunkPlan {
    rows: usize,
    cols: usize,
    chunk_rows: usize,
    chunk_cols: usize,
    per_band: usize,
}

impl ChunkPlan {
    pub(super) fn new(grid: &Grid, block: (usize, usize), budget: usize) -> Self {
        let (rows, cols) = grid.shape();
        let (block_rows, block_cols) = (block.0.clamp(1, rows), block.1.clamp(1, cols));
        let block_row_cells = block_rows * cols;
        let (chunk_rows, chunk_cols) = if block_row_cells <= budget {
            (block_rows * (budget / block_row_cells).max(1), cols)
        } else {
            let blocks_across = (budget / block_rows / block_cols).max(1);
            (block_rows, (blocks_across * block_cols).min(cols))
        };
        let chunk_rows = chunk_rows.min(rows);
        ChunkPlan {
            rows,
            cols,
            chunk_rows,
            chunk_cols,
            per_band: cols.div_ceil(chunk_cols),
        }
    }

    pub(super) fn window(&self, chunk: usize) -> Window {
        let (band, col_chunk) = (chunk / self.per_band, chunk % self.per_band);
        let (row_off, col_off) = (band * self.chunk_rows, col_chunk * self.chunk_cols);
        Window::new(
            row_off,
            col_off,
            self.chunk_rows.min(self.rows - row_off),
            self.chunk_cols.min(self.cols - col_off),
        )
    }

    /// The chunks holding at least one covered cell, in order. (Not the
    /// chunks of the coverage's bounding window: a zone across the
    /// antimeridian covers both ends of its rows, not the middle.)
    fn touched(&self, coverage: &Coverage) -> Vec<usize> {
        let mut chunks = Vec::new();
        let mut marked = vec![false; self.per_band];
        let mut band_of_marks = None;
        let mut flush = |band: usize, marked: &mut [bool]| {
            for (c, mark) in marked.iter_mut().enumerate() {
                if std::mem::take(mark) {
                    chunks.push(band * self.per_band + c);
                }
            }
        };
        for (row, runs) in coverage.rows() {
            let band = row / self.chunk_rows;
            if band_of_marks != Some(band) {
                if let Some(previous) = band_of_marks {
                    flush(previous, &mut marked);
                }
                band_of_marks = Some(band);
            }
            for run in runs {
                let first = run.col as usize / self.chunk_cols;
                let last = (run.col_end() as usize - 1) / self.chunk_cols;
                marked[first..=last].fill(true);
            }
        }
        if let Some(band) = band_of_marks {
            flush(band, &mut marked);
        }
        chunks
    }

    /// The chunks some zone of `index` touches (in file order), the zones of
    /// each (in input order), and each zone's last one (a position in the
    /// first list): a grid may have far more chunks than the zones reach,
    /// and only those are planned.
    pub(super) fn active_chunks(
        &self,
        index: &CoverageIndex,
    ) -> (Vec<usize>, Vec<Vec<u32>>, Vec<Option<usize>>) {
        let mut touches: Vec<(usize, u32)> = Vec::new();
        for (z, coverage) in index.coverages().iter().enumerate() {
            if !coverage.is_empty() {
                touches.extend(self.touched(coverage).into_iter().map(|c| (c, z as u32)));
            }
        }
        // Stable: the zones of a chunk stay in input order.
        touches.sort_by_key(|&(chunk, _)| chunk);
        let mut active_chunks: Vec<usize> = Vec::new();
        let mut chunk_zones: Vec<Vec<u32>> = Vec::new();
        let mut last_chunk: Vec<Option<usize>> = vec![None; index.len()];
        for (chunk, z) in touches {
            if active_chunks.last() != Some(&chunk) {
                active_chunks.push(chunk);
                chunk_zones.push(Vec::new());
            }
            let position = active_chunks.len() - 1;
            chunk_zones[position].push(z);
            last_chunk[z as usize] = Some(position);
        }
        (active_chunks, chunk_zones, last_chunk)
    }
}

/// Cell areas in km^2 of the rows some zone covers, in runs of rows.
pub(super) struct RowAreas {
    /// `(first row, areas of it and the rows after it)`, in row order, disjoint.
    spans: Vec<(usize, Vec<f64>)>,
}

impl RowAreas {
    pub(super) fn new(grid: &Grid, index: &CoverageIndex) -> Self {
        let mut ranges: Vec<(usize, usize)> = index
            .coverages()
            .iter()
            .filter(|c| !c.is_empty())
            .map(|c| {
                let w = c.window();
                (w.row_off, w.row_end())
            })
            .collect();
        ranges.sort_unstable();
        let mut merged: Vec<(usize, usize)> = Vec::new();
        for (start, end) in ranges {
            match merged.last_mut() {
                Some(last) if start <= last.1 => last.1 = last.1.max(end),
                _ => merged.push((start, end)),
            }
        }
        let spans = merged
            .into_iter()
            .map(|(start, end)| {
                let areas = (start..end)
                    .map(|row| grid.cell_area_km2(row).unwrap_or(f64::NAN))
                    .collect();
                (start, areas)
            })
            .collect();
        RowAreas { spans }
    }

    /// The cell area of `row` (NaN when unknown or not covered by any zone).
    pub(super) fn get(&self, row: usize) -> f64 {
        let i = self.spans.partition_point(|(start, _)| *start <= row);
        i.checked_sub(1)
            .and_then(|i| {
                let (start, areas) = &self.spans[i];
                areas.get(row - start).copied()
            })
            .unwrap_or(f64::NAN)
    }
}
