//! Inputs from someone else: VRTs that read raw files, ids and labels with
//! characters XML forbids, tables in other encodings, and GDAL failures
//! whose first reason must reach the user (issue 12, "Outputs you can trust").
#![cfg(feature = "gdal")]

mod common;

use std::path::Path;

use common::TempDir;
use gdal::DriverManager;
use gdal::raster::Buffer;
use gdal::spatial_ref::SpatialRef;
use geo_types::{MultiPolygon, polygon};
use ndarray::Array2;
use terralux::map::{Choropleth, InteractiveMap};
use terralux::raster::RasterOptions;
use terralux::table::Table;
use terralux::zones::{AttrValue, Attributes, Zone, ZoneId, ZoneOptions, ZoneSet};
use terralux::{Crs, Error, GdalRaster, RasterSource, Window};

const REFUSED: &str = "which reads raw bytes of another file; refused unless allowed \
                       (RasterOptions::allow_raw_vrt, --allow-raw-vrt)";

/// A 16 x 4 Byte VRT whose band reads `target`'s bytes raw (`subclass` is how
/// the file spells `VRTRawRasterBand`).
fn raw_vrt(target: &str, subclass: &str) -> String {
    format!(
        r#"<VRTDataset rasterXSize="16" rasterYSize="4">
  <SRS>EPSG:4326</SRS>
  <GeoTransform>0, 1, 0, 4, 0, -1</GeoTransform>
  <VRTRasterBand dataType="Byte" band="1" subClass="{subclass}">
    <SourceFilename relativeToVRT="0">{target}</SourceFilename>
    <ImageOffset>0</ImageOffset>
    <PixelOffset>1</PixelOffset>
    <LineOffset>16</LineOffset>
  </VRTRasterBand>
</VRTDataset>
"#
    )
}

/// A 16 x 4 Byte VRT reading band 1 of `source` (relative to the VRT when `relative`).
fn simple_vrt(source: &str, relative: bool) -> String {
    format!(
        r#"<VRTDataset rasterXSize="16" rasterYSize="4">
  <SRS>EPSG:4326</SRS>
  <GeoTransform>0, 1, 0, 4, 0, -1</GeoTransform>
  <VRTRasterBand dataType="Byte" band="1">
    <SimpleSource>
      <SourceFilename relativeToVRT="{}">{source}</SourceFilename>
      <SourceBand>1</SourceBand>
    </SimpleSource>
  </VRTRasterBand>
</VRTDataset>
"#,
        u8::from(relative)
    )
}

/// 64 bytes standing for a private file.
fn secret_bytes() -> Vec<u8> {
    b"secret! 0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRST".to_vec()
}

/// A 16 x 4 Byte GeoTIFF holding 0, 1, ..., 63 row by row.
fn write_tiff(path: &Path) {
    let driver = DriverManager::get_driver_by_name("GTiff").unwrap();
    let mut ds = driver
        .create_with_band_type::<u8, _>(path, 16, 4, 1)
        .unwrap();
    ds.set_geo_transform(&[0.0, 1.0, 0.0, 4.0, 0.0, -1.0])
        .unwrap();
    ds.set_spatial_ref(&SpatialRef::from_epsg(4326).unwrap())
        .unwrap();
    let mut buffer = Buffer::new((16, 4), (0..64u8).collect());
    ds.rasterband(1)
        .unwrap()
        .write((0, 0), (16, 4), &mut buffer)
        .unwrap();
}

fn refusal(path: &str, place: &str) -> String {
    format!("{path}: cannot open: it contains a VRTRawRasterBand{place}, {REFUSED}")
}

