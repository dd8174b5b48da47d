"""terralux: exact, parallel zonal statistics and night-time light
indicators over GDAL rasters and OGR boundaries, as pandas, GeoPandas and
Arrow tables.

The functions call the same library workflows as the command-line tools
(`zonal`, `county_ntl`, `poverty_index`), so their results equal the
tools' CSV files bit for bit. The computation runs in Rust with the GIL released; Ctrl-C stops
it promptly (KeyboardInterrupt); errors are :class:`TerraluxError`
subclasses with the tools' one-line messages.

>>> import terralux
>>> table = terralux.zonal_stats("ntl.tif", "counties.gpkg", ["count", "sum", "mean"],
...                              id_field="code")            # doctest: +SKIP
"""

from __future__ import annotations

import io
import json
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
    "CoverageIndex",
    "county_ntl",
    "CountyNtl",
    "poverty_index",
    "PovertyIndex",
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


def _arrow_table(id_column, batch):
    """A pyarrow Table of the library's record batch, imported through the
    Arrow PyCapsule interface (no copy through Python objects); the id
    column named as the zones given in memory name it."""
    import pyarrow as pa

    table = pa.table(batch)
    if table.column_names[0] != id_column:
        table = table.rename_columns([id_column] + table.column_names[1:])
    return table


def _zones_argument(zones, id_field, layer, zones_crs):
    """(path, ids, WKB, CRS text, (id column, geometry, crs)) of a zones
    argument: a path, or zones in memory (the path None)."""
    if isinstance(zones, (str, os.PathLike)):
        return _path(zones), None, None, None, None
    ids, wkb, given_crs, id_column, geometry, crs = _in_memory_zones(zones, id_field, layer)
    if given_crs is None and zones_crs is None:
        what = "shapely geometries carry" if id_column == "id" and not hasattr(
            zones, "crs") else "the zones declare"
        raise InvalidInputError(
            f"zones: {what} no CRS; set one (GeoDataFrame.set_crs) or give zones_crs")
    return None, ids, wkb, given_crs, (id_column, geometry, crs)


def _request_options(stats, bands, layer, id_field, coverage, weights, area_weighted,
                     zones_crs, raster_crs, gcj02, keep_bad_geometry, snap_grid, ignore_mask,
                     allow_raw_vrt, threads, min_coverage_frac, default_value, default_weight,
                     mode_ties, with_geometry, memory_limit=None) -> dict:
    """The options of a zonal request as the native module reads them
    (``RequestOptions`` in python/src/lib.rs): one item per option."""
    return dict(
        stats=stats, bands=bands, layer=layer, id_field=id_field, coverage=coverage,
        weights=weights, area_weighted=bool(area_weighted), zones_crs=zones_crs,
        raster_crs=raster_crs, gcj02=bool(gcj02), keep_bad_geometry=bool(keep_bad_geometry),
        snap_grid=bool(snap_grid), ignore_mask=bool(ignore_mask),
        allow_raw_vrt=bool(allow_raw_vrt), threads=threads,
        min_coverage_frac=min_coverage_frac, default_value=default_value,
        default_weight=default_weight, mode_ties=mode_ties, with_geometry=bool(with_geometry),
        memory_limit=_memory_limit_bytes(memory_limit))


def _check_output(output):
    if output not in ("pandas", "geopandas", "arrow"):
        raise InvalidInputError(
            f"output: unknown kind '{output}' (valid: pandas, geopandas, arrow)")


def _memory_limit_bytes(mib):
    """``memory_limit`` (MiB, a whole number of at least 0) in bytes; None stays None."""
    if mib is None:
        return None
    if not isinstance(mib, int) or isinstance(mib, bool) or mib < 0:
        raise InvalidInputError(f"memory_limit: {mib!r} is not a whole number of MiB (0 or more)")
    return min(mib, 2**40) * 2**20


