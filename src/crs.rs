//! Coordinate reference systems, as far as the kernels need them.
//!
//! A [`Crs`] carries a definition that PROJ and GDAL understand (an
//! authority code such as `EPSG:4326` when one is known, otherwise WKT),
//! whether it is geographic (degrees of longitude and latitude) or
//! projected, and for a projected CRS the length of its linear unit in
//! metres. That is all the grid needs to compute cell areas; parsing and
//! comparing arbitrary definitions needs the `gdal` feature.
//!
//! Axis order is always x = longitude/easting, y = latitude/northing
//! (GDAL's "traditional GIS order"), whatever the authority says.

/// What kind of coordinates a CRS has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CrsKind {
    /// Longitude and latitude in degrees.
    Geographic,
    /// Planar easting and northing in a linear unit.
    Projected,
    /// Anything else (local, geocentric, engineering...).
    Other,
}

/// A coordinate reference system.
///
/// ```
/// use terralux::{Crs, CrsKind};
/// let wgs84 = Crs::wgs84();
/// assert_eq!(wgs84.definition(), "EPSG:4326");
/// assert_eq!(wgs84.kind(), CrsKind::Geographic);
/// let utm = Crs::projected("EPSG:32648", 1.0);
/// assert_eq!(utm.linear_unit_m(), Some(1.0));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Crs {
    definition: String,
    kind: CrsKind,
    linear_unit_m: Option<f64>,
}

impl crate::codec::Codec for Crs {
    fn encode(&self, w: &mut crate::codec::Writer) {
        w.put(&self.definition);
        w.u8(match self.kind {
            CrsKind::Geographic => 0,
            CrsKind::Projected => 1,
            CrsKind::Other => 2,
        });
        w.put(&self.linear_unit_m);
    }
    fn decode(r: &mut crate::codec::Reader<'_>) -> crate::error::Result<Self> {
        Ok(Crs {
            definition: r.get()?,
            kind: match r.tag(3, "kind of CRS")? {
                0 => CrsKind::Geographic,
                1 => CrsKind::Projected,
                _ => CrsKind::Other,
            },
            linear_unit_m: r.get()?,
        })
    }
}

impl Crs {
    /// WGS84 longitude/latitude (`EPSG:4326`, longitude first).
    pub fn wgs84() -> Self {
        Self::geographic("EPSG:4326")
    }

    /// A geographic CRS from a definition that PROJ understands.
    pub fn geographic(definition: impl Into<String>) -> Self {
        Crs {
            definition: definition.into(),
            kind: CrsKind::Geographic,
            linear_unit_m: None,
        }
    }

    /// A projected CRS whose linear unit is `linear_unit_m` metres long.
    pub fn projected(definition: impl Into<String>, linear_unit_m: f64) -> Self {
        Crs {
            definition: definition.into(),
            kind: CrsKind::Projected,
            linear_unit_m: Some(linear_unit_m),
        }
    }

    /// The definition handed to PROJ and GDAL (`AUTH:CODE` or WKT).
    pub fn definition(&self) -> &str {
        &self.definition
    }

    /// Geographic, projected or other.
    pub fn kind(&self) -> CrsKind {
        self.kind
    }

    /// True for longitude/latitude CRSs.
    pub fn is_geographic(&self) -> bool {
        self.kind == CrsKind::Geographic
    }

    /// Metres per linear unit, for projected CRSs.
    pub fn linear_unit_m(&self) -> Option<f64> {
        self.linear_unit_m
    }

    /// True when both are known to be the same CRS: GDAL's `OSRIsSame` with
    /// the `gdal` feature, equal definitions without it.
    pub fn matches(&self, other: &Crs) -> bool {
        #[cfg(feature = "gdal")]
        {
            self.is_same_as(other).unwrap_or(false)
        }
        #[cfg(not(feature = "gdal"))]
        {
            self.definition == other.definition
        }
    }
}

#[cfg(feature = "gdal")]
mod with_gdal {
    use super::*;
    use crate::error::{Error, Result};
    use gdal::spatial_ref::{AxisMappingStrategy, SpatialRef};

    impl Crs {
        /// Parse any definition GDAL accepts: `EPSG:4326`, WKT, PROJ
        /// strings, PROJJSON, `OGC:CRS84`...
        ///
        /// ```
        /// # fn main() -> terralux::Result<()> {
        /// let crs = terralux::Crs::from_user_input("EPSG:3857")?;
        /// assert!(!crs.is_geographic());
        /// assert_eq!(crs.linear_unit_m(), Some(1.0));
        /// assert!(terralux::Crs::from_user_input("EPSG:999999").is_err());
        /// # Ok(())
        /// # }
        /// ```
        pub fn from_user_input(definition: &str) -> Result<Self> {
            let srs = crate::gdal_util::quietly(|| SpatialRef::from_definition(definition))
                .map_err(|e| Error::Crs {
                    context: definition.to_string(),
                    reason: e.to_string(),
                })?;
            Self::from_spatial_ref(&srs, definition)
        }

        /// Build from a GDAL spatial reference; `context` names its source in errors.
        pub(crate) fn from_spatial_ref(srs: &SpatialRef, context: &str) -> Result<Self> {
            let authority = match (srs.auth_name(), srs.auth_code()) {
                (Some(name), Ok(code)) => Some(format!("{name}:{code}")),
                _ => None,
            };
            let definition = match authority {
                Some(auth) => auth,
                None => srs.to_wkt().map_err(|e| Error::Crs {
                    context: context.to_string(),
                    reason: e.to_string(),
                })?,
            };
            let kind = if srs.is_geographic() {
                CrsKind::Geographic
            } else if srs.is_projected() {
                CrsKind::Projected
            } else {
                CrsKind::Other
            };
            let linear_unit_m = (kind == CrsKind::Projected).then(|| srs.linear_units());
            Ok(Crs {
                definition,
                kind,
                linear_unit_m,
            })
        }

        /// A GDAL spatial reference in traditional GIS axis order (x = longitude).
        pub fn to_spatial_ref(&self) -> Result<SpatialRef> {
            let mut srs =
                crate::gdal_util::quietly(|| SpatialRef::from_definition(&self.definition))
                    .map_err(|e| Error::Crs {
                        context: self.definition.clone(),
                        reason: e.to_string(),
                    })?;
            srs.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
            Ok(srs)
        }

        /// True when both describe the same CRS (GDAL's `OSRIsSame`), even
        /// when written differently (an EPSG code and its WKT, say).
        ///
        /// ```
        /// # fn main() -> terralux::Result<()> {
        /// use terralux::Crs;
        /// let a = Crs::wgs84();
        /// let b = Crs::from_user_input("EPSG:4326")?;
        /// assert!(a.is_same_as(&b)?);
        /// assert!(!a.is_same_as(&Crs::from_user_input("EPSG:3857")?)?);
        /// # Ok(())
        /// # }
        /// ```
        pub fn is_same_as(&self, other: &Crs) -> Result<bool> {
            if self.definition == other.definition {
                return Ok(true);
            }
            Ok(self.to_spatial_ref()? == other.to_spatial_ref()?)
        }
    }
}
