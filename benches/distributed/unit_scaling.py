"""The workers' own scaling, without Dask: ``terralux.distributed.run_unit``
over whole dates, in 1 and then 2 plain processes (forked from a driver
that planned once), the rows timed in turn.

Usage: python benches/distributed/unit_scaling.py WORK_DIR [--runs 3]

WORK_DIR as for run.py (its ``series/`` made by run.py first). One process
runs 4 dates, two processes 8 (4 each): equal times mean the tasks
themselves scale 2x on 2 cores, so that what run.py's Dask rows lose to 2x
is the driver's and the scheduler's work on the same cores, not contention
between the tasks.
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
    one, two = statistics.median(times[1]), statistics.median(times[2])
    print(f"1 process, 4 dates: {one:.2f} s ({', '.join(f'{t:.2f}' for t in times[1])})")
    print(f"2 processes, 8 dates: {two:.2f} s ({', '.join(f'{t:.2f}' for t in times[2])})")
    print(f"- the tasks scale {2 * one / two:.2f}x on 2 processes")


if __name__ == "__main__":
    sys.exit(main())
