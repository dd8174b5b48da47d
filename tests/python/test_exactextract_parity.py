"""terralux's `zonal` against exactextract 0.3.0's Python package.

With default options on both sides, the statistics count..variety (and the
exactextract operations terralux adds: frac, unique, weighted_*) must equal
`exactextract.exact_extract` on the same GeoTIFF and zones; see parity.py for
the comparison rule (1e-9 relative, plus exactextract's own float32 rounding
of coverage fractions). A few tests document where terralux differs on
purpose (median, quantiles) or where exactextract is the less exact one.

Run: scripts/python-tests.sh (or the venv's python -m pytest tests/python).
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

import conftest
import parity
from parity import BASIC, REPO

NTL = REPO / "testdata" / "ntl.tif"
COUNTIES = REPO / "testdata" / "counties.gpkg"


def _check(zonal, raster, zones_path, ee_zones, stats, *, extra=(), weights=None):
    if weights is not None:
        extra = [*extra, "--weights", weights]
    tl = parity.run_zonal(zonal, raster, zones_path, stats, extra=extra)
    ee = parity.run_exactextract(raster, ee_zones, stats, weights=weights)
    problems = parity.compare_tables(stats, tl, ee, weighted=weights is not None)
    worst = parity.max_relative_difference(stats, tl, ee)
    # The figures of the README (`scripts/python-tests.sh -s -k counties`).
    print(f"\n{raster.name if hasattr(raster, 'name') else raster}: largest relative "
          f"differences from exactextract: {worst}")
    assert not problems, (
        f"{len(problems)} disagreement(s) with exactextract:\n  " + "\n  ".join(problems[:40])
        + f"\nlargest relative differences: {worst}")
    return tl, ee


# --- the bundled test data --------------------------------------------------

def test_counties_ntl_parity(zonal):
    """testdata/ntl.tif over testdata/counties.gpkg, both read from the files
    (exactextract through rasterio and fiona), count..variety and cv."""
    tl, ee = _check(zonal, NTL, COUNTIES, COUNTIES, BASIC)
    assert len(tl) == 24
    # The zones the README shows: entirely outside, entirely on nodata.
    by_code = {r["code"]: r for r in tl}
    for code in ("510122", "510124"):
        assert by_code[code]["count"] == "0" and by_code[code]["mean"] == ""


def test_subcell_triangle_terralux_exact_exactextract_float32(zonal):
    """Why parity allows exactextract's float32 rounding: county 500123 is a
    triangle of 0.06 of a cell. terralux's count is its exact area in cells
    (rational arithmetic on the file's doubles); exactextract's is that
    fraction rounded to a C++ float, 6e-9 relative away."""
    import fiona
    import rasterio

    with rasterio.open(NTL) as ds:
        dx, dy = Fraction(ds.transform.a), Fraction(-ds.transform.e)
    with fiona.open(COUNTIES) as layer:
        (geom,) = [f.geometry for f in layer if f.properties["code"] == "500123"]
    ring = geom["coordinates"][0][0]
    twice = sum(Fraction(x0) * Fraction(y1) - Fraction(x1) * Fraction(y0)
                for (x0, y0), (x1, y1) in zip(ring, ring[1:]))
    exact = float(abs(twice) / 2 / (dx * dy))

    tl = {r["code"]: r for r in parity.run_zonal(zonal, NTL, COUNTIES, ["count"])}
    ee = {r["code"]: r for r in parity.run_exactextract(NTL, COUNTIES, ["count"])}
    got, theirs = float(tl["500123"]["count"]), ee["500123"]["count"]
    assert abs(got - exact) <= 1e-14 * exact
    assert theirs == float(np.float32(exact))
    assert abs(theirs - exact) / exact > 1e-9


# --- synthetic GeoTIFFs -----------------------------------------------------

@pytest.mark.parametrize("name", [
    "float32_nan_nodata", "int16_categorical", "uint16_scale_offset", "float64_utm",
])
def test_synthetic_parity(zonal, synthetic, name):
    """Holes, multipolygons, a 1e-3-cell sliver, a sub-cell triangle, zones
    partly and wholly outside, on nodata only, on +inf; NaN and declared
    nodata, 0.0 beside -0.0, categories, scale/offset, a UTM grid."""
    case = synthetic(name)
    _check(zonal, case.raster, case.zones_path, case.features, BASIC, extra=case.extra)


@pytest.mark.needs_no_snapping
def test_rounded_pixel_size_as_declared(zonal, synthetic):
    """A geographic grid declaring 0.0041666665-degree cells (not 1/240) and
    an origin off the 1/480 lines, as EOG's VIIRS crops do: the cells are
    where the file says, as GDAL and exactextract take them (no snapping by
    default; snapping would move them by ~4e-6 of a cell)."""
    case = synthetic("rounded_pixel_size")
    _check(zonal, case.raster, case.zones_path, case.features, BASIC, extra=case.extra)


def _new_ops_or_skip(zonal, case, stats, **kw):
    try:
        return _check(zonal, case.raster, case.zones_path, case.features, stats,
                      extra=case.extra, **kw)
    except parity.UnknownStat as e:
        pytest.skip(f"zonal does not have it yet: {e}")


@pytest.mark.parametrize("stat", ["frac", "unique"])
@pytest.mark.parametrize("name", ["float32_nan_nodata", "int16_categorical"])
def test_categorical_operations_parity(zonal, synthetic, name, stat):
    """exactextract's frac (share of coverage per distinct value) and unique."""
    _new_ops_or_skip(zonal, synthetic(name), [stat])


@pytest.fixture(scope="session")
def weights_raster(datadir):
    """Weights on the float32 case's grid: positive, every cell valid."""
    rng = np.random.default_rng(7)
    w = rng.uniform(0.1, 5.0, size=(conftest.ROWS, conftest.COLS))
    return conftest._write(datadir / "weights.tif", [w], dtype="float64",
                           transform=conftest.transform_at(100.0, 30.0, 0.25))


@pytest.mark.parametrize("stat", ["weighted_sum", "weighted_mean", "weighted_variance",
                                  "weighted_stdev", "weighted_frac"])
def test_weighted_operations_parity(zonal, synthetic, weights_raster, stat):
    """exactextract's weighted operations, with a second raster on the same grid."""
    _new_ops_or_skip(zonal, synthetic("float32_nan_nodata"), [stat], weights=weights_raster)


def test_weights_nodata_left_out_as_exactextract_default_weight_0(zonal, synthetic, datadir):
    """Where the weights raster is nodata: exactextract's default weight is
    NaN, so every weighted statistic of a zone with such a cell is NaN;
    terralux leaves the cell out of the weighted sums (README, Statistics),
    which is exactextract with default_weight=0 (the cell then adds 0 to
    both sum_i c_i u_i v_i and sum_i c_i u_i)."""
    case = synthetic("float32_nan_nodata")
    rng = np.random.default_rng(7)
    w = rng.uniform(0.1, 5.0, size=(conftest.ROWS, conftest.COLS))
    w[rng.random(w.shape) < 0.1] = -1.0
    weights = conftest._write(datadir / "weights_nodata.tif", [w], dtype="float64", nodata=-1.0,
                              transform=conftest.transform_at(100.0, 30.0, 0.25))
    stats = ["weighted_sum", "weighted_mean", "weighted_variance", "weighted_stdev"]
    ee_default = parity.run_exactextract(case.raster, case.features, ["weighted_sum"],
                                         weights=weights)
    assert np.isnan(ee_default[0]["weighted_sum"])  # "aligned" has a nodata weight
    tl = parity.run_zonal(zonal, case.raster, case.zones_path, stats,
                          extra=[*case.extra, "--weights", weights])
    ee = parity.run_exactextract(case.raster, case.features, stats, weights=weights,
                                 options="default_weight=0")
    problems = parity.compare_tables(stats, tl, ee, weighted=True)
    assert not problems, "\n".join(problems)


# --- GDAL mask bands --------------------------------------------------------

MASK_KINDS = ["internal_mask", "msk_file", "alpha_band", "mask_and_nodata"]


def _masked_case(datadir, kind):
    rng = np.random.default_rng(21)
    v = rng.normal(5.0, 2.0, size=(conftest.ROWS, conftest.COLS))
    mask = np.where(rng.random((conftest.ROWS, conftest.COLS)) < 0.2, 0, 255).astype("uint8")
    mask[10:20, 5:15] = 0  # a masked block under several zones
    transform = conftest.transform_at(20.0, 40.0, 0.5)
    path = datadir / f"{kind}.tif"
    if kind == "internal_mask":
        conftest._write(path, [v], dtype="float32", transform=transform, mask=mask)
    elif kind == "msk_file":
        conftest._write(path, [v], dtype="float32", transform=transform, mask=mask,
                        internal_mask=False)
        assert path.with_name(path.name + ".msk").exists()
    elif kind == "alpha_band":
        conftest._write(path, [np.clip(v * 20, 0, 254)], dtype="uint8", transform=transform,
                        alpha=mask)
    elif kind == "mask_and_nodata":
        v[rng.random(v.shape) < 0.1] = -1.0
        conftest._write(path, [v], dtype="float32", transform=transform, mask=mask,
                        nodata=-1.0)
    features = conftest.zones_for(transform)
    zones = parity.write_geojson(datadir / f"{kind}.geojson", features)
    return path, features, zones


@pytest.mark.needs_mask_support
@pytest.mark.parametrize("kind", MASK_KINDS)
def test_gdal_mask_band_parity(zonal, datadir, kind):
    """Cells masked by the band's GDAL mask (per-dataset internal mask, .msk
    sidecar, alpha band; with nodata as well) are invalid, as exactextract
    has them (its test_gdal_mask_band; through rasterio, whose masked reads
    apply the GDAL mask band)."""
    import rasterio

    path, features, zones = _masked_case(datadir, kind)
    with rasterio.open(path) as ds:
        assert ds.read(1, masked=True).mask.any()
    # Not the sub-cell triangle: exactextract loses the mask there (next test).
    keep = [f for f in features if f["properties"]["code"] != "subcell"]
    zones = parity.write_geojson(datadir / f"{kind}_but_subcell.geojson", keep)
    _check(zonal, path, zones, keep, BASIC)


@pytest.mark.needs_mask_support
def test_gdal_mask_band_exactextract_loses_it_in_a_subcell_zone(zonal, datadir):
    """exactextract 0.3.0 defect, not ours: when the box it reads is larger
    than the zone's coverage grid (here 2x2 cells for a triangle inside one
    cell) it reads through a RasterView, which copies the nodata value but
    not the mask (raster.h), so a masked cell counts. terralux leaves it out."""
    import rasterio

    path, features, zones = _masked_case(datadir, "internal_mask")
    with rasterio.open(path) as ds:
        assert ds.read_masks(1)[12, 25] == 0  # the triangle's one cell is masked
    sub = [f for f in features if f["properties"]["code"] == "subcell"]
    zones = parity.write_geojson(datadir / "subcell_masked.geojson", sub)
    (tl,) = parity.run_zonal(zonal, path, zones, ["count", "sum", "mean"])
    (ee,) = parity.run_exactextract(path, sub, ["count"])
    assert ee["count"] > 0.2 and list(ee["cell_id"]) == [12 * conftest.COLS + 25]
    assert (tl["count"], tl["sum"], tl["mean"]) == ("0", "0", "")


# --- where terralux differs on purpose, or exactextract has a rule ---------

def _one_zone_raster(datadir, name, values, nodata=None):
    values = np.asarray(values, dtype="float32")
    rows, cols = values.shape
    import rasterio

    path = datadir / f"{name}.tif"
    transform = conftest.transform_at(0.0, float(rows), 1.0)
    with rasterio.open(path, "w", driver="GTiff", width=cols, height=rows, count=1,
                       dtype="float32", crs="EPSG:4326", transform=transform,
                       nodata=nodata) as ds:
        ds.write(values, 1)
    ring = [[0.0, 0.0], [cols, 0.0], [cols, rows], [0.0, rows], [0.0, 0.0]]
    features = [{"type": "Feature", "properties": {"code": "z"},
                 "geometry": {"type": "Polygon", "coordinates": [ring]}}]
    zones = parity.write_geojson(datadir / f"{name}.geojson", features)
    return path, features, zones


def test_median_and_quantiles_differ_by_design(zonal, datadir):
    """PEERS.md defect 1: four whole cells {0, 0, 0, 10}. exactextract
    interpolates between the distinct values, whatever their weights
    (median 5, and even its 25th percentile is 2.5 with 3/4 of the weight
    on 0); terralux takes the inverse of the weighted CDF, the smallest
    value whose cumulative weight reaches q W, as numpy's
    quantile(..., weights=w, method="inverted_cdf")."""
    import exactextract

    path, features, zones = _one_zone_raster(datadir, "median_0_0_0_10", [[0, 0], [0, 10]])
    qs = {"p25": 0.25, "median": 0.5, "p75": 0.75, "p90": 0.9}
    (tl,) = parity.run_zonal(zonal, path, zones, list(qs))
    (ee,) = [f["properties"] for f in exactextract.exact_extract(
        str(path), features, ["quantile(q=0.25)", "median", "quantile(q=0.75)",
                              "quantile(q=0.9)"], include_cols=["code"])]
    assert (ee["quantile_25"], ee["median"], ee["quantile_75"], ee["quantile_90"]) == (
        2.5, 5.0, 7.5, 9.0)
    v, w = np.array([0.0, 0.0, 0.0, 10.0]), np.ones(4)
    got = {col: float(tl[col]) for col in qs}
    assert got == {"p25": 0.0, "median": 0.0, "p75": 0.0, "p90": 10.0}
    for col, q in qs.items():
        assert got[col] == np.quantile(v, q, weights=w, method="inverted_cdf")


def test_majority_minority_ties_as_exactextract(zonal, datadir):
    """Whole-cell ties: exactextract's majority takes the larger value, its
    minority the smaller (raster_stats.h mode() / minority())."""
    path, features, zones = _one_zone_raster(datadir, "ties", [[1, 2], [3, 3], [4, 4]])
    # weights: 1 -> 1, 2 -> 1, 3 -> 2, 4 -> 2: majority tie {3, 4}, minority tie {1, 2}
    (tl,) = parity.run_zonal(zonal, path, zones, ["majority", "minority"])
    (ee,) = parity.run_exactextract(path, features, ["majority", "minority"])
    assert (ee["majority"], ee["minority"]) == (4.0, 1.0)
    assert (float(tl["majority"]), float(tl["minority"])) == (ee["majority"], ee["minority"])


def test_cv_of_zero_mean_as_exactextract(zonal, datadir):
    """coefficient_of_variation = stdev / mean in double arithmetic: with a
    mean of 0 it is NaN (stdev 0) or +-inf, never missing."""
    path, features, zones = _one_zone_raster(datadir, "cv_zero", [[0, 0], [0, 0]])
    (tl,) = parity.run_zonal(zonal, path, zones, ["mean", "stdev", "cv"])
    (ee,) = parity.run_exactextract(path, features, ["mean", "stdev", "cv"])
    assert ee["mean"] == 0.0 and np.isnan(ee["coefficient_of_variation"])
    assert tl["cv"] == "nan", f"terralux cv of an all-zero zone: {tl['cv']!r}"


def test_nan_is_invalid_without_nodata_and_nodata_matches_as_float32(zonal, datadir):
    """exactextract skips NaN cells even where no nodata is declared, and a
    float band's nodata compares in the band's type (-999.9 declared as a
    double matches cells holding float32(-999.9))."""
    path, features, zones = _one_zone_raster(
        datadir, "nan_nodata", [[np.nan, 1.0], [-999.9, 3.0]], nodata=-999.9)
    stats = ["count", "sum", "min", "max", "variety"]
    tl, ee = _check(zonal, path, zones, features, stats)
    assert ee[0]["count"] == 2.0 and ee[0]["sum"] == 4.0


# --- 64-bit integer bands ---------------------------------------------------

# 2397083434877565865: through a double it would be 2397083434877565952.
BIG = 2397083434877565865


def _int64_raster(datadir, dtype):
    """A 6 x 8 UInt64 or Int64 raster of values that doubles cannot tell apart
    (BIG + k or 2^62 + k, k < 7), with extremes: for UInt64 at most
    i64::MAX, since exactextract 0.3.0 fails on larger values ("Value is
    too large to store as 64-bit integer"), which terralux reports exactly."""
    import rasterio

    rows, cols = 6, 8
    if dtype == "uint64":
        base, extremes = BIG, [2**63 - 1, 2**53 + 1, 0]
    else:
        base, extremes = 2**62, [-(2**63) + 1, 2**63 - 1, -(2**62) - 3]
    values = [[base + (r * 5 + c * 3) % 7 for c in range(cols)] for r in range(rows)]
    for (r, c), v in zip([(0, 7), (3, 3), (5, 0)], extremes):
        values[r][c] = v
    path = datadir / f"{dtype}.tif"
    with rasterio.open(path, "w", driver="GTiff", width=cols, height=rows, count=1,
                       dtype=dtype, crs="EPSG:4326",
                       transform=conftest.transform_at(0.0, float(rows), 1.0)) as ds:
        ds.write(np.array(values, dtype=dtype), 1)
    # Zones on cell lines and on half-cell lines: coverage fractions 1, 0.5
    # and 0.25, exact in exactextract's float32 too, so shares compare exactly.
    boxes = {"whole": (0, 0, 8, 6), "left": (0, 0, 4, 3), "shifted": (2, 1, 8, 6),
             "halves": (0.5, 0.5, 7.5, 5.5), "one_cell": (3, 2, 4, 3)}
    features = [{"type": "Feature", "properties": {"code": code},
                 "geometry": {"type": "Polygon", "coordinates": [
                     [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]}}
                for code, (x0, y0, x1, y1) in boxes.items()]
    zones = parity.write_geojson(datadir / f"{dtype}.geojson", features)
    return path, features, zones


@pytest.mark.parametrize("dtype", ["uint64", "int64"])
def test_64_bit_integers_exact_as_exactextract(zonal, datadir, dtype):
    """Values of Int64/UInt64 bands beyond 2^53: exactextract 0.3.0 keeps min,
    max, majority, minority, variety, unique and frac's values exact (its
    RasterStats is templated on the cell type), and so does terralux: both
    compared as Python ints, never as floats; frac's shares exactly (the
    fractions are exact in both). Its median is not: see the next test."""
    import exactextract

    path, features, zones = _int64_raster(datadir, dtype)
    stats = ["min", "max", "majority", "minority", "variety", "unique", "frac"]
    tl = parity.run_zonal(zonal, path, zones, stats)
    ee = [f["properties"] for f in exactextract.exact_extract(
        str(path), features, ["min", "max", "majority", "minority", "variety", "unique",
                              "frac"], include_cols=["code"])]
    assert [r["code"] for r in tl] == [r["code"] for r in ee]
    checked = 0
    for t, e in zip(tl, ee):
        for s in ["min", "max", "majority", "minority"]:
            assert isinstance(e[s], int), (s, e[s])
            assert int(t[s]) == e[s], (t["code"], s, t[s], e[s])
        assert int(t["variety"]) == e["variety"]
        ours = [item.split(":") for item in t["unique"].split(";")]
        assert sorted(int(v) for v, _ in ours) == sorted(int(v) for v in e["unique"])
        shares = {int(v): float(f) for v, f in
                  (item.split(":") for item in t["frac"].split(";"))}
        theirs = {int(v): float(f) for v, f in zip(e["unique"], e["frac"])}
        assert shares == theirs, t["code"]
        checked += 1
    assert checked == 5
    # Doubles could not have told these values apart.
    whole = {int(v) for v, _ in (i.split(":") for i in tl[0]["unique"].split(";"))}
    assert len({float(v) for v in whole}) < len(whole) == 10


def test_64_bit_median_exactextract_rounds_through_double(zonal, datadir):
    """exactextract 0.3.0's median (and quantile) of a 64-bit band goes
    through double: for whole cells {BIG, BIG, BIG, BIG + 1} it reports
    2397083434877565952, the double nearest BIG, a value no cell holds;
    terralux's median is an inverted-CDF selection on the integers, BIG."""
    import exactextract
    import rasterio

    path = datadir / "median_u64.tif"
    with rasterio.open(path, "w", driver="GTiff", width=2, height=2, count=1, dtype="uint64",
                       crs="EPSG:4326", transform=conftest.transform_at(0.0, 2.0, 1.0)) as ds:
        ds.write(np.array([[BIG, BIG], [BIG, BIG + 1]], dtype="uint64"), 1)
    ring = [[0.0, 0.0], [2.0, 0.0], [2.0, 2.0], [0.0, 2.0], [0.0, 0.0]]
    features = [{"type": "Feature", "properties": {"code": "z"},
                 "geometry": {"type": "Polygon", "coordinates": [ring]}}]
    zones = parity.write_geojson(datadir / "median_u64.geojson", features)
    (tl,) = parity.run_zonal(zonal, path, zones, ["median", "p90", "majority"])
    (ee,) = [f["properties"] for f in exactextract.exact_extract(
        str(path), features, ["median", "majority"], include_cols=["code"])]
    assert ee["median"] == int(float(BIG)) == 2397083434877565952 != BIG
    assert ee["majority"] == BIG
    assert (int(tl["median"]), int(tl["p90"]), int(tl["majority"])) == (BIG, BIG + 1, BIG)
