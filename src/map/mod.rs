//! Static choropleth maps of a per-zone value: one SVG document, and the
//! PNG rendered from it by resvg (anti-aliased, text through real fonts).
//!
//! The map fits the zones that have a value (a zone far away does not
//! shrink the map into a corner; the legend names the zones left outside
//! the frame), keeps the shapes' look (longitudes scaled by the cosine of
//! the middle latitude), and carries a title and subtitle, a legend of
//! quantile classes with the number of zones in each and a no-data class,
//! group (province) outlines over the zones, a scale bar in km, a north
//! arrow and a source line. Geometry is rounded and simplified to the
//! output's resolution without breaking shared borders.
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
//!     .classes(2)
//!     .subtitle("VIIRS 2023")
//!     .source("Data: ntl.tif, counties.gpkg");
//! assert_eq!(map.class_of_zone(0), Some(0));
//! assert_eq!(map.class_of_zone(1), Some(1));
//! assert_eq!(map.legend()[1].1, "5");
//! assert_eq!(map.legend_counts(), [1, 1, 1]);
//! assert_eq!(map.class_of_zone(2), None); // drawn in the missing-data colour
//! let svg = map.to_svg();
//! assert_eq!(svg.matches("<path").count(), 3);
//! assert!(svg.contains("Data: ntl.tif, counties.gpkg"));
//! let png = map.render_png()?;
//! assert_eq!(&png.png[1..4], b"PNG");
//! assert!(png.unrendered.is_empty());
//! # Ok::<(), terralux::Error>(())
//! ```

mod choropleth;
mod files;
mod geometry;
mod html;
mod render;
mod svg;

use geo_types::Rect;

use crate::crs::Crs;

pub use choropleth::Choropleth;
pub use files::{MapFiles, MapOptions, map_files, map_paths, source_line};
pub use html::InteractiveMap;
pub use render::{RenderedPng, render_svg};

/// An sRGB colour.
pub type Rgb = [u8; 3];

/// The colour of zones without a value.
pub const MISSING_COLOUR: Rgb = [204, 204, 204];

/// The colour of group (province) outlines.
pub const OUTLINE_COLOUR: Rgb = [51, 51, 51];

/// The terralux version named in every map's source line.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Where things go on the image, in CSS pixels (SVG units; the PNG has
/// `dpi / 96` device pixels per unit).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Layout {
    /// Image width.
    pub width: u32,
    /// Image height.
    pub height: u32,
    /// Height of the title band at the top (title and subtitle).
    pub title_height: u32,
    /// Width of the legend panel on the right.
    pub legend_width: u32,
    /// Height of the band at the bottom with the source line.
    pub footer_height: u32,
    /// Side of a legend swatch.
    pub swatch: u32,
    /// Vertical distance between legend entries.
    pub legend_step: u32,
    /// Top of the first legend entry.
    pub legend_top: u32,
    /// The map area: left, top, right, bottom. Zones are clipped to it.
    pub map_area: [f64; 4],
}

impl Layout {
    /// The top-left corner of legend entry `i` (its swatch).
    pub fn legend_entry(&self, i: usize) -> (u32, u32) {
        (
            self.width - self.legend_width + 8,
            self.legend_top + i as u32 * self.legend_step,
        )
    }
}

/// World to image (y down): a uniform scale, longitudes shrunk by
/// `x_scale`, the frame centred in its box.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Projection {
    x0: f64,
    y0: f64,
    scale: f64,
    x_scale: f64,
    min_x: f64,
    max_y: f64,
}

impl Projection {
    fn apply(&self, x: f64, y: f64) -> (f64, f64) {
        (
            self.x0 + (x - self.min_x) * self.x_scale * self.scale,
            self.y0 + (self.max_y - y) * self.scale,
        )
    }
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
) -> Projection {
    let x_scale = x_scale(bounds, crs);
    let width = (bounds.width() * x_scale).max(1e-12);
    let height = bounds.height().max(1e-12);
    let scale = ((right - left) / width).min((bottom - top) / height);
    Projection {
        x0: left + ((right - left) - width * scale) / 2.0,
        y0: top + ((bottom - top) - height * scale) / 2.0,
        scale,
        x_scale,
        min_x: bounds.min().x,
        max_y: bounds.max().y,
    }
}

/// World to a page `width` units wide: the projection and the page's height.
fn world_to_page(bounds: Rect<f64>, crs: Option<&Crs>, width: f64) -> (Projection, f64) {
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
