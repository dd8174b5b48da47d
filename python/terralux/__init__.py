"""terralux: exact, parallel zonal statistics and night-time light
indicators over GDAL rasters and OGR boundaries, as pandas, GeoPandas and
Arrow tables.

The functions call the same library workflows as the command-line tools
(`zonal`, `county_ntl`), so their results equal the tools' CSV files bit
for bit. The computation runs in Rust with the GIL released; Ctrl-C stops
it promptly (KeyboardInterrupt); errors are :class:`TerraluxError`
subclasses with the tools' one-line messages.

>>> import terralux
>>> table = terralux.zonal_stats("ntl.tif", "counties.gpkg", ["count", "sum", "mean"],
...                              id_field="code")            # doctest: +SKIP
"""

from __future__ import annotations

import io
import logging
import os
import warnings
from collections import namedtuple
from typing import Any, Callable, Iterable, Optional, Sequence, Union

import numpy as np
import pandas as pd

from . import _terralux
from .errors import (
    InputNotFoundError,
    InvalidInputError,
    OutputConflictError,
    ReadError,
    TerraluxError,
    TerraluxWarning,
)

__version__ = _terralux.__version__

__all__ = [
    "zonal_stats",
    "county_ntl",
    "CountyNtl",
    "DEFAULT_STATS",
    "TerraluxError",
    "InputNotFoundError",
    "InvalidInputError",
    "ReadError",
    "OutputConflictError",
    "TerraluxWarning",
]

#: The statistics of a call that names none (as `zonal` without --stats).
DEFAULT_STATS = ("count", "sum", "mean", "min", "max", "stdev")

_log = logging.getLogger("terralux")

# Messages of a run that are warnings (the others are logged at INFO).
_WARNING_STARTS = ("warning: ",)
_WARNING_PARTS = ("measured as repaired", "kept with no cells")


def _say(messages: Iterable[str]) -> None:
    for text in messages:
        if text.startswith(_WARNING_STARTS) or any(p in text for p in _WARNING_PARTS):
            warnings.warn(text.removeprefix("warning: "), TerraluxWarning, stacklevel=3)
        else:
            _log.info("%s", text)


class _Progress:
    """progress=True: a tqdm bar; a callable: called as f(done, total)."""

    def __init__(self, progress, desc):
        self.bar = None
        self.desc = desc
        self.callback = progress if callable(progress) else None
        self.tqdm = bool(progress) and self.callback is None

    def __call__(self, done, total):
        if self.callback is not None:
            self.callback(done, total)
            return
        if self.bar is None:
            from tqdm.auto import tqdm

            self.bar = tqdm(total=total, desc=self.desc, unit="chunk")
        self.bar.total = total
        self.bar.update(done - self.bar.n)

    def native(self):
        return self if (self.callback is not None or self.tqdm) else None

    def close(self):
        if self.bar is not None:
            self.bar.close()


def _path(value) -> Optional[str]:
    if value is None:
        return None
    return os.fspath(value)


def _stats_text(stats) -> Optional[str]:
    if stats is None:
        return None
    if isinstance(stats, str):
        return stats
    stats = list(stats)
    for s in stats:
        if not isinstance(s, str):
            raise TypeError(f"stats: {s!r} is not a statistic name (a string)")
    if not stats:
        raise InvalidInputError("stats: at least one statistic is needed")
    return ",".join(stats)


def _bands(band) -> list:
    if isinstance(band, (int, np.integer)) and not isinstance(band, bool):
        return [int(band)]
    bands = list(band)
    for b in bands:
        if not isinstance(b, (int, np.integer)) or isinstance(b, bool):
            raise TypeError(f"band: {b!r} is not a band number")
        if b < 1:
            raise InvalidInputError("bands: bands are numbered from 1")
    return [int(b) for b in bands]


def _id_value(value, position):
    if isinstance(value, (str, np.str_)):
        return str(value)
    if isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)):
        return int(value)
    raise TypeError(f"zones: the id of zone #{position} is {value!r}, not an integer or a string")


def _is_geodataframe(obj) -> bool:
    return hasattr(obj, "geometry") and hasattr(obj, "crs") and hasattr(obj, "columns")


