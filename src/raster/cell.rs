//! Cell data types and the conversion of raw cells to valid `f64` values.

use std::fmt;

use ndarray::{Array2, ArrayView2};

/// The data type of a raster band's cells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DataType {
    /// Unsigned 8-bit integer.
    U8,
    /// Signed 8-bit integer.
    I8,
    /// Unsigned 16-bit integer.
    U16,
    /// Signed 16-bit integer.
    I16,
    /// Unsigned 32-bit integer.
    U32,
    /// Signed 32-bit integer.
    I32,
    /// Unsigned 64-bit integer.
    U64,
    /// Signed 64-bit integer.
    I64,
    /// 32-bit float.
    F32,
    /// 64-bit float.
    F64,
}

impl DataType {
    /// True for `F32` and `F64`.
    pub fn is_float(self) -> bool {
        matches!(self, DataType::F32 | DataType::F64)
    }
}

impl fmt::Display for DataType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            DataType::U8 => "Byte",
            DataType::I8 => "Int8",
            DataType::U16 => "UInt16",
            DataType::I16 => "Int16",
            DataType::U32 => "UInt32",
            DataType::I32 => "Int32",
            DataType::U64 => "UInt64",
            DataType::I64 => "Int64",
            DataType::F32 => "Float32",
            DataType::F64 => "Float64",
        };
        f.write_str(name)
    }
}

mod sealed {
    pub trait Sealed {}
}

/// How a cell type is read through GDAL: the GDAL type transferred and
/// the conversion from it. Every type reads as itself except `i8`, which
/// GDAL 3.6 stores as a signed-byte `Byte` band and is read as `u8` bits.
#[cfg(feature = "gdal")]
pub trait IoType: Sized {
    /// The type GDAL transfers.
    type Gdal: gdal::raster::GdalType + Copy;
    /// Reinterpret a transferred value.
    fn from_gdal(v: Self::Gdal) -> Self;
}
/// How a cell type is read through GDAL (nothing without the `gdal` feature).
#[cfg(not(feature = "gdal"))]
pub trait IoType {}

macro_rules! io_type {
    ($t:ty, $g:ty) => {
        #[cfg(feature = "gdal")]
        impl IoType for $t {
            type Gdal = $g;
            #[allow(clippy::unnecessary_cast)]
            fn from_gdal(v: $g) -> Self {
                v as $t
            }
        }
        #[cfg(not(feature = "gdal"))]
        impl IoType for $t {}
    };
}

/// A Rust type that raster cells can be read into: `u8, i8, u16, i16,
/// u32, i32, u64, i64, f32, f64`.
///
/// ```
/// use terralux::raster::{CellType, DataType};
/// assert_eq!(<u16 as CellType>::DATA_TYPE, DataType::U16);
/// assert_eq!(u16::nodata_as_cell(65535.0), Some(65535));
/// assert_eq!(u16::nodata_as_cell(-1.0), None); // not representable: no cell matches
/// assert_eq!(f32::nodata_as_cell(-999.9), Some(-999.9f32));
/// ```
pub trait CellType:
    Copy + PartialEq + fmt::Debug + Default + Send + Sync + 'static + IoType + sealed::Sealed
{
    /// The matching [`DataType`].
    const DATA_TYPE: DataType;
    /// The value as `f64` (exact for all but the largest 64-bit integers).
    fn to_f64(self) -> f64;
    /// Convert from `f64` with Rust's saturating `as` semantics.
    fn from_f64(v: f64) -> Self;
    /// True for a float NaN.
    fn is_nan(self) -> bool;
    /// The value as an exact integer: `Some` for the integer types (all of
    /// whose values `i128` holds), `None` for floats.
    ///
    /// ```
    /// use terralux::raster::CellType;
    /// assert_eq!(u64::MAX.to_i128(), Some(u64::MAX as i128));
    /// assert_eq!(2.0f32.to_i128(), None);
    /// ```
    fn to_i128(self) -> Option<i128>;
    /// The cell value that equals a band's nodata value, if the type can
    /// hold it: floats round to their precision (so a Float32 band's
    /// `-999.9` matches); integers need an exact, in-range whole number.
    fn nodata_as_cell(nodata: f64) -> Option<Self>;
}

macro_rules! int_cell {
    ($t:ty, $dt:ident) => {
        impl sealed::Sealed for $t {}
        impl CellType for $t {
            const DATA_TYPE: DataType = DataType::$dt;
            fn to_f64(self) -> f64 {
                self as f64
            }
            fn from_f64(v: f64) -> Self {
                v as $t
            }
            fn is_nan(self) -> bool {
                false
            }
            fn to_i128(self) -> Option<i128> {
                Some(self as i128)
            }
            fn nodata_as_cell(nodata: f64) -> Option<Self> {
                let fits = nodata.fract() == 0.0
                    && nodata >= <$t>::MIN as f64
                    && nodata <= <$t>::MAX as f64;
                fits.then(|| nodata as $t)
            }
        }
    };
}

