//! The static choropleth: classes, legend, layout and projection.

use std::path::Path;

use geo::BoundingRect;
use geo_types::{Coord, Rect};

use super::geometry::Topology;
use super::render::{RenderedPng, render_svg};
use super::{
    Layout, MISSING_COLOUR, Projection, Rgb, VERSION, fit, palette, short_number, svg, x_scale,
};
use crate::error::{Error, Result};
use crate::index::quantile_classes;
use crate::zones::ZoneSet;

/// A choropleth of one value per zone.
#[derive(Debug, Clone)]
pub struct Choropleth<'a> {
    pub(super) zones: &'a ZoneSet,
    values: Vec<Option<f64>>,
    title: String,
    subtitle: Option<String>,
    source: Option<String>,
    legend_title: Option<String>,
    classes: usize,
    /// Each zone's class (0-based), `None` without a value.
    zone_classes: Vec<Option<usize>>,
    width: u32,
    height: Option<u32>,
    dpi: u32,
    frame: Option<Rect<f64>>,
    /// The bounds of the zones with a value, else of all zones (computed
    /// once, when first asked: the layout asks for them several times).
    value_bounds: std::sync::OnceLock<Rect<f64>>,
    group_field: Option<String>,
    pub(super) groups: Option<Vec<usize>>,
    label_field: Option<String>,
    /// The zones' shared arcs, when the caller built them for several maps.
    pub(super) topology: Option<&'a Topology>,
}

impl<'a> Choropleth<'a> {
    /// A map of `values` (one per zone, in zone order; `None` or NaN for no
    /// data) over `zones`, with 5 quantile classes, 1000 px wide, as high
    /// as the zones' shape asks, at 96 dpi.
    pub fn new(zones: &'a ZoneSet, values: &[Option<f64>], title: &str) -> Result<Self> {
        if values.len() != zones.len() {
            return Err(Error::Mismatch {
                context: format!("map '{title}'"),
                reason: format!("{} values for {} zones", values.len(), zones.len()),
            });
        }
        if !zones.iter().any(|z| z.geometry.bounding_rect().is_some()) {
            return Err(Error::Mismatch {
                context: format!("map '{title}'"),
                reason: "no zone has a geometry to draw".into(),
            });
        }
        let values: Vec<Option<f64>> = values.iter().map(|v| v.filter(|x| x.is_finite())).collect();
        Ok(Choropleth {
            zones,
            zone_classes: zero_based(quantile_classes(&values, 5)),
            values,
            title: title.to_string(),
            subtitle: None,
            source: None,
            legend_title: None,
            classes: 5,
            width: 1000,
            height: None,
            dpi: 96,
            frame: None,
            value_bounds: std::sync::OnceLock::new(),
            group_field: None,
            groups: None,
            label_field: None,
            topology: None,
        })
    }

    /// Draw from `topology`, the shared arcs of this map's zones (built
    /// once for the static and the interactive map).
    pub(super) fn with_topology(mut self, topology: &'a Topology) -> Self {
        self.topology = Some(topology);
        self
    }

    /// Use `classes` quantile classes (at least 1).
    pub fn classes(mut self, classes: usize) -> Self {
        self.classes = classes.max(1);
        self.zone_classes = zero_based(quantile_classes(&self.values, self.classes));
        self
    }

    /// Draw on a `width` x `height` image (CSS px, at least 480 x 320).
    pub fn size(mut self, width: u32, height: u32) -> Self {
        self.width = width.max(480);
        self.height = Some(height.max(320));
        self
    }

    /// Draw `width` CSS px wide (at least 480), as high as the zones' shape asks.
    pub fn width(mut self, width: u32) -> Self {
        self.width = width.max(480);
        self.height = None;
        self
    }

    /// Render the PNG at `dpi` dots per inch (96: one pixel per CSS px;
    /// 300 for print; kept within 24 to 1200). The SVG is the same.
    pub fn dpi(mut self, dpi: u32) -> Self {
        self.dpi = dpi.clamp(24, 1200);
        self
    }

    /// The PNG's device pixels per CSS px (`dpi / 96`).
    pub fn pixel_ratio(&self) -> f64 {
        self.dpi as f64 / 96.0
    }

    /// A second line under the title (what, where, when).
    pub fn subtitle(mut self, subtitle: &str) -> Self {
        self.subtitle = Some(subtitle.to_string()).filter(|s| !s.is_empty());
        self
    }

