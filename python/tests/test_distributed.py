"""terralux.distributed on a LocalCluster of two worker processes: the
tables equal the local terralux.zonal_stats bit for bit (one or many
chunks, any chunks per task, several dates), also when a worker is killed
during the run; bad input fails the run (or skips the date); partials of
another plan are refused."""

import os
import signal
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("dask")
pytest.importorskip("distributed")

import terralux  # noqa: E402
from terralux import distributed as td  # noqa: E402
from dask_cluster import client, same  # noqa: E402,F401 (client: a fixture)

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "testdata"
NTL = str(DATA / "ntl.tif")
COUNTIES = str(DATA / "counties.gpkg")
STATS = ["count", "sum", "mean", "min", "max", "stdev", "median", "p90", "majority", "variety",
         "frac"]
# A small chunk budget: ntl.tif (100 x 120 cells) in 20 chunks of 5 rows.
SMALL = 600


def dates(tmp_path, n=3):
    """n rasters on ntl.tif's grid (values scaled by date), tiled."""
    import rasterio

    with rasterio.open(NTL) as src:
        profile, values = src.profile, src.read(1)
    profile.update(tiled=True, blockxsize=16, blockysize=16, compress="deflate")
    paths = []
    for k in range(n):
        path = tmp_path / f"ntl_{2020 + k}.tif"
        with rasterio.open(path, "w", **profile) as dst:
            dst.write((values * (1.0 + 0.37 * k)).astype(profile["dtype"]), 1)
        paths.append(str(path))
    return paths


