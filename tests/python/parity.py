"""Running terralux's `zonal` and exactextract on the same inputs, and comparing.

The comparison rule (see `compare_stat`):

* values of the raster (min, max, majority, minority, unique values) and
  counts of them (variety) must be equal exactly, except that cells to
  which exactextract gives a coverage below 1e-9 ("specks", an ulp of
  grid misalignment) may be left out;
* sums and ratios must agree to 1e-9 relative, |a - b| <= 1e-9 max(|a|, |b|)
  (or both be below 1e-12), **plus the rounding that exactextract itself
  commits**: it keeps every ring's share of a cell as a C++ `float` and adds
  them in float (raster_cell_intersection.cpp), so each partial cell's
  fraction is off by up to 2^-24 of it (more next to holes), while
  terralux's are doubles. For a county of hundreds of cells these errors
  mostly cancel; for a polygon smaller than a cell they do not (the
  0.06-cell triangle of testdata/counties.gpkg: exactextract's count is
  float32(0.0599999990398908) = 0.05999999865889549, 6e-9 off the exact
  value, which terralux gives). The allowance is computed per zone from
  exactextract's own per-cell `coverage`, `values` (and `weights`) and
  `cell_id`: the measured error of each cell's fraction (against GEOS's
  exact intersection area in pixel units, capped by the float bound),
  propagated to the statistic to first order, sum_i |d stat / d c_i| e_i.
  On ntl.tif's counties it is about 2e-9 of a count; it is what lets a
  sub-cell zone pass, and it is far too small to hide a grid moved by
  snapping (1e-8..4e-7 relative there).
* "missing" (terralux's empty CSV field) matches exactextract's None, and
  its NaN only where the statistic's denominator is zero (no valid cell, or
  no weight); a NaN or inf that terralux writes must be NaN or the same inf.
"""

from __future__ import annotations

import copy
import csv
import io
import json
import math
import os
import subprocess
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]

# terralux's --stats name -> exactextract's operation name.
EE_NAME = {
    "count": "count",
    "sum": "sum",
    "mean": "mean",
    "min": "min",
    "max": "max",
    "stdev": "stdev",
    "variance": "variance",
    "cv": "coefficient_of_variation",
    "majority": "majority",
    "minority": "minority",
    "variety": "variety",
    "median": "median",
    "frac": "frac",
    "unique": "unique",
    "weighted_sum": "weighted_sum",
    "weighted_mean": "weighted_mean",
    "weighted_variance": "weighted_variance",
    "weighted_stdev": "weighted_stdev",
    "weighted_frac": "weighted_frac",
}

BASIC = ["count", "sum", "mean", "min", "max", "stdev", "variance", "majority",
         "minority", "variety", "cv"]

EXACT_VALUE = {"min", "max", "majority", "minority"}
F32_EPS = 2.0 ** -24
REL = 1e-9
TINY = 1e-12


# Arguments given to every `zonal` run of the parity tests: none, since
# parity is with default options; $TERRALUX_ZONAL_ARGS adds some (e.g.
# "--mode-ties exactextract", to see what else differs).
ZONAL_ARGS: tuple = tuple(os.environ.get("TERRALUX_ZONAL_ARGS", "").split())


class UnknownStat(Exception):
    """The zonal binary does not know a statistic (a usage error naming it)."""


def target_dir() -> Path:
    t = os.environ.get("CARGO_TARGET_DIR")
    if not t:
        return REPO / "target"
    p = Path(t)
    return p if p.is_absolute() else REPO / p


def build_zonal() -> Path:
    """The release `zonal` example: $TERRALUX_ZONAL, or built with cargo."""
    given = os.environ.get("TERRALUX_ZONAL")
    if given:
        return Path(given)
    subprocess.run(
        ["cargo", "build", "--release", "--quiet", "--example", "zonal"],
        cwd=REPO, check=True,
    )
    return target_dir() / "release" / "examples" / "zonal"


def run_zonal(binary, raster, zones, stats, *, id_field="code", extra=()):
    """Run `zonal ... --output -`; return the rows as dicts of strings."""
    cmd = [str(binary), "--raster", str(raster), "--zones", str(zones),
           "--id-field", id_field, "--stats", ",".join(stats), "--quiet",
           "--output", "-", *ZONAL_ARGS, *map(str, extra)]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode == 2 and "unknown statistic" in p.stderr:
        raise UnknownStat(p.stderr.strip())
    assert p.returncode == 0, f"zonal failed ({p.returncode}): {' '.join(cmd)}\n{p.stderr}"
    rows = list(csv.DictReader(io.StringIO(p.stdout)))
    for row in rows:
        for s in stats:
            assert s in row, f"zonal wrote no column {s!r}: {list(row)}"
    return rows


