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
    /// An annual composite of part of a year (`201204-201212`: VIIRS began
    /// in April 2012), months `start` to `end` (1..=12); its date is the year.
    PartOfYear {
        /// The year.
        year: u16,
        /// First month.
        start: u8,
        /// Last month.
        end: u8,
    },
}

/// What an EOG file name says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VnlName {
    /// `npp` (Suomi NPP) or `j01` (NOAA-20).
    pub satellite: String,
    /// The period covered.
    pub period: Period,
    /// The monthly tile (`75N060E`...), `None` for global files.
    pub tile: Option<String>,
    /// The layer: `average_masked`, `median`, `cf_cvg`, `avg_rade9h`...
    pub layer: String,
    /// The release (`v21`, `v22`, `v2`, `v10`), where the name has one.
    pub version: Option<String>,
    /// The processing configuration: `vcmcfg` (stray light excluded) or
    /// `vcmslcfg` (stray light corrected).
    pub configuration: String,
}

impl VnlName {
    /// Parse an EOG name by the pattern of its fields, not their position:
    /// every annual form of the VNL releases (`VNL_v21_npp_2014_global_vcmslcfg_c202205302300.median_masked.dat.tif.gz`,
    /// the partial year `VNL_v21_npp_201204-201212_global_vcmcfg_c….average_masked.dat.tif.gz`,
    /// v2.2's `VNL_npp_2023_global_vcmslcfg_v2_c202402081600.average_masked.dat.tif.gz`)
    /// and the monthly tiles (`SVDNB_npp_20140101-20140131_75N060E_vcmslcfg_v10_c201502061154.avg_rade9h.tif`).
    /// `None` for other names; [`VnlName::check`] says why an EOG-looking
    /// name is not one.
    ///
    /// ```
    /// use terralux::ntl::vnl::{Period, VnlName};
    /// let a = VnlName::parse("VNL_v22_npp_2023_global_vcmslcfg_c202402081200.average_masked.dat.tif.gz").unwrap();
    /// assert_eq!((a.period, a.layer.as_str(), a.tile), (Period::Year(2023), "average_masked", None));
    /// let v22 = VnlName::parse("VNL_npp_2024_global_vcmslcfg_v2_c202502101600.median_masked.dat.tif.gz").unwrap();
    /// assert_eq!((v22.date(), v22.version.as_deref()), ("2024".to_string(), Some("v2")));
    /// let early = VnlName::parse("VNL_v21_npp_201204-201212_global_vcmcfg_c202205302300.average_masked.dat.tif.gz").unwrap();
    /// assert_eq!((early.date(), early.period), ("2012".to_string(), Period::PartOfYear { year: 2012, start: 4, end: 12 }));
    /// let m = VnlName::parse("SVDNB_npp_20140101-20140131_75N060E_vcmslcfg_v10_c201502061154.cf_cvg.tif").unwrap();
    /// assert_eq!(m.tile.as_deref(), Some("75N060E"));
    /// assert_eq!(m.layer, "cf_cvg");
    /// assert_eq!(m.date(), "2014-01");
    /// assert!(VnlName::parse("SVDNB_npp_20141301-20141331_75N060E_vcmcfg_v10_c1.avg_rade9h.tif").is_none());
    /// ```
    pub fn parse(name: &str) -> Option<VnlName> {
        Self::check(name).ok().flatten()
    }