macro_rules! float_cell {
    ($t:ty, $dt:ident) => {
        impl sealed::Sealed for $t {}
        impl CellType for $t {
            const DATA_TYPE: DataType = DataType::$dt;
            fn to_f64(self) -> f64 {
                self as f64
            }
            fn from_f64(v: f64) -> Self {
                v as $t
            }
            fn is_nan(self) -> bool {
                <$t>::is_nan(self)
            }
            fn to_i128(self) -> Option<i128> {
                None
            }
            fn nodata_as_cell(nodata: f64) -> Option<Self> {
                (!nodata.is_nan()).then(|| nodata as $t)
            }
        }
    };
}

io_type!(u8, u8);
io_type!(i8, u8);
io_type!(u16, u16);
io_type!(i16, i16);
io_type!(u32, u32);
io_type!(i32, i32);
io_type!(u64, u64);
io_type!(i64, i64);
io_type!(f32, f32);
io_type!(f64, f64);
int_cell!(u8, U8);
int_cell!(i8, I8);
int_cell!(u16, U16);
int_cell!(i16, I16);
int_cell!(u32, U32);
int_cell!(i32, I32);
int_cell!(u64, U64);
int_cell!(i64, I64);
float_cell!(f32, F32);
float_cell!(f64, F64);

/// How raw cells of a band become values: which raw value is nodata and
/// the linear scaling `value = raw * scale + offset`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CellEncoding {
    /// The nodata value, if the band declares one. For an Int64 or UInt64
    /// band beyond 2^53 this is the nearest `f64`: a `GdalRaster` keeps the
    /// declared integer too and compares cells with it exactly in its `f64`
    /// reads (see [`CellEncoding::decode_with_nodata`]); typed reads
    /// checked with [`CellEncoding::is_valid`] compare with this `f64`.
    pub nodata: Option<f64>,
    /// Multiplier applied to raw cells (1 when the band declares none).
    pub scale: f64,
    /// Added after scaling (0 when the band declares none).
    pub offset: f64,
}

impl Default for CellEncoding {
    fn default() -> Self {
        CellEncoding {
            nodata: None,
            scale: 1.0,
            offset: 0.0,
        }
    }
}

impl CellEncoding {
    /// Decode raw cells: valid cells become `raw * scale + offset`, invalid
    /// ones (nodata or NaN) become NaN.
    ///
    /// ```
    /// use ndarray::array;
    /// use terralux::raster::CellEncoding;
    /// let enc = CellEncoding { nodata: Some(65535.0), scale: 0.1, offset: 0.0 };
    /// let v = enc.decode(array![[10u16, 65535]].view());
    /// assert_eq!(v[[0, 0]], 1.0);
    /// assert!(v[[0, 1]].is_nan());
    /// ```
    pub fn decode<T: CellType>(&self, raw: ArrayView2<'_, T>) -> Array2<f64> {
        self.decode_with_nodata(raw, self.nodata.and_then(T::nodata_as_cell))
    }

    /// [`CellEncoding::decode`] with the nodata value given as a cell of the
    /// band's own type instead of [`CellEncoding::nodata`]: for 64-bit
    /// integer bands, whose nodata an `f64` cannot always hold (2^62 + 1
    /// would round to 2^62 and match the wrong cells).
    ///
    /// ```
    /// use ndarray::array;
    /// use terralux::raster::CellEncoding;
    /// let nodata = (1i64 << 62) + 1;
    /// let enc = CellEncoding { nodata: Some(nodata as f64), scale: 1.0, offset: 0.0 };
    /// let v = enc.decode_with_nodata(array![[1i64 << 62, nodata]].view(), Some(nodata));
    /// assert_eq!(v[[0, 0]], (1i64 << 62) as f64);
    /// assert!(v[[0, 1]].is_nan());
    /// ```
    pub fn decode_with_nodata<T: CellType>(
        &self,
        raw: ArrayView2<'_, T>,
        nodata: Option<T>,
    ) -> Array2<f64> {
        let (scale, offset) = (self.scale, self.offset);
        let identity = scale == 1.0 && offset == 0.0;
        raw.mapv(|v| {
            if v.is_nan() || Some(v) == nodata {
                f64::NAN
            } else if identity {
                v.to_f64()
            } else {
                v.to_f64() * scale + offset
            }
        })
    }

