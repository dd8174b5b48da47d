//! Rasters read through GDAL: any path GDAL opens, subdatasets and `/vsi` paths included.

use std::path::Path;
use std::sync::Mutex;

use gdal::raster::GdalDataType;
use gdal::{Dataset, DatasetOptions, GdalOpenFlags, Metadata};
use ndarray::Array2;

use super::{
    BandInfo, CellEncoding, CellType, DataType, RasterSource, check_band, check_window, fill_buffer,
};
use crate::crs::Crs;
use crate::error::{Error, Result};
use crate::gdal_util::{is_gdal_virtual_path, quietly};
use crate::grid::{GeoTransform, Grid, Window};

/// How to open a raster with [`GdalRaster::open_with`].
///
/// ```
/// use terralux::{Crs, raster::RasterOptions};
/// let options = RasterOptions { assume_crs: Some(Crs::wgs84()), ..RasterOptions::default() };
/// assert!(!options.snap_geographic); // cells are where the file says
/// assert!(!options.allow_raw_vrt);
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RasterOptions {
    /// The CRS to use when the file declares none (a file's own CRS always wins).
    /// Without it, a raster without CRS is an error.
    pub assume_crs: Option<Crs>,
    /// A geotransform to use instead of the file's (for products whose
    /// georeferencing GDAL cannot read, such as Black Marble HDF5 with GDAL 3.6).
    pub geotransform: Option<GeoTransform>,
    /// Snap nearly-`1/n`-degree grids of geographic rasters exactly (see
    /// [`GeoTransform::snapped_to_degree_fractions`]). Default false: cells
    /// are where the file declares them, as GDAL, rasterio and exactextract
    /// take them (an EOG VIIRS file stores 0.0041666667 for 1/240 degree, a
    /// crop saved by another tool 0.0041666665; snapping moves cell edges by
    /// up to ~1e-7 degree over a few hundred columns). An explicit choice
    /// (`--snap-grid`), recorded in the provenance.
    pub snap_geographic: bool,
    /// Ignore GDAL mask bands (default false). By default a cell is invalid
    /// where the band's mask is 0: an internal or `.msk` mask, a
    /// per-dataset mask or an alpha band (`GMF_PER_DATASET`, `GMF_ALPHA`),
    /// as exactextract and rasterstats honour them. Masks that only repeat
    /// the nodata value (`GMF_NODATA`) or say every cell is valid
    /// (`GMF_ALL_VALID`) cost nothing.
    pub ignore_mask: bool,
    /// Open VRTs with a `VRTRawRasterBand` (default false). Such a band reads
    /// the raw bytes of any file it names (`/etc/passwd` as cells), so a VRT
    /// from someone else could make statistics reveal a local file; without
    /// this option a VRT that has one, or reads from a VRT that has one, is
    /// refused with an [`Error::Open`] saying how to allow it.
    pub allow_raw_vrt: bool,
}

/// A raster opened with GDAL (read-only).
///
/// The path can be a file (`ntl.tif`), a subdataset
/// (`HDF5:"f.h5"://HDFEOS/GRIDS/VIIRS_Grid_DNB_2d/Data_Fields/...`) or a
/// virtual path (`/vsigzip/...`, `/vsizip/...`).
///
/// A GDAL dataset handle must not be used by two threads at once, so a
/// `GdalRaster` keeps a small pool of handles on the same file: each read
/// takes one (opening another when all are busy) and puts it back. That
/// makes `GdalRaster` `Send + Sync`, so the engine's workers can read
/// different windows of it in parallel, each through its own handle.
///
/// ```no_run
/// # fn main() -> terralux::Result<()> {
/// use terralux::{GdalRaster, RasterSource};
/// let raster = GdalRaster::open("testdata/ntl.tif")?;
/// let info = raster.band_info(1)?;
/// for band in raster.read_row_bands_f64(1, 1)? {
///     let (window, values) = band?;
///     assert_eq!(values.dim(), (window.rows, window.cols));
/// }
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct GdalRaster {
    name: String,
    grid: Grid,
    /// The grid as the file declares it (before any snapping).
    declared: Grid,
    options: RasterOptions,
    bands: Vec<std::result::Result<BandInfo, String>>,
    /// Per band, the nodata of an Int64/UInt64 band exactly as declared.
    exact_nodata: Vec<Option<ExactNodata>>,
    /// Per band, whether it has a mask band to apply (see [`RasterOptions::ignore_mask`]).
    masked: Vec<bool>,
    handles: Mutex<Vec<Dataset>>,
}