class EEResult:
    """exactextract's rows, with each zone's geometry and the raster's grid."""

    def __init__(self, rows, geometries, grid):
        self.rows, self.geometries, self.grid = rows, geometries, grid

    def __iter__(self):
        return iter(self.rows)

    def __len__(self):
        return len(self.rows)

    def __getitem__(self, i):
        return self.rows[i]


def run_exactextract(raster, zones, stats, *, id_field="code", weights=None, band=1,
                     options=""):
    """exactextract.exact_extract with default options on the same inputs.

    `raster` is a path, read as exactextract reads a path when GDAL's Python
    bindings are absent: `RasterioRasterSource` (rasterio's masked reads:
    nodata and the GDAL mask band). `zones` is a path (read through fiona,
    as exactextract does) or a list of GeoJSON-like features. Also asks for
    the per-cell `coverage`, `values`, `cell_id` (and `weights`) and the
    geometries, which the tolerance needs. `options` (e.g. "default_weight=0")
    are given to each statistic's operation.
    """
    import exactextract
    import rasterio
    from exactextract.raster import RasterioRasterSource

    ops = [EE_NAME[s] + (f"({options})" if options else "") for s in stats]
    if ("frac" in stats or "weighted_frac" in stats) and "unique" not in ops:
        ops.append("unique")
    ops += ["coverage", "values", "cell_id"] + (["weights"] if weights is not None else [])
    if isinstance(zones, list):
        zones = copy.deepcopy(zones)
    else:
        zones = str(zones)
    rast = RasterioRasterSource(str(raster), band)
    wts = RasterioRasterSource(str(weights), 1) if weights is not None else None
    feats = exactextract.exact_extract(rast, zones, ops, weights=wts, include_cols=[id_field],
                                       include_geom=True)
    with rasterio.open(raster) as ds:
        t = ds.transform
        grid = (t.c, t.a, t.f, -t.e, ds.width, ds.height)
    return EEResult([f["properties"] for f in feats], [f.get("geometry") for f in feats], grid)


# --- tolerance ------------------------------------------------------------

class Cells:
    """One zone's valid cells as exactextract saw them, and the error of
    each cell's coverage fraction in exactextract.

    exactextract computes each ring's share of a cell in double, stores it
    as a float, and adds the rings' floats (holes subtracted) into a float
    matrix (raster_cell_intersection.cpp). So a cell that only an exterior
    ring crosses has |c - c_exact| <= 2^-24 c; one that a hole, or k >= 2
    rings, come near has up to 2^-24 (c + 2 (k + 1)) (each share is at most
    1, and the exterior around a hole adds an exact 1 for an inside cell:
    1.0f - float(0.89) leaves 0.11 with the rounding of 0.89); a cell no
    ring comes near is inside, exactly 1. "Comes near" is conservative: the
    cell meets the bounding box of one of the ring's segments.

    The error used is the one measured: |c - c_exact|, with c_exact the
    area of the zone (in pixel units, so without the cancellation of world
    coordinates) inside the cell's unit square, by GEOS through shapely;
    capped by the bound above (so that a fault here cannot widen the
    tolerance past what exactextract's floats can explain).
    """

    def __init__(self, row, geometry, grid, weighted):
        self.c = np.asarray(row.get("coverage", []), dtype=float)
        self.v = np.asarray(row.get("values", []), dtype=float)
        self.u = np.asarray(row["weights"], dtype=float) if weighted else None
        ids = np.asarray(row.get("cell_id", []), dtype=np.int64)
        near = np.zeros(len(ids), dtype=int)
        hole = np.zeros(len(ids), dtype=bool)
        if geometry is not None and len(ids):
            for ring, is_hole in _rings(geometry):
                touched = np.isin(ids, _cells_near_ring(ring, grid))
                near += touched
                hole |= touched & is_hole
        simple = (near == 1) & ~hole
        bound = np.where(near == 0, 0.0,
                         np.where(simple, F32_EPS * self.c, F32_EPS * (self.c + 2 * (near + 1))))
        exact = exact_fractions(geometry, ids, grid) if len(ids) else None
        if exact is None:
            self.e = bound
        else:
            self.e = np.minimum(np.abs(self.c - exact) + 1e-13, bound)
        self.exact = exact

    def without_specks(self):
        """The cells with a coverage of at least 1e-9 (see compare_stat)."""
        keep = self.c >= SPECK
        out = object.__new__(Cells)
        out.c, out.v, out.e = self.c[keep], self.v[keep], self.e[keep]
        out.u = self.u[keep] if self.u is not None else None
        return out


