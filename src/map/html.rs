//! A self-contained interactive HTML map: every zone drawn as an SVG path,
//! coloured by an indicator chosen from a list, with a zone's values on
//! hover or click, pan (drag) and zoom (wheel or buttons), and a list of
//! groups (provinces) to zoom to, drawn as outlines over the zones, a
//! search box to find a zone by id or name, the number of zones in each
//! legend class, and a source line. Data, style and code are inline: the
//! file works offline, from disk, with no CDN. The page's data is built
//! with serde (`serde_json`).
//!
//! Geometry is projected to the page once (longitudes shrunk by the cosine
//! of the middle latitude, as in [`Choropleth`](super::Choropleth)), rounded
//! to a tenth of a page unit and simplified (a fifth of a unit on a
//! 1000-unit-wide page) without breaking shared borders, so a few
//! thousand counties stay responsive and small.
//!
//! ```
//! use geo_types::{polygon, MultiPolygon};
//! use terralux::map::InteractiveMap;
//! use terralux::zones::{Attributes, Zone, ZoneId, ZoneSet};
//! let square = |id: i64, x: f64| Zone {
//!     id: ZoneId::Int(id),
//!     attributes: Attributes::default(),
//!     geometry: MultiPolygon(vec![polygon![(x: x, y: 0.0), (x: x + 1.0, y: 0.0), (x: x + 1.0, y: 1.0), (x: x, y: 1.0)]]),
//! };
//! let zones = ZoneSet::new(vec![square(1, 0.0), square(2, 1.0)], None);
//! let html = InteractiveMap::new(&zones, "Counties")
//!     .indicator("density", &[Some(1.0), Some(4.0)])?
//!     .indicator("index", &[Some(80.0), None])?
//!     .to_html()?;
//! assert!(html.starts_with("<!DOCTYPE html>"));
//! assert!(html.contains(r#""indicators":["density","index"]"#));
//! # Ok::<(), terralux::Error>(())
//! ```

use std::path::Path;

use geo::BoundingRect;
use serde::Serialize;

use super::choropleth::check_field;
use super::geometry::Topology;
use super::{Choropleth, VERSION, escape, hex, short_number, world_to_page, xml_chars};
use crate::error::{Error, Result};
use crate::zones::ZoneSet;

/// Page units across the map's width.
const PAGE_WIDTH: f64 = 1000.0;
/// Simplification tolerance, in page units.
const SIMPLIFY_TOLERANCE: f64 = 0.2;

/// An interactive map of several indicators over the same zones.
#[derive(Debug, Clone)]
pub struct InteractiveMap<'a> {
    zones: &'a ZoneSet,
    title: String,
    indicators: Vec<(String, Vec<Option<f64>>)>,
    group_field: Option<String>,
    label_field: Option<String>,
    source: Option<String>,
    classes: usize,
    /// The zones' shared arcs, when the caller built them for several maps.
    topology: Option<&'a Topology>,
}

/// The page's data, as the script reads it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PageData {
    width: f64,
    height: f64,
    title: String,
    group_field: Option<String>,
    source: String,
    indicators: Vec<String>,
    /// Per indicator: its legend entries, colour and label.
    legends: Vec<Vec<(String, String)>>,
    /// Per indicator: the zones in each legend entry.
    counts: Vec<Vec<usize>>,
    zones: Vec<ZoneData>,
    groups: Vec<String>,
    /// The group outlines, as SVG path data.
    outline: String,
}

#[derive(Serialize)]
struct ZoneData {
    id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    label: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    group: Option<usize>,
    values: Vec<Option<f64>>,
    /// Per indicator, the zone's legend entry (no data: the last one).
    classes: Vec<usize>,
    text: Vec<String>,
    d: String,
}

