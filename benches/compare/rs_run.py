"""rasterstats on the comparison workload.

Usage: python rs_run.py RASTER ZONES.gpkg STATS OUT.json
"""

import json
import sys

import pyogrio.raw
import shapely
from rasterstats import zonal_stats


def operation(name):
    if name.startswith("p") and name[1:].replace(".", "").isdigit():
        return f"percentile_{name[1:]}"
    return {"stdev": "std"}.get(name, name)


def main(raster, zones, stats, out):
    _, _, geometry, fields = pyogrio.raw.read(zones, columns=["code"])
    shapes = shapely.from_wkb(geometry)
    ops = [operation(s) for s in stats.split(",")]
    results = zonal_stats(list(shapes), raster, stats=ops)
    rows = {code: {name: r.get(op) for name, op in zip(stats.split(","), ops)} for code, r in zip(fields[0], results)}
    with open(out, "w") as f:
        json.dump(rows, f)


if __name__ == "__main__":
    main(*sys.argv[1:5])