    /// The subtitle, if any.
    pub fn subtitle_text(&self) -> Option<&str> {
        self.subtitle.as_deref()
    }

    /// The source line at the bottom (inputs, date); the terralux version
    /// is added.
    pub fn source(mut self, source: &str) -> Self {
        self.source = Some(source.to_string()).filter(|s| !s.is_empty());
        self
    }

    /// The legend's heading (default: "Classes").
    pub fn legend_title(mut self, heading: &str) -> Self {
        self.legend_title = Some(heading.to_string());
        self
    }

    /// The legend's heading.
    pub fn legend_heading(&self) -> &str {
        self.legend_title.as_deref().unwrap_or("Classes")
    }

    /// Fit the map to `frame` (in the zones' CRS) instead of the zones
    /// that have a value.
    pub fn frame(mut self, frame: Rect<f64>) -> Self {
        self.frame = Some(frame);
        self
    }

    /// Outline the groups of attribute `field` (e.g. `province`) over the zones.
    pub fn group_by(mut self, field: &str) -> Result<Self> {
        check_field(self.zones, field)?;
        let mut names: Vec<String> = Vec::new();
        let groups = self
            .zones
            .iter()
            .map(|zone| {
                let name = zone
                    .attributes
                    .get(field)
                    .map(|v| v.to_string())
                    .unwrap_or_default();
                match names.iter().position(|n| *n == name) {
                    Some(i) => i,
                    None => {
                        names.push(name);
                        names.len() - 1
                    }
                }
            })
            .collect();
        self.group_field = Some(field.to_string());
        self.groups = Some(groups);
        Ok(self)
    }

    /// Show attribute `field` (e.g. `name`) beside each zone's id in its tooltip.
    pub fn label_field(mut self, field: &str) -> Result<Self> {
        check_field(self.zones, field)?;
        self.label_field = Some(field.to_string());
        Ok(self)
    }

    /// The group field outlined, if any.
    pub fn group_field(&self) -> Option<&str> {
        self.group_field.as_deref()
    }

    /// The extent the map is fitted to, in the zones' CRS: the frame
    /// given, else the bounds of the zones with a value, else of all zones.
    pub fn frame_bounds(&self) -> Rect<f64> {
        if let Some(frame) = self.frame {
            return frame;
        }
        *self.value_bounds.get_or_init(|| {
            let with_values = self
                .zones
                .iter()
                .zip(&self.values)
                .filter(|(_, v)| v.is_some())
                .filter_map(|(z, _)| z.geometry.bounding_rect())
                .reduce(union);
            with_values
                .or_else(|| self.zones.bounds())
                .unwrap_or_else(|| Rect::new(Coord { x: 0.0, y: 0.0 }, Coord { x: 1.0, y: 1.0 }))
        })
    }

    /// The image layout (legend positions, map area, for checks and overlays).
    pub fn layout(&self) -> Layout {
        let width = self.width;
        let title_height = if self.subtitle.is_some() { 76 } else { 54 };
        let legend_width = (width as f64 * 0.26).clamp(180.0, 300.0) as u32;
        let footer_height = 28;
        let legend_top = title_height + 34;
        let legend_step = 26;
        let left = 12.0;
        let right = (width - legend_width) as f64 - 12.0;
        let height = self.height.unwrap_or_else(|| {
            let frame = self.frame_bounds();
            let shape = frame.height().max(1e-12)
                / (frame.width() * x_scale(frame, self.zones.crs())).max(1e-12);
            let map_width = right - left;
            let map_height = (map_width * shape).clamp(map_width / 3.0, map_width * 1.6);
            let legend_needs =
                legend_top + legend_step * (self.legend().len() as u32 + 5) + footer_height;
            ((title_height + footer_height) as f64 + map_height)
                .max(legend_needs as f64)
                .round() as u32
        });
        Layout {
            width,
            height,
            title_height,
            legend_width,
            footer_height,
            swatch: 18,
            legend_step,
            legend_top,
            map_area: [
                left,
                title_height as f64,
                right,
                (height - footer_height) as f64,
            ],
        }
    }

    /// The class (0 = lowest) of zone `zone`, `None` without a value: the
    /// quantile classes of [`crate::index::quantile_classes`], the same rule
    /// as an index's `class` column.
    pub fn class_of_zone(&self, zone: usize) -> Option<usize> {
        self.zone_classes.get(zone).copied().flatten()
    }