impl<'a> InteractiveMap<'a> {
    /// A map of `zones` titled `title`, with no indicator yet.
    pub fn new(zones: &'a ZoneSet, title: &str) -> Self {
        InteractiveMap {
            zones,
            title: title.to_string(),
            indicators: Vec::new(),
            group_field: None,
            label_field: None,
            source: None,
            classes: 5,
            topology: None,
        }
    }

    /// Draw from `topology`, the shared arcs of this map's zones (built
    /// once for the static and the interactive map).
    pub(super) fn with_topology(mut self, topology: &'a Topology) -> Self {
        self.topology = Some(topology);
        self
    }

    /// Add an indicator: one value per zone, in zone order (`None` or NaN
    /// for no data). The first one is shown when the page opens.
    pub fn indicator(mut self, name: &str, values: &[Option<f64>]) -> Result<Self> {
        if values.len() != self.zones.len() {
            return Err(Error::Mismatch {
                context: format!("map indicator '{name}'"),
                reason: format!("{} values for {} zones", values.len(), self.zones.len()),
            });
        }
        if self.indicators.iter().any(|(n, _)| n == name) {
            return Err(Error::Mismatch {
                context: format!("map indicator '{name}'"),
                reason: "given twice".into(),
            });
        }
        let values = values.iter().map(|v| v.filter(|x| x.is_finite())).collect();
        self.indicators.push((name.to_string(), values));
        Ok(self)
    }

    /// List the distinct values of attribute `field` (e.g. `province`) to
    /// zoom to, and outline them.
    pub fn group_by(mut self, field: &str) -> Self {
        self.group_field = Some(field.to_string());
        self
    }

    /// Show attribute `field` (e.g. `name`) beside each zone's id, and find it by search.
    pub fn label_field(mut self, field: &str) -> Self {
        self.label_field = Some(field.to_string());
        self
    }

    /// The source line at the bottom (inputs, date); the terralux version is added.
    pub fn source(mut self, source: &str) -> Self {
        self.source = Some(source.to_string()).filter(|s| !s.is_empty());
        self
    }

    /// Quantile classes per indicator (default 5).
    pub fn classes(mut self, classes: usize) -> Self {
        self.classes = classes.max(1);
        self
    }

    /// The page, as one HTML document.
    pub fn to_html(&self) -> Result<String> {
        let fail = |reason: String| Error::Mismatch {
            context: format!("interactive map '{}'", self.title),
            reason,
        };
        if self.indicators.is_empty() {
            return Err(fail("no indicator to show".into()));
        }
        let all = self
            .zones
            .bounds()
            .ok_or_else(|| fail("no zone has a geometry to draw".into()))?;
        for field in self.group_field.iter().chain(&self.label_field) {
            check_field(self.zones, field)?;
        }
        // Fitted to the zones with a value in some indicator (else all).
        let bounds = self
            .zones
            .iter()
            .enumerate()
            .filter(|(z, _)| self.indicators.iter().any(|(_, v)| v[*z].is_some()))
            .filter_map(|(_, zone)| zone.geometry.bounding_rect())
            .reduce(|a, b| {
                geo_types::Rect::new(
                    geo_types::Coord {
                        x: a.min().x.min(b.min().x),
                        y: a.min().y.min(b.min().y),
                    },
                    geo_types::Coord {
                        x: a.max().x.max(b.max().x),
                        y: a.max().y.max(b.max().y),
                    },
                )
            })
            .unwrap_or(all);
        let (projection, height) = world_to_page(bounds, self.zones.crs(), PAGE_WIDTH);
        let data = self.data(&|x, y| projection.apply(x, y), height)?;
        let json = serde_json::to_string(&data).map_err(|e| fail(format!("page data: {e}")))?;
        // "</script>" or "<!--" inside a string would upset the HTML parser:
        // no "<" at all (it only occurs inside JSON strings).
        let json = json.replace('<', "\\u003c");
        // Fill the title into the page around the data, never into the data.
        let title = escape(&self.title);
        let (before, after) = PAGE
            .split_once("{{DATA}}")
            .ok_or_else(|| fail("the page template has no data slot".into()))?;
        Ok(format!(
            "{}{json}{}",
            before.replace("{{TITLE}}", &title),
            after.replace("{{TITLE}}", &title)
        ))
    }

