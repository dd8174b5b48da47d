//! What the published map shows, checked in the rendered picture: a
//! synthetic layer of 3 x 2 "counties" in two provinces, whose centres the
//! test knows; a Chinese title drawn with glyphs (when a CJK font is
//! installed: `scripts/setup.sh` installs Debian's `fonts-noto-cjk`), or
//! named as not drawable; group outlines, scale bar, north arrow, source
//! line; a zone far away left out of the frame; print resolution; sizes of
//! simplified geometry. Pictures are kept under `target/tmp/maps/`.

use geo_types::{Coord, LineString, MultiPolygon, Polygon};
use terralux::crs::Crs;
use terralux::map::{Choropleth, MISSING_COLOUR, OUTLINE_COLOUR, Rgb};
use terralux::zones::{AttrValue, Attributes, Zone, ZoneId, ZoneSet};

type Image = (u32, u32, Vec<u8>);

fn decode(png: &[u8]) -> Image {
    let pixmap = resvg::tiny_skia::Pixmap::decode_png(png).unwrap();
    (pixmap.width(), pixmap.height(), pixmap.data().to_vec())
}

fn pixel(image: &Image, x: u32, y: u32) -> Rgb {
    let i = 4 * (y * image.0 + x) as usize;
    [image.2[i], image.2[i + 1], image.2[i + 2]]
}

fn keep(name: &str, bytes: &[u8]) {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("maps");
    let _ = std::fs::create_dir_all(&dir);
    let _ = std::fs::write(dir.join(name), bytes);
}

fn attrs(pairs: &[(&str, &str)]) -> Attributes {
    let names: Vec<String> = pairs.iter().map(|(k, _)| k.to_string()).collect();
    let values = pairs
        .iter()
        .map(|(_, v)| AttrValue::Text(v.to_string()))
        .collect();
    Attributes::new(names, values)
}

/// A 0.5-degree square at (`x`, `y`) with a wiggly top edge of many vertices
/// (so simplification has work), shared exactly with the square above.
fn county(id: i64, x: f64, y: f64, province: &str) -> Zone {
    let edge = |y: f64, x0: f64, x1: f64| -> Vec<(f64, f64)> {
        (0..=50)
            .map(|i| {
                let t = i as f64 / 50.0;
                (x0 + (x1 - x0) * t, y + 0.0002 * ((i * 7 % 5) as f64 - 2.0))
            })
            .collect()
    };
    let mut ring = edge(y, x, x + 0.5); // bottom, west to east
    let mut top = edge(y + 0.5, x, x + 0.5);
    top.reverse(); // top, east to west
    ring.extend(top);
    ring.push(ring[0]);
    let ring: Vec<Coord<f64>> = ring.into_iter().map(|(x, y)| Coord { x, y }).collect();
    Zone {
        id: ZoneId::Int(id),
        attributes: attrs(&[("province", province), ("name", &format!("County {id}"))]),
        geometry: MultiPolygon(vec![Polygon::new(LineString::from(ring), vec![])]),
    }
}

/// Columns 0..3 at x = 104, 104.5, 105; rows at y = 30 and 30.5; the west
/// column is province A, the rest B; zone 7 is far away (no value).
fn layer() -> (ZoneSet, Vec<Option<f64>>) {
    let mut zones = Vec::new();
    for row in 0..2 {
        for col in 0..3 {
            let id = 1 + row * 3 + col;
            let province = if col == 0 { "A" } else { "B" };
            zones.push(county(
                id as i64,
                104.0 + 0.5 * col as f64,
                30.0 + 0.5 * row as f64,
                province,
            ));
        }
    }
    zones.push(county(7, 120.0, 45.0, "C"));
    let values = vec![
        Some(1.0),
        Some(2.0),
        Some(3.0),
        Some(4.0),
        Some(5.0),
        None,
        None,
    ];
    (ZoneSet::new(zones, Some(Crs::wgs84())), values)
}