    /// Decode, in place, cells already converted exactly to `f64` from a band
    /// of type `data_type` (as GDAL does when asked for `f64`): nodata and NaN
    /// become NaN, valid cells `raw * scale + offset`. The nodata value is
    /// compared as the band's own type would hold it, as in [`CellEncoding::decode`].
    ///
    /// ```
    /// use terralux::raster::{CellEncoding, DataType};
    /// let enc = CellEncoding { nodata: Some(-999.9), scale: 1.0, offset: 0.0 };
    /// let mut cells = vec![(-999.9f32) as f64, 1.5, f64::NAN];
    /// enc.decode_f64_in_place(DataType::F32, &mut cells);
    /// assert!(cells[0].is_nan() && cells[1] == 1.5 && cells[2].is_nan());
    /// ```
    pub fn decode_f64_in_place(&self, data_type: DataType, cells: &mut [f64]) {
        let nodata = self.nodata.and_then(|n| nodata_as_f64(data_type, n));
        let (scale, offset) = (self.scale, self.offset);
        let identity = scale == 1.0 && offset == 0.0;
        match (nodata, identity) {
            (Some(nd), true) => cells.iter_mut().for_each(|v| {
                if *v == nd {
                    *v = f64::NAN;
                }
            }),
            (None, true) => {}
            (nd, false) => cells.iter_mut().for_each(|v| {
                *v = if Some(*v) == nd {
                    f64::NAN
                } else {
                    *v * scale + offset
                };
            }),
        }
    }

    /// True when every valid cell of a band of `data_type` with this
    /// encoding is exactly an `f32` (bytes, 16-bit integers and Float32,
    /// unscaled), so that the band can be read as `f32` losing nothing.
    pub fn fits_f32(&self, data_type: DataType) -> bool {
        let small = matches!(
            data_type,
            DataType::U8 | DataType::I8 | DataType::U16 | DataType::I16 | DataType::F32
        );
        small && self.scale == 1.0 && self.offset == 0.0
    }

    /// True when the values of a band of `data_type` with this encoding are
    /// read as exact integers as well as `f64`
    /// ([`RasterSource::read_window_exact_into`](super::RasterSource::read_window_exact_into)):
    /// Int64 and UInt64 bands, unscaled (scale 1, offset 0). Other integer
    /// bands are exact in `f64` already; a scaled band's values are not
    /// integers.
    ///
    /// ```
    /// use terralux::raster::{CellEncoding, DataType};
    /// let plain = CellEncoding::default();
    /// assert!(plain.exact_integers(DataType::U64) && plain.exact_integers(DataType::I64));
    /// assert!(!plain.exact_integers(DataType::I32));
    /// let scaled = CellEncoding { scale: 0.5, ..CellEncoding::default() };
    /// assert!(!scaled.exact_integers(DataType::I64));
    /// ```
    pub fn exact_integers(&self, data_type: DataType) -> bool {
        matches!(data_type, DataType::I64 | DataType::U64)
            && self.scale == 1.0
            && self.offset == 0.0
    }

    /// Decode, in place, cells converted exactly to `f32` from a band of
    /// type `data_type` (see [`CellEncoding::fits_f32`]): nodata and NaN
    /// become NaN; nothing else changes.
    pub fn decode_f32_in_place(&self, data_type: DataType, cells: &mut [f32]) {
        if let Some(nd) = self.nodata.and_then(|n| nodata_as_f64(data_type, n)) {
            let nd = nd as f32;
            cells
                .iter_mut()
                .filter(|v| **v == nd)
                .for_each(|v| *v = f32::NAN);
        }
    }

    /// True when a raw cell is valid: not NaN and not the nodata value.
    pub fn is_valid<T: CellType>(&self, raw: T) -> bool {
        !raw.is_nan() && self.nodata.and_then(T::nodata_as_cell) != Some(raw)
    }
}

/// The nodata value as a cell of `data_type` would hold it, as `f64`.
fn nodata_as_f64(data_type: DataType, nodata: f64) -> Option<f64> {
    match data_type {
        DataType::U8 => u8::nodata_as_cell(nodata).map(CellType::to_f64),
        DataType::I8 => i8::nodata_as_cell(nodata).map(CellType::to_f64),
        DataType::U16 => u16::nodata_as_cell(nodata).map(CellType::to_f64),
        DataType::I16 => i16::nodata_as_cell(nodata).map(CellType::to_f64),
        DataType::U32 => u32::nodata_as_cell(nodata).map(CellType::to_f64),
        DataType::I32 => i32::nodata_as_cell(nodata).map(CellType::to_f64),
        DataType::U64 => u64::nodata_as_cell(nodata).map(CellType::to_f64),
        DataType::I64 => i64::nodata_as_cell(nodata).map(CellType::to_f64),
        DataType::F32 => f32::nodata_as_cell(nodata).map(CellType::to_f64),
        DataType::F64 => f64::nodata_as_cell(nodata),
    }
}
