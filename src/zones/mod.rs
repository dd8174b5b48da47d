//! Zones: the polygons statistics are computed over (counties, usually).
//!
//! A [`ZoneSet`] holds [`Zone`]s in input order, each with its id, its
//! attributes and a `MultiPolygon<f64>` in the set's CRS (x = longitude or
//! easting). Read them from any OGR source with [`ZoneSet::read`] (feature
//! `gdal`), or build them in code with [`ZoneSet::new`]. Reproject them to a
//! raster's CRS with [`ZoneSet::reprojected`] and convert Chinese web-map
//! boundaries from GCJ-02 with [`ZoneSet::gcj02_to_wgs84`].

mod fingerprint;
pub mod gcj02;
#[cfg(feature = "gdal")]
mod ogr;
mod prepare;
#[cfg(feature = "gdal")]
mod reproject;

pub use fingerprint::Fingerprint;
#[cfg(feature = "gdal")]
pub use ogr::{BadGeometry, ZoneOptions, multipolygon_from_wkb};
pub use prepare::{PrepareOptions, PrepareStep, PreparedZones};

use fingerprint::FingerprintCache;

use std::fmt;
use std::sync::Arc;

use geo::BoundingRect;
use geo_types::{Coord, MultiPolygon, Rect};

use crate::codec::{Codec, Reader, Writer};
use crate::crs::Crs;
use crate::error::Result;

/// A zone's identifier: an integer (feature id or integer field) or text.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ZoneId {
    /// An integer id.
    Int(i64),
    /// A text id (e.g. an administrative code with leading zeros).
    Text(String),
}

impl fmt::Display for ZoneId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ZoneId::Int(v) => write!(f, "{v}"),
            ZoneId::Text(s) => f.write_str(s),
        }
    }
}

/// One attribute value of a zone.
///
/// Dates and times keep their kind, as ISO 8601 text (what CSV and
/// GeoJSON outputs show, and what GDAL parses back into a date field):
///
/// ```
/// use terralux::zones::AttrValue;
/// let day = AttrValue::Date("2023-01-02".into());
/// let at = AttrValue::DateTime("2023-01-02T03:04:05+08:00".into());
/// assert_eq!(format!("{day} {at}"), "2023-01-02 2023-01-02T03:04:05+08:00");
/// assert_ne!(day, AttrValue::Text("2023-01-02".into()));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum AttrValue {
    /// Missing (OGR null or unset).
    Null,
    /// Integer field.
    Int(i64),
    /// Real field.
    Real(f64),
    /// Text field (lists and other kinds are kept as their text form).
    Text(String),
    /// Date field (OGR `OFTDate`), as ISO 8601 `YYYY-MM-DD`.
    Date(String),
    /// Date and time field (OGR `OFTDateTime`), as ISO 8601
    /// `YYYY-MM-DDTHH:MM:SS` (`.sss` when there are milliseconds), then `Z`
    /// or `+HH:MM` / `-HH:MM` when the source states a time zone (nothing for
    /// local or unknown time).
    DateTime(String),
    /// Time-of-day field (OGR `OFTTime`), as ISO 8601 `HH:MM:SS` (`.sss`
    /// and a time zone as for [`AttrValue::DateTime`]).
    Time(String),
}

impl fmt::Display for AttrValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AttrValue::Null => Ok(()),
            AttrValue::Int(v) => write!(f, "{v}"),
            AttrValue::Real(v) => write!(f, "{v}"),
            AttrValue::Text(s)
            | AttrValue::Date(s)
            | AttrValue::DateTime(s)
            | AttrValue::Time(s) => f.write_str(s),
        }
    }
}

/// A zone's attributes: values in the layer's field order, names shared by the whole set.
///
/// ```
/// use terralux::zones::{AttrValue, Attributes};
/// let attrs = Attributes::new(vec!["name".into(), "province".into()],
///     vec![AttrValue::Text("Yubei".into()), AttrValue::Text("Chongqing".into())]);
/// assert_eq!(attrs.get("province"), Some(&AttrValue::Text("Chongqing".into())));
/// assert_eq!(attrs.get("city"), None);
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Attributes {
    names: Arc<[String]>,
    values: Vec<AttrValue>,
}

impl Attributes {
    /// Attributes from field names and values of the same length (extra
    /// names get `Null`, extra values are dropped).
    pub fn new(names: impl Into<Arc<[String]>>, mut values: Vec<AttrValue>) -> Self {
        let names = names.into();
        values.resize(names.len(), AttrValue::Null);
        Attributes { names, values }
    }

    /// The value of field `name`, if the layer has that field.
    pub fn get(&self, name: &str) -> Option<&AttrValue> {
        let idx = self.names.iter().position(|n| n == name)?;
        self.values.get(idx)
    }

