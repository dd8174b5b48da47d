//! Raster grids: the affine geotransform, windows of cells, snapping and cell areas.
//!
//! A [`Grid`] is a north-up (or south-up) lattice of `rows x cols` cells
//! described by a [`GeoTransform`] and an optional [`Crs`]. World
//! coordinates are `geo_types::Coord { x, y }` (x = longitude/easting);
//! pixel positions are [`PixelCoord { row, col }`](PixelCoord); the two
//! never share a signature. Cell `(row, col)` covers pixel coordinates
//! `[row, row + 1) x [col, col + 1)`, so its centre is `(row + 0.5, col + 0.5)`.

use std::fmt;

use geo_types::{Coord, LineString, MultiPolygon, Rect};

use crate::codec::{Codec, Reader, Writer};
use crate::crs::{Crs, CrsKind};
use crate::error::{Error, Result};

/// How close (in cells) a world bound must be to a cell edge to count as on it.
const EDGE_TOLERANCE: f64 = 1e-9;

/// WGS84 semi-major axis, metres.
pub const WGS84_A: f64 = 6_378_137.0;
/// WGS84 flattening.
pub const WGS84_F: f64 = 1.0 / 298.257_223_563;

/// An axis-aligned affine geotransform (no rotation or shear).
///
/// `x = origin_x + col * pixel_width`, `y = origin_y + row * pixel_height`
/// for pixel coordinates `(row, col)`; `pixel_height` is negative for
/// the usual north-up rasters.
///
/// ```
/// # fn main() -> terralux::Result<()> {
/// use terralux::GeoTransform;
/// let gt = GeoTransform::from_gdal([100.0, 0.5, 0.0, 40.0, 0.0, -0.5])?;
/// assert_eq!(gt.to_gdal(), [100.0, 0.5, 0.0, 40.0, 0.0, -0.5]);
/// assert!(GeoTransform::from_gdal([100.0, 0.5, 0.1, 40.0, 0.0, -0.5]).is_err());
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GeoTransform {
    /// World x of the left edge of column 0.
    pub origin_x: f64,
    /// Cell width in CRS units (positive).
    pub pixel_width: f64,
    /// World y of the top edge of row 0.
    pub origin_y: f64,
    /// Cell height in CRS units (negative for north-up rasters).
    pub pixel_height: f64,
}

impl GeoTransform {
    /// Build a transform; the cell size must be finite and non-zero.
    pub fn new(origin_x: f64, pixel_width: f64, origin_y: f64, pixel_height: f64) -> Result<Self> {
        let gt = GeoTransform {
            origin_x,
            pixel_width,
            origin_y,
            pixel_height,
        };
        gt.validate()?;
        Ok(gt)
    }

    /// From GDAL's six coefficients `[x0, dx, rx, y0, ry, dy]`; refuses
    /// rotated or sheared transforms (`rx != 0` or `ry != 0`).
    pub fn from_gdal(gt: [f64; 6]) -> Result<Self> {
        if gt[2] != 0.0 || gt[4] != 0.0 {
            return Err(grid_error(format!(
                "rotated or sheared geotransform {gt:?} is not supported (terms 2 and 4 must be 0); \
                 warp the raster to a north-up grid first, e.g. with gdalwarp"
            )));
        }
        Self::new(gt[0], gt[1], gt[3], gt[5])
    }

    /// GDAL's six coefficients.
    pub fn to_gdal(&self) -> [f64; 6] {
        [
            self.origin_x,
            self.pixel_width,
            0.0,
            self.origin_y,
            0.0,
            self.pixel_height,
        ]
    }

