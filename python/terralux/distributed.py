"""Zonal statistics on a Dask cluster (``dask.distributed``).

:func:`zonal_stats` gives exactly what :func:`terralux.zonal_stats` gives
(bit for bit), with the raster's chunks measured by the workers of a
``dask.distributed.Client``, and takes a list of rasters (dates on one
grid) as well, whose zones are read and whose coverage is computed once.

How a run goes:

1. The driver (this process) plans the run natively, the GIL released
   (:class:`ZonalPlan`): it opens the rasters (metadata only), reads and
   prepares the zones, computes their coverage once and cuts every date's
   raster into the engine's chunks.
2. The plan's bytes go to every worker once (``client.scatter(...,
   broadcast=True)``).
3. One task per work unit (a date and a range of its chunks): a pure
   function of the plan, the date, the chunk range and the raster
   options (:func:`run_unit`). A worker decodes the plan once per process
   (cached by its fingerprint), opens the date's raster **by path** with
   GDAL and returns the units' partial accumulators as bytes. When a
   worker dies, Dask runs its tasks again elsewhere (the same bits).
4. The driver gathers the partials and merges them natively into the
   tables, exactly as the local engine folds its chunks.

Bytes per task: the task's arguments are the plan's key, three integers
and the raster options (a few hundred bytes pickled); its result, the
partials, grows with the zones its chunks touch and the statistics. On
testdata/ntl.tif over testdata/counties.gpkg in 12 chunks: 0.5-3.5 kB per
one-chunk task with the default statistics (9 kB for the whole raster in
one task), 2.5-25 kB with count, sum, mean, min, max, stdev, median, p90,
majority, variety and frac (113 kB in one task; quantiles, majority and
frac keep the zones' values). The plan (the zones, their coverage and the
options: 42 kB there) goes to each worker once.

The workers need the rasters at the same paths as the driver (a shared
file system, or ``/vsicurl/``, ``/vsis3/``... paths); paths of local files
are made absolute before the plan is made.
"""

from __future__ import annotations

import math
import os
import warnings
from typing import Any, Callable, Optional, Sequence, Union

from . import (
    _Progress,
    _bands,
    _check_output,
    _path,
    _request_options,
    _say,
    _stats_text,
    _terralux,
    _zonal_output,
    _zones_argument,
)
from .errors import InvalidInputError, TerraluxError, TerraluxWarning

__all__ = ["zonal_stats", "ZonalPlan", "ZonalSeries", "run_unit"]


