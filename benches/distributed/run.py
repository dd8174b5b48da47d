"""A series of dates on Dask: 1 worker against 2, and 2 workers against the
local engine on 2 threads, on the comparison harness's workload.

Usage: python benches/distributed/run.py WORK_DIR [--dates 8] [--runs 3]

WORK_DIR holds the comparison harness's county layer and raster
(benches/compare/run.sh makes them: counties.gpkg, viirs_china.tif). The
series is DATES copies of the raster (the same cells each date: the
cost of a date does not depend on its values). Rows, each the median of
RUNS runs of the whole series (the rows timed in turn, run after run, so
that the machine's drift in speed touches them alike), basic six
statistics:

- local, per date: terralux.zonal_stats on each date, 2 threads (zones
  read and coverage computed every date, as a loop over dates would);
- local, one coverage: a CoverageIndex built once, then each date on it,
  2 threads (what the distributed run does: coverage once);
- dask, 1 worker x 1 thread, and 2 workers x 1 thread (LocalCluster of
  processes), terralux.distributed.zonal_stats over the series: planning
  (zones and coverage, on the driver) included.

Every table is checked equal to the local one. Also printed: the plan's
bytes, the tasks and their result bytes, and the costs the scale plan in
the README starts from (seconds per cell-date, per zone on the driver).
"""

import argparse
import os
import shutil
import statistics
import sys
import time
from pathlib import Path

import pandas as pd

import terralux
import terralux.distributed as td

STATS = ["count", "sum", "mean", "min", "max", "stdev"]


def _warm_up():
    """Import terralux (and load GDAL) on a worker."""
    import terralux.distributed  # noqa: F401


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("work")
    parser.add_argument("--dates", type=int, default=8)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    work = Path(args.work).resolve()
    zones, raster = work / "counties.gpkg", work / "viirs_china.tif"
    series_dir = work / "series"
    series_dir.mkdir(exist_ok=True)
    rasters = []
    for d in range(args.dates):
        path = series_dir / f"viirs_china_{d + 1:02d}.tif"
        if not path.exists():
            shutil.copyfile(raster, path)
        rasters.append(str(path))

    from distributed import Client, LocalCluster, get_task_stream

    def local_per_date():
        return [terralux.zonal_stats(r, str(zones), STATS, id_field="code", threads=2)
                for r in rasters]

    def local_one_coverage():
        index = terralux.CoverageIndex(str(zones), rasters[0], id_field="code")
        return [index.zonal_stats(r, STATS, threads=2) for r in rasters]

    plan = td.ZonalPlan(rasters, str(zones), STATS, id_field="code")
    units = plan.units(1)
    plan_bytes = len(plan.to_bytes())
    sample = [len(td.run_unit(plan.to_bytes(), d, s, e)) for d, s, e in units[: min(8, len(units))]]

    # The rows timed in turn, run after run: this machine's speed drifts by
    # 10-20% over minutes, which would otherwise favour whichever row ran in
    # a fast spell. Only the measured cluster is up while its row runs (as
    # on a user's machine): an idle cluster's scheduler and worker would
    # share the cores with the measured one.
    driver = {1: [], 2: []}  # the driver process's CPU-seconds per run
    tasks = {1: [], 2: []}  # the tasks' compute seconds (Dask's task stream)

    def on_dask(workers):
        def run():
            with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                              dashboard_address=None) as cluster, Client(cluster) as client:
                client.run(_warm_up)  # the workers' imports, before the clock starts
                driver_cpu = time.process_time()
                started = time.perf_counter()
                with get_task_stream(client) as stream:
                    tables = list(td.zonal_stats(rasters, str(zones), STATS, id_field="code",
                                                 client=client).values())
                seconds = time.perf_counter() - started
                driver[workers].append(time.process_time() - driver_cpu)
                tasks[workers].extend(
                    part["stop"] - part["start"] for task in stream.data
                    for part in task["startstops"] if part["action"] == "compute")
                return seconds, tables
        return run

    def timed(fn):
        def run():
            started = time.perf_counter()
            tables = fn()
            return time.perf_counter() - started, tables
        return run

    timed_rows = [
        ("local, per date, 2 threads", timed(local_per_date)),
        ("local, one CoverageIndex, 2 threads", timed(local_one_coverage)),
        ("dask, 1 worker(s) x 1 thread", on_dask(1)),
        ("dask, 2 worker(s) x 1 thread", on_dask(2)),
    ]
    times = {label: [] for label, _ in timed_rows}
    reference = None
    for _ in range(args.runs):
        for label, fn in timed_rows:
            seconds, tables = fn()
            times[label].append(seconds)
            if reference is None:
                reference = tables
            for a, b in zip(reference, tables, strict=True):
                pd.testing.assert_frame_equal(a, b, check_exact=True)
    rows = [(label, statistics.median(times[label]), times[label]) for label, _ in timed_rows]

    cells = None
    info = os.popen(f"gdalinfo {rasters[0]}").read()
    for line in info.splitlines():
        if line.startswith("Size is"):
            cols, nrows = (int(v) for v in line.split("is")[1].split(","))
            cells = cols * nrows
    print(f"workload: {args.dates} dates of {raster.name} ({cells:,} cells each), "
          f"{len(reference[0]):,} zones, statistics {','.join(STATS)}")
    print("| run | median (s) | runs (s) |")
    print("|---|---|---|")
    for label, median, times in rows:
        print(f"| {label} | {median:.2f} | {', '.join(f'{t:.2f}' for t in times)} |")
    by = {label: median for label, median, _ in rows}
    one, two = by["dask, 1 worker(s) x 1 thread"], by["dask, 2 worker(s) x 1 thread"]
    local = by["local, per date, 2 threads"]
    print(f"- 2 workers are {one / two:.2f}x faster than 1 worker; "
          f"2 workers take {two / local:.2f}x the local engine's time on 2 threads "
          f"({two / by['local, one CoverageIndex, 2 threads']:.2f}x with one CoverageIndex)")
    for workers in (1, 2):
        print(f"- {workers} worker(s): the driver process used {statistics.median(driver[workers]):.2f} "
              f"CPU-s a run (median); tasks computed in {min(tasks[workers]):.2f}-"
              f"{max(tasks[workers]):.2f} s (median {statistics.median(tasks[workers]):.2f} s)")
    print(f"- plan: {plan_bytes:,} bytes (to each worker once); {len(units)} one-chunk tasks "
          f"over the series; result bytes of the first tasks: {min(sample):,}-{max(sample):,}")
    print(f"- cost per cell-date on 1 worker thread: {one / (cells * args.dates) * 1e9:.2f} ns "
          f"(including the driver's planning)")
    started = time.perf_counter()
    td.ZonalPlan(rasters[:1], str(zones), STATS, id_field="code")
    planning = time.perf_counter() - started
    print(f"- planning (zones read, coverage once) on the driver: {planning:.2f} s for "
          f"{len(reference[0]):,} zones ({planning / len(reference[0]) * 1e3:.2f} ms per zone)")


if __name__ == "__main__":
    sys.exit(main())