/// A 64-bit integer band's nodata value, which its `f64` in
/// [`CellEncoding::nodata`] may only approximate (beyond 2^53).
#[derive(Debug, Clone, Copy, PartialEq)]
enum ExactNodata {
    I64(i64),
    U64(u64),
}

impl GdalRaster {
    /// Open `path` with the default [`RasterOptions`]: the file must be
    /// georeferenced and declare a CRS.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        Self::open_with(path, &RasterOptions::default())
    }

    /// Open `path` with explicit options.
    pub fn open_with(path: impl AsRef<Path>, options: &RasterOptions) -> Result<Self> {
        let path = path.as_ref();
        let name = path.display().to_string();
        if !is_gdal_virtual_path(&name) && !path.exists() {
            return Err(Error::NotFound {
                path: path.to_path_buf(),
            });
        }
        let dataset = open_dataset(&name)?;
        if !options.allow_raw_vrt {
            super::vrt::refuse_raw_vrt(&dataset, &name)?;
        }
        if dataset.raster_count() == 0 {
            return Err(Error::Open {
                source_name: name,
                reason: no_bands_reason(&dataset),
            });
        }
        let declared = read_grid(&dataset, &name, options)?;
        let grid = if options.snap_geographic {
            declared.snapped()
        } else {
            declared.clone()
        };
        let bands = (1..=dataset.raster_count())
            .map(|band| read_band_info(&dataset, band))
            .collect();
        let exact_nodata = (1..=dataset.raster_count())
            .map(|band| read_exact_nodata(&dataset, band))
            .collect();
        let masked = (1..=dataset.raster_count())
            .map(|band| !options.ignore_mask && has_mask_band(&dataset, band))
            .collect();
        Ok(GdalRaster {
            name,
            grid,
            declared,
            options: options.clone(),
            bands,
            exact_nodata,
            masked,
            handles: Mutex::new(vec![dataset]),
        })
    }

    /// The grid as the file declares it: [`RasterSource::grid`] unless
    /// [`RasterOptions::snap_geographic`] moved it.
    ///
    /// ```no_run
    /// # fn main() -> terralux::Result<()> {
    /// use terralux::{GdalRaster, RasterSource};
    /// let raster = GdalRaster::open("testdata/ntl.tif")?;
    /// assert_eq!(raster.declared_grid(), raster.grid());
    /// # Ok(())
    /// # }
    /// ```
    pub fn declared_grid(&self) -> &Grid {
        &self.declared
    }

    /// Open the same raster again, with the same options (a new, independent pool).
    pub fn reopen(&self) -> Result<Self> {
        Self::open_with(&self.name, &self.options)
    }

    /// Run `f` on one of the underlying GDAL datasets, for what terralux does not wrap.
    ///
    /// ```no_run
    /// # fn main() -> terralux::Result<()> {
    /// let raster = terralux::GdalRaster::open("testdata/ntl.tif")?;
    /// let driver = raster.with_dataset(|ds| ds.driver().short_name())?;
    /// assert_eq!(driver, "GTiff");
    /// # Ok(())
    /// # }
    /// ```
    pub fn with_dataset<T>(&self, f: impl FnOnce(&Dataset) -> T) -> Result<T> {
        let dataset = self.take_handle()?;
        let out = f(&dataset);
        self.return_handle(dataset);
        Ok(out)
    }

    /// A metadata item of the dataset (`domain` "" is the default domain).
    pub fn metadata_item(&self, key: &str, domain: &str) -> Option<String> {
        self.with_dataset(|ds| ds.metadata_item(key, domain))
            .ok()
            .flatten()
    }

    /// A band's metadata items (default domain) as `(key, value)` pairs.
    pub fn band_metadata(&self, band: usize) -> Result<Vec<(String, String)>> {
        check_band(&self.name, band, self.band_count())?;
        let items = self.with_dataset(|ds| {
            ds.rasterband(band)
                .ok()
                .and_then(|b| b.metadata_domain(""))
                .unwrap_or_default()
        })?;
        Ok(items
            .into_iter()
            .filter_map(|item| {
                item.split_once('=')
                    .map(|(k, v)| (k.to_string(), v.trim().to_string()))
            })
            .collect())
    }

    /// The same raster with band `band` decoded by `encoding` (nodata, scale,
    /// offset) instead of what GDAL reports: for formats whose attributes
    /// GDAL does not map, such as Black Marble's HDF5 `_FillValue` and
    /// `scale_factor` with GDAL 3.6.
    /// An Int64/UInt64 band's declared nodata is kept exactly as long as
    /// `encoding.nodata` is the one reported.
    pub fn with_band_encoding(mut self, band: usize, encoding: CellEncoding) -> Result<Self> {
        check_band(&self.name, band, self.band_count())?;
        if let Ok(info) = &mut self.bands[band - 1] {
            if info.encoding.nodata.map(f64::to_bits) != encoding.nodata.map(f64::to_bits) {
                self.exact_nodata[band - 1] = None;
            }
            info.encoding = encoding;
        }
        Ok(self)
    }

    /// The nodata of a 64-bit integer band as declared (`None` for other bands).
    fn exact_nodata(&self, band: usize) -> Option<ExactNodata> {
        self.exact_nodata
            .get(band.checked_sub(1)?)
            .copied()
            .flatten()
    }

    fn take_handle(&self) -> Result<Dataset> {
        let pooled = self.handles.lock().ok().and_then(|mut pool| pool.pop());
        match pooled {
            Some(dataset) => Ok(dataset),
            None => open_dataset(&self.name),
        }
    }

    fn return_handle(&self, dataset: Dataset) {
        if let Ok(mut pool) = self.handles.lock() {
            pool.push(dataset);
        }
    }

    fn read_raw<T: CellType>(&self, band: usize, window: &Window) -> Result<Array2<T>> {
        check_band(&self.name, band, self.band_count())?;
        check_window(&self.name, &self.grid, window)?;
        if window.is_empty() {
            return Ok(Array2::default((window.rows, window.cols)));
        }
        let read_error = |reason: String| Error::Read {
            source_name: self.name.clone(),
            band,
            reason,
        };
        let dataset = self.take_handle()?;
        let result = quietly(|| {
            dataset.rasterband(band).and_then(|rasterband| {
                rasterband.read_as::<T::Gdal>(
                    (window.col_off as isize, window.row_off as isize),
                    (window.cols, window.rows),
                    (window.cols, window.rows),
                    None,
                )
            })
        });
        self.return_handle(dataset);
        let (_, data) = result
            .map_err(|e| read_error(e.to_string()))?
            .into_shape_and_vec();
        let data: Vec<T> = data.into_iter().map(T::from_gdal).collect();
        Array2::from_shape_vec((window.rows, window.cols), data)
            .map_err(|e| read_error(e.to_string()))
    }
}