def _in_memory_zones(zones, id_field, layer):
    """(ids, wkb list, crs text or None, id column name, geometry, crs) of
    a GeoDataFrame, GeoSeries or sequence of shapely geometries."""
    import shapely

    if layer is not None:
        raise InvalidInputError("layer: only for zones read from a file")
    crs = None
    if _is_geodataframe(zones):
        geometry = zones.geometry
        crs = zones.crs
        if id_field is not None:
            if id_field not in zones.columns:
                fields = ", ".join(str(c) for c in zones.columns if c != zones.geometry.name)
                raise InvalidInputError(
                    f"GeoDataFrame: no field named '{id_field}' (fields: {fields})")
            ids = zones[id_field].tolist()
            id_column = id_field
        else:
            ids = zones.index.tolist()
            id_column = zones.index.name or "id"
        values = geometry.values
    elif hasattr(zones, "crs") and hasattr(zones, "geom_type"):  # a GeoSeries
        if id_field is not None:
            raise InvalidInputError("id_field: a GeoSeries has no fields; its index is the id")
        crs = zones.crs
        ids = zones.index.tolist()
        id_column = zones.index.name or "id"
        values = zones.values
    else:
        if isinstance(zones, (str, bytes)):
            raise TypeError("zones: a path, a GeoDataFrame or a sequence of shapely geometries")
        if id_field is not None:
            raise InvalidInputError(
                "id_field: shapely geometries have no fields; their position is the id")
        values = list(zones)
        for i, g in enumerate(values):
            if g is not None and not isinstance(g, shapely.Geometry):
                raise TypeError(f"zones: item #{i} is {type(g).__name__}, not a shapely geometry")
        ids = list(range(len(values)))
        id_column = "id"
    wkb = [None if g is None or shapely.is_missing(g) else shapely.to_wkb(g)
           for g in np.asarray(values, dtype=object)]
    ids = [_id_value(v, i) for i, v in enumerate(ids)]
    crs_text = crs.to_wkt() if crs is not None else None
    return ids, wkb, crs_text, id_column, values, crs


def _pandas_column(kind, values):
    if kind == "float":
        return np.array(values, dtype=np.float64)
    if kind == "int":
        if all(v is None or -(2 ** 63) <= v < 2 ** 63 for v in values):
            return pd.array(values, dtype="Int64")
        return pd.array(values, dtype=object)
    return pd.array(values, dtype=object)


def _ids_pandas(ids):
    if ids and all(isinstance(v, int) for v in ids):
        return np.array(ids, dtype=np.int64)
    return pd.array(ids, dtype=object)


def _arrow_table(id_column, ids, columns):
    import pyarrow as pa

    if ids and all(isinstance(v, int) for v in ids):
        id_array = pa.array(ids, type=pa.int64())
    else:
        id_array = pa.array([str(v) for v in ids], type=pa.string())
    arrays, names = [id_array], [id_column]
    for name, kind, values in columns:
        if kind == "float":
            # None -> null (missing); a NaN the run computed stays NaN.
            arrays.append(pa.array(values, type=pa.float64()))
        elif kind == "int":
            arrays.append(pa.array(values, type=pa.int64()))
        else:
            arrays.append(pa.array(values, type=pa.string()))
        names.append(name)
    return pa.Table.from_arrays(arrays, names=names)


