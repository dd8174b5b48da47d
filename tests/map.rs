//! Static choropleth maps: the PNG (rendered from the SVG by resvg) decoded
//! and checked by what it shows, the SVG checked for one shape per zone,
//! title, legend and colours.

mod common;

use geo_types::{Coord, LineString, MultiPolygon, Polygon};
use terralux::map::{Choropleth, MISSING_COLOUR, Rgb, palette};
use terralux::zones::{Attributes, Zone, ZoneId, ZoneSet};

fn square(id: i64, x: f64, y: f64) -> Zone {
    let ring: Vec<Coord<f64>> = [(x, y), (x + 1.0, y), (x + 1.0, y + 1.0), (x, y + 1.0)]
        .iter()
        .map(|&(x, y)| Coord { x, y })
        .collect();
    Zone {
        id: ZoneId::Int(id),
        attributes: Attributes::default(),
        geometry: MultiPolygon(vec![Polygon::new(LineString::from(ring), vec![])]),
    }
}

/// Four unit squares in a 2 x 2 block (planar coordinates, no CRS).
fn block() -> ZoneSet {
    ZoneSet::new(
        vec![
            square(1, 0.0, 1.0),
            square(2, 1.0, 1.0),
            square(3, 0.0, 0.0),
            square(4, 1.0, 0.0),
        ],
        None,
    )
}

fn decode(png: &[u8]) -> (u32, u32, Vec<u8>) {
    let pixmap = resvg::tiny_skia::Pixmap::decode_png(png).unwrap();
    (pixmap.width(), pixmap.height(), pixmap.data().to_vec())
}

fn pixel(image: &(u32, u32, Vec<u8>), x: u32, y: u32) -> Rgb {
    let i = 4 * (y * image.0 + x) as usize;
    assert_eq!(image.2[i + 3], 255, "pixel ({x}, {y}) is not opaque");
    [image.2[i], image.2[i + 1], image.2[i + 2]]
}

/// Keep the image for a person to look at, under target/tmp/maps.
fn keep_artifact(name: &str, bytes: &[u8]) {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("maps");
    let _ = std::fs::create_dir_all(&dir);
    let _ = std::fs::write(dir.join(name), bytes);
}

/// The box (left, top, right, bottom; inclusive) of the pixels of `colours`
/// inside the map area: where the zones were drawn, found in the picture.
fn drawn_box(image: &(u32, u32, Vec<u8>), area: [f64; 4], colours: &[Rgb]) -> (u32, u32, u32, u32) {
    let mut b = (u32::MAX, u32::MAX, 0, 0);
    for y in area[1] as u32..area[3] as u32 {
        for x in area[0] as u32..area[2] as u32 {
            if colours.contains(&pixel(image, x, y)) {
                b = (b.0.min(x), b.1.min(y), b.2.max(x), b.3.max(y));
            }
        }
    }
    assert!(b.0 <= b.2, "no zone colour in the map area");
    b
}