impl GdalRaster {
    /// Read `window` of `band` into `out` through GDAL's RasterIO, converting to `T`.
    fn raster_io<T: gdal::raster::GdalType + Copy>(
        &self,
        band: usize,
        window: &Window,
        out: &mut [T],
    ) -> Result<()> {
        let dataset = self.take_handle()?;
        let result = quietly(|| {
            dataset.rasterband(band).and_then(|rasterband| {
                rasterband.read_into_slice::<T>(
                    (window.col_off as isize, window.row_off as isize),
                    (window.cols, window.rows),
                    (window.cols, window.rows),
                    out,
                    None,
                )
            })
        });
        self.return_handle(dataset);
        result.map_err(|e| Error::Read {
            source_name: self.name.clone(),
            band,
            reason: e.to_string(),
        })
    }

    /// Read a block-aligned window of a Float32 band block by block, straight
    /// from the driver into a per-thread tile buffer and then into `out`:
    /// no trip through GDAL's block cache (no cache churn, one copy less).
    fn read_blocks_f32(
        &self,
        band: usize,
        info: &BandInfo,
        window: &Window,
        out: &mut [f32],
    ) -> Result<()> {
        thread_local! {
            static TILE: std::cell::RefCell<Vec<f32>> = const { std::cell::RefCell::new(Vec::new()) };
        }
        let (block_rows, block_cols) = info.block_shape;
        let read_error = |reason: String| Error::Read {
            source_name: self.name.clone(),
            band,
            reason,
        };
        let dataset = self.take_handle()?;
        let result = TILE.with(|tile| -> Result<()> {
            let mut tile = tile.borrow_mut();
            tile.resize(block_rows * block_cols, 0.0);
            let rasterband = dataset
                .rasterband(band)
                .map_err(|e| read_error(e.to_string()))?;
            for block_row in (window.row_off..window.row_end()).step_by(block_rows) {
                for block_col in (window.col_off..window.col_end()).step_by(block_cols) {
                    // SAFETY: the band handle lives as long as `dataset`; the buffer holds one
                    // whole block of Float32 (the band's type), as GDALReadBlock requires.
                    let status = quietly(|| unsafe {
                        gdal_sys::GDALReadBlock(
                            rasterband.c_rasterband(),
                            (block_col / block_cols) as std::ffi::c_int,
                            (block_row / block_rows) as std::ffi::c_int,
                            tile.as_mut_ptr() as *mut std::ffi::c_void,
                        )
                    });
                    if status != gdal_sys::CPLErr::CE_None {
                        return Err(read_error(last_gdal_error()));
                    }
                    let rows = block_rows.min(window.row_end() - block_row);
                    let cols = block_cols.min(window.col_end() - block_col);
                    for r in 0..rows {
                        let from = &tile[r * block_cols..r * block_cols + cols];
                        let at = (block_row - window.row_off + r) * window.cols
                            + (block_col - window.col_off);
                        out[at..at + cols].copy_from_slice(from);
                    }
                }
            }
            Ok(())
        });
        self.return_handle(dataset);
        result
    }
}

