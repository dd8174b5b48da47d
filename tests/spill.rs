//! Values kept for quantiles and the Gini coefficient spilled to disk under
//! a memory limit: the same bits as in memory, on the bundled data and on a
//! zone of many cells, and the spill in the provenance.
#![cfg(feature = "gdal")]

mod common;

use geo_types::{MultiPolygon, polygon};
use ndarray::Array2;
use terralux::stats::Stat;
use terralux::zones::{Attributes, Zone, ZoneId, ZoneSet};
use terralux::{GdalRaster, GeoTransform, Grid, Raster, RasterSource, ZonalStats};

const STATS: &str = "count,sum,mean,median,p1,p10,p90,p99.5,gini,majority,variety,min,max";

#[test]
fn bundled_data_spilled_gives_the_same_tables() {
    let raster = GdalRaster::open(common::testdata("ntl.tif")).unwrap();
    let zones = common::test_counties()
        .reprojected(raster.grid().crs().unwrap())
        .unwrap();
    let stats = Stat::parse_list(STATS).unwrap();
    let run = ZonalStats::new(&zones)
        .band(&raster, 1)
        .stats(&stats)
        .chunk_cells(300);
    let (memory, memory_roll_ups) = run.clone().run_with_roll_ups(&["city"]).unwrap();
    for threads in [1, 2] {
        let (spilled, spilled_roll_ups) = run
            .clone()
            .memory_limit(0)
            .threads(threads)
            .run_with_roll_ups(&["city"])
            .unwrap();
        assert_eq!(spilled.zones, memory.zones, "{threads} thread(s)");
        assert_eq!(spilled_roll_ups[0].zones, memory_roll_ups[0].zones);
        assert!(spilled.provenance.spilled_bytes > 0);
        assert_eq!(spilled.provenance.memory_limit, Some(0));
    }
    assert_eq!(memory.provenance.spilled_bytes, 0);
}

/// One zone of 1.2 M cells over night-light-like values (mostly dark, a few
/// thousand distinct lit values), spilled under a 1 MiB limit; as `f32`s
/// and as scaled `f64`s (spilled as `f64` runs).
#[test]
fn a_large_zone_spilled_gives_the_same_bits() {
    large_zone_spilled(|v| v as f64);
    large_zone_spilled(|v| v as f64 * 0.1);
}

fn large_zone_spilled(value: impl Fn(f32) -> f64) {
    let (rows, cols) = (1000, 1200);
    let grid = Grid::new(
        GeoTransform::new(0.0, 1.0, rows as f64, -1.0).unwrap(),
        rows,
        cols,
    )
    .unwrap();
    let mut rng = common::random::Rng::new(99);
    let data = Array2::from_shape_fn((rows, cols), |_| {
        value(if rng.uniform() < 0.85 {
            0.0f32
        } else {
            (rng.uniform() * 60.0).powi(2) as f32 * 0.25
        })
    });
    let raster = Raster::new(grid, data).unwrap().with_block_shape(64, 1200);
    let zone = |id: i64, x0: f64, x1: f64| Zone {
        id: ZoneId::Int(id),
        attributes: Attributes::default(),
        geometry: MultiPolygon(vec![
            polygon![(x: x0, y: 0.3), (x: x1, y: 0.3), (x: x1, y: 999.6), (x: x0, y: 999.6)],
        ]),
    };
    let zones = ZoneSet::new(vec![zone(1, 0.4, 1199.7), zone(2, 300.5, 700.25)], None);
    let stats = Stat::parse_list("count,median,p25,p90,p99,gini").unwrap();
    let run = ZonalStats::new(&zones)
        .band(&raster, 1)
        .stats(&stats)
        .chunk_cells(100_000);
    let memory = run.clone().run().unwrap();
    let spilled = run.memory_limit(1 << 20).run().unwrap();
    assert_eq!(spilled.zones, memory.zones);
    assert!(spilled.provenance.spilled_bytes > 0);
    // The dark is written as runs: fewer bytes than 4 a cell (6.4 MB), let alone 8.
    assert!(
        spilled.provenance.spilled_bytes < 6 * 1_000_000,
        "{}",
        spilled.provenance.spilled_bytes
    );
}