#[test]
fn counties_fill_the_frame_with_their_colours_at_their_centres() {
    let (zones, values) = layer();
    let map = Choropleth::new(&zones, &values, "Synthetic counties")
        .unwrap()
        .classes(5)
        .subtitle("Night-light index, 2023")
        .source("Data: synthetic")
        .group_by("province")
        .unwrap();
    let png = map.to_png().unwrap();
    keep("synthetic.png", &png);
    let image = decode(&png);
    let layout = map.layout();
    assert_eq!((image.0, image.1), (layout.width, layout.height));
    // The frame is the five counties with a value (1.5 x 1 degrees at
    // 30.5 N): the far zone 7 does not shrink the map. The drawn extent,
    // found in the picture from the fills, is close to the map area's width.
    let [left, top, right, bottom] = layout.map_area;
    let colours: Vec<Rgb> = (0..7).map(|z| map.colour_of_zone(z)).collect();
    let (mut x0, mut y0, mut x1, mut y1) = (u32::MAX, u32::MAX, 0, 0);
    for y in top as u32..bottom as u32 {
        for x in left as u32..right as u32 {
            if colours.contains(&pixel(&image, x, y)) {
                (x0, y0, x1, y1) = (x0.min(x), y0.min(y), x1.max(x), y1.max(y));
            }
        }
    }
    let (w, h) = ((x1 - x0 + 1) as f64, (y1 - y0 + 1) as f64);
    assert!(
        w > (right - left) - 20.0,
        "drawn {w} px of {} px",
        right - left
    );
    // Shape kept: 1.5 degrees of longitude at cos(30.5 N) against 1 of latitude.
    let expected = 1.5 * 30.5f64.to_radians().cos();
    assert!(
        (w / h - expected).abs() < 0.03,
        "aspect {} vs {expected}",
        w / h
    );
    // Each county's centre, from the test's own grid, has its class colour;
    // zone 6 (no value) the no-data colour.
    for (z, colour) in colours.iter().enumerate().take(6) {
        let (col, row) = (z % 3, z / 3);
        let cx = x0 as f64 + w * (col as f64 + 0.5) / 3.0;
        let cy = y0 as f64 + h * (1.5 - row as f64) / 2.0;
        assert_eq!(
            pixel(&image, cx as u32, cy as u32),
            *colour,
            "county {}",
            z + 1
        );
    }
    assert_eq!(map.colour_of_zone(5), MISSING_COLOUR);
    // The province border (between column 0 and 1) is drawn in the outline
    // colour (dark) across the whole height; the border between columns 1
    // and 2 (same province) is not.
    let border = |fraction: f64| -> usize {
        let x = x0 as f64 + w * fraction;
        (y0 + 4..y1 - 4)
            .filter(|&y| {
                ((x - 2.0) as u32..=(x + 2.0) as u32).any(|px| {
                    let p = pixel(&image, px, y);
                    p[0] < 110 && p[1] < 110 && p[2] < 110
                })
            })
            .count()
    };
    let rows = (y1 - y0 - 8) as usize;
    assert!(
        border(1.0 / 3.0) > rows * 9 / 10,
        "province border: {} of {rows}",
        border(1.0 / 3.0)
    );
    assert!(
        border(2.0 / 3.0) < rows / 10,
        "county border drawn as a province border"
    );
    // The far zone is not drawn, and the legend says so.
    assert_eq!(map.zones_outside(), [6]);
    let svg = map.to_svg();
    assert!(svg.contains("1 zone outside the frame:"), "{svg}");
    assert_eq!(svg.matches("<path d=").count(), 6);
    assert!(svg.contains(&format!(
        "stroke=\"#{:02x}{:02x}{:02x}\"",
        OUTLINE_COLOUR[0], OUTLINE_COLOUR[1], OUTLINE_COLOUR[2]
    )));
    // Title, subtitle, legend counts, scale bar, north arrow, source line.
    for text in [
        ">Synthetic counties</text>",
        ">Night-light index, 2023</text>",
        ">no data</text>",
        ">2</text>", // two zones without a value
        " km</text>",
        ">N</text>",
        ">province outlines</text>",
        &format!(
            ">Data: synthetic · terralux {}</text>",
            terralux::map::VERSION
        ),
    ] {
        assert!(svg.contains(text), "{text} not in the SVG");
    }
    assert_eq!(map.legend_counts(), [1, 1, 1, 1, 1, 2]);
    // The scale bar says what the picture shows: its length in km over its
    // length in pixels equals the counties' width in km over theirs.
    let km_per_px = map.km_per_pixel().unwrap();
    let counties_km = 1.5 * 111.195 * 30.5f64.to_radians().cos();
    assert!(
        (km_per_px * w - counties_km).abs() / counties_km < 0.02,
        "{km_per_px} km/px"
    );
    // The source line is drawn: dark pixels in the footer.
    let footer_dark = (10..300)
        .flat_map(|x| (layout.height - 22..layout.height - 4).map(move |y| (x, y)))
        .filter(|&(x, y)| pixel(&image, x, y)[0] < 160)
        .count();
    assert!(footer_dark > 100, "{footer_dark}");
}