    /// The colours of the classes asked for, light to dark.
    pub fn palette(&self) -> Vec<Rgb> {
        palette(self.classes)
    }

    /// The fill colour of zone `zone`.
    pub fn colour_of_zone(&self, zone: usize) -> Rgb {
        match self.class_of_zone(zone) {
            Some(class) => self.palette()[class],
            None => MISSING_COLOUR,
        }
    }

    /// The classes that hold a zone, lowest first, each with the smallest
    /// and largest value in it (ties keep equal values in one class, so a
    /// class may be empty).
    pub fn class_ranges(&self) -> Vec<(usize, f64, f64)> {
        let mut ranges: Vec<Option<(f64, f64)>> = vec![None; self.classes];
        for (class, value) in self.zone_classes.iter().zip(&self.values) {
            if let (Some(c), Some(v)) = (class, value) {
                let range = ranges[*c].get_or_insert((*v, *v));
                *range = (range.0.min(*v), range.1.max(*v));
            }
        }
        ranges
            .into_iter()
            .enumerate()
            .filter_map(|(c, r)| r.map(|(lo, hi)| (c, lo, hi)))
            .collect()
    }

    /// The legend's entries: colour and value range of each class that holds
    /// a zone, then the missing-data entry when some zone has no value.
    pub fn legend(&self) -> Vec<(Rgb, String)> {
        let colours = self.palette();
        let mut entries: Vec<(Rgb, String)> = self
            .class_ranges()
            .into_iter()
            .map(|(c, lo, hi)| {
                let label = if lo == hi {
                    short_number(lo)
                } else {
                    format!("{} to {}", short_number(lo), short_number(hi))
                };
                (colours[c], label)
            })
            .collect();
        if self.values.iter().any(Option::is_none) {
            entries.push((MISSING_COLOUR, "no data".to_string()));
        }
        entries
    }

    /// The number of zones in each entry of [`legend`](Self::legend).
    pub fn legend_counts(&self) -> Vec<usize> {
        let mut counts = vec![0; self.legend().len()];
        for i in self.legend_indices() {
            counts[i] += 1;
        }
        counts
    }

    /// For each zone, the position of its entry in [`legend`](Self::legend).
    pub fn legend_indices(&self) -> Vec<usize> {
        let ranges = self.class_ranges();
        let mut position = vec![0; self.classes];
        for (i, range) in ranges.iter().enumerate() {
            position[range.0] = i;
        }
        self.zone_classes
            .iter()
            .map(|class| class.map_or(ranges.len(), |c| position[c]))
            .collect()
    }

    /// The title.
    pub fn title(&self) -> &str {
        &self.title
    }

    /// Zone `zone`'s rings in image pixels (y down), polygon by polygon,
    /// before simplification.
    pub fn zone_pixels(&self, zone: usize) -> Vec<Vec<Vec<(f64, f64)>>> {
        let project = self.projection();
        self.zones.zones()[zone]
            .geometry
            .0
            .iter()
            .map(|polygon| {
                std::iter::once(polygon.exterior())
                    .chain(polygon.interiors())
                    .map(|ring| ring.coords().map(|c| project.apply(c.x, c.y)).collect())
                    .collect()
            })
            .collect()
    }

    /// Where the world point (`x`, `y`) (in the zones' CRS) falls on the image, in CSS pixels.
    pub fn to_pixel(&self, x: f64, y: f64) -> (f64, f64) {
        self.projection().apply(x, y)
    }

    /// The number of zones.
    pub fn zone_count(&self) -> usize {
        self.zones.len()
    }

    /// The zones entirely outside the map area (not drawn; the legend
    /// counts them and names the first few).
    pub fn zones_outside(&self) -> Vec<usize> {
        let project = self.projection();
        let [left, top, right, bottom] = self.layout().map_area;
        self.zones
            .iter()
            .enumerate()
            .filter(|(_, zone)| match zone.geometry.bounding_rect() {
                None => false,
                Some(b) => {
                    let (x0, y0) = project.apply(b.min().x, b.max().y);
                    let (x1, y1) = project.apply(b.max().x, b.min().y);
                    x1 < left || x0 > right || y1 < top || y0 > bottom
                }
            })
            .map(|(i, _)| i)
            .collect()
    }