    fn validate(&self) -> Result<()> {
        let all_finite = [
            self.origin_x,
            self.pixel_width,
            self.origin_y,
            self.pixel_height,
        ]
        .iter()
        .all(|v| v.is_finite());
        if !all_finite || self.pixel_width == 0.0 || self.pixel_height == 0.0 {
            return Err(grid_error(format!(
                "invalid geotransform {:?}: coefficients must be finite and the cell size non-zero",
                self.to_gdal()
            )));
        }
        if self.pixel_width < 0.0 {
            return Err(grid_error(format!(
                "geotransform {:?} has a negative pixel width (east-to-west columns are not supported)",
                self.to_gdal()
            )));
        }
        Ok(())
    }

    /// The same transform with cell sizes that are within 1e-6 (relative)
    /// of `1/n` degrees snapped to exactly `1/n`, and origins within 1e-6
    /// cell of a multiple of half a cell snapped onto it.
    ///
    /// EOG's VIIRS files store 15" as `0.0041666667`; over 86,401 columns
    /// that rounding drifts by 0.3 m and misaligns grids that should match.
    /// Only meaningful for geographic CRSs (see [`Grid::snapped`]).
    ///
    /// ```
    /// # fn main() -> terralux::Result<()> {
    /// let eog = terralux::GeoTransform::from_gdal(
    ///     [-180.00208333335, 0.0041666667, 0.0, 75.00208333335, 0.0, -0.0041666667])?;
    /// let snapped = eog.snapped_to_degree_fractions();
    /// assert_eq!(snapped.pixel_width, 1.0 / 240.0);
    /// assert_eq!(snapped.origin_x, -86401.0 / 480.0);
    /// # Ok(())
    /// # }
    /// ```
    pub fn snapped_to_degree_fractions(&self) -> Self {
        let width = snap_size(self.pixel_width);
        let height = snap_size(self.pixel_height);
        GeoTransform {
            origin_x: snap_origin(self.origin_x, width),
            pixel_width: width,
            origin_y: snap_origin(self.origin_y, height),
            pixel_height: height,
        }
    }
}

/// `size` snapped to `±1/n` when it is within 1e-6 relative of it.
fn snap_size(size: f64) -> f64 {
    let n = (1.0 / size.abs()).round();
    if n >= 1.0 && (n * size.abs() - 1.0).abs() < 1e-6 {
        size.signum() / n
    } else {
        size
    }
}

/// `origin` snapped to a multiple of half of `size` when within 1e-6 cell of one.
fn snap_origin(origin: f64, size: f64) -> f64 {
    let half_cells_per_degree = 2.0 / size.abs();
    let k = (origin * half_cells_per_degree).round();
    let snapped = k / half_cells_per_degree;
    if (origin - snapped).abs() < 1e-6 * size.abs() {
        snapped
    } else {
        origin
    }
}

fn grid_error(reason: String) -> Error {
    Error::Grid {
        source_name: "grid".to_string(),
        reason,
    }
}

/// A fractional position in pixel space: `row` grows down the raster,
/// `col` to the right; integer values are cell edges.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PixelCoord {
    /// Fractional row.
    pub row: f64,
    /// Fractional column.
    pub col: f64,
}

/// A rectangle of cells: `rows x cols` cells starting at `(row_off, col_off)`.
///
/// A window with zero rows or columns is empty; operations that find no
/// overlap return an empty window rather than an error.
///
/// ```
/// use terralux::Window;
/// let a = Window::new(0, 0, 10, 10);
/// let b = Window::new(5, 8, 10, 10);
/// assert_eq!(a.intersection(&b), Window::new(5, 8, 5, 2));
/// assert!(a.intersection(&Window::new(20, 20, 1, 1)).is_empty());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Window {
    /// First row.
    pub row_off: usize,
    /// First column.
    pub col_off: usize,
    /// Number of rows.
    pub rows: usize,
    /// Number of columns.
    pub cols: usize,
}

impl Window {
    /// A window of `rows x cols` cells whose top-left cell is `(row_off, col_off)`.
    pub fn new(row_off: usize, col_off: usize, rows: usize, cols: usize) -> Self {
        Window {
            row_off,
            col_off,
            rows,
            cols,
        }
    }