SPECK = 1e-9


def exact_fractions(geometry, ids, grid):
    """Each cell's exact share of the zone (None if GEOS cannot say)."""
    import shapely

    x0, dx, y0, dy, ncols, _ = grid

    def px(ring):
        return [((p[0] - x0) / dx, (y0 - p[1]) / dy) for p in ring]

    try:
        polys = {"Polygon": [geometry["coordinates"]],
                 "MultiPolygon": geometry["coordinates"]}[geometry["type"]]
        geom = shapely.MultiPolygon([shapely.Polygon(px(p[0]), [px(h) for h in p[1:]])
                                     for p in polys])
        if not geom.is_valid:
            return None
        rows, cols = np.divmod(ids, ncols)
        boxes = shapely.box(cols, rows, cols + 1, rows + 1)
        return shapely.area(shapely.intersection(geom, boxes))
    except Exception:  # noqa: BLE001 - any failure: fall back to the bound
        return None


def _rings(geometry):
    """(ring, is_hole) of a Polygon or MultiPolygon."""
    polys = {"Polygon": [geometry["coordinates"]],
             "MultiPolygon": geometry["coordinates"]}.get(geometry["type"], [])
    return [(ring, k > 0) for poly in polys for k, ring in enumerate(poly)]


def _cells_near_ring(ring, grid):
    x0, dx, y0, dy, ncols, nrows = grid
    p = np.asarray(ring, dtype=float)[:, :2]
    a, b = p[:-1], p[1:]
    col_lo = np.floor((np.minimum(a[:, 0], b[:, 0]) - x0) / dx - 1e-6).astype(np.int64)
    col_hi = np.floor((np.maximum(a[:, 0], b[:, 0]) - x0) / dx + 1e-6).astype(np.int64)
    row_lo = np.floor((y0 - np.maximum(a[:, 1], b[:, 1])) / dy - 1e-6).astype(np.int64)
    row_hi = np.floor((y0 - np.minimum(a[:, 1], b[:, 1])) / dy + 1e-6).astype(np.int64)
    ids = []
    for c0, c1, r0, r1 in zip(np.clip(col_lo, 0, ncols - 1), np.clip(col_hi, 0, ncols - 1),
                              np.clip(row_lo, 0, nrows - 1), np.clip(row_hi, 0, nrows - 1)):
        rows, cols = np.mgrid[r0:r1 + 1, c0:c1 + 1]
        ids.append((rows * ncols + cols).ravel())
    return np.unique(np.concatenate(ids)) if ids else np.zeros(0, dtype=np.int64)


def _moments(c, v):
    w = c.sum()
    mean = (c * v).sum() / w
    var = (c * (v - mean) ** 2).sum() / w
    return w, mean, var


def _gradient(stat, c, v, u):
    """d stat / d c_i for each cell (finite inputs)."""
    if stat.startswith("weighted_"):
        if u is None:
            return None
        base, cw = stat[len("weighted_"):], c * u
        scale = u  # d(c_i u_i)/d c_i
    else:
        base, cw, scale = stat, c, np.ones_like(c)
    w = cw.sum()
    if base == "count":
        return scale
    if base == "sum":
        return scale * v
    if w == 0:
        return None
    _, mean, var = _moments(cw, v)
    g_mean = scale * (v - mean) / w
    g_var = scale * ((v - mean) ** 2 - var) / w
    if base == "mean":
        return g_mean
    if base == "variance":
        return g_var
    sd = math.sqrt(var)
    # all values equal: the variance is 0 whatever the fractions
    g_sd = g_var / (2 * sd) if sd > 0 else np.zeros_like(g_var)
    if base == "stdev":
        return g_sd
    if base == "cv":
        if mean == 0:
            return None
        return g_sd / mean - sd * g_mean / mean ** 2
    return None


