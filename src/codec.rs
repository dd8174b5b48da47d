//! A small little-endian binary encoding for the bytes a distributed run
//! ships (work plans and unit partials, see [`crate::engine::partials`]):
//! every number at its full width (`f64` by its bits, so NaN payloads and
//! `-0` survive), lengths as `u64`, maps in increasing key order (the same
//! state always gives the same bytes). The one exception is the bulk of a
//! plan, its coverage runs: their columns, lengths and row numbers are
//! small differences written as variable-length integers
//! ([`Writer::varint`]). Decoding never panics: a short or inconsistent
//! buffer is an error naming what was being read.

use std::collections::HashMap;
use std::hash::Hash;

use geo_types::{Coord, LineString, MultiPolygon, Polygon};

use crate::error::{Error, Result};

/// Bytes being written.
#[derive(Default)]
pub(crate) struct Writer {
    pub(crate) bytes: Vec<u8>,
}

impl Writer {
    pub(crate) fn u8(&mut self, v: u8) {
        self.bytes.push(v);
    }
    pub(crate) fn u32(&mut self, v: u32) {
        self.bytes.extend_from_slice(&v.to_le_bytes());
    }
    pub(crate) fn u64(&mut self, v: u64) {
        self.bytes.extend_from_slice(&v.to_le_bytes());
    }
    pub(crate) fn f64(&mut self, v: f64) {
        self.u64(v.to_bits());
    }
    pub(crate) fn len(&mut self, n: usize) {
        self.u64(n as u64);
    }
    pub(crate) fn raw(&mut self, bytes: &[u8]) {
        self.bytes.extend_from_slice(bytes);
    }
    /// `v` as a variable-length integer (LEB128: 7 bits a byte, the low
    /// bits first, the high bit set on every byte but the last): one byte
    /// below 128, at most ten.
    #[inline]
    pub(crate) fn varint(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.bytes.push((v as u8 & 0x7f) | 0x80);
            v >>= 7;
        }
        self.bytes.push(v as u8);
    }
    /// Encode `value`.
    pub(crate) fn put<T: Codec>(&mut self, value: &T) {
        value.encode(self);
    }
}

/// Bytes being read; `what` names them in errors.
pub(crate) struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
    what: &'static str,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(bytes: &'a [u8], what: &'static str) -> Self {
        Reader { bytes, at: 0, what }
    }

    /// An error about these bytes.
    pub(crate) fn error(&self, reason: impl Into<String>) -> Error {
        Error::Mismatch {
            context: self.what.to_string(),
            reason: reason.into(),
        }
    }

    #[inline]
    pub(crate) fn raw(&mut self, n: usize) -> Result<&'a [u8]> {
        let end = self
            .at
            .checked_add(n)
            .filter(|&end| end <= self.bytes.len())
            .ok_or_else(|| {
                self.error(format!(
                    "truncated or corrupt: {n} more bytes wanted at byte {} of {}",
                    self.at,
                    self.bytes.len()
                ))
            })?;
        let out = &self.bytes[self.at..end];
        self.at = end;
        Ok(out)
    }

    /// The bytes not read yet.
    pub(crate) fn left(&self) -> usize {
        self.bytes.len() - self.at
    }

    #[inline]
    fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.raw(N)?);
        Ok(out)
    }

    pub(crate) fn u8(&mut self) -> Result<u8> {
        Ok(self.array::<1>()?[0])
    }
    pub(crate) fn u32(&mut self) -> Result<u32> {
        Ok(u32::from_le_bytes(self.array()?))
    }
    #[inline]
    pub(crate) fn u64(&mut self) -> Result<u64> {
        Ok(u64::from_le_bytes(self.array()?))
    }
    #[inline]
    pub(crate) fn f64(&mut self) -> Result<f64> {
        Ok(f64::from_bits(self.u64()?))
    }

    /// A variable-length integer ([`Writer::varint`]); an error for one
    /// cut short, longer than ten bytes or beyond `u64`.
    #[inline]
    pub(crate) fn varint(&mut self) -> Result<u64> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let Some(&byte) = self.bytes.get(self.at) else {
                return Err(self.error(format!(
                    "truncated or corrupt: a variable-length integer cut short at byte {}",
                    self.at
                )));
            };
            self.at += 1;
            let bits = u64::from(byte & 0x7f);
            if shift == 63 && bits > 1 {
                break;
            }
            v |= bits << shift;
            if byte & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(self.error(format!(
            "corrupt: a variable-length integer beyond 64 bits before byte {}",
            self.at
        )))
    }

    /// A variable-length integer that must fit in a `u32`.
    #[inline]
    pub(crate) fn varint_u32(&mut self) -> Result<u32> {
        let v = self.varint()?;
        u32::try_from(v).map_err(|_| self.error(format!("corrupt: {v} is beyond a 32-bit number")))
    }

    /// A length of items of at least one byte each (so a corrupt length
    /// cannot ask for more memory than the buffer could hold).
    pub(crate) fn len(&mut self) -> Result<usize> {
        let n = self.u64()?;
        let left = (self.bytes.len() - self.at) as u64;
        if n > left {
            return Err(self.error(format!(
                "truncated or corrupt: a length of {n} with {left} bytes left"
            )));
        }
        Ok(n as usize)
    }

    /// Decode a `T`.
    pub(crate) fn get<T: Codec>(&mut self) -> Result<T> {
        T::decode(self)
    }

    /// A tag out of `0..count` (an enum's variant).
    pub(crate) fn tag(&mut self, count: u8, of: &str) -> Result<u8> {
        let tag = self.u8()?;
        if tag < count {
            Ok(tag)
        } else {
            Err(self.error(format!("corrupt: {tag} is no {of}")))
        }
    }

    /// `Ok` when every byte was read.
    pub(crate) fn finish(&self) -> Result<()> {
        if self.at == self.bytes.len() {
            Ok(())
        } else {
            Err(self.error(format!(
                "corrupt: {} bytes left over after the end",
                self.bytes.len() - self.at
            )))
        }
    }
}