def zonal_stats(
    raster: Union[str, os.PathLike],
    zones: Any,
    stats: Union[str, Sequence[str], None] = None,
    *,
    band: Union[int, Sequence[int]] = 1,
    layer: Optional[str] = None,
    id_field: Optional[str] = None,
    coverage: str = "exact",
    weights: Union[str, os.PathLike, None] = None,
    area_weighted: bool = False,
    zones_crs: Optional[str] = None,
    raster_crs: Optional[str] = None,
    gcj02: bool = False,
    threads: Optional[int] = None,
    progress: Union[bool, Callable[[int, int], Any]] = False,
    output: str = "pandas",
    keep_bad_geometry: bool = False,
    snap_grid: bool = False,
    ignore_mask: bool = False,
    allow_raw_vrt: bool = False,
    min_coverage_frac: Optional[float] = None,
    default_value: Optional[float] = None,
    default_weight: Optional[float] = None,
    mode_ties: str = "exactextract",
):
    """Exact zonal statistics of raster bands over polygon zones.

    The same computation as the `zonal` tool (`zonal --raster RASTER --zones
    ZONES --stats ...`): one row per zone, in input order, the id first,
    then one column per statistic named as `zonal` names it (`b{N}_{stat}`
    with several bands). The values equal `zonal`'s CSV bit for bit.

    Parameters
    ----------
    raster : path
        Any GDAL raster path (file, ``/vsicurl/...``, ``HDF5:"f.h5"://...``).
    zones : path, GeoDataFrame, GeoSeries or sequence of shapely geometries
        A path is read by OGR (any vector format; ``layer`` picks a layer).
        A GeoDataFrame's geometries are handed over as WKB with its CRS;
        the ids are the ``id_field`` column, else the index. Shapely
        geometries need ``zones_crs``; their ids are their positions.
    stats : list of str or comma-separated str, optional
        count sum mean min max variance stdev cv median pNN (p10, p99.5...)
        majority minority variety unique frac weighted_sum weighted_mean
        weighted_variance weighted_stdev weighted_frac valid_frac
        outside_frac. Default: count, sum, mean, min, max, stdev.
    band : int or list of int
        Band(s) to summarise, from 1.
    layer, id_field : str, optional
        The layer of a zones file, and the field of the ids (default: the
        feature ids, column ``fid``).
    coverage : {"exact", "center", "all-touched"}
        Exact cell fractions (default), cells whose centre is inside, or
        every cell touched.
    weights : path, optional
        A raster on the same grid whose band 1 weights the ``weighted_*``
        statistics.
    area_weighted : bool
        Weight cells by covered km² (WGS84 ellipsoid) instead of fractions.
    zones_crs, raster_crs : str, optional
        CRS of the zones (overrides theirs) and of a raster declaring none,
        as ``EPSG:4326``, WKT or PROJ text.
    gcj02 : bool
        The zones are in GCJ-02 (Chinese web maps): convert them to WGS84.
    threads : int, optional
        Worker threads (default all cores); results do not depend on it.
    progress : bool or callable
        True: a tqdm progress bar; a callable: called as ``f(done, total)``
        (in chunks of the raster) on the calling thread. An exception it
        raises stops the run and is raised.
    output : {"pandas", "geopandas", "arrow"}
        A pandas DataFrame (missing values NaN; exact integers of 64-bit
        bands as Int64; frac/unique as the CSV's ``value:share;...`` text),
        a GeoDataFrame with the zones' geometry in their CRS (as given,
        before any reprojection to the raster's), or a pyarrow Table
        (missing values null, computed NaN kept as NaN).
    keep_bad_geometry, snap_grid, ignore_mask, allow_raw_vrt, min_coverage_frac,
    default_value, default_weight, mode_ties
        As `zonal`'s flags of the same names (see ``zonal --help``).

    Returns
    -------
    pandas.DataFrame, geopandas.GeoDataFrame or pyarrow.Table

    Raises
    ------
    InputNotFoundError
        An input file does not exist (a FileNotFoundError).
    InvalidInputError
        An unknown statistic, band, layer or field, a missing CRS, a
        feature that is not a polygon... (a ValueError).
    TerraluxError
        Any other failure; KeyboardInterrupt on Ctrl-C.

    Examples
    --------
    >>> import geopandas as gpd, terralux                        # doctest: +SKIP
    >>> counties = gpd.read_file("testdata/counties.gpkg")       # doctest: +SKIP
    >>> table = terralux.zonal_stats("testdata/ntl.tif", counties,
    ...     ["count", "sum", "mean"], id_field="code", output="geopandas")  # doctest: +SKIP
    """
    if output not in ("pandas", "geopandas", "arrow"):
        raise InvalidInputError(
            f"output: unknown kind '{output}' (valid: pandas, geopandas, arrow)")
    stats_text = _stats_text(stats)
    bands = _bands(band)
    if threads is not None and (not isinstance(threads, int) or threads < 1):
        raise InvalidInputError(f"threads: {threads!r} is not a whole number of at least 1")
    zones_path = ids = wkb = given_crs = None
    in_memory = None
    if isinstance(zones, (str, os.PathLike)):
        zones_path = _path(zones)
    else:
        ids, wkb, given_crs, id_column, geometry, crs = _in_memory_zones(zones, id_field, layer)
        in_memory = (id_column, geometry, crs)
        if given_crs is None and zones_crs is None:
            what = "shapely geometries carry" if id_column == "id" and not hasattr(
                zones, "crs") else "the zones declare"
            raise InvalidInputError(
                f"zones: {what} no CRS; set one (GeoDataFrame.set_crs) or give zones_crs")
    with_geometry = output == "geopandas" and in_memory is None
    reporter = _Progress(progress, "zonal")
    try:
        result = _terralux.zonal_stats(
            _path(raster), zones_path, ids, wkb, given_crs, stats_text, bands, layer,
            id_field if in_memory is None else None, coverage, _path(weights),
            bool(area_weighted), zones_crs, raster_crs, bool(gcj02), bool(keep_bad_geometry),
            bool(snap_grid), bool(ignore_mask), bool(allow_raw_vrt), threads,
            min_coverage_frac, default_value, default_weight, mode_ties, with_geometry,
            reporter.native())
    finally:
        reporter.close()
    _say(result["messages"])
    id_column = in_memory[0] if in_memory is not None else result["id_column"]
    ids, columns = result["ids"], result["columns"]
    if output == "arrow":
        return _arrow_table(id_column, ids, columns)
    data = {id_column: _ids_pandas(ids)}
    for name, kind, values in columns:
        data[name] = _pandas_column(kind, values)
    frame = pd.DataFrame(data)
    if output == "pandas":
        return frame
    import geopandas as gpd

    if in_memory is not None:
        _, geometry, crs = in_memory
        geometry = gpd.GeoSeries(np.asarray(geometry, dtype=object), crs=crs)
    else:
        import shapely

        geometry = gpd.GeoSeries(
            shapely.from_wkb(np.asarray(result["geometry"], dtype=object)), crs=result["crs"])
    return gpd.GeoDataFrame(frame, geometry=geometry.values, crs=geometry.crs)


