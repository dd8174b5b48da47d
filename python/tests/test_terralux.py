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



def test_arrow_comes_through_the_pycapsule_interface(monkeypatch):
    """The table is the library's record batch, imported by pyarrow through
    ``__arrow_c_stream__`` and ``__arrow_c_array__``; its types are the
    Parquet writer's: the id as in the source, statistics float64 with nulls,
    ``frac`` as the CSV's text."""
    import geopandas as gpd
    import pyarrow as pa

    from terralux import _terralux

    table = terralux.zonal_stats(NTL, COUNTIES, ["count", "mean", "frac"], id_field="code",
                                 output="arrow")
    schema = {f.name: str(f.type) for f in table.schema}
    assert schema == {"code": "string", "count": "double", "mean": "double", "frac": "string"}
    counties = gpd.read_file(COUNTIES)
    assert table.column("code").to_pylist() == [str(c) for c in counties["code"]]
    assert ":" in table.column("frac").to_pylist()[0]
    by_fid = terralux.zonal_stats(NTL, COUNTIES, ["mean"], output="arrow")
    assert str(by_fid.schema.field("fid").type) == "int64"
    # Zones in memory: the id column as they name it.
    listed = terralux.zonal_stats(NTL, list(counties.geometry), ["mean"],
                                  zones_crs=counties.crs.to_wkt(), output="arrow")
    assert listed.column_names == ["id", "mean"]
    assert listed.column("id").to_pylist() == list(range(len(counties)))
    assert listed.column("mean").equals(table.column("mean"))
    # The native batch speaks the interface to any consumer.
    native = _terralux.ArrowBatch
    assert all(hasattr(native, m) for m in
               ("__arrow_c_stream__", "__arrow_c_array__", "__arrow_c_schema__"))
    seen = []
    real = terralux._arrow_table
    monkeypatch.setattr(terralux, "_arrow_table",
                        lambda id_column, batch: seen.append(batch) or real(id_column, batch))
    terralux.zonal_stats(NTL, COUNTIES, ["mean"], id_field="code", output="arrow")
    (batch,) = seen
    assert isinstance(batch, native)
    assert len(batch) == 24
    via_array = pa.record_batch(batch)
    via_stream = pa.RecordBatchReader.from_stream(batch).read_all()
    assert pa.schema(batch).equals(via_array.schema)
    assert pa.Table.from_batches([via_array]).equals(via_stream)
    assert via_stream.column("mean").equals(
        terralux.zonal_stats(NTL, COUNTIES, ["mean"], id_field="code",
                             output="arrow").column("mean"))


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