/// A value with a binary form.
pub(crate) trait Codec: Sized {
    fn encode(&self, w: &mut Writer);
    fn decode(r: &mut Reader<'_>) -> Result<Self>;
}

impl Codec for u8 {
    fn encode(&self, w: &mut Writer) {
        w.u8(*self);
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self> {
        r.u8()
    }
}

impl Codec for bool {
    fn encode(&self, w: &mut Writer) {
        w.u8(*self as u8);
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self> {
        Ok(r.tag(2, "boolean")? == 1)
    }
}

impl Codec for u32 {
    fn encode(&self, w: &mut Writer) {
        w.u32(*self);
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self> {
        r.u32()
    }
}

impl Codec for u64 {
    fn encode(&self, w: &mut Writer) {
        w.u64(*self);
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self> {
        r.u64()
    }
}

impl Codec for usize {
    fn encode(&self, w: &mut Writer) {
        w.u64(*self as u64);
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self> {
        let v = r.u64()?;
        usize::try_from(v).map_err(|_| r.error(format!("corrupt: {v} is too large here")))
    }
}

impl Codec for i64 {
    fn encode(&self, w: &mut Writer) {
        w.raw(&self.to_le_bytes());
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self> {
        Ok(i64::from_le_bytes(r.array()?))
    }
}

impl Codec for i128 {
    fn encode(&self, w: &mut Writer) {
        w.raw(&self.to_le_bytes());
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self> {
        Ok(i128::from_le_bytes(r.array()?))
    }
}

impl Codec for f32 {
    fn encode(&self, w: &mut Writer) {
        w.u32(self.to_bits());
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self> {
        Ok(f32::from_bits(r.u32()?))
    }
}

impl Codec for f64 {
    fn encode(&self, w: &mut Writer) {
        w.f64(*self);
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self> {
        r.f64()
    }
}

impl Codec for String {
    fn encode(&self, w: &mut Writer) {
        w.len(self.len());
        w.raw(self.as_bytes());
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self> {
        let n = r.len()?;
        let bytes = r.raw(n)?;
        String::from_utf8(bytes.to_vec()).map_err(|_| r.error("corrupt: text that is not UTF-8"))
    }
}

impl<T: Codec> Codec for Option<T> {
    fn encode(&self, w: &mut Writer) {
        match self {
            None => w.u8(0),
            Some(v) => {
                w.u8(1);
                v.encode(w);
            }
        }
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self> {
        match r.tag(2, "option")? {
            0 => Ok(None),
            _ => Ok(Some(T::decode(r)?)),
        }
    }
}

impl Codec for [u8; 32] {
    fn encode(&self, w: &mut Writer) {
        w.raw(self);
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self> {
        r.array()
    }
}

impl<T: Codec> Codec for Box<T> {
    fn encode(&self, w: &mut Writer) {
        (**self).encode(w);
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self> {
        Ok(Box::new(T::decode(r)?))
    }
}

impl<T: Codec> Codec for Vec<T> {
    fn encode(&self, w: &mut Writer) {
        w.len(self.len());
        for v in self {
            v.encode(w);
        }
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self> {
        let n = r.len()?;
        (0..n).map(|_| T::decode(r)).collect()
    }
}

impl<A: Codec, B: Codec> Codec for (A, B) {
    fn encode(&self, w: &mut Writer) {
        self.0.encode(w);
        self.1.encode(w);
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self> {
        Ok((A::decode(r)?, B::decode(r)?))
    }
}

/// In increasing key order, so that one state has one encoding.
impl<K: Codec + Ord + Hash + Copy, V: Codec + Copy> Codec for HashMap<K, V> {
    fn encode(&self, w: &mut Writer) {
        let mut pairs: Vec<(K, V)> = self.iter().map(|(&k, &v)| (k, v)).collect();
        pairs.sort_by_key(|p| p.0);
        pairs.encode(w);
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self> {
        let pairs: Vec<(K, V)> = r.get()?;
        let n = pairs.len();
        let map: HashMap<K, V> = pairs.into_iter().collect();
        if map.len() != n {
            return Err(r.error("corrupt: a map with a repeated key"));
        }
        Ok(map)
    }
}

impl Codec for Coord<f64> {
    fn encode(&self, w: &mut Writer) {
        w.f64(self.x);
        w.f64(self.y);
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self> {
        Ok(Coord {
            x: r.f64()?,
            y: r.f64()?,
        })
    }
}

impl Codec for MultiPolygon<f64> {
    fn encode(&self, w: &mut Writer) {
        w.len(self.0.len());
        for polygon in &self.0 {
            polygon.exterior().0.encode(w);
            w.len(polygon.interiors().len());
            for ring in polygon.interiors() {
                ring.0.encode(w);
            }
        }
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self> {
        let n = r.len()?;
        let polygons = (0..n)
            .map(|_| {
                let exterior = LineString(r.get()?);
                let holes = r.len()?;
                let interiors = (0..holes)
                    .map(|_| Ok(LineString(r.get()?)))
                    .collect::<Result<Vec<_>>>()?;
                Ok(Polygon::new(exterior, interiors))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(MultiPolygon(polygons))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Sample = (Vec<(f64, Option<i128>)>, String);

    #[test]
    fn values_round_trip_and_short_buffers_are_errors() {
        let value: Sample = (
            vec![
                (f64::NAN, Some(-5)),
                (-0.0, None),
                (f64::INFINITY, Some(i128::MAX)),
            ],
            "zoné".to_string(),
        );
        let mut w = Writer::default();
        w.put(&value);
        let mut r = Reader::new(&w.bytes, "test bytes");
        let back: Sample = r.get().unwrap();
        r.finish().unwrap();
        assert_eq!(back.1, value.1);
        for (a, b) in back.0.iter().zip(&value.0) {
            assert_eq!((a.0.to_bits(), a.1), (b.0.to_bits(), b.1));
        }
        for cut in 0..w.bytes.len() {
            let mut r = Reader::new(&w.bytes[..cut], "test bytes");
            let short: Result<Sample> = r.get();
            assert!(short.is_err(), "cut at {cut}");
        }
    }

    #[test]
    fn varints_round_trip_and_refuse_overlong_or_short_bytes() {
        let values = [0, 1, 127, 128, 300, u64::from(u32::MAX), u64::MAX];
        let mut w = Writer::default();
        for v in values {
            w.varint(v);
        }
        // 1 + 1 + 1 + 2 + 2 + 5 + 10 bytes.
        assert_eq!(w.bytes.len(), 22);
        let mut r = Reader::new(&w.bytes, "test bytes");
        for v in values {
            assert_eq!(r.varint().unwrap(), v);
        }
        r.finish().unwrap();
        // Cut short, beyond 64 bits, beyond a u32.
        let e = Reader::new(&[0x80, 0x80], "test bytes")
            .varint()
            .unwrap_err();
        assert!(e.to_string().contains("cut short"), "{e}");
        let e = Reader::new(&[0xff; 10], "test bytes").varint().unwrap_err();
        assert!(e.to_string().contains("beyond 64 bits"), "{e}");
        let mut eleven = [0x80u8; 11];
        eleven[10] = 0;
        assert!(Reader::new(&eleven, "test bytes").varint().is_err());
        let mut w = Writer::default();
        w.varint(1 << 32);
        let e = Reader::new(&w.bytes, "test bytes")
            .varint_u32()
            .unwrap_err();
        assert!(e.to_string().contains("beyond a 32-bit number"), "{e}");
    }
}
