//! Roll-ups through the admin hierarchy equal a direct computation over the
//! union of the member zones.

use std::sync::Arc;

use geo_types::{Coord, LineString, MultiPolygon, Polygon};
use ndarray::Array2;
use terralux::stats::{Stat, StatValue};
use terralux::zones::{AttrValue, Attributes, Zone, ZoneId, ZoneSet};
use terralux::{Error, GeoTransform, Grid, Raster, ZonalStats};

fn polygon(points: &[(f64, f64)]) -> MultiPolygon<f64> {
    let ring: Vec<Coord<f64>> = points.iter().map(|&(x, y)| Coord { x, y }).collect();
    MultiPolygon(vec![Polygon::new(LineString::from(ring), vec![])])
}

fn names() -> Arc<[String]> {
    vec!["city".to_string(), "province".to_string()].into()
}

fn county(id: i64, city: &str, province: i64, points: &[(f64, f64)]) -> Zone {
    Zone {
        id: ZoneId::Int(id),
        attributes: Attributes::new(
            names(),
            vec![AttrValue::Text(city.into()), AttrValue::Int(province)],
        ),
        geometry: polygon(points),
    }
}

/// Four counties on a 4 x 8 grid: two cities in province 1 splitting the
/// left half along a slanted line, two in province 2 splitting the right
/// half (which runs one unit past the grid's edge) along another.
fn counties() -> ZoneSet {
    ZoneSet::new(
        vec![
            county(
                11,
                "west",
                1,
                &[(0.0, 0.0), (2.5, 0.0), (1.5, 4.0), (0.0, 4.0)],
            ),
            county(
                31,
                "south",
                2,
                &[(4.0, 0.0), (9.0, 0.0), (9.0, 1.7), (4.0, 2.3)],
            ),
            county(
                12,
                "east",
                1,
                &[(2.5, 0.0), (4.0, 0.0), (4.0, 4.0), (1.5, 4.0)],
            ),
            county(
                32,
                "north",
                2,
                &[(4.0, 2.3), (9.0, 1.7), (9.0, 4.0), (4.0, 4.0)],
            ),
        ],
        None,
    )
}

/// The provinces as single polygons, for the direct computation.
fn provinces() -> ZoneSet {
    let zone = |id: i64, points: &[(f64, f64)]| Zone {
        id: ZoneId::Int(id),
        attributes: Attributes::default(),
        geometry: polygon(points),
    };
    ZoneSet::new(
        vec![
            zone(1, &[(0.0, 0.0), (4.0, 0.0), (4.0, 4.0), (0.0, 4.0)]),
            zone(2, &[(4.0, 0.0), (9.0, 0.0), (9.0, 4.0), (4.0, 4.0)]),
        ],
        None,
    )
}

fn raster() -> Raster<f64> {
    let grid = Grid::new(GeoTransform::new(0.0, 1.0, 4.0, -1.0).unwrap(), 4, 8).unwrap();
    let values = Array2::from_shape_fn((4, 8), |(r, c)| {
        if (r, c) == (2, 5) {
            f64::NAN
        } else {
            ((r * 7 + c * 3) % 5) as f64 + 0.25 * c as f64
        }
    });
    Raster::new(grid, values).unwrap()
}

fn stats() -> Vec<Stat> {
    "count,sum,mean,min,max,stdev,median,p90,majority,variety,valid_frac,outside_frac,gini,theil"
        .split(',')
        .map(|s| Stat::parse(s).unwrap())
        .collect()
}

fn assert_close(got: &[StatValue], want: &[StatValue]) {
    assert_eq!(got.len(), want.len());
    for (g, w) in got.iter().zip(want) {
        match (g, w) {
            (StatValue::Number(g), StatValue::Number(w)) => {
                assert!(
                    (g - w).abs() <= 1e-9 * w.abs().max(1.0),
                    "{got:?}\n{want:?}"
                )
            }
            _ => assert_eq!(g, w, "{got:?}\n{want:?}"),
        }
    }
}