#[test]
fn shared_borders_stay_shared_and_the_svg_is_rounded() {
    let (zones, values) = layer();
    let map = Choropleth::new(&zones, &values, "t").unwrap();
    let svg = map.to_svg();
    // 102 vertices a county in, far fewer out: wiggles of 0.002 degree are
    // under half a pixel at this scale.
    let paths: Vec<&str> = svg
        .split("<path d=\"")
        .skip(1)
        .map(|p| p.split('"').next().unwrap())
        .collect();
    for d in &paths {
        let vertices = d.matches(['l', 'M']).count();
        assert!(vertices <= 12, "{vertices} vertices: {d}");
        // Coordinates to a tenth of a pixel at most.
        for number in d.split(['M', 'l', ' ', 'Z']).filter(|n| !n.is_empty()) {
            let decimals = number.split('.').nth(1).map_or(0, str::len);
            assert!(decimals <= 1, "{number} in {d}");
        }
    }
    // Absolute points of each ring, to compare the border of counties 1 and 4.
    let points = |d: &str| -> Vec<(f64, f64)> {
        let mut out = Vec::new();
        let mut at = (0.0, 0.0);
        for (i, part) in d
            .trim_end_matches('Z')
            .split(['M', 'l'])
            .filter(|p| !p.is_empty())
            .enumerate()
        {
            let mut n = part.split(' ').map(|v| v.parse::<f64>().unwrap());
            let (x, y) = (n.next().unwrap(), n.next().unwrap());
            at = if i == 0 { (x, y) } else { (at.0 + x, at.1 + y) };
            out.push(((at.0 * 10.0).round() / 10.0, (at.1 * 10.0).round() / 10.0));
        }
        out
    };
    let (one, four) = (points(paths[0]), points(paths[3]));
    let top_of_one = one.iter().map(|p| p.1).fold(f64::MAX, f64::min);
    let shared: Vec<_> = one
        .iter()
        .filter(|p| (p.1 - top_of_one).abs() < 2.0)
        .collect();
    assert!(shared.len() >= 2);
    for p in shared {
        assert!(
            four.contains(p),
            "{p:?} of county 1's top edge is not on county 4"
        );
    }
}