    /// True when the window holds no cell.
    pub fn is_empty(&self) -> bool {
        self.rows == 0 || self.cols == 0
    }

    /// One past the last row.
    pub fn row_end(&self) -> usize {
        self.row_off + self.rows
    }

    /// One past the last column.
    pub fn col_end(&self) -> usize {
        self.col_off + self.cols
    }

    /// Number of cells.
    pub fn cell_count(&self) -> usize {
        self.rows * self.cols
    }

    /// True when cell `(row, col)` lies in the window.
    pub fn contains(&self, row: usize, col: usize) -> bool {
        (self.row_off..self.row_end()).contains(&row)
            && (self.col_off..self.col_end()).contains(&col)
    }

    /// True when `other` lies entirely inside this window.
    pub fn contains_window(&self, other: &Window) -> bool {
        other.row_off >= self.row_off
            && other.col_off >= self.col_off
            && other.row_end() <= self.row_end()
            && other.col_end() <= self.col_end()
    }

    /// The cells common to both windows (empty when they do not overlap).
    pub fn intersection(&self, other: &Window) -> Window {
        let row_off = self.row_off.max(other.row_off);
        let col_off = self.col_off.max(other.col_off);
        let row_end = self.row_end().min(other.row_end()).max(row_off);
        let col_end = self.col_end().min(other.col_end()).max(col_off);
        Window::new(row_off, col_off, row_end - row_off, col_end - col_off)
    }
}

impl fmt::Display for Window {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "rows {}..{}, cols {}..{}",
            self.row_off,
            self.row_end(),
            self.col_off,
            self.col_end()
        )
    }
}

/// A raster grid: geotransform, size and (optionally) CRS.
///
/// ```
/// # fn main() -> terralux::Result<()> {
/// use terralux::{Crs, GeoTransform, Grid, PixelCoord};
/// use geo_types::coord;
/// // 15" cells over 106E..106.5E, 29.5N..29.9N
/// let gt = GeoTransform::new(106.0, 1.0 / 240.0, 29.9, -1.0 / 240.0)?;
/// let grid = Grid::new(gt, 96, 120)?.with_crs(Crs::wgs84());
/// let centre = grid.cell_center(0, 0);
/// assert!((centre.x - (106.0 + 1.0 / 480.0)).abs() < 1e-12);
/// let p = grid.pixel_of(coord! { x: 106.25, y: 29.7 });
/// assert!((p.col - 60.0).abs() < 1e-9 && (p.row - 48.0).abs() < 1e-9);
/// let area = grid.cell_area_km2(0)?; // one 15" cell near 29.9N
/// assert!((area - 0.1856).abs() < 1e-3);
/// # Ok(())
/// # }
/// ```
///
/// `==` is identity of the stored numbers and CRS text, for tests; whether
/// two rasters' cells coincide (so that one coverage serves both) is
/// [`Grid::same_as`], the one "same grid" test of terralux.
#[derive(Debug, Clone, PartialEq)]
pub struct Grid {
    transform: GeoTransform,
    rows: usize,
    cols: usize,
    crs: Option<Crs>,
}

/// The transform, the shape and the CRS, exactly (a decoded grid is
/// validated as [`Grid::new`] validates one).
impl Codec for Grid {
    fn encode(&self, w: &mut Writer) {
        let t = &self.transform;
        for v in [t.origin_x, t.pixel_width, t.origin_y, t.pixel_height] {
            w.f64(v);
        }
        w.put(&self.rows);
        w.put(&self.cols);
        w.put(&self.crs);
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self> {
        let (x, width, y, height) = (r.f64()?, r.f64()?, r.f64()?, r.f64()?);
        let (rows, cols) = (r.get()?, r.get()?);
        let crs: Option<Crs> = r.get()?;
        let grid = GeoTransform::new(x, width, y, height)
            .and_then(|t| Grid::new(t, rows, cols))
            .map_err(|e| r.error(format!("corrupt: {e}")))?;
        Ok(match crs {
            Some(crs) => grid.with_crs(crs),
            None => grid,
        })
    }
}

/// The default tolerance of [`Grid::matches`], in cells: exactextract's
/// default `grid_compat_tol`.
pub const GRID_COMPAT_TOL: f64 = 1e-3;

impl Grid {
    /// A grid of `rows x cols` cells; both must be at least 1.
    pub fn new(transform: GeoTransform, rows: usize, cols: usize) -> Result<Self> {
        transform.validate()?;
        if rows == 0 || cols == 0 {
            return Err(grid_error(format!(
                "a grid needs at least one row and one column (got {rows} x {cols})"
            )));
        }
        Ok(Grid {
            transform,
            rows,
            cols,
            crs: None,
        })
    }