class ZonalSeries(dict):
    """What :func:`zonal_stats` returns for a list of rasters: ``{path:
    table}`` in the order of the list (the paths as given, as ``str``).
    With ``on_error="skip"``, a date whose tasks failed is left out and
    ``failed`` holds ``{path: exception}`` (empty otherwise)."""

    def __init__(self, *args, failed=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.failed = dict(failed or {})


def _worker_path(value):
    """A path as the workers open it: a local file's absolute path; GDAL
    virtual paths (/vsi...), ``DRIVER:...`` paths and URLs as given."""
    if value is None:
        return None
    text = os.fspath(value)
    if text.startswith("/vsi") or "://" in text or not os.path.exists(text):
        return text
    return os.path.abspath(text)


def _raster_options(raster_crs, snap_grid, ignore_mask, allow_raw_vrt):
    return (raster_crs, bool(snap_grid), bool(ignore_mask), bool(allow_raw_vrt))


class ZonalPlan:
    """A zonal run of one or more rasters (dates on one grid) planned on
    this process: the arguments of :func:`terralux.zonal_stats` (but
    ``threads``, ``progress`` and ``coverage_index``), the zones read and
    prepared once, their coverage computed once. :func:`zonal_stats` uses
    it; it is also the low-level interface for other schedulers:
    :meth:`to_bytes` for the workers, :meth:`units` for the tasks,
    :func:`run_unit` on a worker, :meth:`merge` of the results.

    ``chunk_cells`` sets the engine's chunk budget in cells (as the same
    keyword of :func:`terralux.zonal_stats`; the tables are those of a
    local run with the same budget).
    """

    def __init__(
        self,
        rasters: Sequence[Union[str, os.PathLike]],
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
        output: str = "pandas",
        keep_bad_geometry: bool = False,
        snap_grid: bool = False,
        ignore_mask: bool = False,
        allow_raw_vrt: bool = False,
        min_coverage_frac: Optional[float] = None,
        default_value: Optional[float] = None,
        default_weight: Optional[float] = None,
        mode_ties: str = "exactextract",
        chunk_cells: Optional[int] = None,
    ):
        _check_output(output)
        _check_chunk_cells(chunk_cells)
        rasters = [_worker_path(r) for r in rasters]
        if not rasters:
            raise InvalidInputError("raster: no raster was given")
        zones_path, ids, wkb, given_crs, in_memory = _zones_argument(zones, id_field, layer,
                                                                     zones_crs)
        self.output = output
        self.rasters = rasters
        self._in_memory = in_memory
        self._with_geometry = output == "geopandas" and in_memory is None
        self.raster_options = _raster_options(raster_crs, snap_grid, ignore_mask,
                                              allow_raw_vrt)
        options = _request_options(
            _stats_text(stats), _bands(band), layer, id_field if in_memory is None else None,
            coverage, _worker_path(weights), area_weighted, zones_crs, raster_crs, gcj02,
            keep_bad_geometry, snap_grid, ignore_mask, allow_raw_vrt, None, min_coverage_frac,
            default_value, default_weight, mode_ties, self._with_geometry)
        self._native = _terralux.zonal_plan(rasters, zones_path, ids, wkb, given_crs, options,
                                            chunk_cells)
        _say(self._native.messages)

    @property
    def fingerprint(self) -> str:
        """The plan's fingerprint (32 hex digits)."""
        return self._native.fingerprint

    def __len__(self) -> int:
        """The number of dates."""
        return self._native.dates

    def chunk_count(self, date: int) -> int:
        """The number of chunks of ``date`` (0-based) that some zone touches."""
        return self._native.chunk_count(date)

    def to_bytes(self) -> bytes:
        """The plan as bytes (the zones, their coverage, the options, the
        rasters' paths), for the workers."""
        return self._native.to_bytes()

    def units(self, chunks_per_task: int) -> list:
        """Every date's chunks in units of ``chunks_per_task``:
        ``[(date, start, end)]``."""
        return self._native.units(_whole_count(chunks_per_task, "chunks_per_task"))

    def merge(self, partials: Sequence[bytes], dates: Optional[Sequence[int]] = None) -> list:
        """The tables of ``dates`` (default all, in order) from the bytes of
        every unit of those dates (any order), as :func:`terralux.zonal_stats`
        returns them. Partials of another plan, of a date not listed, or
        missing or repeated units are refused (InvalidInputError)."""
        dates = list(range(len(self))) if dates is None else [int(d) for d in dates]
        results = self._native.merge(list(partials), dates, self._with_geometry,
                                     self.output == "arrow")
        return [_zonal_output(r, self._in_memory, self.output) for r in results]


def run_unit(plan_bytes: bytes, date: int, start: int, end: int, raster_options=None) -> bytes:
    """Run one work unit (a pure function of its arguments): the partials
    of chunks ``start..end`` of ``date`` of the plan ``plan_bytes``, the
    rasters opened by path with ``raster_options`` (:attr:`ZonalPlan.
    raster_options`). The plan is decoded once per process."""
    raster_crs, snap_grid, ignore_mask, allow_raw_vrt = raster_options or (None, False, False,
                                                                           False)
    return _terralux.run_unit(plan_bytes, date, start, end, raster_crs, snap_grid,
                              ignore_mask, allow_raw_vrt)


def _check_chunk_cells(chunk_cells):
    if chunk_cells is not None:
        _whole_count(chunk_cells, "chunk_cells")


def _whole_count(value, what):
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise InvalidInputError(f"{what}: {value!r} is not a whole number of at least 1")
    return value


def zonal_stats(
    raster: Union[str, os.PathLike, Sequence[Union[str, os.PathLike]]],
    zones: Any,
    stats: Union[str, Sequence[str], None] = None,
    *,
    client=None,
    chunks_per_task: Optional[int] = None,
    on_error: str = "raise",
    progress: Union[bool, Callable[[int, int], Any]] = False,
    **options,
):
    """:func:`terralux.zonal_stats` on a Dask cluster.

    Parameters
    ----------
    raster : path or list of paths
        One raster: the table :func:`terralux.zonal_stats` returns for it.
        A list (dates on one grid): a :class:`ZonalSeries`, ``{path:
        table}`` in list order, each table what
        :func:`terralux.zonal_stats` returns for that raster.
    zones, stats
        As in :func:`terralux.zonal_stats`.
    client : dask.distributed.Client, optional
        Default: ``distributed.get_client()`` (the current client).
    chunks_per_task : int, optional
        Chunks of the engine per task. Default: about four tasks per
        worker thread over all dates. The tables do not depend on it.
    on_error : {"raise", "skip"}
        A task that fails with a terralux error (a raster missing or
        unreadable on the worker, a corrupt tile...) fails the run with
        that error (its one-line message names the file), and no output;
        with "skip" and a list of rasters, the failed date is left out of
        the result, recorded in its ``failed`` attribute and warned about
        (TerraluxWarning). Other failures (a worker killed again and again,
        KilledWorker) always raise.
    progress : bool or callable
        True: a tqdm bar; a callable: ``f(done, total)`` in tasks (on this
        thread, as tasks complete).
    **options
        The other keyword arguments of :func:`terralux.zonal_stats`:
        band, layer, id_field, coverage, weights, area_weighted,
        zones_crs, raster_crs, gcj02, output, keep_bad_geometry,
        snap_grid, ignore_mask, allow_raw_vrt, min_coverage_frac,
        default_value, default_weight, mode_ties, chunk_cells (``threads``
        and ``coverage_index`` do not apply).

    Bytes per task: see the module docs (a few hundred bytes out; the
    partials back, 0.5-25 kB per one-chunk task on testdata; the plan once
    per worker).
    """
    from distributed import as_completed, get_client

    if on_error not in ("raise", "skip"):
        raise InvalidInputError(f"on_error: unknown rule '{on_error}' (valid: raise, skip)")
    for name in ("threads", "coverage_index"):
        if name in options:
            raise InvalidInputError(f"{name}: not an option of a distributed run")
    single = isinstance(raster, (str, os.PathLike))
    given = [raster] if single else list(raster)
    names = [os.fspath(r) for r in given]
    if len(set(names)) != len(names):
        raise InvalidInputError("raster: a path is given twice")
    if chunks_per_task is not None:
        _whole_count(chunks_per_task, "chunks_per_task")
    plan = ZonalPlan(given, zones, stats, **options)
    client = client if client is not None else get_client()

    dates = len(plan)
    if chunks_per_task is None:
        threads = max(1, sum(client.nthreads().values()))
        chunks = sum(plan.chunk_count(d) for d in range(dates))
        chunks_per_task = max(1, math.ceil(chunks / (4 * threads)))
    units = plan.units(chunks_per_task)
    reporter = _Progress(progress, "zonal tasks")
    plan_future = client.scatter(plan.to_bytes(), broadcast=True)
    fingerprint = plan.fingerprint
    futures = [
        client.submit(run_unit, plan_future, date, start, end, plan.raster_options,
                      key=f"terralux-unit-{fingerprint}-{date}-{start}-{end}")
        for date, start, end in units
    ]
    date_of = {f.key: u[0] for f, u in zip(futures, units)}
    failed = {}
    try:
        done = 0
        for future in as_completed(futures):
            date = date_of[future.key]
            if future.status == "error":
                error = future.exception()
                if single or on_error == "raise" or not isinstance(error, TerraluxError):
                    client.cancel(futures)
                    raise error
                if date not in failed:
                    failed[date] = error
                    client.cancel([f for f in futures if date_of[f.key] == date])
            elif future.status == "finished":
                done += 1
                if reporter.native() is not None:
                    reporter(done, len(futures))
        good = [d for d in range(dates) if d not in failed]
        partials = []
        for date in good:
            of_date = [f for f in futures if date_of[f.key] == date]
            try:
                partials.extend(client.gather(of_date))
            except TerraluxError as error:
                # Failed when run again (after a worker died).
                if single or on_error == "raise":
                    raise
                failed[date] = error
        good = [d for d in good if d not in failed]
        tables = plan.merge(partials, good) if good else []
    finally:
        reporter.close()
        del futures, plan_future
    if single:
        return tables[0]
    for date, error in sorted(failed.items()):
        warnings.warn(f"{names[date]}: left out: {error}", TerraluxWarning, stacklevel=2)
    return ZonalSeries(zip((names[d] for d in good), tables),
                       failed={names[d]: failed[d] for d in sorted(failed)})