#[test]
fn a_chinese_title_is_drawn_with_glyphs_or_named_as_not_drawable() {
    let (zones, values) = layer();
    let title = "中国县级夜间灯光贫困指数";
    let map = Choropleth::new(&zones, &values, title)
        .unwrap()
        .size(900, 600);
    let rendered = map.render_png().unwrap();
    keep("chinese-title.png", &rendered.png);
    let image = decode(&rendered.png);
    let svg = map.to_svg();
    assert!(svg.contains(&format!(">{title}</text>")));
    // The fonts the renderer finds: is there one for Han characters?
    let has_cjk_font = std::process::Command::new("fc-list")
        .arg(":lang=zh")
        .output()
        .map(|o| !o.stdout.is_empty())
        .unwrap_or(false);
    let dark = |x0: u32, x1: u32| {
        (x0..x1)
            .flat_map(|x| (8..46).map(move |y| (x, y)))
            .filter(|&(x, y)| pixel(&image, x, y)[0] < 120)
            .count()
    };
    if has_cjk_font {
        assert!(rendered.unrendered.is_empty(), "{:?}", rendered.unrendered);
        // 12 characters of 24 px: ink all along the title, more than a row
        // of question marks or boxes would leave.
        let per_char: Vec<usize> = (0..12)
            .map(|i| dark(14 + i * 24, 14 + (i + 1) * 24))
            .collect();
        assert!(per_char.iter().all(|&n| n > 25), "{per_char:?}");
        let question = Choropleth::new(&zones, &values, "????????????")
            .unwrap()
            .size(900, 600);
        let q = decode(&question.to_png().unwrap());
        let q_dark = (14..14 + 12 * 24)
            .flat_map(|x| (8..46).map(move |y| (x, y)))
            .filter(|&(x, y)| pixel(&q, x, y)[0] < 120)
            .count();
        let total: usize = per_char.iter().sum();
        assert!(
            total > q_dark * 3 / 2,
            "{total} dark pixels vs {q_dark} for '?'s"
        );
    } else {
        // No font: the map says which text it could not draw.
        assert!(
            rendered.unrendered.iter().any(|t| t.contains(title)),
            "{:?}",
            rendered.unrendered
        );
    }
}

#[test]
fn text_no_font_has_is_reported_not_hidden() {
    let (zones, values) = layer();
    // Linear A (U+10600): in no font Debian installs for the tests.
    let map = Choropleth::new(&zones, &values, "Lights \u{10600}\u{10601}").unwrap();
    let rendered = map.render_png().unwrap();
    assert_eq!(rendered.unrendered.len(), 1, "{:?}", rendered.unrendered);
    assert!(rendered.unrendered[0].contains("Lights \u{10600}\u{10601}"));
    assert!(
        rendered.unrendered[0].contains("no font has \u{10600}"),
        "{:?}",
        rendered.unrendered
    );
    // And map_files passes it on as a warning for stderr.
    let maps = terralux::map::map_files(
        "index.csv".as_ref(),
        &zones,
        &values,
        &[],
        &[],
        &terralux::map::MapOptions {
            title: Some("Index \u{10600}".into()),
            ..Default::default()
        },
    )
    .unwrap();
    assert!(
        maps.warnings
            .iter()
            .any(|w| w.contains("could not draw text Index \u{10600}")),
        "{:?}",
        maps.warnings
    );
    assert_eq!(maps.warnings.len(), 1, "{:?}", maps.warnings);
}

#[test]
fn print_resolution_scales_the_png_not_the_svg() {
    let (zones, values) = layer();
    let screen = Choropleth::new(&zones, &values, "t").unwrap().width(800);
    let print = screen.clone().dpi(288);
    let (a, b) = (
        decode(&screen.to_png().unwrap()),
        decode(&print.to_png().unwrap()),
    );
    assert_eq!(a.0, 800);
    assert_eq!((b.0, b.1), (a.0 * 3, a.1 * 3));
    // The same picture: a county centre has the same colour in both.
    let (x, y) = screen.to_pixel(104.25, 30.25);
    assert_eq!(
        pixel(&a, x as u32, y as u32),
        pixel(&b, (x * 3.0) as u32, (y * 3.0) as u32)
    );
    assert_eq!(
        screen.to_svg().lines().next(),
        print.to_svg().lines().next(),
        "the SVG's size does not depend on the dpi"
    );
}

