//! `serde::Serialize` for terralux's results, provenance and trends, so
//! that a library user can write them in any serde format (JSON, YAML,
//! MessagePack...). The binaries' own files keep their fixed layouts.
//!
//! Numbers that JSON cannot hold are not turned into `null` (which would
//! read as missing): infinities and NaN are the strings `"inf"`, `"-inf"`
//! and `"nan"`, as in terralux's CSV; a missing value is `null`; an exact
//! 64-bit integer is an integer; `frac`-like values are `[value, share]` pairs.
//!
//! ```
//! use terralux::stats::{Stat, StatValue};
//! let values = [StatValue::Number(1.5), StatValue::Missing, StatValue::Number(f64::INFINITY)];
//! assert_eq!(serde_json::to_string(&values).unwrap(), r#"[1.5,null,"inf"]"#);
//! assert_eq!(serde_json::to_string(&StatValue::Fractions(vec![(1.0, 0.25), (2.0, 0.75)])).unwrap(), "[[1.0,0.25],[2.0,0.75]]");
//! assert_eq!(serde_json::to_string(&Stat::Quantile(90.0)).unwrap(), r#""p90""#);
//! ```

use serde::ser::{Serialize, SerializeMap, SerializeStruct, Serializer};

use crate::coverage::CoverageMode;
use crate::crs::Crs;
use crate::grid::Grid;
use crate::stats::{ModeTies, Stat, StatValue, Weighting};
use crate::zones::{AttrValue, Attributes, Fingerprint, ZoneId};

/// A number, or the CSV's word for a non-finite one.
fn number<S: Serializer>(v: f64, s: S) -> Result<S::Ok, S::Error> {
    if v.is_finite() {
        s.serialize_f64(v)
    } else if v.is_nan() {
        s.serialize_str("nan")
    } else if v > 0.0 {
        s.serialize_str("inf")
    } else {
        s.serialize_str("-inf")
    }
}

/// A number as [`number`] writes it.
struct Number(f64);

impl Serialize for Number {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        number(self.0, s)
    }
}

impl Serialize for StatValue {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            StatValue::Missing => s.serialize_none(),
            StatValue::Number(v) => number(*v, s),
            StatValue::Integer(v) => s.serialize_i128(*v),
            StatValue::Fractions(pairs) => s.collect_seq(
                pairs
                    .iter()
                    .map(|&(value, share)| (Number(value), Number(share))),
            ),
            StatValue::IntegerFractions(pairs) => {
                s.collect_seq(pairs.iter().map(|&(value, share)| (value, Number(share))))
            }
        }
    }
}

/// A statistic by its name (`mean`, `p90`, `lit_frac`...), as on the command line.
impl Serialize for Stat {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.name())
    }
}

impl Serialize for Weighting {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl Serialize for ModeTies {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl Serialize for CoverageMode {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

/// A CRS by its definition (`EPSG:4326`, or the WKT it was given as).
impl Serialize for Crs {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.definition())
    }
}

/// `{"geotransform": [origin x, cell width, 0, origin y, 0, cell height], "rows", "cols", "crs"}`.
impl Serialize for Grid {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let t = self.transform();
        let mut grid = s.serialize_struct("Grid", 4)?;
        grid.serialize_field(
            "geotransform",
            &[
                t.origin_x,
                t.pixel_width,
                0.0,
                t.origin_y,
                0.0,
                t.pixel_height,
            ],
        )?;
        grid.serialize_field("rows", &self.rows())?;
        grid.serialize_field("cols", &self.cols())?;
        grid.serialize_field("crs", &self.crs())?;
        grid.end()
    }
}

/// An integer id as an integer, a text id as text.
impl Serialize for ZoneId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            ZoneId::Int(v) => s.serialize_i64(*v),
            ZoneId::Text(t) => s.serialize_str(t),
        }
    }
}

/// Null, an integer, a number, or text (dates and times as their ISO text).
impl Serialize for AttrValue {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            AttrValue::Null => s.serialize_none(),
            AttrValue::Int(v) => s.serialize_i64(*v),
            AttrValue::Real(v) => number(*v, s),
            AttrValue::Text(t)
            | AttrValue::Date(t)
            | AttrValue::DateTime(t)
            | AttrValue::Time(t) => s.serialize_str(t),
        }
    }
}

/// `{"field": value, ...}` in layer order.
impl Serialize for Attributes {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.names().len()))?;
        for (name, value) in self.iter() {
            map.serialize_entry(name, value)?;
        }
        map.end()
    }
}

/// The whole digest in hex.
impl Serialize for Fingerprint {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let hex: String = self.as_bytes().iter().map(|b| format!("{b:02x}")).collect();
        s.serialize_str(&hex)
    }
}
