//! Throughput of the grid and raster kernels: ellipsoidal cell areas and
//! decoding raw cells (nodata, scale, offset) to `f64`.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ndarray::Array2;
use std::hint::black_box;
use terralux::grid::ellipsoidal_cell_area_km2;
use terralux::raster::CellEncoding;

fn cell_areas(c: &mut Criterion) {
    let rows = 8640; // China 18N..54N at 15"
    let mut group = c.benchmark_group("cell_area");
    group.throughput(Throughput::Elements(rows as u64));
    group.bench_function("ellipsoidal_rows", |b| {
        b.iter(|| {
            let step = 1.0 / 240.0;
            (0..rows)
                .map(|r| {
                    let lat = 54.0 - r as f64 * step;
                    ellipsoidal_cell_area_km2(black_box(lat), lat - step, step)
                })
                .sum::<f64>()
        })
    });
    group.finish();
}

fn decode(c: &mut Criterion) {
    // One 512 x 512 tile with about 2% nodata.
    let tile = Array2::from_shape_fn((512, 512), |(r, col)| {
        if (r * 31 + col * 17) % 50 == 0 {
            -999.9f32
        } else {
            (r + col) as f32 * 0.01
        }
    });
    let scaled = tile.mapv(|v| if v < 0.0 { 65535u16 } else { (v * 10.0) as u16 });
    let mut group = c.benchmark_group("decode");
    group.throughput(Throughput::Elements(tile.len() as u64));
    let f32_encoding = CellEncoding {
        nodata: Some(-999.9),
        ..CellEncoding::default()
    };
    group.bench_function("f32_nodata", |b| {
        b.iter(|| f32_encoding.decode(black_box(tile.view())))
    });
    let u16_encoding = CellEncoding {
        nodata: Some(65535.0),
        scale: 0.1,
        offset: 0.0,
    };
    group.bench_function("u16_nodata_scaled", |b| {
        b.iter(|| u16_encoding.decode(black_box(scaled.view())))
    });
    group.finish();
}

criterion_group!(benches, cell_areas, decode);
criterion_main!(benches);