    /// Field names, in layer order.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Values, in layer order.
    pub fn values(&self) -> &[AttrValue] {
        &self.values
    }

    /// `(name, value)` pairs in layer order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &AttrValue)> {
        self.names
            .iter()
            .map(String::as_str)
            .zip(self.values.iter())
    }
}

/// One zone: id, attributes and geometry.
#[derive(Debug, Clone, PartialEq)]
pub struct Zone {
    /// The id (from the id field, or the feature id).
    pub id: ZoneId,
    /// The feature's attributes.
    pub attributes: Attributes,
    /// The polygons, in the zone set's CRS; empty for a feature kept without usable geometry.
    pub geometry: MultiPolygon<f64>,
}

/// Zones in input order, with the CRS their coordinates are in.
///
/// ```
/// use geo_types::{polygon, MultiPolygon};
/// use terralux::{Crs, zones::{Attributes, Zone, ZoneId, ZoneSet}};
/// let square = polygon![(x: 0.0, y: 0.0), (x: 1.0, y: 0.0), (x: 1.0, y: 1.0), (x: 0.0, y: 1.0)];
/// let zones = ZoneSet::new(vec![Zone {
///     id: ZoneId::Int(1),
///     attributes: Attributes::default(),
///     geometry: MultiPolygon(vec![square]),
/// }], Some(Crs::wgs84()));
/// assert_eq!(zones.len(), 1);
/// assert_eq!(zones.bounds().unwrap().max().x, 1.0);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct ZoneSet {
    zones: Vec<Zone>,
    crs: Option<Crs>,
    source_name: String,
    layer: String,
    id_field: Option<String>,
    field_names: Arc<[String]>,
    fingerprint: FingerprintCache,
}

impl ZoneSet {
    /// Zones built in code, with their CRS (if known).
    pub fn new(zones: Vec<Zone>, crs: Option<Crs>) -> Self {
        let field_names = zones
            .first()
            .map(|z| Arc::from(z.attributes.names()))
            .unwrap_or_else(|| Arc::from(Vec::<String>::new()));
        ZoneSet {
            zones,
            crs,
            source_name: "in-memory zones".to_string(),
            layer: String::new(),
            id_field: None,
            field_names,
            fingerprint: FingerprintCache::default(),
        }
    }

    /// What identifies these zones: their ids and coordinates, in order
    /// (see [`Fingerprint`]). Computed once and kept with the set.
    pub fn fingerprint(&self) -> Fingerprint {
        self.fingerprint.get(&self.zones)
    }

    /// The zones, in input order.
    pub fn zones(&self) -> &[Zone] {
        &self.zones
    }

    /// Iterate over the zones in input order.
    pub fn iter(&self) -> std::slice::Iter<'_, Zone> {
        self.zones.iter()
    }

    /// Number of zones.
    pub fn len(&self) -> usize {
        self.zones.len()
    }

    /// True when there is no zone.
    pub fn is_empty(&self) -> bool {
        self.zones.is_empty()
    }

    /// The CRS of the coordinates, if known.
    pub fn crs(&self) -> Option<&Crs> {
        self.crs.as_ref()
    }

    /// The path or label the zones came from.
    pub fn source_name(&self) -> &str {
        &self.source_name
    }

    /// The layer read (empty for zones built in code).
    pub fn layer(&self) -> &str {
        &self.layer
    }

    /// The field the ids came from (`None`: feature ids).
    pub fn id_field(&self) -> Option<&str> {
        self.id_field.as_deref()
    }

    /// The attribute field names, in layer order.
    pub fn field_names(&self) -> &[String] {
        &self.field_names
    }

    /// The bounding rectangle of all zones (`None` when every geometry is empty).
    pub fn bounds(&self) -> Option<Rect<f64>> {
        self.zones
            .iter()
            .filter_map(|z| z.geometry.bounding_rect())
            .reduce(|a, b| {
                Rect::new(
                    Coord {
                        x: a.min().x.min(b.min().x),
                        y: a.min().y.min(b.min().y),
                    },
                    Coord {
                        x: a.max().x.max(b.max().x),
                        y: a.max().y.max(b.max().y),
                    },
                )
            })
    }

    /// Convert every coordinate from GCJ-02 (Chinese web-map "Mars"
    /// coordinates) to WGS84 with the iterated inverse of
    /// [`gcj02::wgs84_to_gcj02`]; sub-millimetre. The CRS becomes WGS84.
    ///
    /// GCJ-02 coordinates are longitude/latitude: zones whose CRS is known
    /// and not geographic are refused (an error naming the source).
    pub fn gcj02_to_wgs84(mut self) -> crate::Result<Self> {
        use geo::MapCoordsInPlace;
        if let Some(crs) = self.crs.as_ref().filter(|c| !c.is_geographic()) {
            return Err(crate::Error::Mismatch {
                context: self.source_name.clone(),
                reason: format!(
                    "GCJ-02 coordinates are longitude/latitude, but the zones are in {}",
                    crs.definition()
                ),
            });
        }
        for zone in &mut self.zones {
            zone.geometry.map_coords_in_place(|c| {
                let (x, y) = gcj02::gcj02_to_wgs84(c.x, c.y);
                Coord { x, y }
            });
        }
        self.crs = Some(Crs::wgs84());
        self.fingerprint = FingerprintCache::default();
        Ok(self)
    }

    /// The same zones with another CRS label, coordinates untouched (for
    /// sources that lack a CRS or declare a wrong one).
    pub fn with_crs(mut self, crs: Crs) -> Self {
        self.crs = Some(crs);
        self
    }
}