    /// Like [`VnlName::parse`], but a name that starts as an EOG name
    /// (`VNL_`, `SVDNB_`) and does not parse is an error saying what is
    /// missing; `Ok(None)` for names of other products.
    ///
    /// ```
    /// use terralux::ntl::vnl::VnlName;
    /// assert!(VnlName::check("ntl.tif").unwrap().is_none());
    /// let err = VnlName::check("VNL_v21_npp_global_vcmslcfg_c1.average_masked.tif").unwrap_err();
    /// assert!(err.contains("no year"), "{err}");
    /// ```
    pub fn check(name: &str) -> Result<Option<VnlName>, String> {
        let file = name.rsplit(['/', '\\']).next().unwrap_or(name);
        let monthly = file.starts_with("SVDNB_");
        if !monthly && !file.starts_with("VNL_") {
            return Ok(None);
        }
        let (stem, rest) = file
            .split_once('.')
            .ok_or("no layer after the name (as in NAME.average_masked.tif)")?;
        let layer = rest.split('.').next().unwrap_or("").to_string();
        if layer.is_empty() {
            return Err("no layer after the name (as in NAME.average_masked.tif)".into());
        }
        let fields: Vec<&str> = stem.split('_').skip(1).collect();
        let satellite = fields
            .iter()
            .find(|f| ["npp", "j01", "j02", "snpp", "noaa20", "noaa21"].contains(f))
            .ok_or("no satellite (npp, j01)")?
            .to_string();
        let version = fields
            .iter()
            .find(|f| {
                f.len() > 1 && f.starts_with('v') && f[1..].bytes().all(|b| b.is_ascii_digit())
            })
            .map(|f| f.to_string());
        let configuration = fields
            .iter()
            .find(|f| f.starts_with("vcm") && f.ends_with("cfg"))
            .ok_or("no configuration (vcmcfg, vcmslcfg)")?
            .to_string();
        let tile = fields.iter().find(|f| is_tile(f)).map(|f| f.to_string());
        let period = fields.iter().find_map(|f| period(f)).ok_or(if monthly {
            "no period (YYYYMMDD-YYYYMMDD) of real dates"
        } else {
            "no year (YYYY, or YYYYMM-YYYYMM for part of a year) of a real date"
        })?;
        // Monthly names carry a tile, or `global` for EOG's later global monthly files.
        if monthly != matches!(period, Period::Range { .. }) || (!monthly && tile.is_some()) {
            return Err(if monthly {
                "a monthly SVDNB name needs a period YYYYMMDD-YYYYMMDD".into()
            } else {
                "an annual VNL name has a year, not a day range or a tile".into()
            });
        }
        Ok(Some(VnlName {
            satellite,
            period,
            tile,
            layer,
            version,
            configuration,
        }))
    }

    /// The date label for outputs: `YYYY` for annual files, `YYYY-MM` for monthly ones.
    pub fn date(&self) -> String {
        match &self.period {
            Period::Year(y) => format!("{y:04}"),
            Period::Range { start, .. } => format!("{}-{}", &start[..4], &start[4..6]),
            Period::PartOfYear { year, .. } => format!("{year:04}"),
        }
    }
}

/// `75N060E`: two digits, N or S, three digits, E or W.
fn is_tile(field: &str) -> bool {
    let b = field.as_bytes();
    b.len() == 7
        && b[..2].iter().all(u8::is_ascii_digit)
        && matches!(b[2], b'N' | b'S')
        && b[3..6].iter().all(u8::is_ascii_digit)
        && matches!(b[6], b'E' | b'W')
}

/// `2014`, `201204-201212` or `20140101-20140131`, of real dates.
fn period(field: &str) -> Option<Period> {
    use chrono::NaiveDate;
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    if digits(field, 4) {
        let year: u16 = field.parse().ok()?;
        return (1992..=2100).contains(&year).then_some(Period::Year(year));
    }
    let (start, end) = field.split_once('-')?;
    if digits(start, 8) && digits(end, 8) {
        let day = |s: &str| NaiveDate::parse_from_str(s, "%Y%m%d").ok();
        let (a, b) = (day(start)?, day(end)?);
        return (a <= b).then(|| Period::Range {
            start: start.into(),
            end: end.into(),
        });
    }
    if digits(start, 6) && digits(end, 6) && start[..4] == end[..4] {
        let month = |s: &str| s[4..].parse::<u8>().ok().filter(|m| (1..=12).contains(m));
        let (a, b) = (month(start)?, month(end)?);
        let year: u16 = start[..4].parse().ok()?;
        return (a <= b).then_some(Period::PartOfYear {
            year,
            start: a,
            end: b,
        });
    }
    None
}