/// GDAL's last error message.
fn last_gdal_error() -> String {
    // SAFETY: CPLGetLastErrorMsg returns a valid NUL-terminated string owned by GDAL.
    unsafe { std::ffi::CStr::from_ptr(gdal_sys::CPLGetLastErrorMsg()) }
        .to_string_lossy()
        .into_owned()
}

fn open_dataset(name: &str) -> Result<Dataset> {
    quietly(|| {
        Dataset::open_ex(
            name,
            DatasetOptions {
                open_flags: GdalOpenFlags::GDAL_OF_RASTER | GdalOpenFlags::GDAL_OF_READONLY,
                ..DatasetOptions::default()
            },
        )
    })
    .map_err(|e| Error::Open {
        source_name: name.to_string(),
        reason: e.to_string(),
    })
}

fn read_band_info(dataset: &Dataset, band: usize) -> std::result::Result<BandInfo, String> {
    let rasterband = dataset.rasterband(band).map_err(|e| e.to_string())?;
    let data_type = data_type_of(&rasterband).ok_or_else(|| {
        format!(
            "data type {} is not supported (complex or unknown)",
            rasterband.band_type()
        )
    })?;
    let nodata = match data_type {
        DataType::I64 => rasterband.no_data_value_i64().map(|v| v as f64),
        DataType::U64 => rasterband.no_data_value_u64().map(|v| v as f64),
        _ => rasterband.no_data_value(),
    };
    let (block_cols, block_rows) = rasterband.block_size();
    Ok(BandInfo {
        band,
        data_type,
        encoding: CellEncoding {
            nodata,
            scale: rasterband.scale().unwrap_or(1.0),
            offset: rasterband.offset().unwrap_or(0.0),
        },
        block_shape: (block_rows.max(1), block_cols.max(1)),
    })
}

/// A decoded cell type that a mask band can make invalid (NaN).
trait MaskableCell: Copy {
    const NAN: Self;
}

impl MaskableCell for f32 {
    const NAN: f32 = f32::NAN;
}

impl MaskableCell for f64 {
    const NAN: f64 = f64::NAN;
}

/// True when `band` has a mask band that can make cells invalid beyond its
/// nodata value: an explicit (internal or `.msk`) mask, a per-dataset mask
/// or an alpha band.
fn has_mask_band(dataset: &Dataset, band: usize) -> bool {
    let Ok(rasterband) = dataset.rasterband(band) else {
        return false;
    };
    match quietly(|| rasterband.mask_flags()) {
        Ok(flags) => !flags.is_all_valid() && !flags.is_nodata(),
        Err(_) => false,
    }
}