fn open_error(path: impl AsRef<Path>) -> String {
    match GdalRaster::open(path) {
        Ok(_) => panic!("opened"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn raw_vrt_bands_are_refused_unless_allowed() {
    let dir = TempDir::new("raw-vrt");
    let secret = dir.join("secret.bin");
    std::fs::write(&secret, secret_bytes()).unwrap();
    let secret_name = secret.display().to_string();
    let raw = dir.join("raw.vrt");
    std::fs::write(&raw, raw_vrt(&secret_name, "VRTRawRasterBand")).unwrap();
    let raw_name = raw.display().to_string();

    assert_eq!(open_error(&raw), refusal(&raw_name, ""));
    // GDAL compares subclass names ignoring case; so does the check.
    let lower = dir.join("lower.vrt");
    std::fs::write(&lower, raw_vrt(&secret_name, "vrtrawrasterband")).unwrap();
    assert_eq!(
        open_error(&lower),
        refusal(&lower.display().to_string(), "")
    );
    // Refused by the error variant that names the file.
    match GdalRaster::open(&raw) {
        Err(Error::Open { source_name, .. }) => assert_eq!(source_name, raw_name),
        other => panic!("{other:?}"),
    }

    // Allowed explicitly, the band reads the file's bytes.
    let allowed = RasterOptions {
        allow_raw_vrt: true,
        ..RasterOptions::default()
    };
    let raster = GdalRaster::open_with(&raw, &allowed).unwrap();
    let cells = raster
        .read_window::<u8>(1, Window::new(0, 0, 4, 16))
        .unwrap();
    assert_eq!(
        cells,
        Array2::from_shape_vec((4, 16), secret_bytes()).unwrap()
    );
    // A reopened raster keeps the permission.
    assert!(raster.reopen().is_ok());
}

#[test]
fn raw_vrt_bands_in_nested_vrts_are_refused() {
    let dir = TempDir::new("nested-vrt");
    let secret = dir.join("secret.bin");
    std::fs::write(&secret, secret_bytes()).unwrap();
    std::fs::create_dir(dir.join("sub")).unwrap();
    // A raw VRT named like a GeoTIFF, read relative to the VRT that uses it.
    let hidden = dir.join("sub/hidden.tif");
    std::fs::write(
        &hidden,
        raw_vrt(&secret.display().to_string(), "VRTRawRasterBand"),
    )
    .unwrap();
    let hidden_name = hidden.display().to_string();
    let outer = dir.join("outer.vrt");
    std::fs::write(&outer, simple_vrt("sub/hidden.tif", true)).unwrap();
    assert_eq!(
        open_error(&outer),
        refusal(
            &outer.display().to_string(),
            &format!(" (in its source {hidden_name})")
        )
    );

    // Two levels down: outer2 -> middle.vrt -> sub/hidden.tif.
    let middle = dir.join("middle.vrt");
    std::fs::write(&middle, simple_vrt("sub/hidden.tif", true)).unwrap();
    let outer2 = dir.join("outer2.vrt");
    std::fs::write(&outer2, simple_vrt(&middle.display().to_string(), false)).unwrap();
    assert_eq!(
        open_error(&outer2),
        refusal(
            &outer2.display().to_string(),
            &format!(
                " (in {hidden_name}, which it reads through {})",
                middle.display()
            )
        )
    );

    // An inline VRT as a source.
    let inline = raw_vrt(&secret.display().to_string(), "VRTRawRasterBand")
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;");
    let outer3 = dir.join("outer3.vrt");
    std::fs::write(&outer3, simple_vrt(&inline, false)).unwrap();
    assert_eq!(
        open_error(&outer3),
        refusal(&outer3.display().to_string(), "")
    );

    // Allowed, the nested raw band reads the file.
    let allowed = RasterOptions {
        allow_raw_vrt: true,
        ..RasterOptions::default()
    };
    let raster = GdalRaster::open_with(&outer2, &allowed).unwrap();
    let cells = raster
        .read_window::<u8>(1, Window::new(0, 0, 1, 8))
        .unwrap();
    assert_eq!(cells.as_slice().unwrap(), b"secret! ");
}

#[test]
fn raw_vrt_bands_behind_vsi_paths_are_refused() {
    let dir = TempDir::new("vsi-vrt");
    let secret = dir.join("secret.bin");
    std::fs::write(&secret, secret_bytes()).unwrap();
    let base = format!("/vsimem/terralux-untrusted-{}", std::process::id());
    let raw = format!("{base}/deep/raw.vrt");
    gdal::vsi::create_mem_file(
        &raw,
        raw_vrt(&secret.display().to_string(), "VRTRawRasterBand").into_bytes(),
    )
    .unwrap();
    let outer = format!("{base}/outer.vrt");
    gdal::vsi::create_mem_file(&outer, simple_vrt("deep/raw.vrt", true).into_bytes()).unwrap();
    assert_eq!(open_error(&raw), refusal(&raw, ""));
    assert_eq!(
        open_error(&outer),
        refusal(&outer, &format!(" (in its source {raw})"))
    );
    // A vrt:// connection string over the raw VRT (GDAL 3.6 copies the raw band up).
    let wrapped = format!("vrt://{raw}?bands=1");
    assert_eq!(open_error(&wrapped), refusal(&wrapped, ""));
    gdal::vsi::unlink_mem_file(&raw).unwrap();
    gdal::vsi::unlink_mem_file(&outer).unwrap();
}

#[test]
fn ordinary_vrts_open_and_nesting_is_bounded() {
    let dir = TempDir::new("plain-vrt");
    write_tiff(&dir.join("cells.tif"));
    // v0 -> v1 -> ... -> v7 -> cells.tif: eight VRTs deep is checked and opens.
    std::fs::write(dir.join("v7.vrt"), simple_vrt("cells.tif", true)).unwrap();
    for level in (0..7).rev() {
        let next = format!("v{}.vrt", level + 1);
        std::fs::write(dir.join(&format!("v{level}.vrt")), simple_vrt(&next, true)).unwrap();
    }
    let raster = GdalRaster::open(dir.join("v0.vrt")).unwrap();
    let cells = raster
        .read_window::<u8>(1, Window::new(3, 0, 1, 16))
        .unwrap();
    assert_eq!(
        cells.as_slice().unwrap(),
        &(48..64u8).collect::<Vec<_>>()[..]
    );

    // One VRT more is too deep to check: refused, with the same way out.
    std::fs::write(dir.join("w.vrt"), simple_vrt("v0.vrt", true)).unwrap();
    let w = dir.join("w.vrt");
    assert_eq!(
        open_error(&w),
        format!(
            "{}: cannot open: it reads VRTs that read VRTs more than 8 levels deep, too deep to \
             check for a VRTRawRasterBand (which reads raw bytes of another file); refused unless \
             allowed (RasterOptions::allow_raw_vrt, --allow-raw-vrt)",
            w.display()
        )
    );
    let allowed = RasterOptions {
        allow_raw_vrt: true,
        ..RasterOptions::default()
    };
    assert!(GdalRaster::open_with(&w, &allowed).is_ok());
}

/// Characters XML 1.0 forbids: what must not reach an SVG or HTML page.
fn forbidden_in_xml(c: char) -> bool {
    !matches!(c, '\u{9}' | '\u{A}' | '\u{D}' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

fn square(id: ZoneId, x: f64, attributes: Attributes) -> Zone {
    Zone {
        id,
        attributes,
        geometry: MultiPolygon(vec![polygon![
            (x: x, y: 0.0), (x: x + 1.0, y: 0.0), (x: x + 1.0, y: 1.0), (x: x, y: 1.0)
        ]]),
    }
}

/// Zones whose ids and attributes carry control characters and XML's specials.
fn hostile_zones() -> ZoneSet {
    let names: Vec<String> = vec!["name".into(), "province".into()];
    let attrs = |name: &str, province: &str| {
        Attributes::new(
            names.clone(),
            vec![
                AttrValue::Text(name.into()),
                AttrValue::Text(province.into()),
            ],
        )
    };
    ZoneSet::new(
        vec![
            square(
                ZoneId::Text("a\u{1}<b>&\"c'\u{1b}[31m".into()),
                0.0,
                attrs("Yu\u{0}bei\u{FFFE}", "Chong\u{7}qing"),
            ),
            square(
                ZoneId::Text("tab\there\u{FFFF}".into()),
                1.0,
                attrs("plain", "Chong\u{7}qing"),
            ),
        ],
        Some(Crs::wgs84()),
    )
}

#[test]
fn svg_maps_drop_characters_xml_forbids() {
    let zones = hostile_zones();
    let map = Choropleth::new(&zones, &[Some(1.0), Some(2.0)], "Lights\u{8} & <poverty>").unwrap();
    let svg = map.to_svg();
    assert_eq!(svg.chars().filter(|&c| forbidden_in_xml(c)).count(), 0);
    assert!(svg.contains(">Lights &amp; &lt;poverty&gt;</text>"));
    assert!(svg.contains("<title>a&lt;b&gt;&amp;&quot;c&#39;[31m: 1</title>"));
    assert!(svg.contains("<title>tab\there: 2</title>"));

    // And it parses as XML, with the texts intact.
    let dir = TempDir::new("svg-xml");
    let path = dir.join("map.svg");
    map.write_svg(&path).unwrap();
    let parsed = std::process::Command::new("python3")
        .arg("-c")
        .arg(
            "import sys, xml.etree.ElementTree as ET\n\
             ns = '{http://www.w3.org/2000/svg}'\n\
             root = ET.parse(sys.argv[1]).getroot()\n\
             print('|'.join(t.text for t in root.iter(ns + 'title')))",
        )
        .arg(&path)
        .output();
    match parsed {
        Ok(out) => {
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            assert_eq!(
                String::from_utf8_lossy(&out.stdout),
                "a<b>&\"c'[31m: 1|tab\there: 2\n"
            );
        }
        Err(e) => eprintln!("python3 not available ({e}); the character checks above stand"),
    }
}

#[test]
fn html_maps_drop_characters_xml_forbids() {
    let zones = hostile_zones();
    let html = InteractiveMap::new(&zones, "Lights\u{1b} <b>&</b> 'q'")
        .indicator("density\u{1}", &[Some(1.0), None])
        .unwrap()
        .label_field("name")
        .group_by("province")
        .to_html()
        .unwrap();
    assert_eq!(html.chars().filter(|&c| forbidden_in_xml(c)).count(), 0);
    assert!(html.contains("<title>Lights &lt;b&gt;&amp;&lt;/b&gt; &#39;q&#39;</title>"));
    assert!(html.contains(r#""indicators":["density"]"#));
    assert!(html.contains(r#"{"id":"a\u003cb>&\"c'[31m","label":"Yubei","group":0,"#));
    assert!(html.contains(r#"{"id":"tab\there","label":"plain","group":0,"#));
    assert!(html.contains(r#""groups":["Chongqing"]"#));
}

#[test]
fn tables_in_other_encodings_are_named_with_their_line() {
    let dir = TempDir::new("gbk-table");
    // "渝北" (Yubei) in GBK is D3 E5 B1 B1; line 2 is a quoted field over two lines.
    let path = dir.join("t.csv");
    let mut bytes = b"code,name\n500101,\"Yu\nzhong\"\n500112,".to_vec();
    bytes.extend_from_slice(&[0xD3, 0xE5, 0xB1, 0xB1]);
    bytes.push(b'\n');
    std::fs::write(&path, &bytes).unwrap();
    let err = Table::read(&path).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "{}, line 4: not valid UTF-8 (the file may be in another encoding such as GBK or \
             Latin-1; save it as UTF-8)",
            path.display()
        )
    );
    // On line 1, in Latin-1.
    std::fs::write(&path, b"code,caf\xE9\n1,2\n").unwrap();
    assert_eq!(
        Table::read(&path).unwrap_err().to_string(),
        format!(
            "{}, line 1: not valid UTF-8 (the file may be in another encoding such as GBK or \
             Latin-1; save it as UTF-8)",
            path.display()
        )
    );
    // UTF-16 says so.
    std::fs::write(&path, b"\xFF\xFEc\0o\0d\0e\0\n\0").unwrap();
    assert_eq!(
        Table::read(&path).unwrap_err().to_string(),
        format!(
            "{}, line 1: the file is UTF-16, not UTF-8 (save it as UTF-8)",
            path.display()
        )
    );
}

#[test]
fn tables_with_a_utf8_byte_order_mark_are_read() {
    let dir = TempDir::new("bom-table");
    let path = dir.join("t.csv");
    std::fs::write(&path, "\u{feff}code,name\r\n500112,渝北\r\n").unwrap();
    let table = Table::read(&path).unwrap();
    assert_eq!(table.header(), ["code", "name"]);
    assert_eq!(table.column("code").unwrap(), ["500112"]);
    assert_eq!(table.column("name").unwrap(), ["渝北"]);
}

/// GDAL's message for a GeoJSON object over `OGR_GEOJSON_MAX_OBJ_SIZE` (GDAL 3.6).
const TOO_LARGE: &str = "GeoJSON object too complex/large. You may define the \
                         OGR_GEOJSON_MAX_OBJ_SIZE configuration option to a value in megabytes \
                         to allow for larger features, or 0 to remove any size limit.";

#[test]
fn gdals_first_reason_reaches_vector_open_errors() {
    let dir = TempDir::new("big-geojson");
    let path = dir.join("big.geojson");
    // One feature of about 2 MB; the limit is set to 1 MB on this thread only.
    let big = "x".repeat(2 * 1024 * 1024);
    std::fs::write(
        &path,
        format!(
            r#"{{"type":"FeatureCollection","features":[{{"type":"Feature","properties":{{"big":"{big}"}},"geometry":{{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}}}}]}}"#
        ),
    )
    .unwrap();
    gdal::config::set_thread_local_config_option("OGR_GEOJSON_MAX_OBJ_SIZE", "1").unwrap();
    let result = ZoneSet::read(&path, &ZoneOptions::default());
    gdal::config::clear_thread_local_config_option("OGR_GEOJSON_MAX_OBJ_SIZE").unwrap();
    match result {
        Err(Error::Open {
            source_name,
            reason,
        }) => {
            assert_eq!(source_name, path.display().to_string());
            assert!(reason.contains(TOO_LARGE), "{reason}");
            assert!(
                reason.contains(&format!("{TOO_LARGE} (then: Failed to read GeoJSON data)")),
                "{reason}"
            );
        }
        other => panic!("{other:?}"),
    }
    // Without the limit, the same file is read.
    assert_eq!(
        ZoneSet::read(&path, &ZoneOptions::default()).unwrap().len(),
        1
    );
}

#[test]
fn gdals_first_reason_reaches_raster_open_errors() {
    let dir = TempDir::new("bad-tiff");
    let path = dir.join("trunc.tif");
    // A TIFF header whose first directory claims 100 entries and holds none.
    let mut bytes = b"II*\0\x08\0\0\0".to_vec();
    bytes.extend_from_slice(&[100, 0]);
    bytes.extend_from_slice(&[0; 20]);
    std::fs::write(&path, &bytes).unwrap();
    let name = path.display().to_string();
    match GdalRaster::open(&path) {
        Err(Error::Open {
            source_name,
            reason,
        }) => {
            assert_eq!(source_name, name);
            let relayed = format!(
                "{name}: TIFFFetchDirectory:{name}: Can not read TIFF directory \
                 (then: {name}: TIFFReadDirectory:Failed to read directory at offset 8)"
            );
            assert!(reason.contains(&relayed), "{reason}");
        }
        other => panic!("{other:?}"),
    }
}

/// Features with date, date-time and time properties (GDAL's GeoJSON reader
/// types them OFTDate, OFTDateTime and OFTTime), null or left out.
const DATED: &str = r#"{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"day":"2023-01-02","at":"2023-01-02T03:04:05+08:00","utc":"2023-01-02T03:04:05Z","local":"2023-01-02T03:04:05","ms":"2023-01-02T03:04:05.250-03:30","t":"03:04:05"},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}},
{"type":"Feature","properties":{"day":"2024-12-31","at":null,"utc":"2024-02-29T23:59:59Z","local":null,"ms":null,"t":null},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}},
{"type":"Feature","properties":{"day":"2025-06-30","utc":"2025-06-30T12:00:00Z"},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}}
]}"#;

fn read_with_id(path: &Path, id: &str) -> terralux::Result<ZoneSet> {
    let options = ZoneOptions {
        id_field: Some(id.into()),
        ..ZoneOptions::default()
    };
    ZoneSet::read(path, &options)
}

fn ids(zones: &ZoneSet) -> Vec<ZoneId> {
    zones.iter().map(|z| z.id.clone()).collect()
}

#[test]
fn date_fields_keep_iso_8601_and_their_kind() {
    let dir = TempDir::new("dates");
    let path = dir.join("dated.geojson");
    std::fs::write(&path, DATED).unwrap();

    let zones = read_with_id(&path, "day").unwrap();
    assert_eq!(
        ids(&zones),
        [
            ZoneId::Text("2023-01-02".into()),
            ZoneId::Text("2024-12-31".into()),
            ZoneId::Text("2025-06-30".into())
        ]
    );
    let first: Vec<(&str, &AttrValue)> = zones.zones()[0].attributes.iter().collect();
    assert_eq!(
        first,
        [
            ("day", &AttrValue::Date("2023-01-02".into())),
            (
                "at",
                &AttrValue::DateTime("2023-01-02T03:04:05+08:00".into())
            ),
            ("utc", &AttrValue::DateTime("2023-01-02T03:04:05Z".into())),
            ("local", &AttrValue::DateTime("2023-01-02T03:04:05".into())),
            (
                "ms",
                &AttrValue::DateTime("2023-01-02T03:04:05.250-03:30".into())
            ),
            ("t", &AttrValue::Time("03:04:05".into())),
        ]
    );
    let second: Vec<&AttrValue> = zones.zones()[1].attributes.values().iter().collect();
    assert_eq!(
        second,
        [
            &AttrValue::Date("2024-12-31".into()),
            &AttrValue::Null,
            &AttrValue::DateTime("2024-02-29T23:59:59Z".into()),
            &AttrValue::Null,
            &AttrValue::Null,
            &AttrValue::Null,
        ]
    );
    // Properties a feature leaves out are missing too, not "" or 0.
    let third: Vec<&AttrValue> = zones.zones()[2].attributes.values().iter().collect();
    assert_eq!(
        third,
        [
            &AttrValue::Date("2025-06-30".into()),
            &AttrValue::Null,
            &AttrValue::DateTime("2025-06-30T12:00:00Z".into()),
            &AttrValue::Null,
            &AttrValue::Null,
            &AttrValue::Null,
        ]
    );
    // Text wherever a value is shown: CSV cells, map labels.
    assert_eq!(
        zones.zones()[0].attributes.values()[1].to_string(),
        "2023-01-02T03:04:05+08:00"
    );

    // Date-time and time ids.
    assert_eq!(
        ids(&read_with_id(&path, "utc").unwrap()),
        [
            ZoneId::Text("2023-01-02T03:04:05Z".into()),
            ZoneId::Text("2024-02-29T23:59:59Z".into()),
            ZoneId::Text("2025-06-30T12:00:00Z".into())
        ]
    );
    // An empty date id is an error naming the feature; so is one left out.
    assert_eq!(
        read_with_id(&path, "at").unwrap_err().to_string(),
        format!(
            "{}, layer 'dated', feature fid 1: its id field 'at' is empty",
            path.display()
        )
    );
    let at_left_out = DATED.replace(r#""at":null,"#, r#""at":"2024-12-31T00:00:00Z","#);
    std::fs::write(&path, at_left_out).unwrap();
    assert_eq!(
        read_with_id(&path, "at").unwrap_err().to_string(),
        format!(
            "{}, layer 'dated', feature fid 2: its id field 'at' is empty",
            path.display()
        )
    );
}

#[test]
fn geopackage_date_fields_keep_iso_8601_and_their_kind() {
    use gdal::vector::{FieldDefn, LayerAccess, LayerOptions, OGRFieldType, OGRwkbGeometryType};
    let dir = TempDir::new("gpkg-dates");
    let path = dir.join("dated.gpkg");
    {
        let driver = DriverManager::get_driver_by_name("GPKG").unwrap();
        let mut ds = driver.create_vector_only(&path).unwrap();
        let srs = SpatialRef::from_epsg(4326).unwrap();
        let layer = ds
            .create_layer(LayerOptions {
                name: "zones",
                srs: Some(&srs),
                ty: OGRwkbGeometryType::wkbPolygon,
                options: None,
            })
            .unwrap();
        for (name, kind) in [
            ("day", OGRFieldType::OFTDate),
            ("at", OGRFieldType::OFTDateTime),
        ] {
            FieldDefn::new(name, kind)
                .unwrap()
                .add_to_layer(&layer)
                .unwrap();
        }
        for (day, at) in [
            ("2023-01-02", "2023-01-02T03:04:05Z"),
            ("1999-12-31", "1999-12-31T23:59:58.5Z"),
        ] {
            let mut feature = gdal::vector::Feature::new(layer.defn()).unwrap();
            feature.set_field_string(0, day).unwrap();
            feature.set_field_string(1, at).unwrap();
            feature
                .set_geometry(
                    gdal::vector::Geometry::from_wkt("POLYGON ((0 0,1 0,1 1,0 0))").unwrap(),
                )
                .unwrap();
            feature.create(&layer).unwrap();
        }
    }
    let zones = read_with_id(&path, "day").unwrap();
    assert_eq!(
        ids(&zones),
        [
            ZoneId::Text("2023-01-02".into()),
            ZoneId::Text("1999-12-31".into())
        ]
    );
    let at: Vec<&AttrValue> = zones
        .iter()
        .map(|z| z.attributes.get("at").unwrap())
        .collect();
    assert_eq!(
        at,
        [
            &AttrValue::DateTime("2023-01-02T03:04:05Z".into()),
            &AttrValue::DateTime("1999-12-31T23:59:58.500Z".into())
        ]
    );
}