def allowance(stat, cells, value=None):
    """exactextract's float coverage rounding, propagated to `stat`:
    sum_i |d stat / d c_i| e_i (first order: the second is ~(6e-8)^2),
    with 1% to spare. For `frac` and `weighted_frac`, `value` names the
    category."""
    c, v, u, e = cells.c, cells.v, cells.u, cells.e
    if len(c) == 0:
        return 0.0
    ok = np.isfinite(v) & (np.isfinite(u) if u is not None else True)
    c, v, e = c[ok], v[ok], e[ok]
    u = u[ok] if u is not None else None
    if stat in ("frac", "weighted_frac"):
        ind = (v == value).astype(float)
        cw = c if stat == "frac" else c * u
        scale = np.ones_like(c) if stat == "frac" else u
        w = cw.sum()
        if w == 0:
            return 0.0
        g = scale * (ind - (cw * ind).sum() / w) / w
    else:
        g = _gradient(stat, c, v, u)
    if g is None:
        return 0.0
    return 1.01 * float(np.abs(g * e).sum())


def close(a, b, allow=0.0):
    if a == b:
        return True
    if max(abs(a), abs(b)) <= TINY:
        return True
    return abs(a - b) <= REL * max(abs(a), abs(b)) + allow


# --- parsing --------------------------------------------------------------

def tl_number(text):
    """A terralux CSV field: '' is missing (None), else a float (inf, nan too)."""
    text = text.strip()
    return None if text == "" else float(text)


def ee_number(x):
    if x is None:
        return None
    return float(x)


def tl_pairs(text):
    """terralux's `frac` ('value:share;...') as a list of (value, share)."""
    if text.strip() == "":
        return []
    out = []
    for item in text.split(";"):
        value, _, share = item.rpartition(":")
        out.append((float(value), float(share)))
    return out


def tl_unique(text):
    """terralux's `unique`: values separated by ';' (each perhaps 'value:weight')."""
    if text.strip() == "":
        return []
    return [float(item.split(":")[0]) for item in text.split(";")]


# --- comparing ------------------------------------------------------------

def denominator_is_zero(stat, cells):
    ok = ~np.isnan(cells.v)
    if stat.startswith("weighted_"):
        return cells.u is None or float((cells.c[ok] * cells.u[ok]).sum()) == 0.0
    return float(cells.c[ok].sum()) == 0.0


def _value_weights(cells):
    """value -> (sum of float coverages, bound of their error)."""
    out = {}
    for x in np.unique(cells.v[~np.isnan(cells.v)]):
        sel = cells.v == x
        out[float(x)] = (float(cells.c[sel].sum()), float(cells.e[sel].sum()))
    return out


def _set_stat(stat, cells):
    """min, max, variety, majority, minority recomputed from exactextract's
    cells, with its rules (majority ties: larger value; minority: smaller)."""
    vals = cells.v[~np.isnan(cells.v)]
    if len(vals) == 0:
        return 0.0 if stat == "variety" else None
    if stat == "min":
        return float(vals.min())
    if stat == "max":
        return float(vals.max())
    weights = _value_weights(cells)
    if stat == "variety":
        return float(len(weights))
    if stat == "majority":
        return max(weights, key=lambda x: (weights[x][0], x))
    return min(weights, key=lambda x: (weights[x][0], x))


def _mode_near_tie(tl, ee, cells):
    """A majority/minority that differs only where float fractions could flip it."""
    weights = _value_weights(cells)
    if tl not in weights or ee not in weights:
        return False
    (wa, ea), (wb, eb) = weights[tl], weights[ee]
    if ea == 0 and eb == 0:  # whole interior cells only: exact, the rule must match
        return False
    return abs(wa - wb) <= ea + eb + REL * max(wa, wb)


