//! Static choropleth maps of a per-zone value: SVG and PNG, with a title,
//! a legend of quantile classes, and a colour for zones without data.
//!
//! ```
//! use geo_types::{polygon, MultiPolygon};
//! use terralux::map::Choropleth;
//! use terralux::zones::{Attributes, Zone, ZoneId, ZoneSet};
//! let square = |id: i64, x: f64| Zone {
//!     id: ZoneId::Int(id),
//!     attributes: Attributes::default(),
//!     geometry: MultiPolygon(vec![polygon![(x: x, y: 0.0), (x: x + 1.0, y: 0.0), (x: x + 1.0, y: 1.0), (x: x, y: 1.0)]]),
//! };
//! let zones = ZoneSet::new(vec![square(1, 0.0), square(2, 1.0), square(3, 2.0)], None);
//! let map = Choropleth::new(&zones, &[Some(1.0), Some(5.0), None], "Night-light density")?
//!     .classes(2);
//! assert_eq!(map.class_of_zone(0), Some(0));
//! assert_eq!(map.class_of_zone(1), Some(1));
//! assert_eq!(map.legend()[1].1, "5");
//! assert_eq!(map.class_of_zone(2), None); // drawn in the missing-data colour
//! let svg = map.to_svg();
//! assert_eq!(svg.matches("<path").count(), 3);
//! let png: Vec<u8> = map.to_png()?;
//! assert_eq!(&png[1..4], b"PNG");
//! # Ok::<(), terralux::Error>(())
//! ```

mod canvas;
mod files;
mod html;
mod svg;

use std::path::Path;

use geo_types::Rect;

use crate::crs::Crs;
use crate::error::{Error, Result};
use crate::index::quantile_classes;
use crate::zones::ZoneSet;

pub use canvas::Canvas;
pub use files::{MapOptions, map_files, map_paths};
pub use html::InteractiveMap;

/// An sRGB colour.
pub type Rgb = [u8; 3];

/// The colour of zones without a value.
pub const MISSING_COLOUR: Rgb = [204, 204, 204];

/// Where things go on the image, in pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Layout {
    /// Image width.
    pub width: u32,
    /// Image height.
    pub height: u32,
    /// Height of the title band at the top.
    pub title_height: u32,
    /// Width of the legend panel on the right.
    pub legend_width: u32,
    /// Side of a legend swatch.
    pub swatch: u32,
    /// Vertical distance between legend entries.
    pub legend_step: u32,
    /// Top of the first legend entry.
    pub legend_top: u32,
}

impl Layout {
    /// The layout of a `width` x `height` image.
    pub fn new(width: u32, height: u32) -> Self {
        Layout {
            width,
            height,
            title_height: 48,
            legend_width: 320,
            swatch: 20,
            legend_step: 28,
            legend_top: 64,
        }
    }

    /// The top-left corner of legend entry `i` (its swatch).
    pub fn legend_entry(&self, i: usize) -> (u32, u32) {
        (
            self.width - self.legend_width + 16,
            self.legend_top + i as u32 * self.legend_step,
        )
    }

    /// The map area: left, top, right, bottom.
    fn map_area(&self) -> (f64, f64, f64, f64) {
        (
            10.0,
            self.title_height as f64,
            (self.width - self.legend_width) as f64 - 10.0,
            self.height as f64 - 10.0,
        )
    }
}

/// A choropleth of one value per zone.
#[derive(Debug, Clone)]
pub struct Choropleth<'a> {
    zones: &'a ZoneSet,
    values: Vec<Option<f64>>,
    title: String,
    classes: usize,
    /// Each zone's class (0-based), `None` without a value.
    zone_classes: Vec<Option<usize>>,
    layout: Layout,
}