#[test]
fn png_has_the_size_colours_legend_and_title() {
    let zones = block();
    let values = [Some(1.0), Some(2.0), Some(3.0), None];
    let map = Choropleth::new(&zones, &values, "Light density")
        .unwrap()
        .classes(3)
        .size(800, 600);
    let png = map.to_png().unwrap();
    keep_artifact("block.png", &png);
    let image = decode(&png);
    assert_eq!((image.0, image.1), (800, 600));

    // Three values, three classes: one value each, light to dark.
    let colours = palette(3);
    let classes: Vec<Option<usize>> = (0..4).map(|z| map.class_of_zone(z)).collect();
    assert_eq!(classes, [Some(0), Some(1), Some(2), None]);
    let all = [colours[0], colours[1], colours[2], MISSING_COLOUR];
    let layout = map.layout();
    let (left, top, right, bottom) = drawn_box(&image, layout.map_area, &all);
    // The block is drawn as a square (lon/lat at 1 degree: cos = 0.9998),
    // as large as the map area allows.
    let (w, h) = ((right - left + 1) as f64, (bottom - top + 1) as f64);
    assert!((w - h).abs() <= 2.0, "{w} x {h}");
    let area_h = layout.map_area[3] - layout.map_area[1];
    assert!(
        h > area_h - 16.0,
        "the block fills the map area: {h} of {area_h}"
    );
    // Each quarter's centre has its zone's colour.
    let centre = |qx: f64, qy: f64| -> (u32, u32) {
        ((left as f64 + w * qx) as u32, (top as f64 + h * qy) as u32)
    };
    let expected = [
        ((0.25, 0.25), colours[0]),
        ((0.75, 0.25), colours[1]),
        ((0.25, 0.75), colours[2]),
        ((0.75, 0.75), MISSING_COLOUR),
    ];
    for ((qx, qy), colour) in expected {
        let (x, y) = centre(qx, qy);
        assert_eq!(
            pixel(&image, x, y),
            colour,
            "quarter ({qx}, {qy}), pixel ({x}, {y})"
        );
    }
    // Outside the block: background.
    assert_eq!(pixel(&image, 3, 300), [255, 255, 255]);

    // The legend: one swatch per class, then "no data", in order.
    let legend = map.legend();
    assert_eq!(legend.len(), 4);
    assert_eq!(legend[3], (MISSING_COLOUR, "no data".to_string()));
    assert_eq!(legend[0].1, "1");
    assert_eq!(legend[2].1, "3");
    assert_eq!(map.legend_counts(), [1, 1, 1, 1]);
    for (i, (colour, _)) in legend.iter().enumerate() {
        let (x, y) = layout.legend_entry(i);
        let middle = layout.swatch / 2;
        assert_eq!(pixel(&image, x + middle, y + middle), *colour, "swatch {i}");
        // Its label is drawn to the right: some dark text pixels.
        let dark = (x + layout.swatch + 8..x + layout.swatch + 80)
            .flat_map(|px| (y..y + layout.swatch).map(move |py| (px, py)))
            .filter(|&(px, py)| pixel(&image, px, py)[0] < 100)
            .count();
        assert!(dark > 10, "legend label {i} has {dark} dark pixels");
    }
    // The title: dark pixels in the title band, and grey ones (anti-aliased edges).
    let band: Vec<Rgb> = (10..300)
        .flat_map(|x| (10..44).map(move |y| (x, y)))
        .map(|(x, y)| pixel(&image, x, y))
        .collect();
    let dark = band.iter().filter(|p| p[0] < 100).count();
    let grey = band.iter().filter(|p| (100..230).contains(&p[0])).count();
    assert!(dark > 300, "title has {dark} dark pixels");
    assert!(
        grey > 100,
        "title edges are anti-aliased: {grey} grey pixels"
    );
}

#[test]
fn png_fills_a_triangle_with_anti_aliased_edges_only() {
    // A right triangle: its drawn box is found in the picture, then every
    // pixel well inside must have the fill and every pixel well outside none.
    let ring: Vec<Coord<f64>> = [(0.0, 0.0), (1.0, 0.0), (0.0, 1.0)]
        .iter()
        .map(|&(x, y)| Coord { x, y })
        .collect();
    let zones = ZoneSet::new(
        vec![Zone {
            id: ZoneId::Int(1),
            attributes: Attributes::default(),
            geometry: MultiPolygon(vec![Polygon::new(LineString::from(ring), vec![])]),
        }],
        None,
    );
    let map = Choropleth::new(&zones, &[Some(1.0)], "t")
        .unwrap()
        .classes(1)
        .size(800, 600);
    let image = decode(&map.to_png().unwrap());
    let colour = map.colour_of_zone(0);
    let area = map.layout().map_area;
    let (left, top, right, bottom) = drawn_box(&image, area, &[colour]);
    let side = (bottom - top + 1) as f64;
    assert!(((right - left + 1) as f64 - side).abs() <= 2.0);
    // Right angle at the bottom left; distance (px) of a pixel centre inside the hypotenuse.
    let inside_by = |cx: f64, cy: f64| {
        let d_left = cx - left as f64;
        let d_bottom = (bottom + 1) as f64 - cy;
        let d_hyp = (side - d_left - d_bottom) / 2f64.sqrt();
        d_left.min(d_bottom).min(d_hyp)
    };
    let (mut filled, mut blended) = (0, 0);
    for y in area[1] as u32..area[3] as u32 {
        for x in area[0] as u32..(area[0] as u32 + side as u32 + 4) {
            let (cx, cy) = (x as f64 + 0.5, y as f64 + 0.5);
            let p = pixel(&image, x, y);
            let d = inside_by(cx, cy);
            if d > 1.5 {
                assert_eq!(p, colour, "pixel ({x}, {y}) inside by {d:.1}");
            } else if d < -1.5 {
                assert_eq!(p, [255, 255, 255], "pixel ({x}, {y}) outside by {:.1}", -d);
            } else if p != colour && p != [255, 255, 255] {
                blended += 1;
            }
            if p == colour {
                filled += 1;
            }
        }
    }
    // About half the box, and the edges blended (anti-aliased), not jagged.
    assert!(
        (filled as f64 - side * side / 2.0).abs() < 3.0 * side,
        "{filled}"
    );
    assert!(blended as f64 > side, "{blended} blended edge pixels");
}

