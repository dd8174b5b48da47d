//! Reading zones through OGR, reprojection with PROJ, and GCJ-02.
#![cfg(feature = "gdal")]

mod common;

use common::{TempDir, testdata};
use gdal::DriverManager;
use gdal::spatial_ref::SpatialRef;
use gdal::vector::{
    FieldDefn, Geometry, LayerAccess, LayerOptions, OGRFieldType, OGRwkbGeometryType,
};
use geo::Area;
use terralux::zones::gcj02::{gcj02_to_wgs84, wgs84_to_gcj02};
use terralux::zones::{AttrValue, BadGeometry, ZoneId, ZoneOptions, ZoneSet};
use terralux::{Crs, Error};

fn by_code() -> ZoneOptions {
    ZoneOptions {
        id_field: Some("code".into()),
        ..ZoneOptions::default()
    }
}

#[test]
fn testdata_counties_read_in_order_with_ids_and_attributes() {
    let zones = ZoneSet::read(testdata("counties.gpkg"), &by_code()).unwrap();
    assert_eq!(zones.len(), 24);
    assert_eq!(zones.layer(), "counties");
    assert_eq!(zones.id_field(), Some("code"));
    assert_eq!(zones.crs().unwrap().definition(), "EPSG:4326");
    assert_eq!(zones.field_names(), ["code", "name", "city", "province"]);
    let first = &zones.zones()[0];
    assert_eq!(first.id, ZoneId::Text("500101".into()));
    assert_eq!(
        first.attributes.get("name"),
        Some(&AttrValue::Text("Yuzhong".into()))
    );
    assert_eq!(
        first.attributes.get("city"),
        Some(&AttrValue::Text("Chongqing North".into()))
    );
    assert_eq!(
        first.attributes.get("province"),
        Some(&AttrValue::Text("Chongqing".into()))
    );
    let ids: Vec<String> = zones.iter().map(|z| z.id.to_string()).collect();
    assert_eq!(ids[20..], ["500121", "510122", "500123", "510124"]);
    // The shapes the test data promises (testdata/README.md).
    assert_eq!(zones.iter().filter(|z| z.geometry.0.len() > 1).count(), 1);
    assert_eq!(
        zones.zones()[15].geometry.0.len(),
        3,
        "Qijiang has two islands"
    );
    assert_eq!(
        zones.zones()[6].geometry.0[0].interiors().len(),
        1,
        "Beibei has a hole"
    );
    // The lake island fills Beibei's hole exactly.
    let island = &zones.zones()[20].geometry.0[0];
    let hole = &zones.zones()[6].geometry.0[0].interiors()[0];
    assert!(
        (island.unsigned_area() - geo_types::Polygon::new(hole.clone(), vec![]).unsigned_area())
            .abs()
            < 1e-15
    );
    // Feature ids when no id field is named.
    let by_fid = ZoneSet::read(testdata("counties.gpkg"), &ZoneOptions::default()).unwrap();
    assert_eq!(by_fid.zones()[0].id, ZoneId::Int(1));
    assert_eq!(by_fid.zones()[23].id, ZoneId::Int(24));
}

/// A feature for [`write_layer`]: its WKT geometry (or none) and its `code`.
struct TestFeature<'a> {
    wkt: Option<&'a str>,
    code: Option<i64>,
}