/// A grid of `columns x rows` counties, 0.5 degrees each, whose shared
/// edges are the same noisy polylines of `per_edge` vertices (as real
/// county borders are), in provinces of 6 x 6 counties.
fn noisy_counties(columns: usize, rows: usize, per_edge: usize) -> ZoneSet {
    // One edge from (x0, y0) to (x1, y1), displaced across by smooth noise
    // that depends only on the edge (so both neighbours get the same points).
    let edge = |x0: f64, y0: f64, x1: f64, y1: f64, seed: u64| -> Vec<(f64, f64)> {
        (0..per_edge)
            .map(|i| {
                let t = i as f64 / per_edge as f64;
                let mut offset = 0.0;
                for k in 1..12u64 {
                    let phase = ((seed * 2654435761 + k * 40503) % 1000) as f64 / 159.0;
                    offset += (std::f64::consts::TAU * k as f64 * t + phase).sin() / k as f64;
                }
                let offset = 0.03 * offset * (std::f64::consts::PI * t).sin();
                let (dx, dy) = (x1 - x0, y1 - y0);
                (x0 + dx * t - dy * offset, y0 + dy * t + dx * offset)
            })
            .collect()
    };
    let names: std::sync::Arc<[String]> = vec!["province".to_string(), "name".to_string()].into();
    let mut zones = Vec::new();
    for r in 0..rows {
        for c in 0..columns {
            let (x, y) = (75.0 + 0.5 * c as f64, 20.0 + 0.5 * r as f64);
            let h = |c: usize, r: usize| (r * (columns + 1) + c) as u64 * 2;
            let v = |c: usize, r: usize| (r * (columns + 1) + c) as u64 * 2 + 1;
            let mut ring = edge(x, y, x + 0.5, y, h(c, r));
            ring.extend(edge(x + 0.5, y, x + 0.5, y + 0.5, v(c + 1, r)));
            let mut top = edge(x, y + 0.5, x + 0.5, y + 0.5, h(c, r + 1));
            top.push((x + 0.5, y + 0.5));
            top.reverse();
            top.pop();
            ring.extend(top);
            let mut left = edge(x, y, x, y + 0.5, v(c, r));
            left.push((x, y + 0.5));
            left.reverse();
            ring.extend(left);
            let ring: Vec<Coord<f64>> = ring.into_iter().map(|(x, y)| Coord { x, y }).collect();
            zones.push(Zone {
                id: ZoneId::Int((r * columns + c) as i64),
                attributes: Attributes::new(
                    names.clone(),
                    vec![
                        AttrValue::Text(format!("P{}-{}", c / 6, r / 6)),
                        AttrValue::Text(format!("County {r}-{c}")),
                    ],
                ),
                geometry: MultiPolygon(vec![Polygon::new(LineString::from(ring), vec![])]),
            });
        }
    }
    ZoneSet::new(zones, Some(Crs::wgs84()))
}