#[test]
fn svg_has_one_path_per_zone_with_its_colour_and_tooltip() {
    let zones = block();
    let values = [Some(1.0), Some(2.0), Some(3.0), None];
    let map = Choropleth::new(&zones, &values, "Lights & <poverty>")
        .unwrap()
        .classes(3);
    let svg = map.to_svg();
    keep_artifact("block.svg", svg.as_bytes());
    assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
    assert_eq!(svg.matches("<path ").count(), 4);
    assert!(svg.contains("Lights &amp; &lt;poverty&gt;"));
    assert!(svg.contains("<title>4: no data</title>"));
    assert!(svg.contains("<title>2: 2</title>"));
    for (colour, label) in map.legend() {
        let hex = format!("#{:02x}{:02x}{:02x}", colour[0], colour[1], colour[2]);
        assert!(svg.contains(&format!("fill=\"{hex}\"")), "{hex} missing");
        assert!(svg.contains(&label), "{label} missing");
    }
    assert!(svg.trim_end().ends_with("</svg>"));
}

#[test]
fn quantile_classes_split_the_values_evenly() {
    let zones = ZoneSet::new((0..10).map(|i| square(i, i as f64, 0.0)).collect(), None);
    let values: Vec<Option<f64>> = (0..10).map(|i| Some(i as f64 * 10.0)).collect();
    let map = Choropleth::new(&zones, &values, "deciles")
        .unwrap()
        .classes(5);
    let classes: Vec<usize> = (0..10).map(|z| map.class_of_zone(z).unwrap()).collect();
    assert_eq!(classes, vec![0, 0, 1, 1, 2, 2, 3, 3, 4, 4]);
    assert_eq!(
        map.class_ranges(),
        vec![
            (0, 0.0, 10.0),
            (1, 20.0, 30.0),
            (2, 40.0, 50.0),
            (3, 60.0, 70.0),
            (4, 80.0, 90.0)
        ]
    );
    assert_eq!(map.legend()[0].1, "0 to 10");
    // The same rule as an index's class column, for any count (7 zones here).
    let seven: Vec<Option<f64>> = (0..7).map(|i| Some(i as f64)).collect();
    let zones7 = ZoneSet::new((0..7).map(|i| square(i, i as f64, 0.0)).collect(), None);
    let map = Choropleth::new(&zones7, &seven, "seven")
        .unwrap()
        .classes(5);
    let expected = terralux::index::quantile_classes(&seven, 5);
    for (z, class) in expected.iter().enumerate() {
        assert_eq!(map.class_of_zone(z).map(|c| c + 1), *class);
    }
    // Tied values share a class: one legend entry, no empty classes listed.
    let tied = vec![Some(1.0); 10];
    let map = Choropleth::new(&zones, &tied, "flat").unwrap().classes(5);
    assert_eq!(map.legend(), vec![(palette(5)[0], "1".to_string())]);
    assert_eq!(map.legend_indices(), vec![0; 10]);
}

#[test]
fn bad_inputs_are_clear_errors_and_files_are_written_atomically() {
    let zones = block();
    let err = Choropleth::new(&zones, &[Some(1.0)], "x")
        .unwrap_err()
        .to_string();
    assert!(err.contains("1 values for 4 zones"), "{err}");
    let empty = ZoneSet::new(Vec::new(), None);
    let err = Choropleth::new(&empty, &[], "x").unwrap_err().to_string();
    assert!(err.contains("no zone has a geometry"), "{err}");

    let tmp = common::TempDir::new("map-write");
    let map = Choropleth::new(&zones, &[Some(1.0); 4], "x").unwrap();
    map.write_png(&tmp.join("m.png")).unwrap();
    map.write_svg(&tmp.join("m.svg")).unwrap();
    let mut names: Vec<String> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["m.png", "m.svg"]);
    let missing = tmp.join("no/such/folder/m.png");
    assert!(map.write_png(&missing).is_err());
}