def _check_threads(threads):
    if threads is not None and (not isinstance(threads, int) or threads < 1):
        raise InvalidInputError(f"threads: {threads!r} is not a whole number of at least 1")


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
    coverage_index: Optional["CoverageIndex"] = None,
    chunk_cells: Optional[int] = None,
    memory_limit: Optional[int] = None,
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
    memory_limit : int, optional
        MiB that the values kept for quantiles (median, pNN) and gini may
        take in memory (``zonal --memory-limit``; default a quarter of the
        machine's memory); past it they go to a temporary file (TMPDIR)
        and are finished from there, with the same results. 0 spills
        every such value.
    progress : bool or callable
        True: a tqdm progress bar; a callable: called as ``f(done, total)``
        (in chunks of the raster) on the calling thread. An exception it
        raises stops the run and is raised.
    output : {"pandas", "geopandas", "arrow"}
        A pandas DataFrame (missing values NaN; exact integers of 64-bit
        bands as Int64; frac/unique as the CSV's ``value:share;...`` text),
        a GeoDataFrame with the zones' geometry in their CRS (as given,
        before any reprojection to the raster's), or a pyarrow Table
        (missing values null, computed NaN kept as NaN; the library's Arrow
        record batch, handed over through the Arrow PyCapsule interface
        without a copy through Python objects; types as in the Parquet
        output: the id int64 or string as in the source, statistics
        float64, frac/unique string).
    keep_bad_geometry, snap_grid, ignore_mask, allow_raw_vrt, min_coverage_frac,
    default_value, default_weight, mode_ties
        As `zonal`'s flags of the same names (see ``zonal --help``).
    coverage_index : CoverageIndex, optional
        Coverage computed beforehand (:class:`CoverageIndex`) for these
        zones on this raster's grid; refused (InvalidInputError) when it
        was built for other zones, another grid or another coverage mode.
        With it, ``coverage`` left at "exact" means the index's mode.
    chunk_cells : int, optional
        The engine's chunk budget in cells (default 2 Mi cells): the raster
        is read and measured in chunks of about this many cells. Results
        are exact for any budget; bit for bit they are those of another run
        with the same budget (and of :mod:`terralux.distributed`'s).

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
    _check_output(output)
    stats_text = _stats_text(stats)
    bands = _bands(band)
    _check_threads(threads)
    if chunk_cells is not None and (not isinstance(chunk_cells, int) or isinstance(
            chunk_cells, bool) or chunk_cells < 1):
        raise InvalidInputError(f"chunk_cells: {chunk_cells!r} is not a whole number of at least 1")
    zones_path, ids, wkb, given_crs, in_memory = _zones_argument(zones, id_field, layer,
                                                                 zones_crs)
    with_geometry = output == "geopandas" and in_memory is None
    native_index = None
    if coverage_index is not None:
        if not isinstance(coverage_index, CoverageIndex):
            raise TypeError("coverage_index: a terralux.CoverageIndex")
        native_index = coverage_index._native
        if coverage == "exact":
            coverage = native_index.coverage
    reporter = _Progress(progress, "zonal")
    try:
        options = _request_options(
            stats_text, bands, layer, id_field if in_memory is None else None, coverage,
            _path(weights), area_weighted, zones_crs, raster_crs, gcj02, keep_bad_geometry,
            snap_grid, ignore_mask, allow_raw_vrt, threads, min_coverage_frac, default_value,
            default_weight, mode_ties, with_geometry, memory_limit)
        result = _terralux.zonal_stats(
            _path(raster), zones_path, ids, wkb, given_crs, options, output == "arrow",
            reporter.native(), native_index, chunk_cells)
    finally:
        reporter.close()
    return _zonal_output(result, in_memory, output)


def _zonal_output(result, in_memory, output):
    """The native result of a zonal run as the ``output`` asked for."""
    _say(result["messages"])
    id_column = in_memory[0] if in_memory is not None else result["id_column"]
    if output == "arrow":
        return _arrow_table(id_column, result["arrow"])
    ids, columns = result["ids"], result["columns"]
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


class CoverageIndex:
    """The coverage of polygon zones on a raster's grid, computed once and
    reused over many rasters (dates, bands, products) on the same grid.

    Computing which cells each zone covers, and by how much, is most of a
    zonal run; a CoverageIndex does it once. Its :meth:`zonal_stats` then
    gives, for any raster on the same grid, the same table as
    :func:`zonal_stats` over the same zones (bit for bit), without
    reading the zones or computing coverage again; the index can also be
    handed to :func:`zonal_stats` (``coverage_index=``), which refuses it
    when it was built for other zones (the library compares a fingerprint
    of the ids and every vertex), another grid or another coverage mode.

    Parameters
    ----------
    zones : path, GeoDataFrame, GeoSeries or sequence of shapely geometries
        As in :func:`zonal_stats` (``layer``, ``id_field``, ``zones_crs``,
        ``gcj02``, ``keep_bad_geometry`` likewise).
    raster : path
        A raster on the grid to compute coverage on (its values are not
        read); ``raster_crs``, ``snap_grid``, ``allow_raw_vrt`` as in
        :func:`zonal_stats`.
    coverage : {"exact", "center", "all-touched"}

    Examples
    --------
    >>> index = terralux.CoverageIndex("counties.gpkg", "ntl_2023.tif",
    ...                                id_field="code")          # doctest: +SKIP
    >>> tables = {year: index.zonal_stats(f"ntl_{year}.tif", ["sum", "mean"])
    ...           for year in range(2013, 2024)}                  # doctest: +SKIP
    """

    def __init__(
        self,
        zones: Any,
        raster: Union[str, os.PathLike],
        *,
        layer: Optional[str] = None,
        id_field: Optional[str] = None,
        coverage: str = "exact",
        zones_crs: Optional[str] = None,
        raster_crs: Optional[str] = None,
        gcj02: bool = False,
        keep_bad_geometry: bool = False,
        snap_grid: bool = False,
        allow_raw_vrt: bool = False,
    ):
        zones_path, ids, wkb, given_crs, in_memory = _zones_argument(zones, id_field, layer,
                                                                     zones_crs)
        self._in_memory = in_memory
        self._snap_grid = bool(snap_grid)
        self._allow_raw_vrt = bool(allow_raw_vrt)
        self._raster_crs = raster_crs
        self._native = _terralux.coverage_index(
            _path(raster), zones_path, ids, wkb, given_crs, layer,
            id_field if in_memory is None else None, coverage, zones_crs, raster_crs,
            bool(gcj02), bool(keep_bad_geometry), self._snap_grid, self._allow_raw_vrt)

    def __len__(self) -> int:
        return len(self._native)

    @property
    def coverage(self) -> str:
        """The coverage mode: "exact", "center" or "all-touched"."""
        return self._native.coverage

    @property
    def fingerprint(self) -> str:
        """The fingerprint of the zones as measured (ids and every vertex)."""
        return self._native.fingerprint

    @property
    def shape(self) -> tuple:
        """The grid's (rows, columns)."""
        return self._native.shape

    def __repr__(self) -> str:
        rows, cols = self.shape
        return (f"<terralux.CoverageIndex: {len(self)} zones, {self.coverage} coverage on a "
                f"{rows} x {cols} grid, fingerprint {self.fingerprint}>")

    def zonal_stats(
        self,
        raster: Union[str, os.PathLike],
        stats: Union[str, Sequence[str], None] = None,
        *,
        band: Union[int, Sequence[int]] = 1,
        weights: Union[str, os.PathLike, None] = None,
        area_weighted: bool = False,
        threads: Optional[int] = None,
        progress: Union[bool, Callable[[int, int], Any]] = False,
        output: str = "pandas",
        ignore_mask: bool = False,
        min_coverage_frac: Optional[float] = None,
        default_value: Optional[float] = None,
        default_weight: Optional[float] = None,
        mode_ties: str = "exactextract",
        memory_limit: Optional[int] = None,
    ):
        """Zonal statistics of ``raster`` (on the index's grid) over the
        index's zones: what :func:`zonal_stats` gives for the zones the
        index was built from, with the same arguments. A raster on another
        grid is refused (InvalidInputError). The raster is read as the
        index's was (``raster_crs``, ``snap_grid``, ``allow_raw_vrt``).
        """
        _check_output(output)
        stats_text = _stats_text(stats)
        bands = _bands(band)
        _check_threads(threads)
        memory_limit = _memory_limit_bytes(memory_limit)
        with_geometry = output == "geopandas" and self._in_memory is None
        reporter = _Progress(progress, "zonal")
        try:
            result = _terralux.coverage_zonal_stats(
                self._native, _path(raster), stats_text, bands, _path(weights),
                bool(area_weighted), self._raster_crs, self._snap_grid, bool(ignore_mask),
                self._allow_raw_vrt, threads, min_coverage_frac, default_value,
                default_weight, mode_ties, with_geometry, output == "arrow", reporter.native(),
                memory_limit)
        finally:
            reporter.close()
        return _zonal_output(result, self._in_memory, output)


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
    return _county_output(result)


def _county_output(result, kind=None):
    """A :class:`CountyNtl` (or ``kind``, a subclass) of a native county result."""
    id_column, text_ids = result["id_column"], result["text_ids"]
    return (kind or CountyNtl)(
        _read_csv(result["long_csv"], id_column, text_ids),
        _read_csv(result["trends_csv"], id_column, text_ids),
        list(result["dates"]),
    )


PovertyIndex = namedtuple("PovertyIndex",
                          ["table", "validation", "roll_ups", "files", "provenance"])
PovertyIndex.__doc__ = """What :func:`poverty_index` returns.

table: the index table as written (one row per zone in zone order: the id
as text, ``score`` 0-100, ``rank`` (1 = best) and ``class`` as Int64,
``composite``, then ``<indicator>_norm``; missing values NaN/<NA>);
validation: the figures that have a value, by name (``pearson``,
``spearman``, ``ols_r2`` with ``reference``; ``roc_auc`` with ``poor``);
roll_ups: ``{field: DataFrame}`` of the roll-up tables (``roll_ups=``);
files: the paths of every file written (tables, maps, provenance);
provenance: the run's provenance record (a dict, as written beside the
table)."""

_NORMALISATIONS = ("min-max", "z-score", "rank")
_DELIMITERS = {",": ",", ";": ";", "tab": "\t", "\t": "\t"}


def _names(value, what) -> Optional[list]:
    """A list of names from a list or a comma-separated string."""
    if value is None:
        return None
    items = value.split(",") if isinstance(value, str) else list(value)
    for item in items:
        if not isinstance(item, str):
            raise TypeError(f"{what}: {item!r} is not a name (a string)")
    return [i.strip() for i in items if i.strip()]


def _goalposts_text(goalposts) -> Optional[str]:
    if goalposts is None or isinstance(goalposts, str):
        return goalposts
    parts = []
    for name, posts in dict(goalposts).items():
        low, high = posts
        parts.append(f"{name}:{float(low)!r}:{float(high)!r}")
    return ",".join(parts)


def _weights_text(weights) -> str:
    if isinstance(weights, str):
        return weights
    return ",".join(f"{name}={float(w)!r}" for name, w in dict(weights).items())


def _whole(value, what, low, high=None):
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < low or (
            high is not None and value > high):
        within = f"from {low} to {high}" if high is not None else f"of at least {low}"
        raise InvalidInputError(f"{what}: {value!r} is not a whole number {within}")
    return int(value)


def _read_index_table(path):
    """An index table as written (CSV or Parquet) as a DataFrame: the id
    as text, rank and class Int64, the rest float64 (exact)."""
    path = os.fspath(path)
    if path.lower().endswith(".parquet"):
        import pyarrow.parquet as pq

        frame = pq.read_table(path).to_pandas()
        id_column = frame.columns[0]
        frame[id_column] = pd.array(frame[id_column].tolist(), dtype=object)
    else:
        with open(path, "rb") as f:
            data = f.read()
        id_column = data.split(b"\n", 1)[0].decode("utf-8").split(",")[0].strip('"')
        exact = {} if int(pd.__version__.split(".")[0]) >= 3 else {"float_precision": "round_trip"}
        frame = pd.read_csv(io.BytesIO(data), dtype={id_column: str}, keep_default_na=False,
                            na_values=[""], **exact)
        frame[id_column] = pd.array(frame[id_column].tolist(), dtype=object)
    for name in frame.columns[1:]:
        if name in ("rank", "class"):
            frame[name] = frame[name].astype("Int64")
        else:
            frame[name] = frame[name].astype(np.float64)
    return frame


def poverty_index(
    zones: Union[str, os.PathLike],
    *,
    output: Union[str, os.PathLike],
    table: Union[str, os.PathLike, None] = None,
    raster: Union[str, os.PathLike, None] = None,
    indicators: Union[str, Sequence[str], None] = None,
    layer: Optional[str] = None,
    id_field: Optional[str] = None,
    table_id: Optional[str] = None,
    date: Optional[str] = None,
    delimiter: Optional[str] = None,
    encoding: Optional[str] = None,
    band: int = 1,
    roll_ups: Union[str, Sequence[str], None] = None,
    worse: Union[str, Sequence[str], None] = None,
    normalisation: Optional[str] = None,
    goalposts: Union[str, dict, None] = None,
    weights: Union[str, dict] = "equal",
    aggregation: str = "arithmetic",
    missing: str = "propagate",
    classes: int = 5,
    reference: Optional[str] = None,
    poor: Union[str, os.PathLike, None] = None,
    group_field: Optional[str] = None,
    label_field: Optional[str] = None,
    map_title: Optional[str] = None,
    map_subtitle: Optional[str] = None,
    map_source: Optional[str] = None,
    map_width: int = 1000,
    dpi: int = 96,
    snap_grid: bool = False,
    ignore_mask: bool = False,
    allow_raw_vrt: bool = False,
    progress: Union[bool, Callable[[int, int], Any]] = False,
) -> PovertyIndex:
    """A composite (poverty) index of per-zone indicators, with its maps,
    as `poverty_index`.

    The indicators come from a ``table`` (a CSV with one row per zone,
    joined to the zones by id; e.g. the output of :func:`zonal_stats` or
    :func:`county_ntl` written as CSV) or are computed as statistics of a
    ``raster`` band over the zones (``indicators`` names them: mean, p90,
    valid_frac...). They are screened, normalised, weighted and combined
    into a score (0-100), ranked and classed, validated against a
    ``reference`` column or a list of ``poor`` zones, and written as one
    set of files, exactly as ``poverty_index --output OUTPUT`` writes them
    (byte for byte): the index table ``OUTPUT`` (``.csv`` or ``.parquet``),
    ``<stem>.png``, ``<stem>.svg``, ``<stem>.html``, the roll-up tables
    ``<stem>_by_<FIELD>.csv`` and a provenance file beside each table. All
    of them are written, or none (a failed or interrupted run leaves the
    previous files as they were, and no new file).

    Parameters
    ----------
    zones : path
        Any OGR source of polygons; ``layer`` and ``id_field`` as in
        :func:`zonal_stats`.
    output : path
        The index table, ending in ``.csv`` or ``.parquet``.
    table, raster : path
        Exactly one of them.
    indicators : list of str or comma-separated str
        The columns (table; default every numeric column but the id and
        the date) or statistics (raster; required) to combine.
    table_id, date, delimiter, encoding
        With ``table``: its id column (default ``id_field``, else
        ``fid``), the ``date`` whose rows to keep, its delimiter (``,``,
        ``;`` or ``tab``) and encoding (a WHATWG label such as ``gbk``).
    band, roll_ups
        With ``raster``: the band, and zone fields to roll the index up
        to (groups of zones from the same pass).
    worse : list of str
        Indicators where higher is worse.
    normalisation : {"min-max", "z-score", "rank"}, optional
        Default min-max; or ``goalposts`` instead: ``{name: (low, high)}``
        for every indicator (or the CLI's ``name:low:high,...`` text).
    weights : "equal", "entropy", "pca" or dict
        Or ``{name: weight}`` for every indicator.
    aggregation : {"arithmetic", "geometric"}
    missing : {"propagate", "reweight"}
        A zone missing an indicator gets no index, or is scored over the
        indicators it has (never counted as zero).
    classes : int
        Quantile classes for the class column and the maps.
    reference : str, optional
        With ``table``: a column to compare the score with (Pearson,
        Spearman, OLS R²).
    poor : path, optional
        A text file of zone ids designated poor, one a line (ROC AUC).
    group_field, label_field, map_title, map_subtitle, map_source, map_width, dpi
        The maps, as the tool's ``--group-field``... ``--dpi``. Without
        ``map_source``, the maps name the inputs and the day of the run.
    snap_grid, ignore_mask, allow_raw_vrt
        With ``raster``: how it is read, as the tool's flags.
    progress : bool or callable
        As in :func:`zonal_stats` (in chunks of the raster).

    Returns
    -------
    PovertyIndex
        ``(table, validation, roll_ups, files, provenance)``.

    Raises
    ------
    InputNotFoundError
        An input does not exist.
    InvalidInputError
        A choice that cannot be (an unknown indicator, weights that leave
        one out...), data that do not allow it (no zone matches the
        table), an unknown layer or field.
    OutputConflictError
        An output that is an input.
    TerraluxError
        Any other failure; KeyboardInterrupt on Ctrl-C.

    Examples
    --------
    >>> run = terralux.poverty_index("testdata/counties.gpkg", table="out/counties.csv",
    ...     id_field="code", indicators=["mean", "sum", "p90"],
    ...     output="out/index.csv")                               # doctest: +SKIP
    >>> run.table.sort_values("rank").head()                      # doctest: +SKIP
    """
    if (table is None) == (raster is None):
        raise InvalidInputError("give table or raster, not both" if table is not None
                                else "table or raster is required")
    output = _path(output)
    if not output.lower().endswith((".csv", ".parquet")):
        raise InvalidInputError(
            "output must end in .csv or .parquet (the maps are written beside it), "
            f"not '{output}'")
    roll_ups = _names(roll_ups, "roll_ups") or []
    indicators = _names(indicators, "indicators")
    if table is not None:
        if roll_ups:
            raise InvalidInputError(
                "roll_ups needs raster: a roll-up merges the counties' raster statistics, "
                "which a table cannot give")
        for name, given in (("snap_grid", snap_grid), ("ignore_mask", ignore_mask)):
            if given:
                raise InvalidInputError(f"{name} goes with raster, not table")
    else:
        for name, given in (("table_id", table_id), ("date", date), ("delimiter", delimiter),
                            ("encoding", encoding), ("reference", reference)):
            if given is not None:
                raise InvalidInputError(f"{name} goes with table, not raster")
        if not indicators:
            raise InvalidInputError(
                "raster needs indicators: the statistics to compute (e.g. mean,p90,valid_frac)")
    if goalposts is not None and normalisation is not None:
        raise InvalidInputError("give goalposts or normalisation, not both")
    if normalisation is not None and normalisation not in _NORMALISATIONS:
        raise InvalidInputError(
            f"normalisation: unknown method '{normalisation}' (valid: min-max, z-score, rank)")
    if delimiter is not None and delimiter not in _DELIMITERS:
        raise InvalidInputError(f"delimiter: takes ',', ';' or 'tab', not '{delimiter}'")
    band = _whole(band, "band", 1)
    classes = _whole(classes, "classes", 1)
    map_width = _whole(map_width, "map_width", 480, 20000)
    dpi = _whole(dpi, "dpi", 24, 1200)
    given = dict(zones=zones, output=output, table=table, raster=raster, indicators=indicators,
                 layer=layer, id_field=id_field, table_id=table_id, date=date,
                 delimiter=delimiter, encoding=encoding, band=band, roll_ups=roll_ups or None,
                 worse=worse, normalisation=normalisation, goalposts=goalposts,
                 weights=weights, aggregation=aggregation, missing=missing, classes=classes,
                 reference=reference, poor=poor, group_field=group_field,
                 label_field=label_field, map_title=map_title, map_subtitle=map_subtitle,
                 map_source=map_source, map_width=map_width, dpi=dpi, snap_grid=snap_grid,
                 ignore_mask=ignore_mask, allow_raw_vrt=allow_raw_vrt)
    defaults = dict(band=1, weights="equal", aggregation="arithmetic", missing="propagate",
                    classes=5, map_width=1000, dpi=96, snap_grid=False, ignore_mask=False,
                    allow_raw_vrt=False)
    # The call as the provenance's command line.
    command_line = ["terralux.poverty_index"] + [
        f"{k}={os.fspath(v) if isinstance(v, os.PathLike) else v!r}"
        for k, v in given.items() if v is not None and defaults.get(k, None) != v]
    reporter = _Progress(progress, "poverty_index")
    try:
        result = _terralux.poverty_index(
            _path(zones), _path(table), _path(raster), table_id, date,
            None if delimiter is None else _DELIMITERS[delimiter], encoding, band, roll_ups,
            layer, id_field, indicators, _names(worse, "worse") or [],
            normalisation or "min-max", _goalposts_text(goalposts), _weights_text(weights),
            aggregation, missing, classes, reference, _path(poor), group_field, label_field,
            map_title, map_subtitle, map_source, map_width, dpi, bool(snap_grid),
            bool(ignore_mask), bool(allow_raw_vrt), output, command_line, reporter.native())
    finally:
        reporter.close()
    _say(result["messages"])
    zones_left, rows_left = result["zones_without_table_row"], result["table_rows_without_zone"]
    if zones_left or rows_left:
        _log.info("%d counties have no table row (no index); %d table rows match no county",
                  zones_left, rows_left)
    return PovertyIndex(
        _read_index_table(output),
        dict(result["validation"]),
        {field: _read_index_table(path) for field, path in result["roll_ups"]},
        [os.fspath(f) for f in result["files"]],
        json.loads(result["provenance"]),
    )