impl<'a> Choropleth<'a> {
    /// A map of `values` (one per zone, in zone order; `None` or NaN for no
    /// data) over `zones`, with 5 quantile classes on a 1000 x 800 image.
    pub fn new(zones: &'a ZoneSet, values: &[Option<f64>], title: &str) -> Result<Self> {
        if values.len() != zones.len() {
            return Err(Error::Mismatch {
                context: format!("map '{title}'"),
                reason: format!("{} values for {} zones", values.len(), zones.len()),
            });
        }
        if zones.bounds().is_none() {
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
            classes: 5,
            layout: Layout::new(1000, 800),
        })
    }

    /// Use `classes` quantile classes (at least 1).
    pub fn classes(mut self, classes: usize) -> Self {
        self.classes = classes.max(1);
        self.zone_classes = zero_based(quantile_classes(&self.values, self.classes));
        self
    }

    /// Draw on a `width` x `height` image (at least 480 x 320).
    pub fn size(mut self, width: u32, height: u32) -> Self {
        self.layout = Layout::new(width.max(480), height.max(320));
        self
    }

    /// The image layout (legend positions, for checks and overlays).
    pub fn layout(&self) -> Layout {
        self.layout
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

    /// Zone `zone`'s rings in image pixels (y down), polygon by polygon.
    pub fn zone_pixels(&self, zone: usize) -> Vec<Vec<Vec<(f64, f64)>>> {
        let project = self.projection();
        self.zones.zones()[zone]
            .geometry
            .0
            .iter()
            .map(|polygon| {
                std::iter::once(polygon.exterior())
                    .chain(polygon.interiors())
                    .map(|ring| ring.coords().map(|c| project(c.x, c.y)).collect())
                    .collect()
            })
            .collect()
    }

    /// Where the world point (`x`, `y`) (in the zones' CRS) falls on the image, in pixels.
    pub fn to_pixel(&self, x: f64, y: f64) -> (f64, f64) {
        self.projection()(x, y)
    }

    /// The number of zones drawn.
    pub fn zone_count(&self) -> usize {
        self.zones.len()
    }

    /// A label for zone `zone`: its id and value.
    pub fn zone_label(&self, zone: usize) -> String {
        let value = self.values[zone].map_or("no data".to_string(), short_number);
        format!("{}: {value}", self.zones.zones()[zone].id)
    }

    /// World to pixel, fitted into the map area, centred.
    fn projection(&self) -> impl Fn(f64, f64) -> (f64, f64) + use<> {
        let bounds = self.zones.bounds().expect("checked in new");
        let (left, top, right, bottom) = self.layout.map_area();
        fit(bounds, self.zones.crs(), (left, top, right, bottom))
    }

    /// The map as an SVG document.
    pub fn to_svg(&self) -> String {
        svg::render(self)
    }

    /// The map as a PNG image (RGB, 8 bits).
    pub fn to_png(&self) -> Result<Vec<u8>> {
        let mut canvas = Canvas::new(self.layout.width, self.layout.height, [255, 255, 255]);
        canvas.draw_map(self);
        canvas.to_png().map_err(|e| Error::Mismatch {
            context: format!("map '{}'", self.title),
            reason: format!("PNG encoding failed: {e}"),
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

/// The factor applied to x: the cosine of the middle latitude for
/// longitude/latitude bounds (so shapes keep their look), else 1.
fn x_scale(bounds: Rect<f64>, crs: Option<&Crs>) -> f64 {
    let geographic = crs.is_none_or(Crs::is_geographic)
        && bounds.min().x >= -180.0
        && bounds.max().x <= 180.0
        && bounds.min().y >= -90.0
        && bounds.max().y <= 90.0;
    if geographic {
        ((bounds.min().y + bounds.max().y) / 2.0).to_radians().cos()
    } else {
        1.0
    }
}

/// World to image (y down): `bounds` fitted into the box `(left, top,
/// right, bottom)`, centred, with the same scale on both axes.
fn fit(
    bounds: Rect<f64>,
    crs: Option<&Crs>,
    (left, top, right, bottom): (f64, f64, f64, f64),
) -> impl Fn(f64, f64) -> (f64, f64) + use<> {
    let x_scale = x_scale(bounds, crs);
    let width = (bounds.width() * x_scale).max(1e-12);
    let height = bounds.height().max(1e-12);
    let scale = ((right - left) / width).min((bottom - top) / height);
    let x0 = left + ((right - left) - width * scale) / 2.0;
    let y0 = top + ((bottom - top) - height * scale) / 2.0;
    let (min_x, max_y) = (bounds.min().x, bounds.max().y);
    move |x, y| (x0 + (x - min_x) * x_scale * scale, y0 + (max_y - y) * scale)
}

/// World to a page `width` units wide: the projection and the page's height.
fn world_to_page(
    bounds: Rect<f64>,
    crs: Option<&Crs>,
    width: f64,
) -> (impl Fn(f64, f64) -> (f64, f64) + use<>, f64) {
    let aspect = bounds.height().max(1e-12) / (bounds.width() * x_scale(bounds, crs)).max(1e-12);
    let height = (width * aspect).clamp(width / 20.0, width * 20.0);
    (fit(bounds, crs, (0.0, 0.0, width, height)), height)
}

/// `classes` colours from light yellow to dark red (a sequential ramp).
pub fn palette(classes: usize) -> Vec<Rgb> {
    const STOPS: [Rgb; 3] = [[255, 255, 204], [253, 141, 60], [128, 0, 38]];
    (0..classes)
        .map(|i| {
            let t = if classes > 1 {
                i as f64 / (classes - 1) as f64
            } else {
                0.5
            };
            let (a, b, u) = if t <= 0.5 {
                (STOPS[0], STOPS[1], t * 2.0)
            } else {
                (STOPS[1], STOPS[2], (t - 0.5) * 2.0)
            };
            [0, 1, 2].map(|k| (a[k] as f64 + (b[k] as f64 - a[k] as f64) * u).round() as u8)
        })
        .collect()
}

/// `text` ready for SVG or HTML text and attribute values: characters XML
/// 1.0 does not allow dropped (see [`xml_chars`]), and `&`, `<`, `>`, `"`
/// and `'` escaped.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars().filter(|&c| is_xml_char(c)) {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// True for the characters XML 1.0 allows in a document: tab, line feed,
/// carriage return, U+0020 to U+D7FF, U+E000 to U+FFFD and U+10000 up.
/// The others (control characters such as U+0001 or ESC, U+FFFE, U+FFFF)
/// make an SVG invalid XML, even written as character references.
fn is_xml_char(c: char) -> bool {
    matches!(c, '\u{9}' | '\u{A}' | '\u{D}' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// `text` without the characters XML 1.0 does not allow (see
/// [`is_xml_char`]), unescaped: for text that is escaped later, such as
/// JSON strings embedded in the interactive map's page.
fn xml_chars(text: &str) -> std::borrow::Cow<'_, str> {
    if text.chars().all(is_xml_char) {
        std::borrow::Cow::Borrowed(text)
    } else {
        std::borrow::Cow::Owned(text.chars().filter(|&c| is_xml_char(c)).collect())
    }
}

/// `#rrggbb`.
fn hex(colour: Rgb) -> String {
    format!("#{:02x}{:02x}{:02x}", colour[0], colour[1], colour[2])
}

/// A number with about four significant digits, for labels.
fn short_number(v: f64) -> String {
    if v == 0.0 {
        "0".to_string()
    } else if (1e-3..1e6).contains(&v.abs()) {
        let digits = (3 - v.abs().log10().floor() as i32).clamp(0, 6) as usize;
        let text = format!("{v:.digits$}");
        if text.contains('.') {
            text.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            text
        }
    } else {
        format!("{v:.3e}")
    }
}
