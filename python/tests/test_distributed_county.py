"""terralux.distributed.county_ntl on a LocalCluster of two worker
processes: the tables and trends equal the local terralux.county_ntl bit
for bit (VNL with its masks, the masked share and a population; a Black
Marble mosaic of two tiles a day; DMSP), also when every worker is killed
during the run; a corrupt tile fails the run naming the file, or with
on_error="skip" leaves its date out."""

import os
import shutil
import signal
from pathlib import Path

import pytest

pytest.importorskip("dask")
pytest.importorskip("distributed")

import terralux  # noqa: E402
from terralux import distributed as td  # noqa: E402
from dask_cluster import client, same  # noqa: E402,F401 (client: a fixture)

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "testdata"
COUNTIES = str(DATA / "counties.gpkg")
VNL = DATA / "products" / "vnl"
POPULATION = str(DATA / "products" / "population_30s.tif")


def same_run(got, want):
    same(got.table, want.table)
    same(got.trends, want.trends)
    assert got.dates == want.dates


@pytest.mark.parametrize("chunks_per_task", [None, 1])
def test_vnl_with_masked_share_and_population(client, chunks_per_task):
    kw = dict(folder=VNL, id_field="code", population=POPULATION, masked_frac=True)
    want = terralux.county_ntl(COUNTIES, **kw)
    got = td.county_ntl(COUNTIES, client=client, chunks_per_task=chunks_per_task, **kw)
    same_run(got, want)
    assert got.failed == {}
    assert {"per_capita", "masked_frac"} <= set(got.table.columns)
    assert got.dates == ["2021", "2022", "2023"]


def test_black_marble_mosaic(client):
    # Two days of two tiles each (h28v06, h29v06): each day one mosaic.
    kw = dict(folder=DATA / "blackmarble" / "c2", id_field="code", masked_frac=True)
    want = terralux.county_ntl(COUNTIES, **kw)
    got = td.county_ntl(COUNTIES, client=client, chunks_per_task=1, **kw)
    same_run(got, want)
    assert len(got.dates) == 2 and got.table["tnl"].notna().any()


def test_dmsp_from_a_list_of_rasters(client):
    rasters = sorted(str(p) for p in (DATA / "products" / "dmsp").glob("*.tif"))
    want = terralux.county_ntl(COUNTIES, rasters=rasters, id_field="code")
    with client.as_current():
        got = td.county_ntl(COUNTIES, rasters=rasters, id_field="code")
    same_run(got, want)


def test_every_worker_killed_mid_run(client):
    kw = dict(folder=VNL, id_field="code", masked_frac=True)
    want = terralux.county_ntl(COUNTIES, **kw)
    pids = client.run(os.getpid)
    killed = []

    def kill_all(done, total):
        if done == 2 and not killed:
            for pid in pids.values():
                os.kill(pid, signal.SIGKILL)
            killed.append((done, total))

    got = td.county_ntl(COUNTIES, client=client, chunks_per_task=1, progress=kill_all, **kw)
    assert killed and killed[0][0] < killed[0][1]
    same_run(got, want)
    client.wait_for_workers(2, timeout=60)
    assert not set(pids.values()) & set(client.run(os.getpid).values())


def corrupt_copy(tmp_path):
    """The VNL folder with the 2022 layer rewritten in 16 x 16 deflate
    tiles (the same values) and one tile overwritten with garbage: the file
    opens, reading that tile fails."""
    import rasterio

    folder = tmp_path / "vnl"
    shutil.copytree(VNL, folder)
    bad = next(folder.glob("*2022*average_masked*"))
    with rasterio.open(bad) as src:
        profile, values = src.profile, src.read(1)
    profile.update(tiled=True, blockxsize=16, blockysize=16, compress="deflate")
    with rasterio.open(bad, "w", **profile) as dst:
        dst.write(values, 1)
    with rasterio.open(bad) as src:
        offset = int(src.get_tag_item("BLOCK_OFFSET_3_3", "TIFF", bidx=1))
        size = int(src.get_tag_item("BLOCK_SIZE_3_3", "TIFF", bidx=1))
    with open(bad, "r+b") as f:
        f.seek(offset)
        f.write(b"\xff\x13" * (size // 2))
    return folder, bad


def test_corrupt_tile_raises_naming_the_file(client, tmp_path):
    folder, bad = corrupt_copy(tmp_path)
    with pytest.raises(terralux.TerraluxError, match=bad.name):
        td.county_ntl(COUNTIES, folder=folder, id_field="code", client=client,
                      chunks_per_task=1)


def test_corrupt_tile_skipped(client, tmp_path):
    folder, bad = corrupt_copy(tmp_path)
    with pytest.warns(terralux.TerraluxWarning, match="left out"):
        got = td.county_ntl(COUNTIES, folder=folder, id_field="code", client=client,
                            chunks_per_task=1, on_error="skip")
    assert list(got.failed) == ["2022"] and bad.name in str(got.failed["2022"])
    # The other dates, completed as a run of those dates.
    kept = tmp_path / "kept"
    shutil.copytree(VNL, kept)
    for path in kept.glob("*2022*"):
        path.unlink()
    same_run(got, terralux.county_ntl(COUNTIES, folder=kept, id_field="code"))


def test_arguments_refused(client):
    with pytest.raises(terralux.InvalidInputError, match="either folder or rasters"):
        td.county_ntl(COUNTIES, client=client)
    with pytest.raises(terralux.InvalidInputError, match="on_error"):
        td.county_ntl(COUNTIES, folder=VNL, client=client, on_error="ignore")
    with pytest.raises(TypeError):
        td.county_ntl(COUNTIES, folder=VNL, client=client, threads=2)
