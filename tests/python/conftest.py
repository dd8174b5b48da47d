"""Fixtures of the exactextract parity tests: the `zonal` binary, and
synthetic GeoTIFFs and zones that the tests make themselves (with rasterio
and numpy, seeded: the same files on every run)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import parity

# Synthetic rasters are 40 columns x 30 rows; the zones are drawn in pixel
# coordinates (col, row) and mapped through each raster's own geotransform,
# so every raster gets the same shapes on its own cells.
COLS, ROWS = 40, 30
NODATA_BLOCK = (slice(25, 30), slice(30, 40))  # rows, cols: all nodata in the float raster
INF_CELL = (27, 2)
ZERO_BLOCK = (slice(3, 6), slice(13, 16))      # 0.0 and -0.0 in the float raster


def _rect(c0, r0, c1, r1):
    return [(c0, r0), (c1, r0), (c1, r1), (c0, r1), (c0, r0)]


def _star(cc, cr, r_in, r_out, n):
    pts = []
    for k in range(2 * n):
        r = r_out if k % 2 == 0 else r_in
        a = math.pi * k / n + 0.1
        pts.append((cc + r * math.cos(a), cr + r * math.sin(a)))
    return pts + [pts[0]]


def _sliver(c0, r0, c1, r1, width):
    dx, dy = c1 - c0, r1 - r0
    n = math.hypot(dx, dy)
    ox, oy = -dy / n * width / 2, dx / n * width / 2
    return [(c0 + ox, r0 + oy), (c1 + ox, r1 + oy), (c1 - ox, r1 - oy), (c0 - ox, r0 - oy),
            (c0 + ox, r0 + oy)]


# (code, kind, rings or list of polygons) in pixel coordinates
PIXEL_ZONES = [
    ("aligned", "Polygon", [_rect(2, 2, 10, 8)]),            # edges on cell lines
    ("offset", "Polygon", [_rect(12.3, 1.6, 19.7, 9.2)]),    # covers the 0/-0 block
    ("star", "Polygon", [_star(28.0, 8.0, 3.1, 6.4, 9)]),
    ("holes", "Polygon", [_rect(2.5, 11.5, 14.5, 21.5), _rect(4.2, 13.1, 7.8, 16.9)[::-1],
                          [(9.1, 13.3), (12.9, 13.7), (11.0, 19.4), (9.1, 13.3)]]),
    ("multi", "MultiPolygon", [
        [_rect(16.2, 11.3, 19.8, 14.9)],
        [[(21.3, 11.1), (24.9, 11.6), (22.2, 15.8), (21.3, 11.1)]],
        [_rect(16.5, 16.5, 23.5, 23.5), _rect(18.25, 18.75, 21.5, 21.25)[::-1]],
    ]),
    ("sliver", "Polygon", [_sliver(20.1, 16.05, 35.3, 23.9, 1e-3)]),
    ("subcell", "Polygon", [[(25.1, 12.2), (25.8, 12.3), (25.4, 12.9), (25.1, 12.2)]]),
    ("out_topleft", "Polygon", [_rect(-3.5, -2.2, 4.3, 1.7)]),   # partly outside
    ("out_right", "Polygon", [_rect(36.5, 18.4, 43.2, 24.6)]),   # partly outside
    ("outside", "Polygon", [_rect(45, 2, 48, 5)]),               # no cell at all
    ("on_nodata", "Polygon", [_rect(31.3, 25.5, 38.6, 29.5)]),   # nodata only (float raster)
    ("on_inf", "Polygon", [_rect(1.5, 26.5, 3.5, 28.5)]),        # an inf cell (float raster)
    ("big", "Polygon", [_rect(0.5, 0.5, 39.5, 24.5), _rect(26.2, 3.4, 30.1, 12.8)[::-1]]),
]


def zones_for(transform):
    """The zones as GeoJSON-like features in the raster's coordinates."""

    def world(ring):
        t = transform
        return [[t.c + t.a * c + t.b * r, t.f + t.d * c + t.e * r] for c, r in ring]

    features = []
    for code, kind, parts in PIXEL_ZONES:
        if kind == "Polygon":
            coords = [world(ring) for ring in parts]
        else:
            coords = [[world(ring) for ring in poly] for poly in parts]
        features.append({"type": "Feature", "properties": {"code": code},
                         "geometry": {"type": kind, "coordinates": coords}})
    return features


def _write(path, arrays, *, dtype, transform, crs="EPSG:4326", nodata=None, scale=None,
           offset=None, mask=None, internal_mask=True, alpha=None):
    import rasterio
    from rasterio.enums import ColorInterp

    count = len(arrays) + (1 if alpha is not None else 0)
    profile = dict(driver="GTiff", width=COLS, height=ROWS, count=count, dtype=dtype,
                   crs=crs, transform=transform, nodata=nodata, tiled=True,
                   blockxsize=16, blockysize=16)
    with rasterio.Env(GDAL_TIFF_INTERNAL_MASK=internal_mask):
        with rasterio.open(path, "w", **profile) as ds:
            for i, a in enumerate(arrays, start=1):
                ds.write(a.astype(dtype), i)
            if alpha is not None:
                ds.write(alpha.astype(dtype), count)
                ds.colorinterp = [ColorInterp.gray] * len(arrays) + [ColorInterp.alpha]
            if scale is not None:
                ds.scales = [scale] * count
                ds.offsets = [offset or 0.0] * count
            if mask is not None:
                ds.write_mask(mask)
    return path