CountyNtl = namedtuple("CountyNtl", ["table", "trends", "dates"])
CountyNtl.__doc__ = """What :func:`county_ntl` returns.

table: the long table (one row per county and date: the id, ``date``,
then the indicators), as `county_ntl --output x.csv` writes it;
trends: one row per county (Sen slope, Mann-Kendall...) as `--trends`;
dates: the date labels, in order."""


def _read_csv(data: bytes, id_column: str, text_ids: bool):
    dtype = {"date": str}
    if text_ids:
        dtype[id_column] = str
    if not data.strip():
        return pd.DataFrame()
    # Exact parsing: pandas >= 3 parses floats exactly by default (and
    # deprecates the option); earlier versions need float_precision.
    exact = {} if int(pd.__version__.split(".")[0]) >= 3 else {"float_precision": "round_trip"}
    return pd.read_csv(io.BytesIO(data), dtype=dtype, keep_default_na=False,
                       na_values=[""], **exact)


def county_ntl(
    zones: Union[str, os.PathLike],
    *,
    folder: Union[str, os.PathLike, None] = None,
    rasters: Optional[Sequence[Union[str, os.PathLike]]] = None,
    product: str = "auto",
    layer: Optional[str] = None,
    id_field: Optional[str] = None,
    threshold: Optional[float] = None,
    population: Union[str, os.PathLike, None] = None,
    gcj02: bool = False,
    threads: Optional[int] = None,
    masked_frac: bool = False,
    snap_grid: bool = False,
    ignore_mask: bool = False,
    progress: Union[bool, Callable[[int, int], Any]] = False,
) -> CountyNtl:
    """Night-time light indicators per county and date, as `county_ntl`.

    The dated night-light files of ``folder`` (products, dates, tiles and
    ``cf_cvg`` companions found by name, as ``county_ntl --dir``) or the
    given ``rasters`` (``--raster``), over the polygon ``zones``: the
    indicators (tnl, mean, lit area, ALI/CNLI... and with ``population``
    per_capita and lit_pop_frac) for every county and date, and the
    per-county trends. Values equal the tool's CSV files.

    Parameters
    ----------
    zones : path
        Any OGR source of polygons; ``layer`` and ``id_field`` as in
        :func:`zonal_stats`.
    folder, rasters
        Exactly one of them.
    product : {"auto", "vnl", "blackmarble", "dmsp"}
    threshold : float, optional
        The lit threshold (default: the product's).
    population : path, optional
        A population raster (people per cell).
    gcj02, threads, masked_frac, snap_grid, ignore_mask
        As the tool's flags of the same names.
    progress : bool or callable
        As in :func:`zonal_stats` (in dates).

    Returns
    -------
    CountyNtl
        ``(table, trends, dates)``: two pandas DataFrames and the date labels.
    """
    if (folder is None) == (rasters is None):
        raise InvalidInputError("county_ntl: give either folder or rasters")
    reporter = _Progress(progress, "county_ntl")
    try:
        result = _terralux.county_ntl(
            _path(zones), _path(folder),
            None if rasters is None else [_path(r) for r in rasters], product, layer,
            id_field, threshold, _path(population), bool(gcj02), threads, bool(masked_frac),
            bool(snap_grid), bool(ignore_mask), reporter.native())
    finally:
        reporter.close()
    _say(result["messages"])
    id_column, text_ids = result["id_column"], result["text_ids"]
    return CountyNtl(
        _read_csv(result["long_csv"], id_column, text_ids),
        _read_csv(result["trends_csv"], id_column, text_ids),
        list(result["dates"]),
    )