#[test]
fn provinces_rolled_up_equal_the_union_of_their_counties() {
    let raster = raster();
    let zones = counties();
    let (table, levels) = ZonalStats::new(&zones)
        .band(&raster, 1)
        .stats(&stats())
        .run_with_roll_ups(&["province"])
        .unwrap();
    assert_eq!(table.zones.len(), 4);
    let provinces_table = &levels[0];
    let ids: Vec<ZoneId> = provinces_table.zones.iter().map(|z| z.id.clone()).collect();
    assert_eq!(ids, vec![ZoneId::Int(1), ZoneId::Int(2)]);
    assert_eq!(
        provinces_table.zones[1].attributes.get("province"),
        Some(&AttrValue::Int(2))
    );
    assert_eq!(
        provinces_table.provenance.id_field.as_deref(),
        Some("province")
    );

    let direct = ZonalStats::new(&provinces())
        .band(&raster, 1)
        .stats(&stats())
        .run()
        .unwrap();
    for (rolled, direct) in provinces_table.zones.iter().zip(&direct.zones) {
        assert_close(&rolled.values, &direct.values);
    }
    // Province 2 runs one unit past the grid: a fifth of it is outside.
    let outside = provinces_table.value(1, "outside_frac").unwrap();
    assert!(matches!(outside, StatValue::Number(v) if (v - 0.2).abs() < 1e-12));
}

#[test]
fn sums_add_and_means_are_not_averaged() {
    let raster = raster();
    let zones = counties();
    let (table, levels) = ZonalStats::new(&zones)
        .band(&raster, 1)
        .stats(&[Stat::Sum, Stat::Mean])
        .run_with_roll_ups(&["province"])
        .unwrap();
    let number = |v: &StatValue| match v {
        StatValue::Number(x) => *x,
        other => panic!("{other:?}"),
    };
    // Province 2 holds zones 1 and 3, of unequal valid areas.
    let (a, b) = (&table.zones[1].values, &table.zones[3].values);
    let sum = number(&levels[0].zones[1].values[0]);
    assert!((sum - (number(&a[0]) + number(&b[0]))).abs() < 1e-9);
    let averaged = (number(&a[1]) + number(&b[1])) / 2.0;
    let mean = number(&levels[0].zones[1].values[1]);
    assert!(
        (mean - averaged).abs() > 1e-6,
        "mean {mean} equals the average of means"
    );
}

#[test]
fn several_levels_at_once_and_identical_for_any_thread_count() {
    let raster = raster();
    let zones = counties();
    let run = |threads: usize| {
        ZonalStats::new(&zones)
            .band(&raster, 1)
            .stats(&stats())
            .threads(threads)
            .chunk_cells(8)
            .run_with_roll_ups(&["city", "province"])
            .unwrap()
    };
    let (one_table, one_levels) = run(1);
    let (two_table, two_levels) = run(2);
    assert_eq!(one_table.zones, two_table.zones);
    assert_eq!(one_levels.len(), 2);
    for (a, b) in one_levels.iter().zip(&two_levels) {
        assert_eq!(a.zones, b.zones);
    }
    // Each city is one county here, so the city level repeats the counties.
    for (city, county) in one_levels[0].zones.iter().zip(&one_table.zones) {
        assert_close(&city.values, &county.values);
    }
    // And the zones' own results do not change when roll-ups are asked for.
    let plain = ZonalStats::new(&zones)
        .band(&raster, 1)
        .stats(&stats())
        .chunk_cells(8)
        .run()
        .unwrap();
    assert_eq!(plain.zones, one_table.zones);
}

#[test]
fn a_missing_field_or_value_is_a_clear_error() {
    let raster = raster();
    let zones = counties();
    let err = ZonalStats::new(&zones)
        .band(&raster, 1)
        .run_with_roll_ups(&["prefecture"])
        .unwrap_err();
    assert!(matches!(err, Error::FieldNotFound { .. }), "{err}");
    assert!(err.to_string().contains("city, province"), "{err}");

    let mut with_null = counties().zones().to_vec();
    with_null[1].attributes = Attributes::new(
        names(),
        vec![AttrValue::Text("south".into()), AttrValue::Null],
    );
    let with_null = ZoneSet::new(with_null, None);
    let err = ZonalStats::new(&with_null)
        .band(&raster, 1)
        .run_with_roll_ups(&["province"])
        .unwrap_err()
        .to_string();
    assert!(err.contains("zone 31 has no value in 'province'"), "{err}");
}