/// The nodata of an Int64/UInt64 band as the integer GDAL reports
/// (`read_band_info` keeps its nearest `f64` in the encoding).
fn read_exact_nodata(dataset: &Dataset, band: usize) -> Option<ExactNodata> {
    let rasterband = dataset.rasterband(band).ok()?;
    match data_type_of(&rasterband)? {
        DataType::I64 => rasterband.no_data_value_i64().map(ExactNodata::I64),
        DataType::U64 => rasterband.no_data_value_u64().map(ExactNodata::U64),
        _ => None,
    }
}

/// Why a data set with no raster bands cannot be read, naming its
/// subdatasets when it is a container (HDF5, netCDF).
fn no_bands_reason(dataset: &Dataset) -> String {
    let subdatasets: Vec<String> = dataset
        .metadata_domain("SUBDATASETS")
        .unwrap_or_default()
        .into_iter()
        .filter_map(|item| {
            let (key, value) = item.split_once('=')?;
            key.ends_with("_NAME").then(|| value.to_string())
        })
        .collect();
    if subdatasets.is_empty() {
        "it has no raster bands".to_string()
    } else {
        format!(
            "it has no raster bands of its own; open one of its subdatasets: {}",
            subdatasets.join(", ")
        )
    }
}

fn read_grid(dataset: &Dataset, name: &str, options: &RasterOptions) -> Result<Grid> {
    let transform = match options.geotransform {
        Some(gt) => gt,
        None => {
            let gt = quietly(|| dataset.geo_transform()).map_err(|_| Error::Grid {
                source_name: name.to_string(),
                reason: "the raster is not georeferenced (it has no geotransform)".to_string(),
            })?;
            GeoTransform::from_gdal(gt).map_err(|e| e.for_source(name))?
        }
    };
    let crs = if dataset.projection().trim().is_empty() {
        None
    } else {
        let srs = quietly(|| dataset.spatial_ref()).map_err(|e| Error::Crs {
            context: name.to_string(),
            reason: e.to_string(),
        })?;
        Some(Crs::from_spatial_ref(&srs, name)?)
    };
    let crs = crs
        .or_else(|| options.assume_crs.clone())
        .ok_or_else(|| Error::MissingCrs {
            source_name: name.to_string(),
        })?;
    let (cols, rows) = dataset.raster_size();
    let grid = Grid::new(transform, rows, cols)
        .map_err(|e| e.for_source(name))?
        .with_crs(crs);
    Ok(grid)
}

fn data_type_of(band: &gdal::raster::RasterBand<'_>) -> Option<DataType> {
    Some(match band.band_type() {
        GdalDataType::UInt8 => {
            let signed = band.metadata_item("PIXELTYPE", "IMAGE_STRUCTURE");
            if signed.as_deref() == Some("SIGNEDBYTE") {
                DataType::I8
            } else {
                DataType::U8
            }
        }
        GdalDataType::UInt16 => DataType::U16,
        GdalDataType::Int16 => DataType::I16,
        GdalDataType::UInt32 => DataType::U32,
        GdalDataType::Int32 => DataType::I32,
        GdalDataType::UInt64 => DataType::U64,
        GdalDataType::Int64 => DataType::I64,
        GdalDataType::Float32 => DataType::F32,
        GdalDataType::Float64 => DataType::F64,
        _ => return None,
    })
}

impl GdalRaster {
    /// The cells of `window` decoded to `f64` (nodata and NaN as NaN, scale
    /// and offset applied), before the mask band.
    fn decoded_window(&self, band: usize, window: Window) -> Result<Array2<f64>> {
        let info = self.band_info(band)?;
        let enc = info.encoding;
        Ok(match info.data_type {
            DataType::U8 => enc.decode(self.read_raw::<u8>(band, &window)?.view()),
            DataType::I8 => enc.decode(self.read_raw::<i8>(band, &window)?.view()),
            DataType::U16 => enc.decode(self.read_raw::<u16>(band, &window)?.view()),
            DataType::I16 => enc.decode(self.read_raw::<i16>(band, &window)?.view()),
            DataType::U32 => enc.decode(self.read_raw::<u32>(band, &window)?.view()),
            DataType::I32 => enc.decode(self.read_raw::<i32>(band, &window)?.view()),
            DataType::U64 => {
                let nodata = self.nodata_u64(band, &enc);
                enc.decode_with_nodata(self.read_raw::<u64>(band, &window)?.view(), nodata)
            }
            DataType::I64 => {
                let nodata = self.nodata_i64(band, &enc);
                enc.decode_with_nodata(self.read_raw::<i64>(band, &window)?.view(), nodata)
            }
            DataType::F32 => enc.decode(self.read_raw::<f32>(band, &window)?.view()),
            DataType::F64 => enc.decode(self.read_raw::<f64>(band, &window)?.view()),
        })
    }

