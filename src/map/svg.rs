//! The SVG rendering of a [`Choropleth`]: the title and subtitle, one
//! `<path>` per zone in the frame (with a `<title>` tooltip), the group
//! outlines over them, a scale bar, a north arrow, the legend with class
//! counts and the zones left outside the frame, and the source line. The
//! PNG is this document rendered by resvg.

use std::fmt::Write;

use super::geometry::Topology;
use super::render::families_for;
use super::{Choropleth, OUTLINE_COLOUR, escape, hex};

/// Ink for text and lines.
const INK: &str = "#212121";

/// The SVG document of `map`, and every text drawn in it (to report those
/// without a font).
pub(super) fn render(map: &Choropleth<'_>) -> (String, Vec<String>) {
    let layout = map.layout();
    let [left, top, right, bottom] = layout.map_area;
    let mut texts: Vec<String> = Vec::new();
    let mut out = String::new();
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="{f}">"#,
        w = layout.width,
        h = layout.height,
        f = super::render::LATIN_FAMILIES,
    );
    let _ = writeln!(
        out,
        r##"<rect width="100%" height="100%" fill="#ffffff"/>"##
    );
    let mut text = |out: &mut String, x: f64, y: f64, size: f64, extra: &str, content: &str| {
        let family = families_for(content);
        let family = if family == super::render::LATIN_FAMILIES {
            String::new()
        } else {
            format!(r#" font-family="{family}""#)
        };
        let _ = writeln!(
            out,
            r#"<text x="{x:.1}" y="{y:.1}" font-size="{size}" fill="{INK}"{family}{extra}>{}</text>"#,
            escape(content)
        );
        texts.push(content.to_string());
    };
    text(
        &mut out,
        14.0,
        36.0,
        24.0,
        r#" font-weight="bold""#,
        map.title(),
    );
    if let Some(subtitle) = map.subtitle_text() {
        text(
            &mut out,
            14.0,
            62.0,
            15.0,
            r##" fill-opacity="0.75""##,
            subtitle,
        );
    }

    // The zones, clipped to the map area; zones wholly outside are left out.
    let outside = map.zones_outside();
    let projection = map.projection();
    let ratio = map.pixel_ratio();
    let decimals = if ratio <= 1.0 { 1 } else { 2 };
    let own;
    let topology = match map.topology {
        Some(shared) => shared,
        None => {
            own = Topology::new(map.zones);
            &own
        }
    };
    let geometry = topology.page(
        &|x, y| projection.apply(x, y),
        0.4 / ratio,
        decimals,
        map.groups.as_deref(),
    );
    let _ = writeln!(
        out,
        r#"<defs><clipPath id="map-area"><rect x="{left}" y="{top}" width="{}" height="{}"/></clipPath></defs>"#,
        right - left,
        bottom - top
    );
    let _ = writeln!(
        out,
        r##"<g clip-path="url(#map-area)"><g stroke="#ffffff" stroke-width="0.4" stroke-linejoin="round" fill-rule="evenodd">"##
    );
    let mut skip = outside.iter().peekable();
    for zone in 0..map.zone_count() {
        if skip.peek() == Some(&&zone) {
            skip.next();
            continue;
        }
        let d = geometry.zone_path(zone);
        if d.is_empty() {
            continue;
        }
        let _ = writeln!(
            out,
            r#"<path d="{d}" fill="{}"><title>{}</title></path>"#,
            hex(map.colour_of_zone(zone)),
            escape(&map.zone_label(zone))
        );
    }
    out.push_str("</g>\n");
    if map.groups.is_some() {
        let _ = writeln!(
            out,
            r#"<path class="outline" d="{}" fill="none" stroke="{}" stroke-width="1.1" stroke-linejoin="round" stroke-linecap="round"/>"#,
            geometry.outline_path(),
            hex(OUTLINE_COLOUR)
        );
    }
    out.push_str("</g>\n");

    // Scale bar (bottom left of the map area) and north arrow (top right).
    if let Some(km_per_px) = map.km_per_pixel().filter(|k| k.is_finite() && *k > 0.0) {
        let target = (right - left) / 5.0 * km_per_px;
        let length = nice_length(target);
        let bar = length / km_per_px;
        let (x, y) = (left + 12.0, bottom - 16.0);
        let _ = writeln!(
            out,
            r##"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="30" fill="#ffffff" fill-opacity="0.8"/>"##,
            x - 6.0,
            y - 22.0,
            bar + 48.0
        );
        for i in 0..4 {
            let fill = if i % 2 == 0 { INK } else { "#ffffff" };
            let _ = writeln!(
                out,
                r#"<rect x="{:.1}" y="{y:.1}" width="{:.1}" height="5" fill="{fill}" stroke="{INK}" stroke-width="0.6"/>"#,
                x + bar * i as f64 / 4.0,
                bar / 4.0
            );
        }
        text(&mut out, x - 3.0, y - 4.0, 11.0, "", "0");
        let label = format!("{} km", super::short_number(length));
        text(&mut out, x + bar - 3.0, y - 4.0, 11.0, "", &label);
    }
    let (nx, ny) = (right - 22.0, top + 12.0);
    let _ = writeln!(
        out,
        r##"<rect x="{:.1}" y="{:.1}" width="22" height="42" rx="3" fill="#ffffff" fill-opacity="0.8"/>"##,
        nx - 11.0,
        ny - 4.0
    );
    let _ = writeln!(
        out,
        r##"<g stroke="{INK}" stroke-width="0.8" stroke-linejoin="round"><polygon points="{nx},{ny} {},{} {nx},{} " fill="{INK}"/><polygon points="{nx},{ny} {},{} {nx},{}" fill="#ffffff"/></g>"##,
        nx - 7.0,
        ny + 22.0,
        ny + 17.0,
        nx + 7.0,
        ny + 22.0,
        ny + 17.0,
    );
    text(
        &mut out,
        nx - 4.5,
        ny + 36.0,
        13.0,
        r#" font-weight="bold""#,
        "N",
    );

    // The legend: heading, classes with counts, zones outside the frame.
    let panel = (layout.width - layout.legend_width) as f64;
    text(
        &mut out,
        panel + 8.0,
        layout.legend_top as f64 - 12.0,
        15.0,
        r#" font-weight="bold""#,
        map.legend_heading(),
    );
    let counts = map.legend_counts();
    let legend = map.legend();
    for (i, ((colour, label), count)) in legend.iter().zip(&counts).enumerate() {
        let (x, y) = layout.legend_entry(i);
        let _ = writeln!(
            out,
            r##"<rect x="{x}" y="{y}" width="{s}" height="{s}" fill="{}" stroke="#787878" stroke-width="0.8"/>"##,
            hex(*colour),
            s = layout.swatch,
        );
        let ty = (y + layout.swatch - 4) as f64;
        text(
            &mut out,
            (x + layout.swatch + 8) as f64,
            ty,
            13.0,
            "",
            label,
        );
        text(
            &mut out,
            layout.width as f64 - 14.0,
            ty,
            13.0,
            r#" text-anchor="end" fill-opacity="0.7""#,
            &count.to_string(),
        );
    }
    let mut note_y = (layout.legend_top + legend.len() as u32 * layout.legend_step + 12) as f64;
    text(
        &mut out,
        panel + 8.0,
        note_y,
        11.0,
        r#" fill-opacity="0.7""#,
        &format!("Zones per class, of {}", map.zone_count()),
    );
    if let Some(field) = map.group_field() {
        note_y += 18.0;
        let _ = writeln!(
            out,
            r#"<line x1="{:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="{}" stroke-width="1.1"/>"#,
            panel + 8.0,
            note_y - 4.0,
            panel + 8.0 + layout.swatch as f64,
            note_y - 4.0,
            hex(OUTLINE_COLOUR)
        );
        text(
            &mut out,
            panel + 8.0 + layout.swatch as f64 + 8.0,
            note_y,
            11.0,
            "",
            &format!("{field} outlines"),
        );
    }
    if !outside.is_empty() {
        note_y += 18.0;
        let mut ids: Vec<String> = outside.iter().take(4).map(|&z| map.zone_id(z)).collect();
        if outside.len() > 4 {
            ids.push(format!("and {} more", outside.len() - 4));
        }
        let noun = if outside.len() == 1 { "zone" } else { "zones" };
        text(
            &mut out,
            panel + 8.0,
            note_y,
            11.0,
            "",
            &format!("{} {noun} outside the frame:", outside.len()),
        );
        note_y += 15.0;
        text(&mut out, panel + 8.0, note_y, 11.0, "", &ids.join(", "));
    }

    // The source line.
    text(
        &mut out,
        14.0,
        layout.height as f64 - 10.0,
        11.0,
        r#" fill-opacity="0.75""#,
        &map.source_text(),
    );
    out.push_str("</svg>\n");
    (out, texts)
}

/// The largest 1, 2 or 5 times a power of ten not above `target` (km).
fn nice_length(target: f64) -> f64 {
    let power = 10f64.powf(target.log10().floor());
    [5.0, 2.0, 1.0]
        .into_iter()
        .map(|m| m * power)
        .find(|&l| l <= target)
        .unwrap_or(power)
}

#[cfg(test)]
mod tests {
    #[test]
    fn scale_bar_lengths_are_round() {
        assert_eq!(super::nice_length(130.0), 100.0);
        assert_eq!(super::nice_length(260.0), 200.0);
        assert_eq!(super::nice_length(7.5), 5.0);
        assert_eq!(super::nice_length(0.9), 0.5);
    }
}
