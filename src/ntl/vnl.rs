//! EOG VIIRS nighttime lights (VNL annual layers, monthly tiles): names.

/// The period a VNL product covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Period {
    /// An annual composite.
    Year(u16),
    /// A monthly (or other) composite from `start` to `end`, both `YYYYMMDD`.
    Range {
        /// First day.
        start: String,
        /// Last day.
        end: String,
    },
}

/// What an EOG file name says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VnlName {
    /// `npp` (Suomi NPP) or `j01` (NOAA-20).
    pub satellite: String,
    /// The period covered.
    pub period: Period,
    /// The monthly tile (`75N060E`...), `None` for global annual files.
    pub tile: Option<String>,
    /// The layer: `average_masked`, `median`, `cf_cvg`, `avg_rade9h`...
    pub layer: String,
}

impl VnlName {
    /// Parse annual names (`VNL_v21_npp_2014_global_vcmslcfg_c202205302300.median_masked.dat.tif.gz`)
    /// and monthly ones (`SVDNB_npp_20140101-20140131_75N060E_vcmslcfg_v10_c201502061154.avg_rade9h.tif`).
    ///
    /// ```
    /// use terralux::ntl::vnl::{Period, VnlName};
    /// let a = VnlName::parse("VNL_v22_npp_2023_global_vcmslcfg_c202402081200.average_masked.dat.tif.gz").unwrap();
    /// assert_eq!((a.period, a.layer.as_str(), a.tile), (Period::Year(2023), "average_masked", None));
    /// let m = VnlName::parse("SVDNB_npp_20140101-20140131_75N060E_vcmslcfg_v10_c201502061154.cf_cvg.tif").unwrap();
    /// assert_eq!(m.tile.as_deref(), Some("75N060E"));
    /// assert_eq!(m.layer, "cf_cvg");
    /// assert_eq!(m.date(), "2014-01");
    /// assert!(VnlName::parse("SVDNB_npp_20141301-20141331_75N060E_vcmcfg_v10_c1.avg_rade9h.tif").is_none());
    /// ```
    pub fn parse(name: &str) -> Option<VnlName> {
        let file = name.rsplit(['/', '\\']).next().unwrap_or(name);
        let (stem, rest) = file.split_once('.')?;
        let layer = rest.split('.').next()?.to_string();
        let fields: Vec<&str> = stem.split('_').collect();
        match *fields.first()? {
            "VNL" => {
                // VNL, version, satellite, year, global, ...
                let year: u16 = fields.get(3)?.parse().ok()?;
                Some(VnlName {
                    satellite: fields.get(2)?.to_string(),
                    period: Period::Year(year),
                    tile: None,
                    layer,
                })
            }
            "SVDNB" => {
                let (start, end) = fields.get(2)?.split_once('-')?;
                // Eight digits of a day that exists (not 20141301 or 20140231).
                let day = |s: &str| {
                    s.len() == 8
                        && s.chars().all(|c| c.is_ascii_digit())
                        && chrono::NaiveDate::parse_from_str(s, "%Y%m%d").is_ok()
                };
                if !day(start) || !day(end) {
                    return None;
                }
                Some(VnlName {
                    satellite: fields.get(1)?.to_string(),
                    period: Period::Range {
                        start: start.into(),
                        end: end.into(),
                    },
                    tile: Some(fields.get(3)?.to_string()),
                    layer,
                })
            }
            _ => None,
        }
    }

    /// The date label for outputs: `YYYY` for annual files, `YYYY-MM` for monthly ones.
    pub fn date(&self) -> String {
        match &self.period {
            Period::Year(y) => format!("{y:04}"),
            Period::Range { start, .. } => format!("{}-{}", &start[..4], &start[4..6]),
        }
    }
}