def corrupt_tile(path):
    """Overwrite one tile (row 3, column 3 of 16 x 16 tiles) of a deflate
    GeoTIFF with garbage: the file opens, reading that tile fails."""
    import rasterio

    with rasterio.open(path) as src:
        offset = int(src.get_tag_item("BLOCK_OFFSET_3_3", "TIFF", bidx=1))
        size = int(src.get_tag_item("BLOCK_SIZE_3_3", "TIFF", bidx=1))
    with open(path, "r+b") as f:
        f.seek(offset)
        f.write(b"\xff\x13" * (size // 2))


@pytest.mark.parametrize("chunk_cells,chunks_per_task", [
    (None, None), (SMALL, 1), (SMALL, 3), (SMALL, None)])
def test_same_table_as_local(client, chunk_cells, chunks_per_task):
    kw = dict(id_field="code", chunk_cells=chunk_cells)
    want = terralux.zonal_stats(NTL, COUNTIES, STATS, **kw)
    got = td.zonal_stats(NTL, COUNTIES, STATS, client=client, chunks_per_task=chunks_per_task,
                         **kw)
    same(got, want)
    assert want[["mean", "stdev"]].isna().any().any()  # NaN positions are compared


def test_arrow_and_geopandas_outputs(client):
    kw = dict(id_field="code", chunk_cells=SMALL)
    for output in ("arrow", "geopandas"):
        want = terralux.zonal_stats(NTL, COUNTIES, STATS, output=output, **kw)
        got = td.zonal_stats(NTL, COUNTIES, STATS, client=client, chunks_per_task=2,
                             output=output, **kw)
        assert got.equals(want) if output == "arrow" else got.geom_equals(want.geometry).all()
        if output == "geopandas":
            same(pd.DataFrame(got.drop(columns="geometry")),
                 pd.DataFrame(want.drop(columns="geometry")))


def test_default_client(client):
    with client.as_current():
        got = td.zonal_stats(NTL, COUNTIES, ["sum"])
    same(got, terralux.zonal_stats(NTL, COUNTIES, ["sum"]))


def test_plan_and_partials_go_directly_only_to_reachable_workers(client):
    # A LocalCluster's workers are on this machine: directly. A client
    # of a remote scheduler: through it, unless the client says otherwise.
    from types import SimpleNamespace

    assert td._direct(client) is True
    remote = SimpleNamespace(direct_to_workers=None, cluster=None)
    assert td._direct(remote) is False
    assert td._direct(SimpleNamespace(direct_to_workers=True, cluster=None)) is True
    assert td._direct(SimpleNamespace(direct_to_workers=False, cluster=client.cluster)) is False


def test_series_of_dates(client, tmp_path):
    paths = dates(tmp_path)
    kw = dict(id_field="code", chunk_cells=SMALL)
    got = td.zonal_stats(paths, COUNTIES, STATS, client=client, chunks_per_task=2, **kw)
    assert isinstance(got, td.ZonalSeries) and list(got) == paths and got.failed == {}
    for path in paths:
        same(got[path], terralux.zonal_stats(path, COUNTIES, STATS, **kw))
    # Each worker process decoded the plan once and kept it.
    plan = td.ZonalPlan(paths, COUNTIES, STATS, **kw)
    held = client.run(terralux._terralux.cached_plans)
    assert all(plan.fingerprint in fps for fps in held.values()), held


def test_worker_killed_mid_run(client, tmp_path):
    paths = dates(tmp_path)
    kw = dict(id_field="code", chunk_cells=SMALL)
    want = {p: terralux.zonal_stats(p, COUNTIES, STATS, **kw) for p in paths}
    pids = client.run(os.getpid)
    killed = []

    def kill_one(done, total):
        # After the first tasks completed (their partials held on the
        # workers, not gathered yet), kill the worker holding the most.
        if done == 3 and not killed:
            held = client.has_what()
            victim = max(held, key=lambda a: sum("terralux-unit" in str(k) for k in held[a]))
            lost = sum("terralux-unit" in str(k) for k in held[victim])
            os.kill(pids[victim], signal.SIGKILL)
            killed.append((pids[victim], done, total, lost))

    got = td.zonal_stats(paths, COUNTIES, STATS, client=client, chunks_per_task=1,
                         progress=kill_one, **kw)
    # Killed before the end, holding partials not gathered yet (run again).
    assert killed and killed[0][1] < killed[0][2] and killed[0][3] > 0
    for path in paths:
        same(got[path], want[path])
    # The nanny brought a new worker up in place of the killed one.
    client.wait_for_workers(2, timeout=60)
    assert killed[0][0] not in client.run(os.getpid).values()


def test_every_worker_killed_mid_run(client, tmp_path):
    # Every worker killed at once: the plan's bytes die with them (Dask
    # cancels the tasks that need them instead of running them again); the
    # run scatters the plan again, submits the lost units again and gives
    # the same tables, never a series missing dates.
    paths = dates(tmp_path)
    kw = dict(id_field="code", chunk_cells=SMALL)
    want = {p: terralux.zonal_stats(p, COUNTIES, STATS, **kw) for p in paths}
    pids = client.run(os.getpid)
    killed = []

    def kill_all(done, total):
        if done == 3 and not killed:
            for pid in pids.values():
                os.kill(pid, signal.SIGKILL)
            killed.append((done, total))

    got = td.zonal_stats(paths, COUNTIES, STATS, client=client, chunks_per_task=1,
                         progress=kill_all, **kw)
    assert killed and killed[0][0] < killed[0][1]
    assert list(got) == paths and got.failed == {}
    for path in paths:
        same(got[path], want[path])
    client.wait_for_workers(2, timeout=60)
    assert not set(pids.values()) & set(client.run(os.getpid).values())


def test_bad_tile_raises_naming_the_file(client, tmp_path):
    paths = dates(tmp_path)
    corrupt_tile(paths[1])
    with pytest.raises(terralux.TerraluxError) as local:
        terralux.zonal_stats(paths[1], COUNTIES, ["sum"])
    with pytest.raises(terralux.TerraluxError) as remote:
        td.zonal_stats(paths, COUNTIES, ["sum"], client=client, chunks_per_task=1,
                       chunk_cells=SMALL)
    message = str(remote.value)
    assert paths[1] in message and "\n" not in message
    assert type(remote.value) is type(local.value)
    with pytest.raises(terralux.TerraluxError, match="ntl_2021"):
        td.zonal_stats(paths[1], COUNTIES, ["sum"], client=client, on_error="skip")


def test_bad_tile_skipped(client, tmp_path):
    paths = dates(tmp_path)
    corrupt_tile(paths[1])
    kw = dict(id_field="code", chunk_cells=SMALL)
    with pytest.warns(terralux.TerraluxWarning, match="ntl_2021.tif: left out"):
        got = td.zonal_stats(paths, COUNTIES, STATS, client=client, chunks_per_task=2,
                             on_error="skip", **kw)
    assert list(got) == [paths[0], paths[2]]
    assert list(got.failed) == [paths[1]]
    assert isinstance(got.failed[paths[1]], terralux.ReadError)
    for path in (paths[0], paths[2]):
        same(got[path], terralux.zonal_stats(path, COUNTIES, STATS, **kw))


def test_missing_raster_fails_before_any_task(client, tmp_path):
    with pytest.raises(terralux.InputNotFoundError, match="nope.tif"):
        td.zonal_stats([NTL, str(tmp_path / "nope.tif")], COUNTIES, client=client)


def test_partials_of_another_plan_refused():
    a = td.ZonalPlan([NTL], COUNTIES, ["sum"], chunk_cells=SMALL)
    b = td.ZonalPlan([NTL], COUNTIES, ["mean"], chunk_cells=SMALL)
    assert a.fingerprint != b.fingerprint
    stray = [td.run_unit(b.to_bytes(), *u, b.raster_options) for u in b.units(5)]
    with pytest.raises(terralux.TerraluxError, match="another work plan"):
        a.merge(stray)
    mine = [td.run_unit(a.to_bytes(), *u, a.raster_options) for u in a.units(5)]
    with pytest.raises(terralux.TerraluxError, match="missing partials"):
        a.merge(mine[1:])
    same(a.merge(mine)[0], terralux.zonal_stats(NTL, COUNTIES, ["sum"], chunk_cells=SMALL))


def test_bytes_per_task():
    """Measured: the plan's bytes, and each task's result (its partials),
    with the 11 statistics (median, p90, majority, variety and frac keep
    every value) and with the default six."""
    for stats in (STATS, None):
        for chunks_per_task in (1, 4, 12):
            plan = td.ZonalPlan([NTL], COUNTIES, stats, chunk_cells=SMALL)
            plan_bytes = plan.to_bytes()
            sizes = [len(td.run_unit(plan_bytes, *u, plan.raster_options))
                     for u in plan.units(chunks_per_task)]
            print(f"\n{'11 stats' if stats else 'default stats'}: plan {len(plan_bytes)} B; "
                  f"{plan.chunk_count(0)} chunks, {chunks_per_task} a task: {len(sizes)} tasks, "
                  f"result {min(sizes)}-{max(sizes)} B (total {sum(sizes)} B)")
            assert max(sizes) < 256 * 1024


def parquet_equal(path, want_arrow):
    """The Parquet file at ``path`` holds exactly ``want_arrow`` (the local
    engine's table as Arrow): schema and values, floats by their bits."""
    import pyarrow.parquet as pq

    got = pq.read_table(path)
    assert got.schema.names == want_arrow.schema.names
    assert got.schema.types == want_arrow.schema.types
    for name in want_arrow.schema.names:
        g, w = got[name].to_numpy(zero_copy_only=False), want_arrow[name].to_numpy(
            zero_copy_only=False)
        if g.dtype == np.float64:
            assert np.array_equal(g.view(np.int64), w.view(np.int64)), name
        else:
            assert list(g) == list(w), name


def test_parquet_partitioned_by_date(client, tmp_path):
    paths = dates(tmp_path, n=3)
    root = tmp_path / "series"
    kw = dict(id_field="code", chunk_cells=SMALL)
    got = td.zonal_stats(paths, COUNTIES, STATS, client=client, chunks_per_task=2,
                         parquet=root, **kw)
    assert isinstance(got, td.ParquetSeries) and list(got) == paths
    assert got.written == paths and got.skipped == [] and got.failed == {}
    for path in paths:
        label = Path(path).stem
        assert got[path] == str(root / f"date={label}" / "part-0.parquet")
        assert got.labels[path] == label
        parquet_equal(got[path], terralux.zonal_stats(path, COUNTIES, STATS, output="arrow", **kw))
    # Only the files and the run's record: no temporary left anywhere.
    found = sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())
    assert found == ["_terralux_run.json"] + [f"date={Path(p).stem}/part-0.parquet"
                                              for p in paths]
    # Readers see one table with a date column (the record is skipped).
    table = pd.read_parquet(root)
    assert len(table) == 3 * len(pd.read_parquet(got[paths[0]]))
    assert sorted(table["date"].astype(str).unique()) == [Path(p).stem for p in paths]
    import json

    record = json.loads((root / "_terralux_run.json").read_text())
    assert {k: v["status"] for k, v in record["dates"].items()} == {
        Path(p).stem: "written" for p in paths}


def test_parquet_rerun_skips_finished_dates(client, tmp_path):
    paths = dates(tmp_path, n=4)
    root = tmp_path / "series"
    kw = dict(id_field="code", chunk_cells=SMALL)
    first = td.zonal_stats(paths[:2], COUNTIES, ["sum", "mean"], client=client, parquet=root,
                           **kw)
    stamps = {p: os.stat(f).st_mtime_ns for p, f in first.items()}
    # The same request again: nothing run, nothing rewritten.
    again = td.zonal_stats(paths[:2], COUNTIES, ["sum", "mean"], client=client, parquet=root,
                           **kw)
    assert again.written == [] and again.skipped == paths[:2]
    assert {p: os.stat(f).st_mtime_ns for p, f in again.items()} == stamps
    # An interrupted longer run: date 1's file cut short, date 0's gone.
    # The rerun over all four dates writes exactly those that are not whole.
    with open(first[paths[1]], "r+b") as f:
        f.truncate(os.path.getsize(first[paths[1]]) // 2)
    os.remove(first[paths[0]])
    rerun = td.zonal_stats(paths, COUNTIES, ["sum", "mean"], client=client, parquet=root, **kw)
    assert rerun.written == paths
    assert rerun.skipped == []
    full = td.zonal_stats(paths, COUNTIES, ["sum", "mean"], client=client, parquet=root, **kw)
    assert full.skipped == paths and full.written == []
    for path in paths:
        parquet_equal(full[path], terralux.zonal_stats(path, COUNTIES, ["sum", "mean"],
                                                       output="arrow", **kw))
    # Another statistic, or a raster rewritten since: computed again.
    other = td.zonal_stats(paths[:1], COUNTIES, ["sum", "max"], client=client, parquet=root,
                           **kw)
    assert other.written == paths[:1]
    parquet_equal(other[paths[0]], terralux.zonal_stats(paths[0], COUNTIES, ["sum", "max"],
                                                        output="arrow", **kw))
    time.sleep(0.01)
    os.utime(paths[3])
    touched = td.zonal_stats(paths[2:], COUNTIES, ["sum", "mean"], client=client, parquet=root,
                             **kw)
    assert touched.skipped == [paths[2]] and touched.written == [paths[3]]


def test_parquet_bad_date_skipped_or_raised(client, tmp_path):
    paths = dates(tmp_path, n=3)
    corrupt_tile(paths[1])
    kw = dict(id_field="code", chunk_cells=SMALL)
    root = tmp_path / "skip"
    with pytest.warns(terralux.TerraluxWarning, match="ntl_2021.tif: left out"):
        got = td.zonal_stats(paths, COUNTIES, ["sum"], client=client, chunks_per_task=1,
                             on_error="skip", parquet=root, **kw)
    assert list(got) == [paths[0], paths[2]] and list(got.failed) == [paths[1]]
    assert not (root / "date=ntl_2021").exists()
    import json

    record = json.loads((root / "_terralux_run.json").read_text())["dates"]
    assert record["ntl_2021"]["status"] == "failed"
    assert "ntl_2021.tif" in record["ntl_2021"]["error"]
    assert record["ntl_2020"]["status"] == "written"
    root = tmp_path / "raise"
    with pytest.raises(terralux.TerraluxError, match="ntl_2021"):
        td.zonal_stats(paths, COUNTIES, ["sum"], client=client, chunks_per_task=1,
                       parquet=root, **kw)
    # The failed date has no file (another date may have finished first);
    # the record names the error and no date as failed with another's error.
    assert not (root / "date=ntl_2021").exists()
    record = json.loads((root / "_terralux_run.json").read_text())
    assert "ntl_2021.tif" in record["error"]
    assert {v["status"] for v in record["dates"].values()} <= {"written", "not run"}
    assert not [p for p in root.rglob("*partial*")]


def test_parquet_labels(client, tmp_path):
    paths = dates(tmp_path, n=2)
    root = tmp_path / "labelled"
    got = td.zonal_stats(paths, COUNTIES, ["sum"], client=client, parquet=root,
                         dates=["2020-01-01", "2020-01-02"])
    assert got[paths[1]] == str(root / "date=2020-01-02" / "part-0.parquet")
    with pytest.raises(terralux.InvalidInputError, match="give one per raster"):
        td.zonal_stats(paths, COUNTIES, ["sum"], client=client, parquet=root, dates=["a"])
    with pytest.raises(terralux.InvalidInputError, match="labels both"):
        td.zonal_stats(paths, COUNTIES, ["sum"], client=client, parquet=root, dates=["a", "a"])
    with pytest.raises(terralux.InvalidInputError, match="date label"):
        td.zonal_stats(paths, COUNTIES, ["sum"], client=client, parquet=root,
                       dates=["a", "b/c"])
    with pytest.raises(terralux.InvalidInputError, match="give parquet="):
        td.zonal_stats(paths, COUNTIES, ["sum"], client=client, dates=["a", "b"])
    a_file = tmp_path / "a_file"
    a_file.write_text("x")
    with pytest.raises(terralux.InvalidInputError, match="is a file"):
        td.zonal_stats(paths, COUNTIES, ["sum"], client=client, parquet=a_file)