    /// The same grid with its CRS set.
    pub fn with_crs(mut self, crs: Crs) -> Self {
        self.crs = Some(crs);
        self
    }

    /// The geotransform.
    pub fn transform(&self) -> &GeoTransform {
        &self.transform
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Number of columns.
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// `(rows, cols)`, in ndarray order.
    pub fn shape(&self) -> (usize, usize) {
        (self.rows, self.cols)
    }

    /// The CRS, if known.
    pub fn crs(&self) -> Option<&Crs> {
        self.crs.as_ref()
    }

    /// True when the CRS is known to be geographic (degrees).
    pub fn is_geographic(&self) -> bool {
        self.crs.as_ref().is_some_and(Crs::is_geographic)
    }

    /// Columns per full turn of longitude (360 degrees) on a geographic
    /// grid; `None` for other CRSs or none.
    ///
    /// ```
    /// # fn main() -> terralux::Result<()> {
    /// use terralux::{Crs, GeoTransform, Grid};
    /// let grid = Grid::new(GeoTransform::new(-180.0, 0.25, 90.0, -0.25)?, 720, 1440)?;
    /// assert_eq!(grid.longitude_period_cols(), None);
    /// assert_eq!(grid.with_crs(Crs::wgs84()).longitude_period_cols(), Some(1440.0));
    /// # Ok(())
    /// # }
    /// ```
    pub fn longitude_period_cols(&self) -> Option<f64> {
        self.is_geographic()
            .then(|| 360.0 / self.transform.pixel_width)
    }

    /// The window of every cell.
    pub fn full_window(&self) -> Window {
        Window::new(0, 0, self.rows, self.cols)
    }

    /// World coordinates of a pixel position.
    pub fn world_of(&self, p: PixelCoord) -> Coord<f64> {
        let t = &self.transform;
        Coord {
            x: t.origin_x + p.col * t.pixel_width,
            y: t.origin_y + p.row * t.pixel_height,
        }
    }

    /// Pixel position of world coordinates (the inverse of [`Grid::world_of`]).
    pub fn pixel_of(&self, c: Coord<f64>) -> PixelCoord {
        let t = &self.transform;
        PixelCoord {
            row: (c.y - t.origin_y) / t.pixel_height,
            col: (c.x - t.origin_x) / t.pixel_width,
        }
    }

    /// World coordinates of the centre of cell `(row, col)`.
    pub fn cell_center(&self, row: usize, col: usize) -> Coord<f64> {
        self.world_of(PixelCoord {
            row: row as f64 + 0.5,
            col: col as f64 + 0.5,
        })
    }

    /// World bounds of cell `(row, col)`.
    pub fn cell_bounds(&self, row: usize, col: usize) -> Rect<f64> {
        self.window_bounds(&Window::new(row, col, 1, 1))
    }

    /// World bounds of a window of cells.
    pub fn window_bounds(&self, window: &Window) -> Rect<f64> {
        let a = self.world_of(PixelCoord {
            row: window.row_off as f64,
            col: window.col_off as f64,
        });
        let b = self.world_of(PixelCoord {
            row: window.row_end() as f64,
            col: window.col_end() as f64,
        });
        Rect::new(a, b)
    }

    /// World bounds of the whole grid.
    pub fn bounds(&self) -> Rect<f64> {
        self.window_bounds(&self.full_window())
    }

    /// The cells that intersect a world rectangle, clamped to the grid
    /// (empty when the rectangle misses the grid). A bound within 1e-9 cell
    /// of a cell edge counts as on the edge.
    ///
    /// ```
    /// # fn main() -> terralux::Result<()> {
    /// use terralux::{GeoTransform, Grid, Window};
    /// use geo_types::{coord, Rect};
    /// let grid = Grid::new(GeoTransform::new(0.0, 1.0, 10.0, -1.0)?, 10, 10)?;
    /// let w = grid.window_from_bounds(&Rect::new(coord! { x: 2.5, y: 7.5 }, coord! { x: 4.0, y: 12.0 }));
    /// assert_eq!(w, Window::new(0, 2, 3, 2));
    /// # Ok(())
    /// # }
    /// ```
    pub fn window_from_bounds(&self, rect: &Rect<f64>) -> Window {
        let a = self.pixel_of(rect.min());
        let b = self.pixel_of(rect.max());
        let (row_lo, row_hi) = (a.row.min(b.row), a.row.max(b.row));
        let (col_lo, col_hi) = (a.col.min(b.col), a.col.max(b.col));
        let clamp = |v: f64, n: usize| -> usize {
            if v.is_nan() || v <= 0.0 {
                0
            } else if v >= n as f64 {
                n
            } else {
                v as usize
            }
        };
        // A bound within EDGE_TOLERANCE of a cell edge is taken to lie on it, so that
        // rounding in the world -> pixel conversion never adds a row or column.
        let row_off = clamp((row_lo + EDGE_TOLERANCE).floor(), self.rows);
        let row_end = clamp((row_hi - EDGE_TOLERANCE).ceil(), self.rows).max(row_off);
        let col_off = clamp((col_lo + EDGE_TOLERANCE).floor(), self.cols);
        let col_end = clamp((col_hi - EDGE_TOLERANCE).ceil(), self.cols).max(col_off);
        Window::new(row_off, col_off, row_end - row_off, col_end - col_off)
    }

    /// True when `other` is the same grid as this one within `tolerance`
    /// cells: the same shape and CRS, and every cell edge of one within
    /// `tolerance` of a cell of the other's (origins, and the far corner,
    /// which bounds the drift of a cell size stored rounded). Cells are
    /// compared, never moved; exactextract's `grid_compat_tol` has the same
    /// role, with [`GRID_COMPAT_TOL`] as its default.
    ///
    /// ```
    /// # fn main() -> terralux::Result<()> {
    /// use terralux::grid::GRID_COMPAT_TOL;
    /// use terralux::{GeoTransform, Grid};
    /// // A VIIRS crop as GDAL stores it, and the same crop saved by another tool.
    /// let a = Grid::new(GeoTransform::new(106.0, 0.0041666667, 30.0, -0.0041666667)?, 100, 120)?;
    /// let b = Grid::new(GeoTransform::new(106.0, 0.0041666665, 30.0, -0.0041666665)?, 100, 120)?;
    /// assert!(a.matches(&b, GRID_COMPAT_TOL));
    /// let shifted = Grid::new(GeoTransform::new(106.002, 0.0041666667, 30.0, -0.0041666667)?, 100, 120)?;
    /// assert!(!a.matches(&shifted, GRID_COMPAT_TOL));
    /// # Ok(())
    /// # }
    /// ```
    pub fn matches(&self, other: &Grid, tolerance: f64) -> bool {
        let (a, b) = (&self.transform, &other.transform);
        let crs_match = match (&self.crs, &other.crs) {
            (Some(x), Some(y)) => x.matches(y),
            (None, None) => true,
            _ => false,
        };
        let (cols, rows) = (self.cols as f64, self.rows as f64);
        let within = |x: f64, y: f64, cell: f64| (x - y).abs() <= tolerance * cell.abs();
        self.shape() == other.shape()
            && crs_match
            && within(a.origin_x, b.origin_x, a.pixel_width)
            && within(a.origin_y, b.origin_y, a.pixel_height)
            && within(
                a.origin_x + cols * a.pixel_width,
                b.origin_x + cols * b.pixel_width,
                a.pixel_width,
            )
            && within(
                a.origin_y + rows * a.pixel_height,
                b.origin_y + rows * b.pixel_height,
                a.pixel_height,
            )
    }

    /// [`matches`](Self::matches) with the default tolerance
    /// [`GRID_COMPAT_TOL`]: the one "same grid" test of terralux (weights,
    /// population, masks, dates of a series, coverage indices).
    pub fn same_as(&self, other: &Grid) -> bool {
        self.matches(other, GRID_COMPAT_TOL)
    }

    /// The same grid with nearly-`1/n`-degree cells and their origins snapped
    /// exactly (see [`GeoTransform::snapped_to_degree_fractions`]); grids
    /// whose CRS is not geographic are returned unchanged.
    pub fn snapped(&self) -> Grid {
        let mut grid = self.clone();
        if self.is_geographic() {
            grid.transform = self.transform.snapped_to_degree_fractions();
        }
        grid
    }

    /// The area in km^2 of one cell of `row` (every cell of a row has the
    /// same area): on the WGS84 ellipsoid for geographic grids, planar
    /// (width x height x unit^2) for projected ones. Errors for a grid
    /// without CRS or with a CRS that is neither.
    pub fn cell_area_km2(&self, row: usize) -> Result<f64> {
        let crs = self.crs.as_ref().ok_or_else(|| {
            grid_error("cell areas need a CRS, and this grid has none".to_string())
        })?;
        let t = &self.transform;
        match crs.kind() {
            CrsKind::Geographic => {
                let lat_a = t.origin_y + row as f64 * t.pixel_height;
                let lat_b = lat_a + t.pixel_height;
                Ok(ellipsoidal_cell_area_km2(lat_a, lat_b, t.pixel_width))
            }
            CrsKind::Projected => {
                let unit = crs.linear_unit_m().unwrap_or(1.0);
                Ok((t.pixel_width * t.pixel_height).abs() * unit * unit / 1e6)
            }
            CrsKind::Other => Err(grid_error(format!(
                "cell areas need a geographic or projected CRS, not '{}'",
                crs.definition()
            ))),
        }
    }

    /// Cell areas in km^2 for every row of `window`, in window order.
    pub fn cell_areas_km2(&self, window: &Window) -> Result<Vec<f64>> {
        (window.row_off..window.row_end())
            .map(|row| self.cell_area_km2(row))
            .collect()
    }
}

/// Area in km^2 of a cell between latitudes `lat_a` and `lat_b` (degrees,
/// either order) and `width_deg` degrees of longitude, on the WGS84 ellipsoid.
///
/// Uses the authalic function `q(phi)` (DOMAIN.md §3):
/// `A = b^2 * dlambda / 2 * |q(phi2) - q(phi1)|`. Latitudes are clamped to ±90.
///
/// ```
/// let a = terralux::grid::ellipsoidal_cell_area_km2(-1.0 / 480.0, 1.0 / 480.0, 1.0 / 240.0);
/// assert!((a - 0.213699).abs() < 1e-6);
/// ```
pub fn ellipsoidal_cell_area_km2(lat_a: f64, lat_b: f64, width_deg: f64) -> f64 {
    width_deg.abs().to_radians() * (authalic_km2(lat_b) - authalic_km2(lat_a)).abs()
}

/// `b^2 / 2 * q(phi)` in km^2 per radian of longitude: the ellipsoid's
/// area between the equator and latitude `lat_deg` (clamped to ±90),
/// signed, per radian.
fn authalic_km2(lat_deg: f64) -> f64 {
    let e2 = WGS84_F * (2.0 - WGS84_F);
    let e = e2.sqrt();
    let b = WGS84_A * (1.0 - WGS84_F);
    let s = lat_deg.clamp(-90.0, 90.0).to_radians().sin();
    let q = s / (1.0 - e2 * s * s) + (1.0 / (2.0 * e)) * ((1.0 + e * s) / (1.0 - e * s)).ln();
    b * b / 2.0 * q / 1e6
}

/// Area in km^2 on the WGS84 ellipsoid of polygons in longitude/latitude
/// degrees whose edges are straight lines in longitude/latitude (the
/// meaning of an edge in GeoJSON, Shapefile and GeoPackage, and the one
/// coverage uses): exteriors minus holes.
///
/// Green's theorem over the authalic latitude, `A = |∮ F(phi) dlambda|`
/// with `F = b^2 q(phi) / 2`, integrated along each edge with
/// Simpson's rule on pieces of at most one degree of latitude. A
/// longitude/latitude rectangle gets exactly
/// [`ellipsoidal_cell_area_km2`]; a cap bounded by a parallel gets its
/// true area, where a geodesic-edge area would see a degenerate ring.
///
/// ```
/// use geo_types::{polygon, MultiPolygon};
/// use terralux::grid::{ellipsoidal_cell_area_km2, ellipsoidal_polygon_area_km2};
/// let arctic = polygon![(x: -180.0, y: 80.0), (x: 180.0, y: 80.0), (x: 180.0, y: 90.0), (x: -180.0, y: 90.0)];
/// let area = ellipsoidal_polygon_area_km2(&MultiPolygon(vec![arctic]));
/// assert!((area / ellipsoidal_cell_area_km2(80.0, 90.0, 360.0) - 1.0).abs() < 1e-12);
/// ```
pub fn ellipsoidal_polygon_area_km2(zone: &MultiPolygon<f64>) -> f64 {
    zone.0
        .iter()
        .map(|polygon| {
            let exterior = ring_area_km2(polygon.exterior());
            if exterior == 0.0 {
                // No exterior, no polygon: its holes cut nothing.
                return 0.0;
            }
            let holes: f64 = polygon.interiors().iter().map(ring_area_km2).sum();
            exterior - holes
        })
        .sum::<f64>()
        .max(0.0)
}

/// Unsigned area of one ring (see [`ellipsoidal_polygon_area_km2`]).
fn ring_area_km2(ring: &LineString<f64>) -> f64 {
    let mut points = ring
        .0
        .iter()
        .copied()
        .filter(|c| c.x.is_finite() && c.y.is_finite());
    let Some(first) = points.next() else {
        return 0.0;
    };
    // Simpson's rule on pieces of at most one degree of latitude; F at each
    // vertex is computed once and shared by the edges on either side.
    let mut signed = 0.0;
    let (mut a, mut f_a) = (first, authalic_km2(first.y));
    let mut count = 1;
    for b in points.chain(std::iter::once(first)) {
        count += 1;
        let f_b = authalic_km2(b.y);
        let dlon = (b.x - a.x).to_radians();
        if dlon != 0.0 {
            let pieces = (b.y - a.y).abs().ceil().max(1.0);
            let step = (b.y - a.y) / pieces;
            let mut mean = 0.0;
            let mut f_lo = f_a;
            for k in 0..pieces as usize {
                let lo = a.y + k as f64 * step;
                let f_hi = if k + 1 == pieces as usize {
                    f_b
                } else {
                    authalic_km2(lo + step)
                };
                mean += (f_lo + 4.0 * authalic_km2(lo + step / 2.0) + f_hi) / 6.0;
                f_lo = f_hi;
            }
            signed += dlon * mean / pieces;
        }
        (a, f_a) = (b, f_b);
    }
    // Fewer than three points (the closing one counted) enclose nothing.
    if count < 4 { 0.0 } else { signed.abs() }
}
