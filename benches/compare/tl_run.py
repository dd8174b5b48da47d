"""terralux's Python API on the comparison workload: `terralux.zonal_stats`
over the zones file, written as the `zonal` binary's CSV.

Usage: python tl_run.py RASTER ZONES.gpkg STATS OUT.csv THREADS

STATS is terralux's comma-separated list. The time measured includes
starting Python and importing terralux and pandas (as exactextract's row
includes starting Python and importing exactextract); the CSV is written
by pandas after the call, so it is the same file as `zonal --output`.
The call alone (without starting Python, the imports and the CSV) is
timed in the process and written to OUT.csv.seconds.
"""

import sys
import time

import terralux


def main(raster, zones, stats, out, threads):
    started = time.perf_counter()
    table = terralux.zonal_stats(raster, zones, stats.split(","), id_field="code",
                                 threads=int(threads))
    with open(out + ".seconds", "w") as f:
        f.write(f"{time.perf_counter() - started:.6f}\n")
    # float repr: the shortest text that reads back to the same double, as zonal writes.
    table.to_csv(out, index=False, na_rep="", float_format=None)


if __name__ == "__main__":
    main(*map(str, sys.argv[1:6]))
