//! The SVG rendering of a [`Choropleth`]: one `<path>` per zone (with a
//! `<title>` tooltip), the title, and the legend.

use std::fmt::Write;

use super::{Choropleth, escape, hex};

/// The SVG document of `map`.
pub(super) fn render(map: &Choropleth<'_>) -> String {
    let layout = map.layout();
    let mut out = String::new();
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="sans-serif">"#,
        w = layout.width,
        h = layout.height
    );
    let _ = writeln!(
        out,
        r##"<rect width="100%" height="100%" fill="#ffffff"/>"##
    );
    let _ = writeln!(
        out,
        r##"<text x="10" y="34" font-size="24" fill="#212121">{}</text>"##,
        escape(map.title())
    );
    let _ = writeln!(
        out,
        r##"<g stroke="#ffffff" stroke-width="0.5" fill-rule="evenodd">"##
    );
    for zone in 0..map.zone_count() {
        let mut d = String::new();
        for ring in map.zone_pixels(zone).iter().flatten() {
            for (i, (x, y)) in ring.iter().enumerate() {
                let _ = write!(d, "{}{x:.2} {y:.2}", if i == 0 { "M" } else { "L" });
            }
            d.push('Z');
        }
        let _ = writeln!(
            out,
            r#"<path d="{d}" fill="{}"><title>{}</title></path>"#,
            hex(map.colour_of_zone(zone)),
            escape(&map.zone_label(zone))
        );
    }
    out.push_str("</g>\n");
    for (i, (colour, label)) in map.legend().iter().enumerate() {
        let (x, y) = layout.legend_entry(i);
        let _ = writeln!(
            out,
            r##"<rect x="{x}" y="{y}" width="{s}" height="{s}" fill="{}" stroke="#787878"/><text x="{tx}" y="{ty}" font-size="16" fill="#212121">{}</text>"##,
            hex(*colour),
            escape(label),
            s = layout.swatch,
            tx = x + layout.swatch + 8,
            ty = y + 16,
        );
    }
    out.push_str("</svg>\n");
    out
}
