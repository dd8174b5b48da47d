//! A self-contained interactive HTML map: every zone drawn as an SVG path,
//! coloured by an indicator chosen from a list, with a zone's values on
//! hover or click, pan (drag) and zoom (wheel or buttons), and a list of
//! groups (provinces) to zoom to. Data, style and code are inline: the file
//! works offline, from disk, with no CDN.
//!
//! Geometry is projected to the page once (longitudes shrunk by the cosine
//! of the middle latitude, as in [`Choropleth`](super::Choropleth)) and
//! simplified (Douglas-Peucker, a fifth of a page unit on a 1000-unit-wide
//! page), so a few thousand counties stay responsive.
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

use geo::Simplify;
use geo_types::{Coord, LineString};

use super::{Choropleth, escape, hex, short_number, world_to_page, xml_chars};
use crate::error::{Error, Result};
use crate::write::json::{write_number, write_string};
use crate::zones::ZoneSet;

/// Page units across the map's width.
const PAGE_WIDTH: f64 = 1000.0;
/// Douglas-Peucker tolerance, in page units.
const SIMPLIFY_TOLERANCE: f64 = 0.2;

/// An interactive map of several indicators over the same zones.
#[derive(Debug, Clone)]
pub struct InteractiveMap<'a> {
    zones: &'a ZoneSet,
    title: String,
    indicators: Vec<(String, Vec<Option<f64>>)>,
    group_field: Option<String>,
    label_field: Option<String>,
    classes: usize,
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
            classes: 5,
        }
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

    /// List the distinct values of attribute `field` (e.g. `province`) to zoom to.
    pub fn group_by(mut self, field: &str) -> Self {
        self.group_field = Some(field.to_string());
        self
    }

    /// Show attribute `field` (e.g. `name`) beside each zone's id.
    pub fn label_field(mut self, field: &str) -> Self {
        self.label_field = Some(field.to_string());
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
        let bounds = self
            .zones
            .bounds()
            .ok_or_else(|| fail("no zone has a geometry to draw".into()))?;
        for field in self.group_field.iter().chain(&self.label_field) {
            if !self.zones.field_names().iter().any(|f| f == field) {
                return Err(Error::FieldNotFound {
                    source_name: self.zones.source_name().to_string(),
                    layer: self.zones.layer().to_string(),
                    field: field.clone(),
                    available: self.zones.field_names().join(", "),
                });
            }
        }
        let (project, height) = world_to_page(bounds, self.zones.crs(), PAGE_WIDTH);
        let data = self.data_json(&project, height)?;
        // Fill the title into the page around the data, never into the data.
        let title = escape(&self.title);
        let (before, after) = PAGE
            .split_once("{{DATA}}")
            .expect("the page has a data slot");
        Ok(format!(
            "{}{data}{}",
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
    /// indicators, groups and palettes, as compact JSON safe inside `<script>`.
    fn data_json(&self, project: &dyn Fn(f64, f64) -> (f64, f64), height: f64) -> Result<String> {
        let mut groups: Vec<String> = Vec::new();
        let mut out = String::from("{\"width\":");
        write_number(&mut out, PAGE_WIDTH);
        out.push_str(",\"height\":");
        write_number(&mut out, (height * 10.0).round() / 10.0);
        out.push_str(",\"title\":");
        write_text(&mut out, &self.title);
        out.push_str(",\"groupField\":");
        match &self.group_field {
            Some(f) => write_text(&mut out, f),
            None => out.push_str("null"),
        }
        out.push_str(",\"indicators\":[");
        for (i, (name, _)) in self.indicators.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            write_text(&mut out, name);
        }
        // Classes and legends come from the static map's rules, one per indicator.
        let maps: Vec<Choropleth<'_>> = self
            .indicators
            .iter()
            .map(|(name, values)| {
                Choropleth::new(self.zones, values, name).map(|m| m.classes(self.classes))
            })
            .collect::<Result<_>>()?;
        let legend_indices: Vec<Vec<usize>> = maps.iter().map(Choropleth::legend_indices).collect();
        out.push_str("],\"legends\":[");
        for (i, map) in maps.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push('[');
            for (j, (colour, label)) in map.legend().iter().enumerate() {
                if j > 0 {
                    out.push(',');
                }
                out.push('[');
                write_text(&mut out, &hex(*colour));
                out.push(',');
                write_text(&mut out, label);
                out.push(']');
            }
            out.push(']');
        }
        out.push_str("],\"zones\":[");
        for (z, zone) in self.zones.iter().enumerate() {
            if z > 0 {
                out.push_str(",\n");
            }
            out.push_str("{\"id\":");
            write_text(&mut out, &zone.id.to_string());
            if let Some(field) = &self.label_field {
                out.push_str(",\"label\":");
                let label = zone.attributes.get(field).map(|v| v.to_string());
                write_text(&mut out, label.as_deref().unwrap_or(""));
            }
            if let Some(field) = &self.group_field {
                let group = zone
                    .attributes
                    .get(field)
                    .map(|v| v.to_string())
                    .unwrap_or_default();
                let index = match groups.iter().position(|g| *g == group) {
                    Some(i) => i,
                    None => {
                        groups.push(group);
                        groups.len() - 1
                    }
                };
                out.push_str(&format!(",\"group\":{index}"));
            }
            out.push_str(",\"values\":[");
            for (i, (_, values)) in self.indicators.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                match values[z] {
                    Some(v) => write_number(&mut out, v),
                    None => out.push_str("null"),
                }
            }
            out.push_str("],\"classes\":[");
            for (i, indices) in legend_indices.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                // Zones without data point at the legend's last entry, "no data".
                let class = indices[z];
                out.push_str(&class.to_string());
            }
            out.push_str("],\"text\":[");
            for (i, (_, values)) in self.indicators.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_text(&mut out, &values[z].map_or("no data".into(), short_number));
            }
            out.push_str("],\"d\":");
            write_text(&mut out, &zone_path(&zone.geometry, project));
            out.push('}');
        }
        out.push_str("],\"groups\":[");
        for (i, g) in groups.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            write_text(&mut out, g);
        }
        out.push_str("]}");
        // "</script>" or "<!--" inside a string would upset the HTML parser:
        // no "<" at all (it only occurs inside JSON strings).
        Ok(out.replace('<', "\\u003c"))
    }
}