def compare_stat(stat, tl_text, ee_val, cells):
    """None when terralux's field agrees with exactextract's value, else why not.

    Values and counts of values (min, max, variety, majority, minority,
    unique, frac's categories) must be equal, except that exactextract's
    cells of coverage below 1e-9 may be left out ("specks": a polygon edge
    on a cell line that exactextract's grid, whose resolution rasterio's
    reader recomputes as (right - left) / width, misses by an ulp, leaving
    the neighbour cell a fraction like 8.5e-13; such a cell decides
    minority and adds to variety).
    """
    if stat in ("frac", "weighted_frac"):
        return _compare_frac(stat, tl_text, ee_val, cells)
    if stat == "unique":
        got = sorted(tl_unique(tl_text))
        want = sorted(float(x) for x in (ee_val if ee_val is not None else []))
        if got == want:
            return None
        if got == sorted(_value_weights(cells.without_specks())):
            return None
        return f"unique values {got} != {want}"
    a, b = tl_number(tl_text), ee_number(ee_val)
    if a is None or b is None:
        if a is None and b is None:
            return None
        if a is None and math.isnan(b) and denominator_is_zero(stat, cells):
            return None
        return f"terralux {tl_text!r} vs exactextract {ee_val!r}"
    if not (math.isfinite(a) and math.isfinite(b)):
        if (math.isnan(a) and math.isnan(b)) or a == b:
            return None
        return f"terralux {a!r} vs exactextract {b!r}"
    if stat in EXACT_VALUE or stat == "variety":
        if a == b:
            return None
        despeckled = cells.without_specks()
        alt = _set_stat(stat, despeckled)
        if alt is not None and a == alt:
            return None
        if stat in ("majority", "minority") and (
                _mode_near_tie(a, b, cells) or
                (alt is not None and _mode_near_tie(a, alt, despeckled))):
            return None
        why = f"{stat} {a!r} != {b!r}" + (f" (without specks: {alt!r})" if alt != b else "")
        weights = _value_weights(cells)
        if stat in ("majority", "minority") and a in weights and b in weights \
                and weights[a][0] == weights[b][0]:
            why += (f": a tie, both of weight {weights[a][0]!r}; exactextract's rule takes "
                    f"the {'larger' if stat == 'majority' else 'smaller'} value")
        return why
    allow = allowance(stat, cells)
    if close(a, b, allow):
        return None
    rel = abs(a - b) / max(abs(a), abs(b))
    return (f"terralux {a!r} vs exactextract {b!r}: relative difference {rel:.3g} "
            f"(allowed {REL:g} relative + {allow:.3g} for exactextract's float fractions)")


def _compare_frac(stat, tl_text, ee_val, cells):
    got = dict(tl_pairs(tl_text))
    uniq, fracs = ee_val if ee_val is not None else ([], [])
    want = dict(zip((float(x) for x in uniq), (float(x) for x in fracs)))
    if len(got) != len(tl_pairs(tl_text)):
        return f"{stat}: a value twice in {tl_text!r}"
    for value in set(want) - set(got):  # only specks may be missing
        sel = cells.v == value
        if not (cells.c[sel] < SPECK).all():
            return f"{stat}: value {value!r} missing (exactextract's share {want[value]!r})"
    for value, share in got.items():
        if value not in want:
            return f"{stat}: value {value!r} (share {share!r}) not in exactextract's"
        w = want[value]
        if math.isnan(w) and math.isnan(share):
            continue
        if not close(share, w, allowance(stat, cells, value)):
            return (f"{stat} of {value!r}: terralux {share!r} vs exactextract {w!r} "
                    f"(allowed {REL:g} relative + {allowance(stat, cells, value):.3g})")
    return None


def compare_tables(stats, tl_rows, ee, *, id_field="code", weighted=False):
    """Every zone in order, every statistic: the list of disagreements."""
    tl_ids = [r[id_field] for r in tl_rows]
    ee_ids = [str(r[id_field]) for r in ee.rows]
    assert tl_ids == ee_ids, f"zones differ or are out of order: {tl_ids} vs {ee_ids}"
    problems = []
    for tl, row, geom in zip(tl_rows, ee.rows, ee.geometries):
        cells = Cells(row, geom, ee.grid, weighted)
        for s in stats:
            if s in ("frac", "weighted_frac"):
                ee_val = (row.get("unique"), row.get(EE_NAME[s]))
            else:
                ee_val = row.get(EE_NAME[s])
            why = compare_stat(s, tl[s], ee_val, cells)
            if why:
                problems.append(f"zone {tl[id_field]} {s}: {why}")
    return problems


def max_relative_difference(stats, tl_rows, ee_rows):
    """For reports: the largest |a-b|/max(|a|,|b|) of each numeric statistic."""
    out = {}
    for s in stats:
        if s in ("frac", "weighted_frac", "unique"):
            continue
        worst = 0.0
        for tl, ee in zip(tl_rows, ee_rows):
            a, b = tl_number(tl[s]), ee_number(ee.get(EE_NAME[s]))
            if a is None or b is None or not (math.isfinite(a) and math.isfinite(b)):
                continue
            m = max(abs(a), abs(b))
            if m > 0:
                worst = max(worst, abs(a - b) / m)
        out[s] = worst
    return out


def write_geojson(path, features, crs=None):
    fc = {"type": "FeatureCollection", "features": features}
    if crs:
        fc["crs"] = {"type": "name", "properties": {"name": crs}}
    Path(path).write_text(json.dumps(fc))
    return path
