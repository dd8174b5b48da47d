"""The Python package: results equal the binaries' CSV bit for bit on
testdata/, in-memory zones equal file zones, Arrow round-trips, bad inputs
raise the right exception with the binary's message, Ctrl-C stops a run,
and a peer check against exactextract's Python API.

Run: scripts/python-tests.sh (it builds and installs the package first).
"""

from __future__ import annotations

import csv
import io
import math
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "python"))

import parity  # noqa: E402  (tests/python: building and running the binaries)

import terralux  # noqa: E402

DATA = REPO / "testdata"
NTL = DATA / "ntl.tif"
NTL_U16 = DATA / "ntl_u16.tif"
COUNTIES = DATA / "counties.gpkg"

# Every statistic the CSV writes as numbers or text, on one band.
ALL_STATS = ["count", "sum", "mean", "min", "max", "stdev", "variance", "cv", "median", "p10",
             "p90", "majority", "minority", "variety", "unique", "frac", "valid_frac",
             "outside_frac"]


@pytest.fixture(scope="session")
def zonal():
    return parity.build_zonal()


def binary_csv(binary, *args):
    """`zonal ... --output -` as (header, rows of strings)."""
    p = subprocess.run([str(binary), *map(str, args), "--quiet", "--output", "-"],
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    rows = list(csv.reader(io.StringIO(p.stdout)))
    return rows[0], rows[1:]


def binary_error(binary, *args):
    """The one line `zonal` prints for a failure, without `zonal: `."""
    p = subprocess.run([str(binary), *map(str, args), "--quiet", "--output", "-"],
                       capture_output=True, text=True)
    assert p.returncode != 0
    line = p.stderr.strip().splitlines()[0]
    assert line.startswith("zonal: "), p.stderr
    return line[len("zonal: "):]


def field_equals(text, value, *, arrow):
    """A CSV field and the Python value are the same bits (missing: '' and
    null in Arrow, NaN in pandas; text as written)."""
    if isinstance(value, str):  # frac, unique: "" is a zone of no value
        return value == text
    if text == "":
        return value is None if arrow else (value is None or (isinstance(value, float)
                                                               and math.isnan(value)))
    if value is None:
        return False
    got, want = float(value), float(text)
    if math.isnan(want):
        return math.isnan(got)
    # Same bits: equal, and the same sign of zero.
    return got == want and math.copysign(1, got) == math.copysign(1, want)


@pytest.mark.parametrize("raster", [NTL, NTL_U16], ids=["ntl", "ntl_u16"])
@pytest.mark.parametrize("id_field", ["code", None], ids=["code", "fid"])
def test_equals_binary_csv(zonal, raster, id_field):
    args = ["--raster", raster, "--zones", COUNTIES, "--stats", ",".join(ALL_STATS)]
    if id_field:
        args += ["--id-field", id_field]
    header, rows = binary_csv(zonal, *args)
    table = terralux.zonal_stats(raster, COUNTIES, ALL_STATS, id_field=id_field, output="arrow")
    assert table.column_names == header
    frame = terralux.zonal_stats(raster, COUNTIES, ALL_STATS, id_field=id_field)
    assert list(frame.columns) == header
    assert table.num_rows == len(rows) == len(frame) == 24
    columns = table.to_pydict()
    for i, row in enumerate(rows):
        assert str(columns[header[0]][i]) == row[0]
        assert str(frame.iloc[i, 0]) == row[0]
        for j, name in enumerate(header[1:], start=1):
            a, p = columns[name][i], frame[name].iloc[i]
            assert field_equals(row[j], a, arrow=True), (row[0], name, row[j], a)
            p = None if p is pd.NA else (p.item() if hasattr(p, "item") else p)
            assert field_equals(row[j], p, arrow=False), (row[0], name, row[j], p)


def test_missing_is_nan_or_null_never_zero():
    """County 510122 is outside the raster, 510124 on nodata only."""
    frame = terralux.zonal_stats(NTL, COUNTIES, ["count", "sum", "mean", "max"], id_field="code")
    frame["code"] = frame["code"].astype(str)
    for code in ("510122", "510124"):
        row = frame[frame["code"] == code].iloc[0]
        assert row["count"] == 0 and row["sum"] == 0
        assert math.isnan(row["mean"]) and math.isnan(row["max"])
    table = terralux.zonal_stats(NTL, COUNTIES, ["mean"], id_field="code", output="arrow")
    assert table.column("mean").null_count == 2
    assert str(table.schema.field("mean").type) == "double"


def test_several_bands_and_options_equal_binary(zonal):
    args = ["--raster", NTL, "--zones", COUNTIES, "--id-field", "code", "--band", "1",
            "--stats", "count,mean,median", "--coverage", "center", "--area-weighted"]
    header, rows = binary_csv(zonal, *args)
    table = terralux.zonal_stats(NTL, COUNTIES, "count,mean,median", band=[1], id_field="code",
                                 coverage="center", area_weighted=True, output="arrow")
    assert table.column_names == header
    cols = table.to_pydict()
    for i, row in enumerate(rows):
        for j, name in enumerate(header[1:], start=1):
            assert field_equals(row[j], cols[name][i], arrow=True)


def test_threads_do_not_change_results():
    one = terralux.zonal_stats(NTL, COUNTIES, ALL_STATS, id_field="code", threads=1)
    two = terralux.zonal_stats(NTL, COUNTIES, ALL_STATS, id_field="code", threads=2)
    pd.testing.assert_frame_equal(one, two, check_exact=True)


def test_geodataframe_equals_file():
    import geopandas as gpd

    stats = ["count", "sum", "mean", "min", "max", "stdev", "majority", "median", "frac"]
    from_file = terralux.zonal_stats(NTL, COUNTIES, stats, id_field="code")
    counties = gpd.read_file(COUNTIES)
    from_frame = terralux.zonal_stats(NTL, counties, stats, id_field="code")
    pd.testing.assert_frame_equal(from_file, from_frame, check_exact=True)
    # The same geometries as shapely objects, with the CRS given.
    from_list = terralux.zonal_stats(NTL, list(counties.geometry), stats,
                                     zones_crs=counties.crs.to_wkt())
    assert list(from_list.columns) == ["id", *stats]
    assert from_list["id"].tolist() == list(range(len(counties)))
    pd.testing.assert_frame_equal(from_file.drop(columns="code"),
                                  from_list.drop(columns="id"), check_exact=True)
    # A GeoDataFrame in another CRS is reprojected to the raster's, as a file would be.
    utm = counties.to_crs("EPSG:32648")
    reprojected = terralux.zonal_stats(NTL, utm, ["count"], id_field="code")
    assert np.allclose(reprojected["count"], from_file["count"], rtol=1e-3, atol=1e-3)


def test_geopandas_output():
    import geopandas as gpd

    counties = gpd.read_file(COUNTIES)
    result = terralux.zonal_stats(NTL, COUNTIES, ["mean"], id_field="code", output="geopandas")
    assert isinstance(result, gpd.GeoDataFrame)
    assert list(result.columns) == ["code", "mean", "geometry"]
    assert result.crs == counties.crs
    assert all(result.geometry.geom_equals_exact(counties.geometry, tolerance=0))
    # From a GeoDataFrame: its own geometries and CRS.
    again = terralux.zonal_stats(NTL, counties, ["mean"], id_field="code", output="geopandas")
    assert again.crs == counties.crs
    assert all(again.geometry.geom_equals_exact(counties.geometry, tolerance=0))
    pd.testing.assert_series_equal(result["mean"], again["mean"], check_exact=True)


def test_arrow_round_trips():
    import pyarrow as pa

    table = terralux.zonal_stats(NTL, COUNTIES, ALL_STATS, id_field="code", output="arrow")
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    back = pa.ipc.open_stream(sink.getvalue()).read_all()
    assert back.equals(table)
    frame = terralux.zonal_stats(NTL, COUNTIES, ALL_STATS, id_field="code")
    converted = table.to_pandas()
    for name in frame.columns:
        if frame[name].dtype == float:
            assert np.array_equal(converted[name].to_numpy(float), frame[name].to_numpy(),
                                  equal_nan=True), name
        else:
            assert converted[name].astype(str).tolist() == frame[name].astype(str).tolist()


BAD = [
    # (keyword arguments, the same as flags, the exception); the message is
    # the binary's, less what it says of its flags (see `library_part`)
    (dict(raster=DATA / "nope.tif"), ["--raster", DATA / "nope.tif"], terralux.InputNotFoundError),
    (dict(zones=DATA / "nope.gpkg"), ["--zones", DATA / "nope.gpkg"], terralux.InputNotFoundError),
    (dict(stats=["count", "average"]), ["--stats", "count,average"], terralux.InvalidInputError),
    (dict(band=3), ["--band", "3"], terralux.InvalidInputError),
    (dict(id_field="nope"), ["--id-field", "nope"], terralux.InvalidInputError),
    (dict(layer="nope"), ["--layer", "nope"], terralux.InvalidInputError),
    (dict(stats=["weighted_mean"]), ["--stats", "weighted_mean"], terralux.InvalidInputError),
    (dict(zones_crs="EPSG:999999"), ["--zones-crs", "EPSG:999999"], terralux.InvalidInputError),
    (dict(weights=DATA / "counties.gpkg", stats=["weighted_mean"]),
     ["--weights", DATA / "counties.gpkg", "--stats", "weighted_mean"], terralux.TerraluxError),
]


def library_part(message):
    """A usage error of the binary is the library's message with the flag
    named (`--zones-crs: `, `in --stats`, `need --weights PATH`) and
    `(see 'zonal --help')`; the Python message is the library's."""
    message = message.removesuffix(" (see 'zonal --help')")
    message = re.sub(r"^--[a-z-]+: ", "", message)
    message = message.replace(" in --stats (valid:", " (valid:")
    return message.replace(
        "the weighted_* statistics (weighted_sum, weighted_mean, weighted_variance, "
        "weighted_stdev, weighted_frac) need --weights PATH",
        "stats: the weighted_* statistics need a weights raster")


@pytest.mark.parametrize("kwargs,flags,error", BAD,
                         ids=["raster", "zones", "stat", "band", "field", "layer", "weighted",
                              "crs", "weights"])
def test_bad_inputs_raise_the_binary_message(zonal, kwargs, flags, error):
    call = dict(raster=NTL, zones=COUNTIES, stats=["count"])
    call.update(kwargs)
    cli = {"--raster": NTL, "--zones": COUNTIES, "--stats": "count"}
    it = iter(flags)
    for flag in it:
        cli[flag] = next(it)
    args = [x for kv in cli.items() for x in kv]
    message = library_part(binary_error(zonal, *args))
    with pytest.raises(error) as caught:
        terralux.zonal_stats(call.pop("raster"), call.pop("zones"), call.pop("stats"), **call)
    assert str(caught.value) == message
    assert isinstance(caught.value, terralux.TerraluxError)


def test_error_classes_fit_python():
    with pytest.raises(FileNotFoundError):
        terralux.zonal_stats(DATA / "nope.tif", COUNTIES)
    with pytest.raises(ValueError):
        terralux.zonal_stats(NTL, COUNTIES, ["average"])
    with pytest.raises(ValueError, match="unknown mode 'nearest'"):
        terralux.zonal_stats(NTL, COUNTIES, coverage="nearest")
    with pytest.raises(ValueError, match="unknown kind 'polars'"):
        terralux.zonal_stats(NTL, COUNTIES, output="polars")


def test_in_memory_zones_errors():
    import shapely

    point = shapely.Point(106.5, 29.5)
    with pytest.raises(terralux.InvalidInputError,
                       match=r"feature #0 \(id 0\): is a Point, not a polygon or multipolygon"):
        terralux.zonal_stats(NTL, [point], zones_crs="EPSG:4326")
    with pytest.raises(terralux.InvalidInputError, match="shapely geometries carry no CRS"):
        terralux.zonal_stats(NTL, [shapely.box(106, 29, 107, 30)])
    with pytest.warns(terralux.TerraluxWarning, match="1 zone.s. without a usable polygon"):
        kept = terralux.zonal_stats(NTL, [point, shapely.box(106, 29, 107, 30)],
                                    ["count", "mean"], zones_crs="EPSG:4326",
                                    keep_bad_geometry=True)
    assert kept["count"].iloc[0] == 0 and math.isnan(kept["mean"].iloc[0])
    assert kept["count"].iloc[1] > 0
    with pytest.raises(TypeError, match="not a shapely geometry"):
        terralux.zonal_stats(NTL, ["POLYGON ((0 0, 1 0, 1 1, 0 0))"], zones_crs="EPSG:4326")


def test_progress_callback_and_its_exception():
    seen = []
    terralux.zonal_stats(NTL, COUNTIES, ["count"], progress=lambda d, t: seen.append((d, t)))
    assert seen and seen[-1][0] == seen[-1][1]

    def fail(done, total):
        raise RuntimeError("stop here")

    with pytest.raises(RuntimeError, match="stop here"):
        terralux.zonal_stats(NTL, COUNTIES, ["count"], progress=fail)


@pytest.fixture(scope="module")
def big_raster(tmp_path_factory):
    """A raster of many chunks (4096 rows of 1024-cell blocks): a run of
    some seconds on one thread."""
    import rasterio
    from affine import Affine

    path = tmp_path_factory.mktemp("big") / "big.tif"
    rows, cols = 8192, 4096
    profile = dict(driver="GTiff", width=cols, height=rows, count=1, dtype="float32",
                   crs="EPSG:4326", transform=Affine(0.001, 0, 100, 0, -0.001, 40),
                   tiled=True, blockxsize=256, blockysize=256, compress="deflate")
    with rasterio.open(path, "w", **profile) as ds:
        block = np.arange(256 * cols, dtype="float32").reshape(256, cols)
        for r in range(0, rows, 256):
            ds.write(block, 1, window=((r, r + 256), (0, cols)))
    return path


def test_ctrl_c_stops_a_run_promptly(big_raster):
    import shapely

    zone = [shapely.box(100.0005, 31.8085, 104.0955, 39.9995)]
    calls = []

    def interrupt(done, total):
        calls.append((done, total))
        if len(calls) == 1:
            signal.raise_signal(signal.SIGINT)  # as Ctrl-C: Python's handler runs later

    started = time.monotonic()
    full = terralux.zonal_stats(big_raster, zone, ["sum", "median"], zones_crs="EPSG:4326",
                                threads=1, progress=lambda d, t: calls.append((d, t)))
    whole = time.monotonic() - started
    total = calls[-1][1]
    assert total >= 16 and len(full) == 1
    calls.clear()
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        terralux.zonal_stats(big_raster, zone, ["sum", "median"], zones_crs="EPSG:4326",
                             threads=1, progress=interrupt)
    stopped = time.monotonic() - started
    assert len(calls) == 1 and calls[0][0] < total
    assert stopped < whole, (stopped, whole)
    # The package still works after it.
    assert len(terralux.zonal_stats(NTL, COUNTIES, ["count"])) == 24


def test_help_documents_zonal_stats():
    doc = subprocess.run([sys.executable, "-c", "import terralux; help(terralux.zonal_stats)"],
                         capture_output=True, text=True, check=True).stdout
    assert "Exact zonal statistics" in doc and "output" in doc and "InvalidInputError" in doc


def test_peer_exactextract():
    """terralux.zonal_stats against exactextract.exact_extract on
    testdata (counties over ntl.tif), by the parity suite's rule: 1e-9
    relative plus exactextract's own float32 rounding of fractions."""
    stats = ["count", "sum", "mean", "min", "max", "stdev", "variance", "majority",
             "minority", "variety"]
    table = terralux.zonal_stats(NTL, COUNTIES, stats, id_field="code", output="arrow")
    cols = table.to_pydict()
    rows = []
    for i in range(table.num_rows):
        row = {"code": str(cols["code"][i])}
        for s in stats:
            v = cols[s][i]
            row[s] = "" if v is None else repr(float(v))
        rows.append(row)
    ee = parity.run_exactextract(NTL, COUNTIES, stats)
    problems = parity.compare_tables(stats, rows, ee)
    assert not problems, "\n".join(problems[:20])
    assert len(rows) == 24


@pytest.fixture(scope="session")
def county_binary():
    subprocess.run(["cargo", "build", "--release", "--quiet", "--example", "county_ntl"],
                   cwd=REPO, check=True)
    return parity.target_dir() / "release" / "examples" / "county_ntl"


def test_county_ntl_equals_binary(county_binary, tmp_path):
    folder = DATA / "products" / "vnl"
    population = DATA / "products" / "population_30s.tif"
    out, trends = tmp_path / "county.csv", tmp_path / "trends.csv"
    subprocess.run([str(county_binary), "--dir", folder, "--zones", COUNTIES, "--id-field",
                    "code", "--population", population, "--output", out, "--trends", trends,
                    "--quiet"], check=True, capture_output=True)
    run = terralux.county_ntl(COUNTIES, folder=folder, id_field="code", population=population)
    assert run.dates == sorted(set(run.table["date"]))
    for got, path in ((run.table, out), (run.trends, trends)):
        want = pd.read_csv(path, dtype={"date": str, "code": str}, keep_default_na=False,
                           na_values=[""])
        pd.testing.assert_frame_equal(got, want, check_exact=True)
    with pytest.raises(terralux.InvalidInputError, match="takes auto, vnl, blackmarble or dmsp"):
        terralux.county_ntl(COUNTIES, folder=folder, product="modis")
    with pytest.raises(terralux.InputNotFoundError):
        terralux.county_ntl(COUNTIES, rasters=[DATA / "nope.tif"])
