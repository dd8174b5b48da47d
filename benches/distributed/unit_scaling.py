"""The workers' own scaling: ``terralux.distributed.run_unit`` over whole
dates, in 1 and then 2 plain processes (forked from a driver that planned
once), then as plain Dask tasks on a LocalCluster of 1 and then 2 worker
processes, the rows timed in turn.

Usage: python benches/distributed/unit_scaling.py WORK_DIR [--runs 3]

WORK_DIR as for run.py (its ``series/`` made by run.py first). One process
runs 4 dates, two processes 8 (4 each): equal times mean the tasks
themselves scale 2x on 2 cores, so that what run.py's Dask rows lose to 2x
is the driver's and the scheduler's work on the same cores, not contention
between the tasks. The Dask rows run all 8 dates as one task each on a
cluster whose workers already hold the plan, decoded: the series' task
phase alone, without what ``terralux.distributed.zonal_stats`` does
before its first task can start (planning on the driver, sending the plan
to the workers, decoding it there) and the merges.
"""

import argparse
import multiprocessing
import statistics
import sys
import time
from pathlib import Path

import terralux.distributed as td

STATS = ["count", "sum", "mean", "min", "max", "stdev"]
_PLAN = {}


def _one_date(date):
    """Run every chunk of ``date`` as one unit; seconds taken."""
    started = time.perf_counter()
    td.run_unit(_PLAN["bytes"], date, 0, _PLAN["chunks"], _PLAN["options"])
    return time.perf_counter() - started


def _timed_date(plan_bytes, date, chunks, options):
    """On a Dask worker: ``date`` as one unit; seconds taken."""
    started = time.perf_counter()
    td.run_unit(plan_bytes, date, 0, chunks, options)
    return time.perf_counter() - started


def _dask_series(workers, dates):
    """Seconds for ``dates`` as one task each on a new LocalCluster of
    ``workers`` processes (1 thread each), its workers given the plan and
    made to decode it first; and the CPU-seconds a second that the driver
    process (the scheduler's, the nannies' and the client's event loops)
    used in 2 idle seconds before."""
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        plan = client.scatter(_PLAN["bytes"], broadcast=True, hash=False)
        args = (_PLAN["chunks"], _PLAN["options"])
        client.gather([client.submit(_timed_date, plan, 0, *args, workers=[w], pure=False)
                       for w in client.nthreads()])
        idle = time.process_time()
        time.sleep(2)
        idle = (time.process_time() - idle) / 2
        started = time.perf_counter()
        client.gather([client.submit(_timed_date, plan, d, *args, pure=False) for d in dates])
        return time.perf_counter() - started, idle


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("work")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    work = Path(args.work).resolve()
    rasters = [str(work / "series" / f"viirs_china_{d:02d}.tif") for d in range(1, 9)]
    missing = [r for r in rasters if not Path(r).exists()]
    if missing:
        sys.exit(f"unit_scaling: {missing[0]} is missing; run benches/distributed/run.py first")
    plan = td.ZonalPlan(rasters, str(work / "counties.gpkg"), STATS, id_field="code")
    _PLAN.update(bytes=plan.to_bytes(), chunks=plan.chunk_count(0), options=plan.raster_options)
    fork = multiprocessing.get_context("fork")
    times = {1: [], 2: []}
    for _ in range(args.runs):
        for processes, dates in ((1, range(4)), (2, range(8))):
            with fork.Pool(processes) as pool:
                pool.map(_one_date, range(processes))  # the files in the page cache
                started = time.perf_counter()
                pool.map(_one_date, dates, chunksize=1)
                times[processes].append(time.perf_counter() - started)
    on_dask = {1: [], 2: []}
    idle = {1: [], 2: []}
    for _ in range(args.runs):
        for workers in (1, 2):
            seconds, idle_cpu = _dask_series(workers, range(8))
            on_dask[workers].append(seconds)
            idle[workers].append(idle_cpu)
    one, two = statistics.median(times[1]), statistics.median(times[2])
    print(f"1 process, 4 dates: {one:.2f} s ({', '.join(f'{t:.2f}' for t in times[1])})")
    print(f"2 processes, 8 dates: {two:.2f} s ({', '.join(f'{t:.2f}' for t in times[2])})")
    print(f"- the tasks scale {2 * one / two:.2f}x on 2 processes")
    one, two = statistics.median(on_dask[1]), statistics.median(on_dask[2])
    print(f"Dask, 1 worker, 8 dates (plan decoded before): {one:.2f} s "
          f"({', '.join(f'{t:.2f}' for t in on_dask[1])})")
    print(f"Dask, 2 workers, 8 dates (plan decoded before): {two:.2f} s "
          f"({', '.join(f'{t:.2f}' for t in on_dask[2])})")
    print(f"- the task phase scales {one / two:.2f}x on 2 Dask workers")
    for workers in (1, 2):
        print(f"- idle, the driver process of the {workers}-worker cluster used "
              f"{statistics.median(idle[workers]):.3f} CPU-s a second")


if __name__ == "__main__":
    sys.exit(main())