fn write_layer(
    path: &std::path::Path,
    driver: &str,
    layer: &str,
    epsg: Option<u32>,
    features: &[TestFeature<'_>],
) {
    let driver = DriverManager::get_driver_by_name(driver).unwrap();
    let mut ds = if path.exists() {
        gdal::Dataset::open_ex(
            path,
            gdal::DatasetOptions {
                open_flags: gdal::GdalOpenFlags::GDAL_OF_UPDATE
                    | gdal::GdalOpenFlags::GDAL_OF_VECTOR,
                ..Default::default()
            },
        )
        .unwrap()
    } else {
        driver.create_vector_only(path).unwrap()
    };
    let srs = epsg.map(|code| SpatialRef::from_epsg(code).unwrap());
    let lyr = ds
        .create_layer(LayerOptions {
            name: layer,
            srs: srs.as_ref(),
            ty: OGRwkbGeometryType::wkbUnknown,
            options: None,
        })
        .unwrap();
    FieldDefn::new("code", OGRFieldType::OFTInteger64)
        .unwrap()
        .add_to_layer(&lyr)
        .unwrap();
    FieldDefn::new("name", OGRFieldType::OFTString)
        .unwrap()
        .add_to_layer(&lyr)
        .unwrap();
    for (i, f) in features.iter().enumerate() {
        let mut feature = gdal::vector::Feature::new(lyr.defn()).unwrap();
        if let Some(code) = f.code {
            feature.set_field_integer64(0, code).unwrap();
        }
        feature.set_field_string(1, &format!("zone {i}")).unwrap();
        if let Some(wkt) = f.wkt {
            feature
                .set_geometry(Geometry::from_wkt(wkt).unwrap())
                .unwrap();
        }
        feature.create(&lyr).unwrap();
    }
}

const SQUARE: &str = "POLYGON ((106 29, 107 29, 107 30, 106 30, 106 29))";

#[test]
fn shapefile_geojson_and_flatgeobuf_read_alike() {
    let tmp = TempDir::new("zones-formats");
    let features = [
        TestFeature {
            wkt: Some(SQUARE),
            code: Some(7),
        },
        TestFeature {
            wkt: Some("MULTIPOLYGON (((0 0, 1 0, 1 1, 0 0)), ((2 2, 3 2, 3 3, 2 2)))"),
            code: Some(8),
        },
    ];
    for (driver, file) in [
        ("ESRI Shapefile", "z.shp"),
        ("GeoJSON", "z.geojson"),
        ("FlatGeobuf", "z.fgb"),
        ("GPKG", "z.gpkg"),
    ] {
        let path = tmp.join(file);
        write_layer(&path, driver, "z", Some(4326), &features);
        let zones = ZoneSet::read(
            &path,
            &ZoneOptions {
                id_field: Some("code".into()),
                ..ZoneOptions::default()
            },
        )
        .unwrap_or_else(|e| panic!("{driver}: {e}"));
        assert_eq!(zones.len(), 2, "{driver}");
        assert_eq!(zones.zones()[0].id, ZoneId::Int(7), "{driver}");
        assert_eq!(zones.zones()[1].geometry.0.len(), 2, "{driver}");
        assert!(
            (zones.zones()[0].geometry.unsigned_area() - 1.0).abs() < 1e-12,
            "{driver}"
        );
        assert!(zones.crs().unwrap().is_geographic(), "{driver}");
    }
}

#[test]
fn three_d_measured_and_collection_geometries_are_flattened() {
    let tmp = TempDir::new("zones-3d");
    let path = tmp.join("z.gpkg");
    write_layer(
        &path,
        "GPKG",
        "z",
        Some(4326),
        &[
            TestFeature {
                wkt: Some("POLYGON Z ((0 0 5, 2 0 5, 2 2 6, 0 2 7, 0 0 5))"),
                code: Some(1),
            },
            TestFeature {
                wkt: Some("MULTIPOLYGON M (((0 0 1, 1 0 1, 1 1 1, 0 0 1)))"),
                code: Some(2),
            },
            TestFeature {
                wkt: Some("POLYGON ZM ((0 0 1 2, 1 0 1 2, 1 1 1 2, 0 0 1 2))"),
                code: Some(3),
            },
            TestFeature {
                wkt: Some(
                    "GEOMETRYCOLLECTION (POLYGON ((0 0, 1 0, 1 1, 0 0)), POLYGON ((5 5, 6 5, 6 6, 5 5)))",
                ),
                code: Some(4),
            },
        ],
    );
    let zones = ZoneSet::read(&path, &ZoneOptions::default()).unwrap();
    assert_eq!(zones.len(), 4);
    assert!((zones.zones()[0].geometry.unsigned_area() - 4.0).abs() < 1e-12);
    assert!((zones.zones()[1].geometry.unsigned_area() - 0.5).abs() < 1e-12);
    assert!((zones.zones()[2].geometry.unsigned_area() - 0.5).abs() < 1e-12);
    assert_eq!(zones.zones()[3].geometry.0.len(), 2);
}

#[test]
fn non_polygon_and_empty_features_error_or_are_kept_empty() {
    let tmp = TempDir::new("zones-bad");
    let path = tmp.join("mixed.gpkg");
    write_layer(
        &path,
        "GPKG",
        "mixed",
        Some(4326),
        &[
            TestFeature {
                wkt: Some(SQUARE),
                code: Some(1),
            },
            TestFeature {
                wkt: Some("POINT (106.5 29.5)"),
                code: Some(2),
            },
            TestFeature {
                wkt: None,
                code: Some(3),
            },
            TestFeature {
                wkt: Some("POLYGON EMPTY"),
                code: Some(4),
            },
            TestFeature {
                wkt: Some("LINESTRING (0 0, 1 1)"),
                code: Some(5),
            },
        ],
    );
    match ZoneSet::read(&path, &ZoneOptions::default()) {
        Err(e @ Error::Feature { .. }) => {
            let msg = e.to_string();
            assert!(msg.contains("mixed.gpkg, layer 'mixed', feature fid 2: is a Point, not a polygon or multipolygon"), "{msg}");
        }
        other => panic!("{other:?}"),
    }
    let kept = ZoneSet::read(
        &path,
        &ZoneOptions {
            bad_geometry: BadGeometry::KeepEmpty,
            ..ZoneOptions::default()
        },
    )
    .unwrap();
    assert_eq!(kept.len(), 5, "every feature is accounted for");
    let empty: Vec<bool> = kept.iter().map(|z| z.geometry.0.is_empty()).collect();
    assert_eq!(empty, [false, true, true, true, true]);

    // A layer of points only, read with the default policy.
    let points = tmp.join("points.geojson");
    write_layer(
        &points,
        "GeoJSON",
        "points",
        Some(4326),
        &[TestFeature {
            wkt: Some("POINT (1 2)"),
            code: Some(1),
        }],
    );
    assert!(matches!(
        ZoneSet::read(&points, &ZoneOptions::default()),
        Err(Error::Feature { .. })
    ));

    // Empty geometry, reported by name.
    let empties = tmp.join("empty.gpkg");
    write_layer(
        &empties,
        "GPKG",
        "e",
        Some(4326),
        &[TestFeature {
            wkt: Some("MULTIPOLYGON EMPTY"),
            code: Some(1),
        }],
    );
    let err = ZoneSet::read(&empties, &ZoneOptions::default()).unwrap_err();
    assert!(
        err.to_string()
            .contains("feature fid 1: has an empty geometry"),
        "{err}"
    );
    let none = tmp.join("none.gpkg");
    write_layer(
        &none,
        "GPKG",
        "n",
        Some(4326),
        &[TestFeature {
            wkt: None,
            code: Some(1),
        }],
    );
    let err = ZoneSet::read(&none, &ZoneOptions::default()).unwrap_err();
    assert!(
        err.to_string().contains("feature fid 1: has no geometry"),
        "{err}"
    );
}

#[test]
fn layers_fields_and_crs_are_checked() {
    let tmp = TempDir::new("zones-layers");
    let path = tmp.join("two.gpkg");
    write_layer(
        &path,
        "GPKG",
        "first",
        Some(4326),
        &[TestFeature {
            wkt: Some(SQUARE),
            code: Some(1),
        }],
    );
    write_layer(
        &path,
        "GPKG",
        "second",
        None,
        &[TestFeature {
            wkt: Some(SQUARE),
            code: None,
        }],
    );
    match ZoneSet::read(&path, &ZoneOptions::default()) {
        Err(e @ Error::Layer { .. }) => assert!(
            e.to_string()
                .ends_with("it has 2 layers; choose one by name (layers: first, second)"),
            "{e}"
        ),
        other => panic!("{other:?}"),
    }
    let layer = |name: &str| ZoneOptions {
        layer: Some(name.into()),
        ..ZoneOptions::default()
    };
    assert_eq!(ZoneSet::read(&path, &layer("first")).unwrap().len(), 1);
    match ZoneSet::read(&path, &layer("third")) {
        Err(e @ Error::Layer { .. }) => assert!(
            e.to_string()
                .contains("no layer named 'third' (layers: first, second)"),
            "{e}"
        ),
        other => panic!("{other:?}"),
    }
    // The second layer has no CRS.
    match ZoneSet::read(&path, &layer("second")) {
        Err(e @ Error::MissingCrs { .. }) => assert!(
            e.to_string().contains(
                "two.gpkg, layer 'second': the data set has no coordinate reference system"
            ),
            "{e}"
        ),
        other => panic!("{other:?}"),
    }
    // A shapefile without its .prj has no CRS either.
    let shp = tmp.join("bare.shp");
    write_layer(
        &shp,
        "ESRI Shapefile",
        "bare",
        None,
        &[TestFeature {
            wkt: Some(SQUARE),
            code: Some(1),
        }],
    );
    assert!(!tmp.join("bare.prj").exists());
    match ZoneSet::read(&shp, &ZoneOptions::default()) {
        Err(e @ Error::MissingCrs { .. }) => {
            assert!(e.to_string().contains("bare.shp, layer 'bare'"), "{e}")
        }
        other => panic!("{other:?}"),
    }
    let assumed = ZoneSet::read(
        &path,
        &ZoneOptions {
            assume_crs: Some(Crs::wgs84()),
            ..layer("second")
        },
    )
    .unwrap();
    assert_eq!(assumed.crs(), Some(&Crs::wgs84()));
    // A missing id field names the fields there are.
    match ZoneSet::read(
        &path,
        &ZoneOptions {
            id_field: Some("adcode".into()),
            ..layer("first")
        },
    ) {
        Err(e @ Error::FieldNotFound { .. }) => {
            assert!(
                e.to_string()
                    .ends_with("layer 'first': no field named 'adcode' (fields: code, name)"),
                "{e}"
            )
        }
        other => panic!("{other:?}"),
    }
    // A null id names the feature.
    match ZoneSet::read(
        &path,
        &ZoneOptions {
            id_field: Some("code".into()),
            assume_crs: Some(Crs::wgs84()),
            ..layer("second")
        },
    ) {
        Err(e @ Error::Feature { .. }) => assert!(
            e.to_string()
                .contains("feature fid 1: its id field 'code' is empty"),
            "{e}"
        ),
        other => panic!("{other:?}"),
    }
}

#[test]
fn missing_and_corrupt_vector_files_are_clear_errors() {
    let tmp = TempDir::new("zones-files");
    assert!(matches!(
        ZoneSet::read(tmp.join("none.gpkg"), &ZoneOptions::default()),
        Err(Error::NotFound { .. })
    ));
    let corrupt = tmp.join("corrupt.geojson");
    std::fs::write(
        &corrupt,
        "{ \"type\": \"FeatureCollection\", \"features\": [ {",
    )
    .unwrap();
    match ZoneSet::read(&corrupt, &ZoneOptions::default()) {
        Err(e @ Error::Open { .. }) => assert!(
            e.to_string().contains("corrupt.geojson: cannot open"),
            "{e}"
        ),
        other => panic!("{other:?}"),
    }
    // A raster is not a vector source.
    assert!(matches!(
        ZoneSet::read(testdata("ntl.tif"), &ZoneOptions::default()),
        Err(Error::Open { .. })
    ));
}

#[test]
fn reprojection_matches_known_coordinates_and_keeps_x_as_longitude() {
    let zones = ZoneSet::read(testdata("counties.gpkg"), &by_code()).unwrap();
    let mercator = zones
        .reprojected(&Crs::from_user_input("EPSG:3857").unwrap())
        .unwrap();
    assert_eq!(mercator.len(), zones.len());
    // Spherical Mercator on R = 6378137 m, computed independently.
    let r = 6_378_137.0f64;
    for (a, b) in zones.iter().zip(mercator.iter()) {
        assert_eq!(a.id, b.id);
        for (pa, pb) in a.geometry.0.iter().zip(b.geometry.0.iter()) {
            for (ca, cb) in pa.exterior().0.iter().zip(pb.exterior().0.iter()) {
                let x = r * ca.x.to_radians();
                let y = r
                    * (std::f64::consts::FRAC_PI_4 + ca.y.to_radians() / 2.0)
                        .tan()
                        .ln();
                assert!(
                    (cb.x - x).abs() < 1e-6 && (cb.y - y).abs() < 1e-6,
                    "{ca:?} -> {cb:?}, expected ({x}, {y})"
                );
            }
        }
    }
    // To UTM 48N and back: a round trip within 1e-9 degrees.
    let utm = zones
        .reprojected(&Crs::from_user_input("EPSG:32648").unwrap())
        .unwrap();
    assert!(!utm.crs().unwrap().is_geographic());
    let x0 = utm.zones()[0].geometry.0[0].exterior().0[0].x;
    assert!(
        (300_000.0..800_000.0).contains(&x0),
        "eastings near the central meridian, got {x0}"
    );
    let back = utm.reprojected(&Crs::wgs84()).unwrap();
    for (a, b) in zones.iter().zip(back.iter()) {
        for (pa, pb) in a.geometry.0.iter().zip(b.geometry.0.iter()) {
            for (ca, cb) in pa.exterior().0.iter().zip(pb.exterior().0.iter()) {
                assert!((ca.x - cb.x).abs() < 1e-9 && (ca.y - cb.y).abs() < 1e-9);
            }
        }
    }
    // Same CRS: unchanged.
    assert_eq!(
        zones.reprojected(&Crs::wgs84()).unwrap().zones(),
        zones.zones()
    );
    // Zones without CRS cannot be reprojected.
    let bare = ZoneSet::new(zones.zones().to_vec(), None);
    assert!(matches!(
        bare.reprojected(&Crs::wgs84()),
        Err(Error::MissingCrs { .. })
    ));
    assert!(matches!(
        Crs::from_user_input("EPSG:123456789"),
        Err(Error::Crs { .. })
    ));
}

/// Reference values from an independent implementation (the `coord-convert`
/// package on PyPI, `coord_convert.transform.wgs2gcj`, which uses the published
/// Krasovsky constants), as (WGS84 lon, lat) -> (GCJ-02 lon, lat).
const GCJ_REFERENCE: [((f64, f64), (f64, f64)); 6] = [
    (
        (116.397428, 39.90923),
        (116.40367162595768, 39.91063350638631),
    ),
    ((106.55, 29.56), (106.55372033746897, 29.557153428541934)),
    ((121.4737, 31.2304), (121.47822305927693, 31.22845773757727)),
    ((87.6168, 43.8256), (87.61964994946926, 43.82680539311119)),
    (
        (113.2644, 23.1291),
        (113.26972959210308, 23.126423339922844),
    ),
    (
        (126.6425, 45.7567),
        (126.64847005257023, 45.758651260466564),
    ),
];

#[test]
fn gcj02_forward_matches_reference_and_inverse_is_sub_millimetre() {
    for ((lon, lat), (glon, glat)) in GCJ_REFERENCE {
        let (x, y) = wgs84_to_gcj02(lon, lat);
        assert!(
            (x - glon).abs() < 1e-9 && (y - glat).abs() < 1e-9,
            "({lon}, {lat}) -> ({x}, {y})"
        );
        let (bx, by) = gcj02_to_wgs84(glon, glat);
        assert!((bx - lon).abs() < 1e-9 && (by - lat).abs() < 1e-9);
    }
    // Round trip over mainland China on a 0.25 degree lattice.
    let metres_per_degree = 111_320.0;
    let (mut worst_iterated, mut worst_one_step) = (0.0f64, 0.0f64);
    for i in 0..=248 {
        for j in 0..=144 {
            let (lon, lat) = (73.0 + 0.25 * i as f64, 18.0 + 0.25 * j as f64);
            let (glon, glat) = wgs84_to_gcj02(lon, lat);
            let (wlon, wlat) = gcj02_to_wgs84(glon, glat);
            worst_iterated = worst_iterated.max((wlon - lon).abs().max((wlat - lat).abs()));
            let (slon, slat) = (
                2.0 * glon - wgs84_to_gcj02(glon, glat).0,
                2.0 * glat - wgs84_to_gcj02(glon, glat).1,
            );
            worst_one_step = worst_one_step.max((slon - lon).abs().max((slat - lat).abs()));
        }
    }
    assert!(
        worst_iterated * metres_per_degree < 1e-3,
        "iterated inverse off by {} m",
        worst_iterated * metres_per_degree
    );
    assert!(
        worst_one_step * metres_per_degree > 0.1,
        "the one-step inverse is visibly worse ({} m)",
        worst_one_step * metres_per_degree
    );
    // Outside China the transform is the identity.
    assert_eq!(wgs84_to_gcj02(2.35, 48.85), (2.35, 48.85));
    assert_eq!(gcj02_to_wgs84(139.7, 35.7), (139.7, 35.7));
}

#[test]
fn zone_sets_convert_from_gcj02() {
    use geo::MapCoords;
    let zones = ZoneSet::read(testdata("counties.gpkg"), &by_code()).unwrap();
    let shifted: Vec<_> = zones
        .iter()
        .map(|z| {
            let mut z = z.clone();
            z.geometry = z.geometry.map_coords(|c| {
                let (x, y) = wgs84_to_gcj02(c.x, c.y);
                geo_types::Coord { x, y }
            });
            z
        })
        .collect();
    let back = ZoneSet::new(shifted, None).gcj02_to_wgs84().unwrap();
    let projected = ZoneSet::new(
        zones.zones().to_vec(),
        Some(Crs::projected("EPSG:3857", 1.0)),
    );
    let refused = projected.gcj02_to_wgs84().unwrap_err().to_string();
    assert!(
        refused
            .contains("GCJ-02 coordinates are longitude/latitude, but the zones are in EPSG:3857"),
        "{refused}"
    );
    assert_eq!(back.crs(), Some(&Crs::wgs84()));
    for (a, b) in zones.iter().zip(back.iter()) {
        let (ca, cb) = (
            a.geometry.0[0].exterior().0[3],
            b.geometry.0[0].exterior().0[3],
        );
        assert!((ca.x - cb.x).abs() < 1e-9 && (ca.y - cb.y).abs() < 1e-9);
    }
}
