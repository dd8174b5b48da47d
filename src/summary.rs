//! What terralux sees in a raster and a zone layer, as figures and as the
//! text the `summary` binary prints.

use std::fmt;

use geo::{Area, BoundingRect, Intersects};

use crate::crs::CrsKind;
use crate::error::{Error, Result};
use crate::grid::Grid;
use crate::raster::{BandInfo, RasterSource};
use crate::zones::ZoneSet;

/// A raster's grid, bands and valid cells.
///
/// ```
/// # fn main() -> terralux::Result<()> {
/// use ndarray::array;
/// use terralux::summary::RasterSummary;
/// use terralux::{Crs, GeoTransform, Grid, Raster};
/// let grid = Grid::new(GeoTransform::new(106.0, 0.5, 30.0, -0.5)?, 1, 3)?.with_crs(Crs::wgs84());
/// let raster = Raster::new(grid, array![[1.0f32, -9.0, 5.0]])?.with_nodata(Some(-9.0));
/// let summary = RasterSummary::of(&raster)?;
/// assert_eq!((summary.bands[0].valid, summary.bands[0].cells), (2, 3));
/// assert_eq!(summary.bands[0].mean, Some(3.0));
/// assert!(summary.to_string().contains("valid 2 of 3 cells (66.67%), min 1, max 5, mean 3.0000"));
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct RasterSummary {
    /// The raster's name.
    pub name: String,
    /// Its grid, as declared (or as snapped when asked).
    pub grid: Grid,
    /// Cell areas of the first and last rows in km^2 (`None` without a CRS).
    pub cell_area_km2: Option<(f64, f64)>,
    /// Each band, in order.
    pub bands: Vec<BandSummary>,
}

/// One band's type, encoding and valid values.
#[derive(Debug, Clone, PartialEq)]
pub struct BandSummary {
    /// Type, nodata, scale, offset, blocks.
    pub info: BandInfo,
    /// Cells in all.
    pub cells: usize,
    /// Valid cells (see the crate's validity rule).
    pub valid: usize,
    /// Smallest valid value.
    pub min: Option<f64>,
    /// Largest valid value.
    pub max: Option<f64>,
    /// Mean of the valid values.
    pub mean: Option<f64>,
}

impl RasterSummary {
    /// Read every band once, in row bands.
    pub fn of<R: RasterSource + ?Sized>(raster: &R) -> Result<Self> {
        let grid = raster.grid().clone();
        let cell_area_km2 = match grid.crs() {
            Some(_) => Some((grid.cell_area_km2(0)?, grid.cell_area_km2(grid.rows() - 1)?)),
            None => None,
        };
        let mut bands = Vec::with_capacity(raster.band_count());
        for band in 1..=raster.band_count() {
            let info = raster.band_info(band)?;
            let (mut valid, mut cells, mut sum) = (0usize, 0usize, 0.0f64);
            let (mut min, mut max) = (f64::INFINITY, f64::NEG_INFINITY);
            for window in crate::raster::row_band_windows(&grid, info.block_shape.0.max(1)) {
                let values = raster.read_window_f64(band, window)?;
                cells += values.len();
                for &v in values.iter().filter(|v| !v.is_nan()) {
                    valid += 1;
                    sum += v;
                    min = min.min(v);
                    max = max.max(v);
                }
            }
            let some = |v: f64| (valid > 0).then_some(v);
            bands.push(BandSummary {
                info,
                cells,
                valid,
                min: some(min),
                max: some(max),
                mean: some(sum / valid.max(1) as f64),
            });
        }
        Ok(RasterSummary {
            name: raster.name().to_string(),
            grid,
            cell_area_km2,
            bands,
        })
    }
}

impl fmt::Display for RasterSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let grid = &self.grid;
        let (gt, b) = (grid.transform(), grid.bounds());
        writeln!(f, "raster   {}", self.name)?;
        writeln!(
            f,
            "  size   {} cols x {} rows = {} cells",
            grid.cols(),
            grid.rows(),
            grid.cols() * grid.rows()
        )?;
        if let Some(crs) = grid.crs() {
            writeln!(f, "  crs    {} ({:?})", crs.definition(), crs.kind())?;
        }
        writeln!(
            f,
            "  grid   origin ({}, {}), cell {} x {}",
            gt.origin_x, gt.origin_y, gt.pixel_width, gt.pixel_height
        )?;
        writeln!(
            f,
            "  bounds x {:.6} .. {:.6}, y {:.6} .. {:.6}",
            b.min().x,
            b.max().x,
            b.min().y,
            b.max().y
        )?;
        if let Some((first, last)) = self.cell_area_km2 {
            writeln!(
                f,
                "  cell area {first:.6} km2 (row 0) .. {last:.6} km2 (row {})",
                grid.rows() - 1
            )?;
        }
        for band in &self.bands {
            let (info, enc) = (&band.info, band.info.encoding);
            writeln!(
                f,
                "  band {}: {}, nodata {}, scale {}, offset {}, blocks {} x {} (rows x cols)",
                info.band,
                info.data_type,
                enc.nodata.map_or("none".to_string(), |v| v.to_string()),
                enc.scale,
                enc.offset,
                info.block_shape.0,
                info.block_shape.1
            )?;
            match (band.min, band.max, band.mean) {
                (Some(min), Some(max), Some(mean)) => writeln!(
                    f,
                    "          valid {} of {} cells ({:.2}%), min {min}, max {max}, mean {mean:.4}",
                    band.valid,
                    band.cells,
                    100.0 * band.valid as f64 / band.cells as f64
                )?,
                _ => writeln!(f, "          no valid cells ({} cells)", band.cells)?,
            }
        }
        Ok(())
    }
}