def float_values(rng):
    """Float32 radiances: half from a few repeated values (categories), half
    continuous, some NaN, 0.0 and -0.0 together, one +inf, a nodata block."""
    v = np.where(rng.random((ROWS, COLS)) < 0.5,
                 rng.choice([0.5, 1.25, 3.0, 7.75, -2.5], size=(ROWS, COLS)),
                 rng.normal(10.0, 5.0, size=(ROWS, COLS))).astype("float32")
    v[rng.random((ROWS, COLS)) < 0.05] = np.nan
    zeros = np.zeros((3, 3), dtype="float32")
    zeros[::2, ::2] = -0.0
    v[ZERO_BLOCK] = zeros
    v[NODATA_BLOCK] = np.float32(-999.9)
    v[INF_CELL] = np.inf
    return v


def transform_at(x0, y0, dx, dy=None):
    from affine import Affine

    return Affine(dx, 0.0, x0, 0.0, -(dy if dy is not None else dx), y0)


@pytest.fixture(scope="session")
def zonal():
    """The release `zonal` example (built once per session)."""
    return parity.build_zonal()


class Case:
    """A raster, its zones (features and a GeoJSON file), extra zonal arguments."""

    def __init__(self, raster, features, zones_path, extra=(), weights=None):
        self.raster, self.features, self.zones_path = raster, features, zones_path
        self.extra, self.weights = list(extra), weights


def _case(tmp, name, arrays, *, crs="EPSG:4326", **kw):
    transform = kw["transform"]
    raster = _write(tmp / f"{name}.tif", arrays, crs=crs, **kw)
    features = zones_for(transform)
    zones = parity.write_geojson(tmp / f"{name}.geojson", features)
    # GeoJSON files are WGS84 by definition: a projected case says its CRS.
    extra = ["--zones-crs", crs] if crs != "EPSG:4326" else []
    return Case(raster, features, zones, extra)


def make_case(tmp, name):
    rng = np.random.default_rng(13)
    if name == "float32_nan_nodata":
        # nodata -999.9 as the file declares it (a double); the cells hold float32(-999.9)
        return _case(tmp, name, [float_values(rng)], dtype="float32", nodata=-999.9,
                     transform=transform_at(100.0, 30.0, 0.25))
    if name == "int16_categorical":
        blocks = rng.integers(0, 6, size=(ROWS // 5 + 1, COLS // 4 + 1))
        v = np.kron(blocks, np.ones((5, 4), dtype=int))[:ROWS, :COLS].astype("int16")
        noise = rng.random((ROWS, COLS))
        v[noise < 0.15] = rng.integers(0, 6, size=int((noise < 0.15).sum()))
        v[noise > 0.97] = -1
        return _case(tmp, name, [v], dtype="int16", nodata=-1,
                     transform=transform_at(-61.5, -12.0, 0.5))
    if name == "uint16_scale_offset":
        v = rng.integers(0, 1000, size=(ROWS, COLS)).astype("uint16")
        v[rng.random((ROWS, COLS)) < 0.05] = 65535
        return _case(tmp, name, [v], dtype="uint16", nodata=65535, scale=0.01, offset=-2.0,
                     transform=transform_at(10.0, 50.0, 0.125))
    if name == "float64_utm":
        v = rng.normal(300.0, 40.0, size=(ROWS, COLS))
        v[rng.random((ROWS, COLS)) < 0.05] = np.nan
        return _case(tmp, name, [v], dtype="float64", crs="EPSG:32648",
                     transform=transform_at(499980.0, 3300030.0, 30.0))
    if name == "rounded_pixel_size":
        # As EOG's VIIRS crops declare 1/240 degree: 0.0041666665, not 1/240,
        # and an origin that is not on a 1/480 line.
        return _case(tmp, name, [float_values(rng)], dtype="float32", nodata=-999.9,
                     transform=transform_at(105.99791665, 29.90208335, 0.0041666665))
    raise KeyError(name)


SYNTHETIC = ["float32_nan_nodata", "int16_categorical", "uint16_scale_offset", "float64_utm",
             "rounded_pixel_size"]


@pytest.fixture(scope="session")
def synthetic(tmp_path_factory):
    """name -> Case, made on first use."""
    tmp = tmp_path_factory.mktemp("synthetic")
    cache = {}

    def get(name):
        if name not in cache:
            cache[name] = make_case(tmp, name)
        return cache[name]

    return get


@pytest.fixture(scope="session")
def datadir(tmp_path_factory):
    return tmp_path_factory.mktemp("data")