#[cfg(feature = "gdal")]
#[test]
fn county_map_colours_each_county_by_its_class() {
    use geo::{BoundingRect, InteriorPoint};
    use terralux::stats::{Stat, StatValue};
    use terralux::{GdalRaster, ZonalStats};

    let zones = common::test_counties();
    let raster = GdalRaster::open(common::testdata("ntl.tif")).unwrap();
    let table = ZonalStats::new(&zones)
        .band(&raster, 1)
        .stats(&[Stat::Mean])
        .run()
        .unwrap();
    let values: Vec<Option<f64>> = table
        .zones
        .iter()
        .map(|z| match z.values[0] {
            StatValue::Number(v) => Some(v),
            _ => None,
        })
        .collect();
    let map = Choropleth::new(&zones, &values, "Mean radiance (nW/cm2/sr)").unwrap();
    let png = map.to_png().unwrap();
    keep_artifact("counties.png", &png);
    let image = decode(&png);
    // The projection, from the documented rule: the zones with a value
    // fitted into the map area less 6 px, centred, longitudes times the
    // cosine of the middle latitude.
    let with_values: Vec<_> = zones
        .iter()
        .zip(&values)
        .filter(|(_, v)| v.is_some())
        .map(|(z, _)| z.geometry.bounding_rect().unwrap())
        .collect();
    let min_x = with_values
        .iter()
        .map(|b| b.min().x)
        .fold(f64::MAX, f64::min);
    let max_x = with_values
        .iter()
        .map(|b| b.max().x)
        .fold(f64::MIN, f64::max);
    let min_y = with_values
        .iter()
        .map(|b| b.min().y)
        .fold(f64::MAX, f64::min);
    let max_y = with_values
        .iter()
        .map(|b| b.max().y)
        .fold(f64::MIN, f64::max);
    let cos = ((min_y + max_y) / 2.0).to_radians().cos();
    let [l, t, r, b] = map.layout().map_area;
    let (l, t, r, b) = (l + 6.0, t + 6.0, r - 6.0, b - 6.0);
    let scale = ((r - l) / ((max_x - min_x) * cos)).min((b - t) / (max_y - min_y));
    let x0 = l + ((r - l) - (max_x - min_x) * cos * scale) / 2.0;
    let y0 = t + ((b - t) - (max_y - min_y) * scale) / 2.0;
    let (mut checked, mut tiny) = (0, 0);
    for (z, zone) in zones.iter().enumerate() {
        let Some(point) = zone.geometry.interior_point() else {
            continue;
        };
        let bounds = zone.geometry.bounding_rect().unwrap();
        if point.x() < min_x || point.x() > max_x || point.y() < min_y || point.y() > max_y {
            continue; // outside the frame
        }
        if (bounds.width() * cos * scale).min(bounds.height() * scale) < 4.0 {
            tiny += 1; // a few pixels across: anti-aliased edges only
            continue;
        }
        let px = (x0 + (point.x() - min_x) * cos * scale).floor() as i64;
        let py = (y0 + (max_y - point.y()) * scale).floor() as i64;
        let colour = map.colour_of_zone(z);
        let around = [(0, 0), (1, 0), (0, 1), (-1, 0), (0, -1)];
        assert!(
            around
                .iter()
                .any(|(dx, dy)| pixel(&image, (px + dx) as u32, (py + dy) as u32) == colour),
            "zone {} at ({px}, {py})",
            zone.id
        );
        checked += 1;
    }
    assert!(tiny <= 1, "{tiny} zones too small to check");
    assert!(
        checked + tiny >= values.iter().flatten().count(),
        "{checked}"
    );
}

#[test]
fn html_is_self_contained_and_escapes_what_it_embeds() {
    use terralux::map::InteractiveMap;
    let zones = block();
    let html = InteractiveMap::new(&zones, "Lights <b>&</b> {{DATA}}")
        .indicator("x</script><script>alert(1)</script>", &[Some(1.0); 4])
        .unwrap()
        .to_html()
        .unwrap();
    // One inline data block and one inline script; nothing fetched.
    assert_eq!(html.matches("<script").count(), 2);
    assert_eq!(html.matches("</script>").count(), 2);
    // The SVG namespace is a name, not a fetch.
    let page = html.replace("http://www.w3.org/2000/svg", "");
    for remote in [
        "http://",
        "https://",
        "src=",
        "<link",
        "url(",
        "fetch(",
        "XMLHttpRequest",
    ] {
        assert!(!page.contains(remote), "{remote} in the page");
    }
    assert!(html.contains("<title>Lights &lt;b&gt;&amp;&lt;/b&gt; {{DATA}}</title>"));
    assert!(html.contains(r#""x\u003c/script>\u003cscript>alert(1)\u003c/script>""#));
    assert_eq!(html.matches("\"d\":\"M").count(), 4);
}

#[test]
fn html_map_inputs_are_checked() {
    use terralux::map::InteractiveMap;
    let zones = block();
    let message = |r: terralux::Result<String>| r.unwrap_err().to_string();
    assert!(message(InteractiveMap::new(&zones, "t").to_html()).contains("no indicator"));
    let err = InteractiveMap::new(&zones, "t")
        .indicator("a", &[Some(1.0)])
        .unwrap_err()
        .to_string();
    assert!(err.contains("1 values for 4 zones"), "{err}");
    let err = InteractiveMap::new(&zones, "t")
        .indicator("a", &[Some(1.0); 4])
        .unwrap()
        .indicator("a", &[Some(2.0); 4])
        .unwrap_err()
        .to_string();
    assert!(err.contains("given twice"), "{err}");
    let err = message(
        InteractiveMap::new(&zones, "t")
            .indicator("a", &[Some(1.0); 4])
            .unwrap()
            .group_by("province")
            .to_html(),
    );
    assert!(err.contains("no field named 'province'"), "{err}");
}