    /// A zone's id as text.
    pub fn zone_id(&self, zone: usize) -> String {
        self.zones.zones()[zone].id.to_string()
    }

    /// A label for zone `zone`: its id (and label field) and value.
    pub fn zone_label(&self, zone: usize) -> String {
        let value = self.values[zone].map_or("no data".to_string(), short_number);
        let z = &self.zones.zones()[zone];
        match self.label_field.as_ref().and_then(|f| z.attributes.get(f)) {
            Some(label) => format!("{} {label}: {value}", z.id),
            None => format!("{}: {value}", z.id),
        }
    }

    /// The source line at the bottom: the source given and the terralux version.
    pub fn source_text(&self) -> String {
        match &self.source {
            Some(source) => format!("{source} · terralux {VERSION}"),
            None => format!("Made with terralux {VERSION}"),
        }
    }

    /// Kilometres per CSS pixel at the middle of the frame, when the
    /// zones' CRS says what its units are (`None` without a CRS).
    pub fn km_per_pixel(&self) -> Option<f64> {
        let crs = self.zones.crs()?;
        let scale = self.projection().scale;
        if crs.is_geographic() {
            // A degree of latitude (mean Earth radius 6371 km); the x axis
            // is shrunk by the cosine so a degree of longitude matches.
            Some(6371.0 * std::f64::consts::PI / 180.0 / scale)
        } else {
            crs.linear_unit_m().map(|m| m / 1000.0 / scale)
        }
    }

    /// World to pixel, the frame fitted into the map area (less a margin), centred.
    pub(super) fn projection(&self) -> Projection {
        let [left, top, right, bottom] = self.layout().map_area;
        fit(
            self.frame_bounds(),
            self.zones.crs(),
            (left + 6.0, top + 6.0, right - 6.0, bottom - 6.0),
        )
    }

    /// The map as an SVG document.
    pub fn to_svg(&self) -> String {
        svg::render(self).0
    }

    /// The map as a PNG image (RGBA, 8 bits), rendered from the SVG; see
    /// [`render_png`](Self::render_png) for the text it could not draw.
    pub fn to_png(&self) -> Result<Vec<u8>> {
        Ok(self.render_png()?.png)
    }

    /// The PNG rendered from the SVG at the map's dpi, with the texts that
    /// lacked a font ([`RenderedPng::unrendered`]).
    pub fn render_png(&self) -> Result<RenderedPng> {
        let (svg, texts) = svg::render(self);
        self.render_svg_text(&svg, &texts)
    }

    /// The SVG and the PNG rendered from it, drawn once.
    pub fn render_both(&self) -> Result<(String, RenderedPng)> {
        let (svg, texts) = svg::render(self);
        let png = self.render_svg_text(&svg, &texts)?;
        Ok((svg, png))
    }

    fn render_svg_text(&self, svg: &str, texts: &[String]) -> Result<RenderedPng> {
        let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
        render_svg(svg, &texts, self.pixel_ratio() as f32).map_err(|e| match e {
            Error::Mismatch { reason, .. } => Error::Mismatch {
                context: format!("map '{}'", self.title),
                reason,
            },
            other => other,
        })
    }

    /// Write the SVG to `path`, atomically.
    pub fn write_svg(&self, path: &Path) -> Result<()> {
        let svg = self.to_svg();
        crate::write::write_atomically(path, |w| w.write_all(svg.as_bytes()))
    }

    /// Write the PNG to `path`, atomically.
    pub fn write_png(&self, path: &Path) -> Result<()> {
        let png = self.to_png()?;
        crate::write::write_atomically(path, |w| w.write_all(&png))
    }
}

fn zero_based(classes: Vec<Option<usize>>) -> Vec<Option<usize>> {
    classes.into_iter().map(|c| c.map(|c| c - 1)).collect()
}

pub(super) fn check_field(zones: &ZoneSet, field: &str) -> Result<()> {
    if zones.field_names().iter().any(|f| f == field) {
        Ok(())
    } else {
        Err(Error::FieldNotFound {
            source_name: zones.source_name().to_string(),
            layer: zones.layer().to_string(),
            field: field.to_string(),
            available: zones.field_names().join(", "),
        })
    }
}

fn union(a: Rect<f64>, b: Rect<f64>) -> Rect<f64> {
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
}
