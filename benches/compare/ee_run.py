"""exactextract's Python API on the comparison workload, features passed as WKB.

Usage: python ee_run.py RASTER ZONES.gpkg STATS OUT.json
STATS is terralux's comma-separated list (count,sum,mean,min,max,stdev[,median,p90]).
The call alone (reading the zones and exact_extract, without starting Python
and the imports) is timed in the process and written to OUT.json.seconds, as
tl_run.py times terralux.zonal_stats (which reads the zones too).
"""

import json
import sys
import time

import pyogrio.raw
from exactextract import exact_extract
from exactextract._exactextract import Feature
from exactextract.feature import FeatureSource


class WKBFeature(Feature):
    """A feature whose geometry is handed to exactextract as WKB (its fastest path)."""

    def __init__(self, code=None, wkb=None):
        Feature.__init__(self)
        self.properties = {"code": code} if code is not None else {}
        self.wkb = wkb

    def geometry(self):
        return self.wkb

    def set_geometry(self, wkb):
        self.wkb = wkb

    def set_geometry_format(self):
        return "wkb"

    def get(self, name):
        return self.properties[name]

    def set(self, name, value):
        self.properties[name] = value

    def fields(self):
        return list(self.properties)


class WKBSource(FeatureSource):
    def __init__(self, path):
        super().__init__()
        meta, _, geometry, fields = pyogrio.raw.read(path, columns=["code"])
        self.features = [(code, bytes(wkb)) for code, wkb in zip(fields[0], geometry)]
        self.crs = meta["crs"]

    def count(self):
        return len(self.features)

    def __iter__(self):
        for code, wkb in self.features:
            yield WKBFeature(code, wkb)

    def srs_wkt(self):
        return None


def operation(name):
    if name.startswith("p") and name[1:].replace(".", "").isdigit():
        return f"quantile(q={float(name[1:]) / 100})"
    return name


def column(name):
    """exactextract's output column for a statistic: quantile(q=0.9) is written as quantile_90."""
    if name.startswith("p") and name[1:].replace(".", "").isdigit():
        return f"quantile_{name[1:]}"
    return name


def main(raster, zones, stats, out):
    ops = [operation(s) for s in stats.split(",")]
    started = time.perf_counter()
    results = exact_extract(raster, WKBSource(zones), ops, include_cols=["code"], output="geojson")
    with open(out + ".seconds", "w") as f:
        f.write(f"{time.perf_counter() - started:.6f}\n")
    rows = {}
    for feature in results:
        props = feature["properties"]
        rows[props["code"]] = {name: props[column(name)] for name in stats.split(",")}
    with open(out, "w") as f:
        json.dump(rows, f)


if __name__ == "__main__":
    main(*sys.argv[1:5])