/// A zone layer's figures, and how its zones lie on a raster's grid.
#[derive(Debug, Clone, PartialEq)]
pub struct ZonesSummary {
    /// Source and layer.
    pub source: String,
    /// The layer read.
    pub layer: String,
    /// The zones' CRS and its kind, as read.
    pub crs: Option<(String, CrsKind)>,
    /// Zones in all.
    pub count: usize,
    /// The id field (`None`: feature ids).
    pub id_field: Option<String>,
    /// Attribute fields.
    pub fields: Vec<String>,
    /// Bounds in the zones' CRS (min x, max x, min y, max y).
    pub bounds: Option<(f64, f64, f64, f64)>,
    /// Polygons, vertices, multipart zones, zones with holes, empty zones.
    pub parts: usize,
    /// Vertices of every ring.
    pub vertices: usize,
    /// Zones of several polygons.
    pub multipart: usize,
    /// Zones with a hole.
    pub with_holes: usize,
    /// Zones without geometry.
    pub empty: usize,
    /// Zones smaller than one cell of the grid.
    pub smaller_than_a_cell: usize,
    /// Ids of the zones wholly outside the grid.
    pub outside: Vec<String>,
    /// Ids of the zones partly outside it.
    pub partly_outside: Vec<String>,
    /// The first five zones: id and `name=value` attributes.
    pub first: Vec<(String, Vec<String>)>,
}

impl ZonesSummary {
    /// The figures of `zones`, placed on `grid` (reprojected to its CRS
    /// when they have another; an error when the grid has none and they do).
    #[cfg(feature = "gdal")]
    pub fn of(zones: &ZoneSet, grid: &Grid) -> Result<Self> {
        let on_grid = match (zones.crs(), grid.crs()) {
            (Some(_), Some(crs)) => zones.reprojected(crs)?,
            (Some(_), None) => {
                return Err(Error::MissingCrs {
                    source_name: "raster".into(),
                });
            }
            (None, _) => zones.clone(),
        };
        let raster_bounds = grid.bounds();
        let polygons = || on_grid.iter().flat_map(|z| z.geometry.0.iter());
        let cell = grid.transform();
        let cell_area = (cell.pixel_width * cell.pixel_height).abs();
        let (mut outside, mut partly_outside) = (Vec::new(), Vec::new());
        for zone in &on_grid {
            match zone.geometry.bounding_rect() {
                Some(zb) if !zb.intersects(&raster_bounds) => outside.push(zone.id.to_string()),
                Some(zb)
                    if zb.min().x < raster_bounds.min().x
                        || zb.max().x > raster_bounds.max().x
                        || zb.min().y < raster_bounds.min().y
                        || zb.max().y > raster_bounds.max().y =>
                {
                    partly_outside.push(zone.id.to_string())
                }
                _ => {}
            }
        }
        Ok(ZonesSummary {
            source: zones.source_name().to_string(),
            layer: zones.layer().to_string(),
            crs: zones.crs().map(|c| (c.definition().to_string(), c.kind())),
            count: zones.len(),
            id_field: zones.id_field().map(str::to_string),
            fields: zones.field_names().to_vec(),
            bounds: zones
                .bounds()
                .map(|b| (b.min().x, b.max().x, b.min().y, b.max().y)),
            parts: polygons().count(),
            vertices: polygons()
                .map(|p| {
                    p.exterior().0.len() + p.interiors().iter().map(|r| r.0.len()).sum::<usize>()
                })
                .sum(),
            multipart: on_grid.iter().filter(|z| z.geometry.0.len() > 1).count(),
            with_holes: on_grid
                .iter()
                .filter(|z| z.geometry.0.iter().any(|p| !p.interiors().is_empty()))
                .count(),
            empty: on_grid.iter().filter(|z| z.geometry.0.is_empty()).count(),
            smaller_than_a_cell: on_grid
                .iter()
                .filter(|z| !z.geometry.0.is_empty() && z.geometry.unsigned_area() < cell_area)
                .count(),
            outside,
            partly_outside,
            first: on_grid
                .iter()
                .take(5)
                .map(|z| {
                    let attributes = z
                        .attributes
                        .iter()
                        .map(|(k, v)| format!("{k}={v}"))
                        .collect();
                    (z.id.to_string(), attributes)
                })
                .collect(),
        })
    }
}

impl fmt::Display for ZonesSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "zones    {} (layer '{}')", self.source, self.layer)?;
        if let Some((definition, kind)) = &self.crs {
            writeln!(f, "  crs    {definition} ({kind:?})")?;
        }
        writeln!(
            f,
            "  count  {} zones, ids from {}",
            self.count,
            self.id_field
                .as_ref()
                .map_or("feature ids".to_string(), |f| format!("field '{f}'"))
        )?;
        writeln!(f, "  fields {}", self.fields.join(", "))?;
        if let Some((x0, x1, y0, y1)) = self.bounds {
            writeln!(f, "  bounds x {x0:.6} .. {x1:.6}, y {y0:.6} .. {y1:.6}")?;
        }
        writeln!(
            f,
            "  parts  {} polygons, {} vertices; {} multipart, {} with holes, {} empty",
            self.parts, self.vertices, self.multipart, self.with_holes, self.empty
        )?;
        writeln!(
            f,
            "  {} zone(s) smaller than one cell",
            self.smaller_than_a_cell
        )?;
        let list = |ids: &[String]| {
            if ids.is_empty() {
                "none".to_string()
            } else {
                ids.join(", ")
            }
        };
        writeln!(f, "  outside the raster: {}", list(&self.outside))?;
        writeln!(f, "  partly outside:     {}", list(&self.partly_outside))?;
        writeln!(f, "  first zones:")?;
        for (id, attributes) in &self.first {
            writeln!(f, "    {id}: {}", attributes.join(", "))?;
        }
        Ok(())
    }
}
