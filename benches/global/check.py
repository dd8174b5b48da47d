"""Run a command, report its wall time and peak memory (max RSS from wait4),
and check the zonal result against the zones' expected counts.

    python3 check.py --limit-mib 512 [--same-as EARLIER.csv] --zones Z.gpkg --result R.csv -- CMD...

The expected counts are read from the GeoPackage with Python's sqlite3 (no
GDAL bindings needed). Exit status 1 when the command fails, memory exceeds
the limit or a count is off by more than 1e-6 relative.
"""

import argparse
import csv
import os
import sqlite3
import subprocess
import sys
import time


def run(command):
    start = time.perf_counter()
    process = subprocess.Popen(command)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    return os.waitstatus_to_exitcode(status), wall, usage


def expected_counts(zones):
    with sqlite3.connect(zones) as db:
        rows = db.execute("SELECT id, kind, expected_count FROM zones ORDER BY fid")
        return [(str(i), kind, count) for i, kind, count in rows]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--limit-mib", type=float, required=True)
    parser.add_argument("--zones", required=True)
    parser.add_argument("--result", required=True)
    parser.add_argument("--same-as", help="a CSV the result must equal byte for byte")
    parser.add_argument("command", nargs="+")
    args = parser.parse_args()

    code, wall, usage = run(args.command)
    peak_mib = usage.ru_maxrss / 1024.0
    cpu = usage.ru_utime + usage.ru_stime
    print(f"wall {wall:.1f} s, CPU {cpu:.1f} s, peak memory {peak_mib:.0f} MiB "
          f"(limit {args.limit_mib:.0f} MiB)")
    if code != 0:
        print(f"FAIL: the command exited with {code}")
        return 1

    expected = expected_counts(args.zones)
    with open(args.result, newline="") as f:
        rows = list(csv.DictReader(f))
    failures = []
    if len(rows) != len(expected):
        failures.append(f"{len(rows)} result rows for {len(expected)} zones")
    cells = 0.0
    worst = {}
    for row, (zone_id, kind, count) in zip(rows, expected):
        got = float(row["count"])
        cells += got
        error = abs(got - count) / max(count, 1e-300)
        worst[kind] = max(worst.get(kind, 0.0), error)
        if row["id"] != zone_id or error > 1e-6:
            failures.append(f"zone {zone_id} ({kind}): count {got}, expected {count}")
        if float(row["outside_frac"]) > 1e-9:
            failures.append(f"zone {zone_id} ({kind}): outside_frac {row['outside_frac']}")
    globe = float(rows[0]["count"]) if rows else 0.0
    print(f"{len(rows)} zones, {cells:.4g} cells counted ({globe:.4g} in the globe zone); "
          + ", ".join(f"largest relative count error {k}: {v:.1e}" for k, v in sorted(worst.items())))
    if args.same_as:
        with open(args.same_as, "rb") as a, open(args.result, "rb") as b:
            same = a.read() == b.read()
        print(f"result {'byte-identical to' if same else 'DIFFERS from'} {args.same_as}")
        if not same:
            failures.append(f"the result differs from {args.same_as}")
    if peak_mib > args.limit_mib:
        failures.append(f"peak memory {peak_mib:.0f} MiB over {args.limit_mib:.0f} MiB")
    for failure in failures[:20]:
        print("FAIL:", failure)
    if not failures:
        print("OK")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
