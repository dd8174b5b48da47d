"""Side-by-side timing of terralux, exactextract and rasterstats on China's counties.

Run through benches/compare/run.sh, which builds the tools and the workload.

Usage: python compare.py --work DIR --bin DIR [--quick] [--runs N] [--rasterstats-runs N] [--skip-rasterstats]
                          [--terralux-python PYTHON]

Every tool runs as a subprocess on the same inputs; wall time comes from the
clock around it, CPU time and peak memory (max RSS) from wait4(). The
agreement check compares terralux's count, sum, mean, min, max and stdev
with exactextract's on every zone. With --terralux-python (an interpreter
that imports the terralux package, python/), the Python API
(`terralux.zonal_stats`, tl_run.py) runs on the same workload in the same
run, at 2 threads, and its table is checked against the binary's.
"""

import argparse
import csv
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

BASIC = "count,sum,mean,min,max,stdev"
QUANTILES = BASIC + ",median,p90"


def measure(cmd, env=None):
    """Run cmd; return (wall s, cpu s, peak MiB)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    err = proc.stderr.read().decode(errors="replace")
    proc.stderr.close()
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        sys.exit(f"failed ({code}): {' '.join(map(str, cmd))}\n{err}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024.0


def repeat(label, cmd, runs, env=None):
    results = [measure(cmd, env) for _ in range(runs)]
    walls = [r[0] for r in results]
    print(f"  {label}: " + ", ".join(f"{w:.2f}s" for w in walls), file=sys.stderr)
    return {
        "label": label,
        "runs": runs,
        "wall_min": min(walls),
        "wall_median": statistics.median(walls),
        "wall_max": max(walls),
        "cpu": statistics.median(r[1] for r in results),
        "peak_mib": max(r[2] for r in results),
    }


def read_terralux_csv(path):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    return {r["code"]: {k: (float(v) if v != "" else None) for k, v in r.items() if k != "code"} for r in rows}


def agreement(terralux, exactextract, stats):
    """Largest relative difference over zones and statistics, and where."""
    worst = (0.0, None, None, None, None)
    compared = 0
    for code, ours in terralux.items():
        theirs = exactextract.get(code)
        if theirs is None:
            continue
        for stat in stats:
            a, b = ours.get(stat), theirs.get(stat)
            if b is not None and isinstance(b, float) and math.isnan(b):
                b = None
            if a is None or b is None:
                if (a is None) != (b is None) and not (stat == "count" and (a or 0) == 0):
                    worst = max(worst, (math.inf, code, stat, a, b), key=lambda t: t[0])
                continue
            compared += 1
            scale = max(abs(a), abs(b))
            diff = abs(a - b) / scale if scale > 0 else 0.0
            if abs(a - b) <= 1e-12:
                diff = 0.0
            if diff > worst[0]:
                worst = (diff, code, stat, a, b)
    return worst, compared


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--work", required=True)
    parser.add_argument("--bin", required=True, help="folder with the release examples")
    parser.add_argument("--quick", action="store_true", help="use the 1/8-size raster")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--rasterstats-runs", type=int, default=1)
    parser.add_argument("--skip-rasterstats", action="store_true")
    parser.add_argument("--terralux-python", help="a Python that imports terralux (python/): adds its row")
    args = parser.parse_args()

    work, bin_dir = Path(args.work), Path(args.bin)
    raster = work / ("viirs_china_8.tif" if args.quick else "viirs_china.tif")
    zones = work / "counties.gpkg"
    here = Path(__file__).parent
    python = sys.executable
    out = work / "out"
    out.mkdir(exist_ok=True)
    zonal = bin_dir / "zonal"
    env = dict(os.environ)  # every tool with its own GDAL settings

    info = subprocess.run(["gdalinfo", str(raster)], capture_output=True, text=True).stdout
    size_line = next(line for line in info.splitlines() if line.startswith("Size is"))
    cols, rows = (int(v) for v in size_line[len("Size is ") :].split(","))
    cells = cols * rows
    import pyogrio

    n_zones = pyogrio.read_info(zones)["features"]
    print(f"workload: {raster.name} ({cols} x {rows} = {cells:,} cells), {n_zones} zones", file=sys.stderr)

    table = []
    for stats_label, stats in (("basic six", BASIC), ("six + median, p90", QUANTILES)):
        print(f"{stats_label}:", file=sys.stderr)
        results = {}
        for threads in (2, 1):
            results[f"terralux {threads}t"] = repeat(
                f"terralux zonal, {threads} thread(s)",
                [zonal, "--raster", raster, "--zones", zones, "--id-field", "code", "--stats", stats, "--threads", str(threads), "--quiet", "--output", out / f"terralux_{threads}t.csv"],
                args.runs,
                env,
            )
        if args.terralux_python:
            results["terralux python"] = repeat(
                "terralux.zonal_stats (Python), 2 threads",
                [args.terralux_python, here / "tl_run.py", raster, zones, stats, out / "terralux_python.csv", "2"],
                args.runs,
                env,
            )
            seconds = (out / "terralux_python.csv.seconds").read_text()
            results["terralux python"]["call"] = float(seconds)  # the last run's call alone
        results["exactextract"] = repeat(
            "exactextract (Python, WKB)", [python, here / "ee_run.py", raster, zones, stats, out / "exactextract.json"], args.runs, env
        )
        results["exactextract"]["call"] = float((out / "exactextract.json.seconds").read_text())
        if not args.skip_rasterstats:
            results["rasterstats"] = repeat(
                "rasterstats", [python, here / "rs_run.py", raster, zones, stats, out / "rasterstats.json"], args.rasterstats_runs, env
            )
        # Same bits at 1 and 2 threads.
        identical = (out / "terralux_1t.csv").read_bytes() == (out / "terralux_2t.csv").read_bytes()
        ours = read_terralux_csv(out / "terralux_2t.csv")
        theirs = json.loads((out / "exactextract.json").read_text())
        worst, compared = agreement(ours, theirs, BASIC.split(","))
        python_same = None
        if args.terralux_python:
            python_same = read_terralux_csv(out / "terralux_python.csv") == ours
        table.append((stats_label, results, identical, worst, compared, python_same))

    print("I/O floor:", file=sys.stderr)
    floor = {t: repeat(f"GDAL read, {t} thread(s)", [bin_dir / "read_floor", raster, "--threads", str(t)], args.runs, env) for t in (1, 2)}

    lines = []
    lines.append(f"Workload: `{raster.name}` ({cols:,} x {rows:,} = {cells:,} Float32 cells, 512 x 512 DEFLATE tiles), {n_zones:,} county polygons.")
    lines.append(f"Machine: {os.cpu_count()} cores, {platform.system()} {platform.release()}, Python {platform.python_version()}.")
    lines.append("")
    lines.append("| statistics | tool | runs | wall min / median / max (s) | CPU (s) | peak (MiB) | Mcells/s | zones/s | x terralux |")
    lines.append("|---|---|---|---|---|---|---|---|---|")
    for stats_label, results, identical, worst, compared, _ in table:
        base = results["terralux 2t"]["wall_median"]
        for key, r in results.items():
            m = r["wall_median"]
            lines.append(
                f"| {stats_label} | {r['label']} | {r['runs']} | {r['wall_min']:.2f} / {m:.2f} / {r['wall_max']:.2f} | {r['cpu']:.2f} | {r['peak_mib']:.0f} | {cells / m / 1e6:.0f} | {n_zones / m:.0f} | {m / base:.2f} |"
            )
    for t, r in floor.items():
        m = r["wall_median"]
        lines.append(f"| (I/O floor) | {r['label']} | {r['runs']} | {r['wall_min']:.2f} / {m:.2f} / {r['wall_max']:.2f} | {r['cpu']:.2f} | {r['peak_mib']:.0f} | {cells / m / 1e6:.0f} | | |")
    lines.append("")
    for stats_label, results, identical, worst, compared, python_same in table:
        diff, code, stat, a, b = worst
        lines.append(
            f"- {stats_label}: terralux 1 and 2 threads {'identical' if identical else 'DIFFER'}; "
            f"largest relative difference from exactextract over {compared:,} values (count, sum, mean, min, max, stdev): "
            f"{diff:.2e}" + (f" (zone {code}, {stat}: {a} vs {b})" if code else "") + ("" if diff <= 1e-6 else " - ABOVE 1e-6")
        )
        speedup = results["terralux 1t"]["wall_median"] / results["terralux 2t"]["wall_median"]
        lines.append(f"- {stats_label}: 2 threads are {speedup:.2f}x faster than 1 thread; exactextract takes {results['exactextract']['wall_median'] / results['terralux 2t']['wall_median']:.1f}x terralux's time.")
        if python_same is not None:
            py, binary, ee = (results[k]["wall_median"] for k in ("terralux python", "terralux 2t", "exactextract"))
            lines.append(
                f"- {stats_label}: terralux.zonal_stats (Python, 2 threads) takes {py:.2f}s, the zonal binary {binary:.2f}s: "
                f"Python overhead {py - binary:+.2f}s ({(py / binary - 1) * 100:+.1f}%: starting Python, importing terralux and pandas, writing the CSV); "
                f"the call itself (timed in the process, last run) {results['terralux python']['call']:.2f}s; "
                f"{py / ee:.2f}x exactextract's Python API (whole processes), "
                f"{results['terralux python']['call'] / results['exactextract']['call']:.2f}x its call "
                f"(exact_extract with the zones read, {results['exactextract']['call']:.2f}s, last run); "
                f"its table {'equals' if python_same else 'DIFFERS FROM'} the binary's CSV."
            )
    ratio = table[0][1]["terralux 2t"]["wall_median"] / floor[2]["wall_median"]
    lines.append(f"- basic six: terralux takes {ratio:.2f}x the 2-thread GDAL read of the raster.")
    report = "\n".join(lines) + "\n"
    (work / "results.md").write_text(report)
    print(report)


if __name__ == "__main__":
    main()