impl<'a> IntoIterator for &'a ZoneSet {
    type Item = &'a Zone;
    type IntoIter = std::slice::Iter<'a, Zone>;
    fn into_iter(self) -> Self::IntoIter {
        self.zones.iter()
    }
}

// Binary forms (the work plans of distributed runs carry the zones' ids
// and attributes, not their geometry).

impl Codec for ZoneId {
    fn encode(&self, w: &mut Writer) {
        match self {
            ZoneId::Int(v) => {
                w.u8(0);
                w.put(v);
            }
            ZoneId::Text(s) => {
                w.u8(1);
                w.put(s);
            }
        }
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self> {
        Ok(match r.tag(2, "kind of zone id")? {
            0 => ZoneId::Int(r.get()?),
            _ => ZoneId::Text(r.get()?),
        })
    }
}

impl Codec for AttrValue {
    fn encode(&self, w: &mut Writer) {
        let (tag, text) = match self {
            AttrValue::Null => (0, None),
            AttrValue::Int(v) => {
                w.u8(1);
                w.put(v);
                return;
            }
            AttrValue::Real(v) => {
                w.u8(2);
                w.f64(*v);
                return;
            }
            AttrValue::Text(s) => (3, Some(s)),
            AttrValue::Date(s) => (4, Some(s)),
            AttrValue::DateTime(s) => (5, Some(s)),
            AttrValue::Time(s) => (6, Some(s)),
        };
        w.u8(tag);
        if let Some(s) = text {
            w.put(s);
        }
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self> {
        Ok(match r.tag(7, "kind of attribute")? {
            0 => AttrValue::Null,
            1 => AttrValue::Int(r.get()?),
            2 => AttrValue::Real(r.f64()?),
            3 => AttrValue::Text(r.get()?),
            4 => AttrValue::Date(r.get()?),
            5 => AttrValue::DateTime(r.get()?),
            _ => AttrValue::Time(r.get()?),
        })
    }
}

/// Zones' ids and attributes, in zone order (what a table needs of them).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ZoneRows(pub(crate) Vec<(ZoneId, Attributes)>);

impl ZoneRows {
    pub(crate) fn of(zones: &ZoneSet) -> Self {
        ZoneRows(
            zones
                .iter()
                .map(|z| (z.id.clone(), z.attributes.clone()))
                .collect(),
        )
    }
}

/// The field names once for each run of zones that share them.
impl Codec for ZoneRows {
    fn encode(&self, w: &mut Writer) {
        w.len(self.0.len());
        let mut names: Option<&Arc<[String]>> = None;
        for (id, attributes) in &self.0 {
            w.put(id);
            let same = names
                .is_some_and(|n| Arc::ptr_eq(n, &attributes.names) || **n == *attributes.names);
            w.put(&same);
            if !same {
                w.put(&attributes.names.to_vec());
                names = Some(&attributes.names);
            }
            w.put(&attributes.values);
        }
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self> {
        let n = r.len()?;
        let mut names: Option<Arc<[String]>> = None;
        (0..n)
            .map(|_| {
                let id = r.get()?;
                let names = match (r.get::<bool>()?, &names) {
                    (true, Some(names)) => names.clone(),
                    (true, None) => return Err(r.error("corrupt: attributes without field names")),
                    (false, _) => names.insert(Arc::from(r.get::<Vec<String>>()?)).clone(),
                };
                let values: Vec<AttrValue> = r.get()?;
                if values.len() != names.len() {
                    return Err(r.error("corrupt: attributes of another length than their names"));
                }
                Ok((id, Attributes { names, values }))
            })
            .collect::<Result<_>>()
            .map(ZoneRows)
    }
}