#[test]
fn maps_of_three_thousand_counties_are_small() {
    // 2,880 counties; 4 x 90 vertices each by default (about a million);
    // TERRALUX_MAP_EDGE_VERTICES=365 gives the real layer's 4.2 million.
    let per_edge = std::env::var("TERRALUX_MAP_EDGE_VERTICES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(90);
    let zones = noisy_counties(60, 48, per_edge);
    let vertices: usize = zones
        .iter()
        .map(|z| z.geometry.0[0].exterior().0.len())
        .sum();
    let scores: Vec<Option<f64>> = (0..zones.len())
        .map(|i| Some(((i * 37) % 101) as f64))
        .collect();
    let other: Vec<Option<f64>> = (0..zones.len())
        .map(|i| Some(((i * 53) % 97) as f64))
        .collect();
    let started = std::time::Instant::now();
    let maps = terralux::map::map_files(
        "index.csv".as_ref(),
        &zones,
        &scores,
        &["other".to_string()],
        &[other],
        &terralux::map::MapOptions {
            title: Some("2,880 counties".into()),
            ..Default::default()
        },
    )
    .unwrap();
    let elapsed = started.elapsed().as_secs_f64();
    let size = |i: usize| maps.files[i].1.len();
    eprintln!(
        "{} counties, {vertices} vertices: maps in {elapsed:.2} s; PNG {} KB, SVG {} KB, HTML {} KB",
        zones.len(),
        size(0) / 1024,
        size(1) / 1024,
        size(2) / 1024
    );
    keep("counties-2880.png", &maps.files[0].1);
    assert!(size(1) < 5 << 20, "SVG {} bytes", size(1));
    assert!(size(2) < 3 << 20, "HTML {} bytes", size(2));
    let svg = String::from_utf8_lossy(&maps.files[1].1);
    assert_eq!(svg.matches("<path d=").count(), 2880);
    // Province outlines: 10 x 8 provinces.
    assert!(svg.contains(">province outlines</text>"));
}

/// A real county layer (TERRALUX_MAP_COUNTIES, e.g. the comparison
/// harness's 2,875 counties of China; by default the test counties) mapped
/// with a Chinese title and province outlines: all text drawn, files small.
#[cfg(feature = "gdal")]
#[test]
fn a_county_layer_maps_with_a_chinese_title() {
    let path = std::env::var("TERRALUX_MAP_COUNTIES")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/counties.gpkg").into());
    let zones = ZoneSet::read(
        &path,
        &terralux::zones::ZoneOptions {
            id_field: Some("code".into()),
            ..Default::default()
        },
    )
    .unwrap();
    let scores: Vec<Option<f64>> = (0..zones.len())
        .map(|i| Some(((i * 37) % 101) as f64))
        .collect();
    let title = "中国县级夜间灯光贫困指数（示例）";
    let started = std::time::Instant::now();
    let maps = terralux::map::map_files(
        "index.csv".as_ref(),
        &zones,
        &scores,
        &[],
        &[],
        &terralux::map::MapOptions {
            title: Some(title.into()),
            subtitle: Some("省界 province outlines · 2023".into()),
            ..Default::default()
        },
    )
    .unwrap();
    let sizes: Vec<usize> = maps.files.iter().map(|(_, b)| b.len()).collect();
    eprintln!(
        "{} counties from {path}: maps in {:.2} s; PNG {} KB, SVG {} KB, HTML {} KB",
        zones.len(),
        started.elapsed().as_secs_f64(),
        sizes[0] / 1024,
        sizes[1] / 1024,
        sizes[2] / 1024
    );
    keep("county-layer-chinese.png", &maps.files[0].1);
    // Where the time goes: the SVG alone, the SVG with its PNG, the HTML alone.
    let map = Choropleth::new(&zones, &scores, title).unwrap();
    let t = std::time::Instant::now();
    let _ = map.to_svg();
    let svg_s = t.elapsed().as_secs_f64();
    let t = std::time::Instant::now();
    let _ = map.render_both().unwrap();
    let both_s = t.elapsed().as_secs_f64();
    let t = std::time::Instant::now();
    let _ = terralux::map::InteractiveMap::new(&zones, title)
        .indicator("score", &scores)
        .unwrap()
        .to_html()
        .unwrap();
    eprintln!(
        "SVG {svg_s:.2} s, SVG + PNG {both_s:.2} s, HTML {:.2} s",
        t.elapsed().as_secs_f64()
    );
    let has_cjk_font = std::process::Command::new("fc-list")
        .arg(":lang=zh")
        .output()
        .map(|o| !o.stdout.is_empty())
        .unwrap_or(false);
    if has_cjk_font {
        assert!(maps.warnings.is_empty(), "{:?}", maps.warnings);
    } else {
        assert!(
            maps.warnings.iter().any(|w| w.contains(title)),
            "{:?}",
            maps.warnings
        );
    }
    let svg = String::from_utf8_lossy(&maps.files[1].1);
    assert!(svg.contains(&format!(">{title}</text>")));
    assert!(svg.contains("<path class=\"outline\""));
    assert!(sizes[1] < 5 << 20 && sizes[2] < 3 << 20, "{sizes:?}");
}