    /// Write the page to `path`, atomically.
    pub fn write_html(&self, path: &Path) -> Result<()> {
        let html = self.to_html()?;
        crate::write::write_atomically(path, |w| w.write_all(html.as_bytes()))
    }

    /// The page's data: zones (simplified paths, id, label, group, values),
    /// indicators, legends with counts, groups and their outlines.
    fn data(
        &self,
        project: &(dyn Fn(f64, f64) -> (f64, f64) + Sync),
        height: f64,
    ) -> Result<PageData> {
        let text = |t: &str| xml_chars(t).into_owned();
        let mut groups: Vec<String> = Vec::new();
        let zone_groups: Option<Vec<usize>> = self.group_field.as_ref().map(|field| {
            self.zones
                .iter()
                .map(|zone| {
                    let group = zone
                        .attributes
                        .get(field)
                        .map(|v| text(&v.to_string()))
                        .unwrap_or_default();
                    match groups.iter().position(|g| *g == group) {
                        Some(i) => i,
                        None => {
                            groups.push(group);
                            groups.len() - 1
                        }
                    }
                })
                .collect()
        });
        // Classes and legends come from the static map's rules, one per indicator.
        let maps: Vec<Choropleth<'_>> = self
            .indicators
            .iter()
            .map(|(name, values)| {
                Choropleth::new(self.zones, values, name).map(|m| m.classes(self.classes))
            })
            .collect::<Result<_>>()?;
        let legend_indices: Vec<Vec<usize>> = maps.iter().map(Choropleth::legend_indices).collect();
        let own;
        let topology = match self.topology {
            Some(shared) => shared,
            None => {
                own = Topology::new(self.zones);
                &own
            }
        };
        let geometry = topology.page(project, SIMPLIFY_TOLERANCE, 1, zone_groups.as_deref());
        let zones = self
            .zones
            .iter()
            .enumerate()
            .map(|(z, zone)| ZoneData {
                id: text(&zone.id.to_string()),
                label: self.label_field.as_ref().map(|field| {
                    text(
                        &zone
                            .attributes
                            .get(field)
                            .map(|v| v.to_string())
                            .unwrap_or_default(),
                    )
                }),
                group: zone_groups.as_ref().map(|g| g[z]),
                values: self.indicators.iter().map(|(_, v)| v[z]).collect(),
                classes: legend_indices.iter().map(|indices| indices[z]).collect(),
                text: self
                    .indicators
                    .iter()
                    .map(|(_, v)| v[z].map_or("no data".into(), short_number))
                    .collect(),
                d: geometry.zone_path(z),
            })
            .collect();
        Ok(PageData {
            width: PAGE_WIDTH,
            height: (height * 10.0).round() / 10.0,
            title: text(&self.title),
            group_field: self.group_field.as_deref().map(text),
            source: text(&match &self.source {
                Some(source) => format!("{source} · terralux {VERSION}"),
                None => format!("Made with terralux {VERSION}"),
            }),
            indicators: self.indicators.iter().map(|(n, _)| text(n)).collect(),
            legends: maps
                .iter()
                .map(|m| {
                    m.legend()
                        .into_iter()
                        .map(|(c, l)| (hex(c), text(&l)))
                        .collect()
                })
                .collect(),
            counts: maps.iter().map(Choropleth::legend_counts).collect(),
            zones,
            groups,
            outline: if self.group_field.is_some() {
                geometry.outline_path()
            } else {
                String::new()
            },
        })
    }
}

/// The page: `{{TITLE}}` and `{{DATA}}` are filled in.
const PAGE: &str = include_str!("interactive.html");
