//! Bringing zones to a raster: a CRS override, GCJ-02, reprojection, and
//! the record of what was done.

use super::ZoneSet;
use crate::crs::Crs;

/// What to do to zones before they are measured on a raster.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PrepareOptions {
    /// The zones' real CRS, when their source declares none or a wrong one
    /// (coordinates untouched).
    pub crs_override: Option<Crs>,
    /// The coordinates are GCJ-02 (Chinese web maps): convert them to WGS84.
    pub gcj02: bool,
    /// Keep a copy of the zones before reprojection
    /// ([`PreparedZones::as_given`]), for outputs that carry geometry.
    pub keep_as_given: bool,
}

/// Zones ready for a raster, with the zones as the user gave them and what
/// was done in between.
#[derive(Debug, Clone)]
pub struct PreparedZones {
    /// The zones in the raster's CRS, to measure.
    pub zones: ZoneSet,
    /// The zones in their own CRS after any CRS override and GCJ-02
    /// conversion (what outputs with geometry carry), when they were
    /// reprojected and [`PrepareOptions::keep_as_given`] asked for them.
    pub as_given: Option<ZoneSet>,
    /// The CRS the source declared, before any override.
    pub crs_as_read: Option<String>,
    /// What was done, in order, one sentence each (for stderr and provenance).
    pub steps: Vec<PrepareStep>,
}

impl PreparedZones {
    /// The zones as the user gave them when they were kept (see
    /// [`PreparedZones::as_given`]), else the zones measured.
    pub fn for_output(&self) -> &ZoneSet {
        self.as_given.as_ref().unwrap_or(&self.zones)
    }

    /// The steps as provenance records them.
    pub fn transformations(&self) -> Vec<String> {
        self.steps.iter().map(PrepareStep::record).collect()
    }
}

/// One thing done to the zones.
#[derive(Debug, Clone, PartialEq)]
pub enum PrepareStep {
    /// The declared CRS was replaced (`from`: the declared one).
    CrsOverride {
        /// The declared CRS.
        from: String,
        /// The CRS used instead.
        to: String,
        /// The zones' source.
        source: String,
    },
    /// GCJ-02 coordinates converted to WGS84.
    Gcj02,
    /// Reprojected.
    Reprojected {
        /// The zones' CRS.
        from: String,
        /// The raster's.
        to: String,
    },
}

impl PrepareStep {
    /// A sentence for the user, as the binaries print it on stderr
    /// (`None`: asked for by name, nothing to tell).
    pub fn message(&self) -> Option<String> {
        match self {
            PrepareStep::CrsOverride { to, source, .. } => Some(format!(
                "using --zones-crs {to} instead of the CRS declared by {source}"
            )),
            PrepareStep::Gcj02 => None,
            PrepareStep::Reprojected { from, to } => Some(format!(
                "reprojecting the zones from {from} to the raster's {to}"
            )),
        }
    }

    /// The provenance record of the step.
    pub fn record(&self) -> String {
        match self {
            PrepareStep::CrsOverride { to, .. } => format!("CRS set to {to} (--zones-crs)"),
            PrepareStep::Gcj02 => "GCJ-02 to WGS84 (iterated inverse)".into(),
            PrepareStep::Reprojected { from, to } => format!("reprojected from {from} to {to}"),
        }
    }
}

impl ZoneSet {
    /// The zones made ready for a raster in `target` CRS: the CRS
    /// override, then GCJ-02 conversion, then reprojection when the CRSs
    /// differ (zones without a CRS are taken to be in the raster's).
    ///
    /// ```
    /// # fn main() -> terralux::Result<()> {
    /// use geo_types::{polygon, MultiPolygon};
    /// use terralux::zones::{Attributes, PrepareOptions, PrepareStep, Zone, ZoneId, ZoneSet};
    /// use terralux::Crs;
    /// let zone = Zone { id: ZoneId::Int(1), attributes: Attributes::default(),
    ///     geometry: MultiPolygon(vec![polygon![(x: 0.0, y: 0.0), (x: 1000.0, y: 0.0), (x: 0.0, y: 1000.0)]]) };
    /// let mercator = Crs::from_user_input("EPSG:3857")?;
    /// let zones = ZoneSet::new(vec![zone], Some(mercator));
    /// let options = PrepareOptions { keep_as_given: true, ..PrepareOptions::default() };
    /// let prepared = zones.prepare_for(&Crs::wgs84(), &options)?;
    /// assert!(matches!(prepared.steps[..], [PrepareStep::Reprojected { .. }]));
    /// assert!(prepared.zones.crs().unwrap().is_geographic());
    /// assert!(!prepared.for_output().crs().unwrap().is_geographic()); // outputs keep the zones' CRS
    /// # Ok(())
    /// # }
    /// ```
    #[cfg(feature = "gdal")]
    pub fn prepare_for(
        self,
        target: &Crs,
        options: &PrepareOptions,
    ) -> crate::Result<PreparedZones> {
        let crs_as_read = self.crs().map(|c| c.definition().to_string());
        let mut zones = self;
        let mut steps = Vec::new();
        if let Some(crs) = &options.crs_override
            && zones.crs().is_some_and(|declared| !declared.matches(crs))
        {
            steps.push(PrepareStep::CrsOverride {
                from: crs_as_read.clone().unwrap_or_default(),
                to: crs.definition().to_string(),
                source: zones.source_name().to_string(),
            });
            zones = zones.with_crs(crs.clone());
        }
        if options.gcj02 {
            zones = zones.gcj02_to_wgs84()?;
            steps.push(PrepareStep::Gcj02);
        }
        let Some(from) = zones.crs().filter(|c| !c.matches(target)).cloned() else {
            return Ok(PreparedZones {
                zones,
                as_given: None,
                crs_as_read,
                steps,
            });
        };
        steps.push(PrepareStep::Reprojected {
            from: from.definition().to_string(),
            to: target.definition().to_string(),
        });
        let as_given = options.keep_as_given.then(|| zones.clone());
        Ok(PreparedZones {
            zones: zones.into_crs(target)?,
            as_given,
            crs_as_read,
            steps,
        })
    }
}