@pytest.fixture
def ctrl_c():
    """Python's own Ctrl-C handler for the test: a process started in the
    background by a shell inherits SIGINT ignored, and Python then installs
    no handler (raise_signal would do nothing)."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


def test_ctrl_c_stops_a_run_promptly(big_raster, ctrl_c):
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


# ---- poverty_index -------------------------------------------------------

@pytest.fixture(scope="session")
def poverty_binary():
    subprocess.run(["cargo", "build", "--release", "--quiet", "--example", "poverty_index"],
                   cwd=REPO, check=True)
    return parity.target_dir() / "release" / "examples" / "poverty_index"


@pytest.fixture(scope="module")
def indicator_table(zonal, tmp_path_factory):
    """A per-county table of indicators (zonal's CSV), with a reference
    column, and a list of poor counties."""
    folder = tmp_path_factory.mktemp("indicators")
    header, rows = binary_csv(zonal, "--raster", NTL, "--zones", COUNTIES, "--id-field", "code",
                              "--stats", "mean,sum,p90,valid_frac")
    path = folder / "counties.csv"
    with open(path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header + ["official"])
        for i, row in enumerate(rows):
            w.writerow(row + [str((i * 7) % 24)])
    poor = folder / "poor.txt"
    poor.write_text("".join(r[0] + "\n" for r in rows[::5]))
    return path, poor


def run_poverty_binary(binary, *args):
    p = subprocess.run([str(binary), *map(str, args)], capture_output=True, text=True)
    return p.returncode, p.stderr


def comparable_provenance(path):
    """A provenance record less what names the run (program, command line,
    times) and the output folder (outputs by file name)."""
    import json

    record = json.loads(Path(path).read_text())
    for key in ("program", "command_line", "started", "finished"):
        record.pop(key)
    record["outputs"] = sorted((Path(o.pop("path")).name, sorted(o.items()))
                               for o in record["outputs"])
    for r in record["roll_ups"]:
        r["output"] = Path(r["output"]).name
    return record


POVERTY_CASES = {
    "table": (["--indicators", "mean,sum,p90", "--worse", "p90", "--reference", "official",
               "--poor", "{poor}", "--weights", "mean=2,sum=1,p90=1"],
              dict(indicators=["mean", "sum", "p90"], worse=["p90"], reference="official",
                   poor="{poor}", weights={"mean": 2, "sum": 1, "p90": 1})),
    "table-options": (["--indicators", "mean,valid_frac", "--goalposts",
                       "mean:0:20,valid_frac:0:1", "--aggregation", "geometric", "--missing",
                       "reweight", "--classes", "4", "--map-title", "Index", "--map-source",
                       "testdata", "--map-width", "600", "--dpi", "72"],
                      dict(indicators="mean,valid_frac",
                           goalposts={"mean": (0, 20), "valid_frac": (0, 1)},
                           aggregation="geometric", missing="reweight", classes=4,
                           map_title="Index", map_source="testdata", map_width=600, dpi=72)),
    "raster": (["--indicators", "mean,p90", "--roll-up", "province", "--normalisation",
                "z-score", "--weights", "entropy"],
               dict(indicators=["mean", "p90"], roll_ups=["province"], normalisation="z-score",
                    weights="entropy")),
}


@pytest.mark.parametrize("case", list(POVERTY_CASES))
def test_poverty_index_writes_the_binary_files(poverty_binary, indicator_table, tmp_path, case):
    import datetime

    table, poor = indicator_table
    flags, kwargs = POVERTY_CASES[case]
    flags = [str(poor) if f == "{poor}" else f for f in flags]
    kwargs = {k: (poor if v == "{poor}" else v) for k, v in kwargs.items()}
    source = (["--raster", NTL] if case == "raster" else ["--table", table])
    for attempt in range(2):  # the maps name the day of the run: rerun across midnight
        day = datetime.datetime.now(datetime.timezone.utc).date()
        (tmp_path / "bin").mkdir(exist_ok=True)
        (tmp_path / "py").mkdir(exist_ok=True)
        code, err = run_poverty_binary(poverty_binary, *source, "--zones", COUNTIES,
                                       "--id-field", "code", *flags,
                                       "--output", tmp_path / "bin" / "index.csv")
        assert code == 0, err
        run = terralux.poverty_index(COUNTIES, id_field="code",
                                     output=tmp_path / "py" / "index.csv",
                                     **({"raster": NTL} if case == "raster" else {"table": table}),
                                     **kwargs)
        if datetime.datetime.now(datetime.timezone.utc).date() == day:
            break
    made = sorted(p.name for p in (tmp_path / "bin").iterdir())
    assert sorted(p.name for p in (tmp_path / "py").iterdir()) == made
    assert sorted(Path(f).name for f in run.files) == made
    assert {"index.csv", "index.png", "index.svg", "index.html",
            "index.csv.provenance.json"} <= set(made)
    for name in made:
        if name.endswith(".provenance.json"):
            assert comparable_provenance(tmp_path / "py" / name) == comparable_provenance(
                tmp_path / "bin" / name), name
        else:  # the tables and the maps, byte for byte
            assert (tmp_path / "py" / name).read_bytes() == (tmp_path / "bin" / name).read_bytes(), name
    # The DataFrame is the table written: ids as text, exact values.
    want = pd.read_csv(tmp_path / "bin" / "index.csv", dtype={"code": str},
                       keep_default_na=False, na_values=[""])
    assert list(run.table.columns) == list(want.columns)
    assert run.table["code"].tolist() == want["code"].tolist()
    assert run.table["rank"].dtype == "Int64" and run.table["class"].dtype == "Int64"
    for name in want.columns[1:]:
        assert np.array_equal(run.table[name].to_numpy(float, na_value=np.nan),
                              want[name].to_numpy(float), equal_nan=True), name
    assert run.provenance["program"] == "terralux.poverty_index"
    assert run.provenance["command_line"][0] == "terralux.poverty_index"
    if case == "table":
        # The validation figures the binary prints, to its 4 decimals.
        printed = dict(re.findall(r"poverty_index: (\w+) = (-?[0-9.]+)", err))
        assert set(run.validation) == set(printed) == {"pearson", "spearman", "ols_r2",
                                                       "roc_auc"}
        for name, value in printed.items():
            assert f"{run.validation[name]:.4f}" == value
        recorded = run.provenance["validation"]
        assert run.validation == {k: recorded[k] for k in run.validation}
    if case == "raster":
        assert list(run.roll_ups) == ["province"]
        by = pd.read_csv(tmp_path / "bin" / "index_by_province.csv", dtype={"province": str},
                         keep_default_na=False, na_values=[""])
        assert run.roll_ups["province"]["province"].tolist() == by["province"].tolist()
        assert np.array_equal(run.roll_ups["province"]["score"].to_numpy(float),
                              by["score"].to_numpy(float), equal_nan=True)


def test_poverty_index_parquet_equals_csv(indicator_table, tmp_path):
    table, _ = indicator_table
    args = dict(table=table, id_field="code", indicators=["mean", "sum"])
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    from_csv = terralux.poverty_index(COUNTIES, output=tmp_path / "a" / "i.csv", **args)
    from_parquet = terralux.poverty_index(COUNTIES, output=tmp_path / "b" / "i.parquet", **args)
    assert (tmp_path / "b" / "i.parquet").exists()
    pd.testing.assert_frame_equal(from_csv.table, from_parquet.table, check_exact=True)


POVERTY_BAD = [
    # (flags, keyword arguments, the exception); the message is the binary's
    (["--table", "{nope}"], dict(table="{nope}"), terralux.InputNotFoundError),
    (["--indicators", "mean,nope"], dict(indicators=["mean", "nope"]),
     terralux.InvalidInputError),
    (["--indicators", "mean", "--worse", "sum"], dict(indicators=["mean"], worse=["sum"]),
     terralux.InvalidInputError),
    (["--indicators", "mean,sum", "--weights", "mean=1"],
     dict(indicators=["mean", "sum"], weights={"mean": 1}), terralux.InvalidInputError),
    (["--table-id", "name"], dict(table_id="name"), terralux.InvalidInputError),
    (["--id-field", "nope"], dict(id_field="nope"), terralux.InvalidInputError),
    (["--poor", "{nope}"], dict(poor="{nope}"), terralux.InputNotFoundError),
    (["--output", "{table}"], dict(output="{table}"), terralux.OutputConflictError),
]


@pytest.mark.parametrize("flags,kwargs,error", POVERTY_BAD,
                         ids=["table", "indicator", "worse", "weights", "table-id", "field",
                              "poor", "output"])
def test_poverty_index_bad_inputs(poverty_binary, indicator_table, tmp_path, flags, kwargs,
                                  error):
    table, _ = indicator_table
    fill = {"{nope}": DATA / "nope.csv", "{table}": table.with_suffix(".csv")}
    out = tmp_path / "out"
    out.mkdir()
    cli = {"--table": table, "--zones": COUNTIES, "--id-field": "code",
           "--output": out / "index.csv"}
    it = iter(flags)
    for flag in it:
        value = next(it)
        cli[flag] = fill.get(value, value)
    code, err = run_poverty_binary(poverty_binary, *[x for kv in cli.items() for x in kv])
    assert code != 0
    message = err.strip().splitlines()[-1].removeprefix("poverty_index: ")
    message = message.removesuffix(" (see 'poverty_index --help')")
    call = dict(table=table, id_field="code", output=out / "index.csv")
    call.update({k: fill.get(v, v) if isinstance(v, str) else v for k, v in kwargs.items()})
    with pytest.raises(error) as caught:
        terralux.poverty_index(COUNTIES, **call)
    assert str(caught.value) == message
    assert list(out.iterdir()) == []  # a failed run leaves no file


def test_poverty_index_python_checks(indicator_table, tmp_path):
    table, _ = indicator_table
    out = tmp_path / "index.csv"
    with pytest.raises(terralux.InvalidInputError, match="table or raster is required"):
        terralux.poverty_index(COUNTIES, output=out)
    with pytest.raises(terralux.InvalidInputError, match="roll_ups needs raster"):
        terralux.poverty_index(COUNTIES, table=table, roll_ups=["city"], output=out)
    with pytest.raises(terralux.InvalidInputError, match="raster needs indicators"):
        terralux.poverty_index(COUNTIES, raster=NTL, output=out)
    with pytest.raises(terralux.InvalidInputError, match="must end in .csv or .parquet"):
        terralux.poverty_index(COUNTIES, table=table, output=tmp_path / "index.txt")
    with pytest.raises(terralux.InvalidInputError, match="not both"):
        terralux.poverty_index(COUNTIES, table=table, output=out, normalisation="rank",
                               goalposts={"mean": (0, 1)})
    with pytest.raises(terralux.InvalidInputError, match="unknown method 'max'"):
        terralux.poverty_index(COUNTIES, table=table, output=out, normalisation="max")
    with pytest.raises(terralux.InvalidInputError, match="weights: takes equal, entropy, pca"):
        terralux.poverty_index(COUNTIES, table=table, output=out, weights="heavy")
    assert list(tmp_path.iterdir()) == []


@pytest.fixture(scope="module")
def big_zones(tmp_path_factory):
    """Two boxes over `big_raster` (as a GeoPackage)."""
    import geopandas as gpd
    import shapely

    path = tmp_path_factory.mktemp("bigzones") / "zones.gpkg"
    gpd.GeoDataFrame({"code": ["a", "b"]},
                     geometry=[shapely.box(100.0005, 31.8085, 102.0005, 39.9995),
                               shapely.box(102.0005, 31.8085, 104.0955, 39.9995)],
                     crs="EPSG:4326").to_file(path, driver="GPKG")
    return path


def test_poverty_index_interrupted_leaves_no_file(big_raster, big_zones, tmp_path, ctrl_c):
    out = tmp_path / "out"
    out.mkdir()
    calls = []

    def interrupt(done, total):
        calls.append((done, total))
        signal.raise_signal(signal.SIGINT)

    with pytest.raises(KeyboardInterrupt):
        terralux.poverty_index(big_zones, raster=big_raster, id_field="code",
                               indicators=["mean", "median"], output=out / "index.csv",
                               progress=interrupt)
    assert len(calls) == 1 and calls[0][0] < calls[0][1]
    assert list(out.iterdir()) == []

    def fail(done, total):
        raise RuntimeError("stop here")

    with pytest.raises(RuntimeError, match="stop here"):
        terralux.poverty_index(big_zones, raster=big_raster, id_field="code",
                               indicators=["mean"], output=out / "index.csv", progress=fail)
    assert list(out.iterdir()) == []
    # Uninterrupted, the same call writes its files.
    run = terralux.poverty_index(big_zones, raster=big_raster, id_field="code",
                                 indicators=["mean"], output=out / "index.csv")
    assert run.table["code"].tolist() == ["a", "b"]
    assert (out / "index.csv").exists() and (out / "index.png").exists()


# ---- CoverageIndex -------------------------------------------------------

def test_coverage_index_equals_zonal_stats():
    import geopandas as gpd

    index = terralux.CoverageIndex(COUNTIES, NTL, id_field="code")
    assert len(index) == 24 and index.coverage == "exact" and index.shape == (100, 120)
    assert "24 zones" in repr(index)
    for raster in (NTL, NTL_U16):  # the same grid, other values
        want = terralux.zonal_stats(raster, COUNTIES, ALL_STATS, id_field="code")
        pd.testing.assert_frame_equal(index.zonal_stats(raster, ALL_STATS), want,
                                      check_exact=True)
        pd.testing.assert_frame_equal(
            terralux.zonal_stats(raster, COUNTIES, ALL_STATS, id_field="code",
                                 coverage_index=index), want, check_exact=True)
    # Other options, Arrow and GeoPandas outputs, zones from a GeoDataFrame.
    counties = gpd.read_file(COUNTIES)
    center = terralux.CoverageIndex(counties, NTL, id_field="code", coverage="center")
    want = terralux.zonal_stats(NTL, counties, ["count", "mean", "p90"], id_field="code",
                                coverage="center", area_weighted=True, output="arrow")
    got = center.zonal_stats(NTL, ["count", "mean", "p90"], area_weighted=True, output="arrow")
    assert got.equals(want)
    geo = index.zonal_stats(NTL, ["mean"], output="geopandas")
    assert geo.crs == counties.crs
    assert all(geo.geometry.geom_equals_exact(counties.geometry, tolerance=0))


def test_memory_limit_spills_with_the_same_results():
    """memory_limit=0 sends every value kept for quantiles and gini to the
    spill file: the same frames, bit for bit; bad limits are refused."""
    stats = ["count", "median", "p10", "p90", "p99.5", "gini", "majority"]
    # Small chunks, so that zones are merged (and spilled) many times; the
    # chunk budget can change last bits, so both runs share it.
    want = terralux.zonal_stats(NTL, COUNTIES, stats, id_field="code", chunk_cells=300)
    for threads in (1, 2):
        got = terralux.zonal_stats(NTL, COUNTIES, stats, id_field="code", memory_limit=0,
                                   threads=threads, chunk_cells=300)
        pd.testing.assert_frame_equal(got, want, check_exact=True)
    want = terralux.zonal_stats(NTL, COUNTIES, stats, id_field="code")
    index = terralux.CoverageIndex(COUNTIES, NTL, id_field="code")
    pd.testing.assert_frame_equal(index.zonal_stats(NTL, stats, memory_limit=0), want,
                                  check_exact=True)
    for bad in (-1, 1.5, True, "1GB"):
        with pytest.raises(terralux.InvalidInputError, match="memory_limit"):
            terralux.zonal_stats(NTL, COUNTIES, stats, id_field="code", memory_limit=bad)
    from terralux import distributed

    with pytest.raises(terralux.InvalidInputError, match="memory_limit: not an option"):
        distributed.zonal_stats(NTL, COUNTIES, stats, memory_limit=0)


def test_coverage_index_for_other_zones_is_refused(tmp_path):
    import geopandas as gpd
    import rasterio
    from affine import Affine

    counties = gpd.read_file(COUNTIES)
    fewer = terralux.CoverageIndex(counties.iloc[:10], NTL, id_field="code")
    with pytest.raises(terralux.InvalidInputError,
                       match=r"coverage index: it was built for other zones \(fingerprint "
                             r"\w+, 10 zones\) than those of .*24 zones\)"):
        terralux.zonal_stats(NTL, COUNTIES, ["sum"], id_field="code", coverage_index=fewer)
    # As many zones, one moved a little: the fingerprint differs.
    moved = counties.copy()
    moved.loc[3, "geometry"] = moved.geometry.iloc[3].buffer(0.001)
    same_count = terralux.CoverageIndex(moved, NTL, id_field="code")
    assert same_count.fingerprint != terralux.CoverageIndex(counties, NTL,
                                                            id_field="code").fingerprint
    with pytest.raises(terralux.InvalidInputError, match="built for other zones"):
        terralux.zonal_stats(NTL, counties, ["sum"], id_field="code", coverage_index=same_count)
    # Another coverage mode, another grid.
    index = terralux.CoverageIndex(COUNTIES, NTL, id_field="code")
    with pytest.raises(terralux.InvalidInputError,
                       match="the coverage index holds exact coverage, not center"):
        terralux.zonal_stats(NTL, COUNTIES, ["sum"], id_field="code", coverage="center",
                             coverage_index=index)
    other = tmp_path / "other.tif"
    with rasterio.open(other, "w", driver="GTiff", width=60, height=50, count=1,
                       dtype="float32", crs="EPSG:4326",
                       transform=Affine(1 / 120, 0, 106.0, 0, -1 / 120, 29.9)) as ds:
        ds.write(np.ones((1, 50, 60), dtype="float32"))
    with pytest.raises(terralux.InvalidInputError, match="built for another grid"):
        index.zonal_stats(other, ["sum"])
    with pytest.raises(TypeError, match="a terralux.CoverageIndex"):
        terralux.zonal_stats(NTL, COUNTIES, coverage_index="index")
