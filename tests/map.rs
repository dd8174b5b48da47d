//! Static choropleth maps: the PNG decoded and checked pixel by pixel, the
//! SVG checked for one shape per zone, title, legend and colours.

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
    let decoder = png::Decoder::new(std::io::Cursor::new(png));
    let mut reader = decoder.read_info().unwrap();
    let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut pixels).unwrap();
    assert_eq!(info.color_type, png::ColorType::Rgb);
    assert_eq!(info.bit_depth, png::BitDepth::Eight);
    pixels.truncate(info.buffer_size());
    (info.width, info.height, pixels)
}

fn pixel(image: &(u32, u32, Vec<u8>), x: u32, y: u32) -> Rgb {
    let i = 3 * (y * image.0 + x) as usize;
    [image.2[i], image.2[i + 1], image.2[i + 2]]
}

/// Keep the image for a person to look at, under target/test-artifacts.
fn keep_artifact(name: &str, bytes: &[u8]) {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("maps");
    let _ = std::fs::create_dir_all(&dir);
    let _ = std::fs::write(dir.join(name), bytes);
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
    // The map area is x 10..470, y 48..590: the 2 x 2 block is fitted as a
    // 460 x 460 square from x = 10, centred vertically (y 89..549).
    let centre = |zone: (f64, f64)| -> (u32, u32) {
        (
            (10.0 + (zone.0 + 0.5) * 230.0) as u32,
            (89.0 + (1.5 - zone.1) * 230.0) as u32,
        )
    };
    let expected = [
        ((0.0, 1.0), colours[0]),
        ((1.0, 1.0), colours[1]),
        ((0.0, 0.0), colours[2]),
        ((1.0, 0.0), MISSING_COLOUR),
    ];
    for (corner, colour) in expected {
        let (x, y) = centre(corner);
        assert_eq!(
            pixel(&image, x, y),
            colour,
            "zone at {corner:?}, pixel ({x}, {y})"
        );
    }
    // Outside the block: background.
    assert_eq!(pixel(&image, 5, 300), [255, 255, 255]);

    // The legend: one swatch per class, then "no data", in order.
    let legend = map.legend();
    assert_eq!(legend.len(), 4);
    assert_eq!(legend[3], (MISSING_COLOUR, "no data".to_string()));
    assert_eq!(legend[0].1, "1");
    assert_eq!(legend[2].1, "3");
    let layout = map.layout();
    for (i, (colour, _)) in legend.iter().enumerate() {
        let (x, y) = layout.legend_entry(i);
        let middle = layout.swatch / 2;
        assert_eq!(pixel(&image, x + middle, y + middle), *colour, "swatch {i}");
        // Its label is drawn to the right: some dark text pixels.
        let dark = (x + layout.swatch + 8..x + layout.swatch + 80)
            .flat_map(|px| (y..y + layout.swatch).map(move |py| (px, py)))
            .filter(|&(px, py)| pixel(&image, px, py)[0] < 100)
            .count();
        assert!(dark > 20, "legend label {i} has {dark} dark pixels");
    }
    // The title: dark pixels in the title band, 13 characters of 24 px.
    let title_dark = (10..10 + 13 * 24)
        .flat_map(|x| (12..36).map(move |y| (x, y)))
        .filter(|&(x, y)| pixel(&image, x, y)[0] < 100)
        .count();
    assert!(title_dark > 300, "title has {title_dark} dark pixels");
}

#[test]
fn png_fills_exactly_the_pixels_whose_centres_are_inside_a_triangle() {
    // A right triangle filling half of its 460 x 460 px box.
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
    // The triangle's corners on the image: (10, 549), (470, 549), (10, 89).
    // A pixel is filled exactly when its centre is inside; the one-pixel white
    // borders may only take pixels within a pixel of an edge.
    let inside =
        |cx: f64, cy: f64| cx >= 10.0 && cy <= 549.0 && (cx - 10.0) + (549.0 - cy) <= 460.0;
    let near_edge = |cx: f64, cy: f64| {
        let to_hypotenuse = ((cx - 10.0) + (549.0 - cy) - 460.0).abs() / 2f64.sqrt();
        (cx - 10.0).abs() <= 1.0 || (549.0 - cy).abs() <= 1.0 || to_hypotenuse <= 1.0
    };
    let (mut filled, mut inside_count) = (0, 0);
    for x in 0..480u32 {
        for y in 80..560u32 {
            let (cx, cy) = (x as f64 + 0.5, y as f64 + 0.5);
            let p = pixel(&image, x, y);
            if p == colour {
                assert!(
                    inside(cx, cy),
                    "pixel ({x}, {y}) filled outside the triangle"
                );
                filled += 1;
            }
            if inside(cx, cy) {
                inside_count += 1;
                if p != colour {
                    assert_eq!(p, [255, 255, 255], "pixel ({x}, {y})");
                    assert!(near_edge(cx, cy), "pixel ({x}, {y}) inside but not filled");
                }
            }
        }
    }
    // Half of the 460 x 460 box, give or take the diagonal's pixels.
    assert!(
        (inside_count as f64 - 460.0 * 460.0 / 2.0).abs() <= 461.0,
        "{inside_count}"
    );
    assert!(
        filled > inside_count - 3 * 461,
        "{filled} of {inside_count}"
    );
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
    use geo::InteriorPoint;
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
    let mut checked = 0;
    for (z, zone) in zones.iter().enumerate() {
        let Some(point) = zone.geometry.interior_point() else {
            continue;
        };
        // The interior point's pixel, or a neighbour if a border runs through it.
        let (px, py) = map.to_pixel(point.x(), point.y());
        let (px, py) = (px.floor() as i64, py.floor() as i64);
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
    assert_eq!(checked, zones.len());
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