/// Write `text` as a JSON string, without the characters XML 1.0 does not
/// allow (they would make the page's text and the SVG drawn from it invalid).
fn write_text(out: &mut String, text: &str) {
    write_string(out, &xml_chars(text));
}

/// The SVG path of a zone on the page, rings simplified (a ring that would
/// collapse keeps its original vertices), coordinates to a tenth of a unit.
fn zone_path(
    geometry: &geo_types::MultiPolygon<f64>,
    project: &dyn Fn(f64, f64) -> (f64, f64),
) -> String {
    let mut d = String::new();
    for polygon in &geometry.0 {
        for ring in std::iter::once(polygon.exterior()).chain(polygon.interiors()) {
            let page: LineString<f64> = ring
                .coords()
                .map(|c| {
                    let (x, y) = project(c.x, c.y);
                    Coord { x, y }
                })
                .collect();
            let simplified = page.simplify(SIMPLIFY_TOLERANCE);
            let ring = if simplified.0.len() >= 4 {
                simplified
            } else {
                page
            };
            let mut previous = None;
            for c in ring.coords() {
                let point = ((c.x * 10.0).round() / 10.0, (c.y * 10.0).round() / 10.0);
                if previous == Some(point) {
                    continue;
                }
                d.push(if previous.is_none() { 'M' } else { 'L' });
                let mut number = String::new();
                write_number(&mut number, point.0);
                d.push_str(&number);
                d.push(' ');
                number.clear();
                write_number(&mut number, point.1);
                d.push_str(&number);
                previous = Some(point);
            }
            if previous.is_some() {
                d.push('Z');
            }
        }
    }
    d
}

/// The page: `{{TITLE}}` and `{{DATA}}` are filled in.
const PAGE: &str = include_str!("interactive.html");