    /// The nodata of a UInt64 band as a cell: as declared, or as `enc` says.
    fn nodata_u64(&self, band: usize, enc: &CellEncoding) -> Option<u64> {
        match self.exact_nodata(band) {
            Some(ExactNodata::U64(v)) => Some(v),
            _ => enc.nodata.and_then(u64::nodata_as_cell),
        }
    }

    /// The nodata of an Int64 band as a cell: as declared, or as `enc` says.
    fn nodata_i64(&self, band: usize, enc: &CellEncoding) -> Option<i64> {
        match self.exact_nodata(band) {
            Some(ExactNodata::I64(v)) => Some(v),
            _ => enc.nodata.and_then(i64::nodata_as_cell),
        }
    }

    /// [`RasterSource::read_window_exact_into`] before the mask band: the
    /// raw cells read once, both buffers derived from them.
    fn read_exact_unmasked_into(
        &self,
        band: usize,
        window: Window,
        values: &mut Vec<f64>,
        exact: &mut Vec<i128>,
    ) -> Result<bool> {
        let info = self.band_info(band)?;
        if !info.encoding.exact_integers(info.data_type) {
            return Ok(false);
        }
        fn fill<T: CellType>(
            raw: &Array2<T>,
            nodata: Option<T>,
            values: &mut Vec<f64>,
            exact: &mut Vec<i128>,
        ) {
            values.clear();
            exact.clear();
            for &v in raw.iter() {
                values.push(if Some(v) == nodata {
                    f64::NAN
                } else {
                    v.to_f64()
                });
                exact.push(v.to_i128().unwrap_or_default());
            }
        }
        match info.data_type {
            DataType::U64 => {
                let nodata = self.nodata_u64(band, &info.encoding);
                fill(&self.read_raw::<u64>(band, &window)?, nodata, values, exact);
            }
            DataType::I64 => {
                let nodata = self.nodata_i64(band, &info.encoding);
                fill(&self.read_raw::<i64>(band, &window)?, nodata, values, exact);
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// [`RasterSource::read_window_f64_into`] before the mask band.
    fn read_f64_unmasked_into(
        &self,
        band: usize,
        window: Window,
        out: &mut Vec<f64>,
    ) -> Result<()> {
        let info = self.band_info(band)?;
        check_window(&self.name, &self.grid, &window)?;
        // GDAL converts every type exactly to f64 but signed bytes (stored as Byte in GDAL 3.6)
        // and 64-bit integers beyond 2^53: those take the typed path.
        if matches!(info.data_type, DataType::I8 | DataType::I64 | DataType::U64) {
            fill_buffer(&self.decoded_window(band, window)?, out);
            return Ok(());
        }
        if out.len() != window.cell_count() {
            out.resize(window.cell_count(), 0.0);
        }
        if window.is_empty() {
            return Ok(());
        }
        self.raster_io(band, &window, out)?;
        info.encoding.decode_f64_in_place(info.data_type, out);
        Ok(())
    }

    /// [`RasterSource::read_window_f32_into`] before the mask band.
    fn read_f32_unmasked_into(
        &self,
        band: usize,
        window: Window,
        out: &mut Vec<f32>,
    ) -> Result<bool> {
        let info = self.band_info(band)?;
        // Signed bytes are stored as Byte in GDAL 3.6: GDAL would convert them as unsigned.
        if !info.encoding.fits_f32(info.data_type) || info.data_type == DataType::I8 {
            return Ok(false);
        }
        check_window(&self.name, &self.grid, &window)?;
        if out.len() != window.cell_count() {
            out.resize(window.cell_count(), 0.0);
        }
        if window.is_empty() {
            return Ok(true);
        }
        let aligned = window.row_off.is_multiple_of(info.block_shape.0)
            && window.col_off.is_multiple_of(info.block_shape.1);
        if info.data_type == DataType::F32 && aligned {
            self.read_blocks_f32(band, &info, &window, out)?;
            info.encoding.decode_f32_in_place(info.data_type, out);
            return Ok(true);
        }
        self.raster_io(band, &window, out)?;
        info.encoding.decode_f32_in_place(info.data_type, out);
        Ok(true)
    }

    /// Make the cells of `window` that `band`'s mask band marks invalid
    /// (mask value 0) NaN; nothing for bands without one.
    fn apply_mask<T: MaskableCell>(
        &self,
        band: usize,
        window: &Window,
        cells: &mut [T],
    ) -> Result<()> {
        if !self
            .masked
            .get(band.wrapping_sub(1))
            .copied()
            .unwrap_or(false)
            || window.is_empty()
        {
            return Ok(());
        }
        let read_error = |reason: String| Error::Read {
            source_name: self.name.clone(),
            band,
            reason: format!("its mask band: {reason}"),
        };
        let dataset = self.take_handle()?;
        let result = quietly(|| {
            dataset.rasterband(band).and_then(|rasterband| {
                rasterband.open_mask_band()?.read_as::<u8>(
                    (window.col_off as isize, window.row_off as isize),
                    (window.cols, window.rows),
                    (window.cols, window.rows),
                    None,
                )
            })
        });
        self.return_handle(dataset);
        let (_, mask) = result
            .map_err(|e| read_error(e.to_string()))?
            .into_shape_and_vec();
        for (cell, &m) in cells.iter_mut().zip(&mask) {
            if m == 0 {
                *cell = T::NAN;
            }
        }
        Ok(())
    }
}

impl RasterSource for GdalRaster {
    fn name(&self) -> &str {
        &self.name
    }

    fn grid(&self) -> &Grid {
        &self.grid
    }

    fn band_count(&self) -> usize {
        self.bands.len()
    }

    fn band_info(&self, band: usize) -> Result<BandInfo> {
        check_band(&self.name, band, self.band_count())?;
        self.bands[band - 1].clone().map_err(|reason| Error::Read {
            source_name: self.name.clone(),
            band,
            reason,
        })
    }

    fn read_window_f64(&self, band: usize, window: Window) -> Result<Array2<f64>> {
        let mut values = self.decoded_window(band, window)?;
        if let Some(cells) = values.as_slice_mut() {
            self.apply_mask(band, &window, cells)?;
        }
        Ok(values)
    }

    fn read_window_f64_into(&self, band: usize, window: Window, out: &mut Vec<f64>) -> Result<()> {
        self.read_f64_unmasked_into(band, window, out)?;
        self.apply_mask(band, &window, out)
    }

    fn read_window_f32_into(
        &self,
        band: usize,
        window: Window,
        out: &mut Vec<f32>,
    ) -> Result<bool> {
        let read = self.read_f32_unmasked_into(band, window, out)?;
        if read {
            self.apply_mask(band, &window, out)?;
        }
        Ok(read)
    }

    fn read_window_exact_into(
        &self,
        band: usize,
        window: Window,
        values: &mut Vec<f64>,
        exact: &mut Vec<i128>,
    ) -> Result<bool> {
        let read = self.read_exact_unmasked_into(band, window, values, exact)?;
        if read {
            self.apply_mask(band, &window, values)?;
        }
        Ok(read)
    }

    fn read_window<T: CellType>(&self, band: usize, window: Window) -> Result<Array2<T>> {
        let info = self.band_info(band)?;
        // A signed-byte band must be read as bytes and reinterpreted, not converted by GDAL.
        if info.data_type == DataType::I8 && T::DATA_TYPE != DataType::I8 {
            let raw = self.read_raw::<i8>(band, &window)?;
            return Ok(raw.mapv(|v| T::from_f64(v as f64)));
        }
        // Any other band read as i8 goes through f64, so that values saturate rather than wrap.
        if T::DATA_TYPE == DataType::I8 && info.data_type != DataType::I8 {
            let raw = self.read_raw::<f64>(band, &window)?;
            return Ok(raw.mapv(T::from_f64));
        }
        self.read_raw::<T>(band, &window)
    }
}
