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
   broadcast=True, hash=False)``; directly, not through the scheduler,
   on a ``LocalCluster`` or when the client's ``direct_to_workers`` is
   set).
3. One task per work unit (a date and a range of its chunks): a pure
   function of the plan, the date, the chunk range and the raster
   options (:func:`run_unit`). A worker decodes the plan once per process
   (cached by its fingerprint), opens the date's raster **by path** with
   GDAL and returns the units' partial accumulators as bytes. When a
   worker dies, Dask runs its tasks again elsewhere (the same bits).
4. As soon as every unit of a date is done, the driver gathers that
   date's partials and merges them natively into its table, exactly as
   the local engine folds its chunks (while the workers go on with the
   next dates); with ``parquet=``, it writes the table as that date's
   Parquet partition instead of keeping it, and a rerun skips the dates
   already written by the same request.

Bytes per task: the task's arguments are the plan's key, three integers
and the raster options (a few hundred bytes pickled); its result, the
partials, grows with the zones its chunks touch and the statistics. On
testdata/ntl.tif over testdata/counties.gpkg in 12 chunks: 0.5-3.5 kB per
one-chunk task with the default statistics (9 kB for the whole raster in
one task), 2.5-25 kB with count, sum, mean, min, max, stdev, median, p90,
majority, variety and frac (113 kB in one task; quantiles, majority and
frac keep the zones' values). The plan (the zones, their coverage and the
options: 24 kB there) goes to each worker once.

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
    CountyNtl,
    _Progress,
    _county_output,
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

__all__ = ["zonal_stats", "county_ntl", "ZonalPlan", "ZonalSeries", "ParquetSeries",
           "DistributedCountyNtl", "run_unit", "run_county_unit"]


class ZonalSeries(dict):
    """What :func:`zonal_stats` returns for a list of rasters: ``{path:
    table}`` in the order of the list (the paths as given, as ``str``).
    With ``on_error="skip"``, a date whose tasks failed is left out and
    ``failed`` holds ``{path: exception}`` (empty otherwise)."""

    def __init__(self, *args, failed=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.failed = dict(failed or {})


class ParquetSeries(dict):
    """What :func:`zonal_stats` returns with ``parquet=``: ``{path: file}``,
    each raster (as given, ``str``) and its date's Parquet file
    (``ROOT/date=LABEL/part-0.parquet``), in the order of the list, but
    the dates that failed. ``root`` is the folder; ``labels`` each
    raster's date label; ``written`` the rasters whose file this run
    wrote, ``skipped`` those whose file was already written whole by the
    same request (not run again); ``failed`` ``{path: exception}`` with
    ``on_error="skip"``. ``pandas.read_parquet(root)`` reads the series as
    one table with a ``date`` column. The run's record, each date's status
    and any error, is ``ROOT/_terralux_run.json``."""

    def __init__(self, *args, root=None, labels=None, written=(), skipped=(), failed=None,
                 **kwargs):
        super().__init__(*args, **kwargs)
        self.root = root
        self.labels = dict(labels or {})
        self.written = list(written)
        self.skipped = list(skipped)
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
        self._id_column = in_memory[0] if in_memory is not None else None
        # What a run reads beside the rasters (never an output).
        self._shared_inputs = [p for p in (_worker_path(zones_path), _worker_path(weights))
                               if p is not None]
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

    def date_fingerprints(self) -> list:
        """One fingerprint per date (32 hex digits): what that date's
        table depends on in the plan (zones, coverage, statistics, options,
        the date's raster by path), not the other dates."""
        return self._native.date_fingerprints()

    def write_partition(self, partials: Sequence[bytes], date: int, root, label: str,
                        key: str) -> str:
        """Merge ``date``'s partials and write its table as the Parquet
        file ``root/date=LABEL/part-0.parquet`` with ``key`` in its
        metadata, atomically (checked, then renamed into place); the
        file's path. An input of the run is never overwritten."""
        inputs = [self.rasters[date]] + self._shared_inputs
        return self._native.write_partition(list(partials), int(date), os.fspath(root), label,
                                            key, inputs, self._id_column)

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


def _date_labels(names, dates):
    """Each raster's date label: ``dates`` as given, or the file names'
    stems; one folder name each, all different."""
    if dates is None:
        labels = [os.path.splitext(os.path.basename(n.rstrip("/")))[0] for n in names]
        what = "the rasters' file names (give dates=)"
    else:
        labels = [d if isinstance(d, str) else str(d) for d in dates]
        what = "dates"
        if len(labels) != len(names):
            raise InvalidInputError(
                f"dates: {len(labels)} labels for {len(names)} rasters; give one per raster")
    seen = {}
    for name, label in zip(names, labels):
        if label in seen:
            raise InvalidInputError(
                f"dates: '{label}' labels both {seen[label]} and {name}, from {what}")
        seen[label] = name
    return labels


def _file_identity(path):
    """Size and modification time of a local file ('' for other paths),
    so that a partition of a raster rewritten since is not taken as done."""
    try:
        info = os.stat(path)
    except (OSError, ValueError):
        return ""
    return f"{info.st_size}:{info.st_mtime_ns}"


def _partition_keys(plan):
    """Each date's partition key: its fingerprint in the plan and the
    identity of the files it reads."""
    return [
        f"{fingerprint}/" + ",".join(_file_identity(p) for p in [raster] + plan._shared_inputs)
        for fingerprint, raster in zip(plan.date_fingerprints(), plan.rasters)
    ]


def _default_chunks_per_task(client, chunks):
    """About four tasks per worker thread over ``chunks`` chunks."""
    threads = max(1, sum(client.nthreads().values()))
    return max(1, math.ceil(chunks / (4 * threads)))


# How many times a plan's bytes may be lost (every worker holding them
# died) and scattered again before a run gives up.
_PLAN_LOSSES_TOLERATED = 3
# How many times one unit is submitted again after its task was cancelled.
_UNIT_ATTEMPTS = 8


class _Payload:
    """A plan's bytes scattered to every worker (``hash=False``: Dask would
    otherwise hash them to name them, about 1.1 s for the benchmark's
    53 MB plan, longer than sending it), directly or through the scheduler
    (``direct``, see :func:`_direct`), scattered again when every worker
    holding them died."""

    def __init__(self, client, data, fingerprint, direct):
        self.client, self.data, self.fingerprint = client, data, fingerprint
        self.losses = 0
        self.direct = direct
        self.future = self._scatter()

    def _scatter(self):
        return self.client.scatter(self.data, broadcast=True, hash=False, direct=self.direct)

    def current(self):
        if self.future.status != "finished":
            self.losses += 1
            if self.losses > _PLAN_LOSSES_TOLERATED:
                raise RuntimeError(
                    f"terralux.distributed: the plan's bytes were lost {self.losses} times "
                    "(every worker holding them died); the run is stopped")
            self.future = self._scatter()
        return self.future


def _direct(client):
    """Whether the plans' bytes go to the workers, and the partials come
    back, directly rather than through the scheduler: the client's own
    ``direct_to_workers`` when it is set; otherwise directly when the
    client runs a ``LocalCluster`` (its workers are on this machine, so
    reachable; on the benchmark's 2-worker cluster this halves the time
    to scatter the 28.6 MB plan and the driver's CPU for it), and through
    the scheduler elsewhere (Dask's default: a client outside a cluster's
    network may reach only its scheduler)."""
    chosen = getattr(client, "direct_to_workers", None)
    if chosen is not None:
        return bool(chosen)
    from distributed import LocalCluster

    return isinstance(getattr(client, "cluster", None), LocalCluster)


def _run_units(client, payloads, units, task, task_args, progress, finish_date, skip_failed,
               label="zonal tasks"):
    """Run ``units``, ``[(date, payload, start, end)]``, on ``client``: one
    task ``task(plan, date, start, end, *task_args)`` each, ``plan`` the
    scattered bytes of ``payloads[payload]`` (``{name: (bytes,
    fingerprint)}``). As soon as all units of a date are done, gather
    their partials, call ``finish_date(date, [(payload, partials)])`` on
    this thread, and let Dask forget them (a date's partials are held only
    until its table is made). A task failing with a TerraluxError raises
    it, all tasks cancelled; with ``skip_failed``, its date's other tasks
    are cancelled and the run goes on. Other failures (KilledWorker...)
    always raise.

    A unit whose task Dask cancels (every worker holding its plan's bytes
    died, so Dask cannot run it again by itself) is submitted again, the
    plan scattered again first (at most ``_PLAN_LOSSES_TOLERATED`` times);
    a run never ends with a date neither finished nor failed. Returns
    ``{date: error}`` of the skipped dates."""
    from distributed import as_completed

    units = [tuple(u) for u in units]
    if not units:
        return {}
    reporter = _Progress(progress, label)
    direct = _direct(client)
    scattered = {name: _Payload(client, data, fingerprint, direct)
                 for name, (data, fingerprint) in payloads.items()}
    units_of = {}
    for unit in units:
        units_of.setdefault(unit[0], []).append(unit)
    live = {}  # unit -> its current future
    unit_of = {}  # future key -> unit
    attempts = {}
    completed = as_completed()

    def submit(unit):
        date, payload, start, end = unit
        plan = scattered[payload]
        attempt = attempts.get(unit, 0)
        if attempt > _UNIT_ATTEMPTS:
            raise RuntimeError(
                f"terralux.distributed: the task of date {date}, chunks {start}..{end} was "
                f"cancelled {attempt} times; the run is stopped")
        attempts[unit] = attempt + 1
        key = f"terralux-unit-{plan.fingerprint}-{date}-{start}-{end}"
        future = client.submit(task, plan.current(), date, start, end, *task_args,
                               key=key if attempt == 0 else f"{key}-again{attempt}")
        live[unit] = future
        unit_of[future.key] = unit
        completed.add(future)

    finished_units = set()
    finished_dates = set()
    failed = {}

    def give_up():
        client.cancel(list(live.values()))

    def skip(date, error):
        failed[date] = error
        client.cancel([live.pop(u) for u in units_of[date] if u in live])

    try:
        for unit in units:
            submit(unit)
        done, total = 0, len(units)
        for future in completed:
            unit = unit_of.pop(future.key, None)
            if unit is None or live.get(unit) is not future:
                continue  # a task since submitted again, or cancelled
            date = unit[0]
            if date in failed or date in finished_dates:
                continue
            if future.status == "error":
                error = future.exception()
                if not skip_failed or not isinstance(error, TerraluxError):
                    give_up()
                    raise error
                skip(date, error)
                continue
            if future.status != "finished":
                submit(unit)  # cancelled: its plan's bytes died with the workers
                continue
            if unit not in finished_units:
                finished_units.add(unit)
                done += 1
                if reporter.native() is not None:
                    reporter(done, total)
            if not all(u in finished_units for u in units_of[date]):
                continue
            of_date = [live[u] for u in units_of[date]]
            try:
                partials = client.gather(of_date, direct=direct)
            except TerraluxError as error:
                # Failed when run again (after a worker died).
                if not skip_failed:
                    give_up()
                    raise
                skip(date, error)
                continue
            except Exception as error:
                if not _lost(error):
                    raise
                # A result lost with its worker and not computed again: run it again.
                for u in units_of[date]:
                    if live[u].status != "finished":
                        finished_units.discard(u)
                        submit(u)
                continue
            finally:
                del of_date
            finished_dates.add(date)
            for u in units_of[date]:
                del live[u]
            finish_date(date, [(u[1], p) for u, p in zip(units_of[date], partials)])
    except BaseException:
        give_up()
        raise
    finally:
        reporter.close()
        live.clear()
        scattered.clear()
    unaccounted = sorted(set(units_of) - finished_dates - set(failed))
    if unaccounted:
        raise RuntimeError(
            f"terralux.distributed: {len(unaccounted)} date(s) neither finished nor failed "
            f"(dates {unaccounted}); the run is incomplete")
    return failed


def _run_dates(client, plan, dates, chunks_per_task, progress, finish_date, skip_failed):
    """The units of ``dates`` of the zonal ``plan`` run with
    :func:`_run_units`; ``finish_date(date, partials)`` with the date's
    partials (bytes)."""
    wanted = set(dates)
    if chunks_per_task is None:
        chunks_per_task = _default_chunks_per_task(
            client, sum(plan.chunk_count(d) for d in wanted))
    units = [(d, "zonal", s, e) for d, s, e in plan.units(chunks_per_task) if d in wanted]
    payloads = {"zonal": (plan.to_bytes(), plan.fingerprint)}
    return _run_units(client, payloads, units, run_unit, (plan.raster_options,), progress,
                      lambda date, partials: finish_date(date, [p for _, p in partials]),
                      skip_failed)


def _lost(error):
    """Whether ``error`` says a task was cancelled or its result lost
    (``distributed``'s FutureCancelledError is a CancelledError), not that
    the task failed."""
    import concurrent.futures

    return isinstance(error, concurrent.futures.CancelledError)


def zonal_stats(
    raster: Union[str, os.PathLike, Sequence[Union[str, os.PathLike]]],
    zones: Any,
    stats: Union[str, Sequence[str], None] = None,
    *,
    client=None,
    chunks_per_task: Optional[int] = None,
    on_error: str = "raise",
    progress: Union[bool, Callable[[int, int], Any]] = False,
    parquet: Union[str, os.PathLike, None] = None,
    dates: Optional[Sequence[str]] = None,
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
    parquet : path, optional
        A folder: each date's table is written there as Parquet as soon as
        the date completes, ``parquet/date=LABEL/part-0.parquet`` (Hive
        partitioning: ``pandas.read_parquet(parquet)`` reads the series
        with a ``date`` column), atomically and checked; tables are not
        kept in memory and a :class:`ParquetSeries` of the files is
        returned. A date whose file was already written whole by the same
        request (the same zones, statistics, options and raster file) is
        skipped, so that a rerun of an interrupted series computes only
        the dates missing. The file holds the id column and the
        statistics, as the ``zonal`` binary's Parquet output.
    dates : list of str, optional
        With ``parquet``: each raster's date label (default: the rasters'
        file names without their extension).
    **options
        The other keyword arguments of :func:`terralux.zonal_stats`:
        band, layer, id_field, coverage, weights, area_weighted,
        zones_crs, raster_crs, gcj02, output, keep_bad_geometry,
        snap_grid, ignore_mask, allow_raw_vrt, min_coverage_frac,
        default_value, default_weight, mode_ties, chunk_cells (``threads``,
        ``coverage_index`` and ``memory_limit`` do not apply).

    The driver merges each date's partials as soon as its tasks are done
    (while the workers go on with the next dates), and holds no partials
    of a finished date.

    Bytes per task: see the module docs (a few hundred bytes out; the
    partials back, 0.5-25 kB per one-chunk task on testdata; the plan once
    per worker).
    """
    from distributed import get_client

    if on_error not in ("raise", "skip"):
        raise InvalidInputError(f"on_error: unknown rule '{on_error}' (valid: raise, skip)")
    # memory_limit: partials merge in memory (no spill file on the driver).
    for name in ("threads", "coverage_index", "memory_limit"):
        if name in options:
            raise InvalidInputError(f"{name}: not an option of a distributed run")
    single = isinstance(raster, (str, os.PathLike))
    given = [raster] if single else list(raster)
    names = [os.fspath(r) for r in given]
    if len(set(names)) != len(names):
        raise InvalidInputError("raster: a path is given twice")
    if chunks_per_task is not None:
        _whole_count(chunks_per_task, "chunks_per_task")
    if parquet is None and dates is not None:
        raise InvalidInputError("dates: labels the Parquet partitions; give parquet= too")
    labels = None
    if parquet is not None:
        labels = _date_labels(names, dates)
        for label in labels:
            _terralux.partition_file(os.fspath(parquet), label)  # one folder name each
    plan = ZonalPlan(given, zones, stats, **options)
    client = client if client is not None else get_client()
    skip_failed = on_error == "skip" and not single

    if parquet is not None:
        root = os.fspath(parquet)
        if os.path.exists(root) and not os.path.isdir(root):
            raise InvalidInputError(f"{root}: is a file; parquet= names a folder of partitions")
        os.makedirs(root, exist_ok=True)
        keys = _partition_keys(plan)
        done_before = [d for d in range(len(plan))
                       if _terralux.partition_finished(root, labels[d], keys[d])]
        files = {d: _terralux.partition_file(root, labels[d]) for d in done_before}
        todo = [d for d in range(len(plan)) if d not in files]
        written = []

        def write(date, partials):
            files[date] = plan.write_partition(partials, date, root, labels[date], keys[date])
            written.append(date)

        try:
            failed = _run_dates(client, plan, todo, chunks_per_task, progress, write,
                                skip_failed)
        except BaseException as error:
            # Which date failed is the error's to say; the others not written were not run.
            _write_run_record(root, names, labels, files, written, done_before, {}, error)
            raise
        _write_run_record(root, names, labels, files, written, done_before, failed)
        _warn_failed(names, failed)
        order = [d for d in range(len(plan)) if d in files]
        return ParquetSeries(
            ((names[d], files[d]) for d in order), root=root,
            labels={names[d]: labels[d] for d in range(len(plan))},
            written=[names[d] for d in sorted(written)],
            skipped=[names[d] for d in done_before],
            failed={names[d]: failed[d] for d in sorted(failed)})

    tables = {}

    def merge(date, partials):
        tables[date] = plan.merge(partials, [date])[0]

    failed = _run_dates(client, plan, list(range(len(plan))), chunks_per_task, progress, merge,
                        skip_failed)
    if single:
        return tables[0]
    _warn_failed(names, failed)
    return ZonalSeries(((names[d], tables[d]) for d in range(len(plan)) if d in tables),
                       failed={names[d]: failed[d] for d in sorted(failed)})


class DistributedCountyNtl(CountyNtl):
    """What :func:`county_ntl` returns: a :class:`terralux.CountyNtl`
    ``(table, trends, dates)`` and ``failed``, ``{date label: exception}``
    of the dates left out with ``on_error="skip"`` (empty otherwise)."""

    failed: dict = {}


def run_county_unit(plan_bytes: bytes, date: int, start: int, end: int, folder=None,
                    rasters=None, product="auto", threshold=None, population=None,
                    masked_frac=False, snap_grid=False, ignore_mask=False) -> bytes:
    """Run one work unit of a county run (a pure function of its
    arguments): the partials of chunks ``start..end`` of ``date`` of one
    pass's plan ``plan_bytes``, the date's files opened from the request's
    ``folder`` or ``rasters`` (paths as the workers see them), ``product``,
    ``population`` and masks, as :func:`county_ntl` planned them. The plan
    is decoded once per process."""
    return _terralux.run_county_unit(
        plan_bytes, date, start, end, folder, rasters, product, threshold, population,
        bool(masked_frac), bool(snap_grid), bool(ignore_mask))


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
    masked_frac: bool = False,
    snap_grid: bool = False,
    ignore_mask: bool = False,
    client=None,
    chunks_per_task: Optional[int] = None,
    on_error: str = "raise",
    progress: Union[bool, Callable[[int, int], Any]] = False,
) -> DistributedCountyNtl:
    """:func:`terralux.county_ntl` on a Dask cluster: the same arguments
    (but ``threads``) and the same tables, bit for bit.

    The driver opens every file (metadata), reads and prepares the zones
    and computes their coverage once, and plans each pass over the dates
    (the indicators, and with ``masked_frac`` the masked share); the
    passes' plans go to every worker once. One task per work unit (a pass,
    a date and a range of its chunks): the worker opens that date's files
    only, masked, calibrated and mosaicked as the local run reads them
    (Black Marble tiles of a day as one mosaic), and returns the zones'
    partials. The driver merges them in the plan's order and completes the
    indicators over the dates (ALI and CNLI divided by the run's largest
    value, as locally).

    Parameters
    ----------
    zones, folder, rasters, product, layer, id_field, threshold, population,
    gcj02, masked_frac, snap_grid, ignore_mask
        As in :func:`terralux.county_ntl`. The workers need the files at
        the same paths (local paths are made absolute; a shared file
        system, or GDAL ``/vsi...`` paths).
    client : dask.distributed.Client, optional
        Default: ``distributed.get_client()``.
    chunks_per_task : int, optional
        Chunks per task (default: about four tasks per worker thread).
        The tables do not depend on it.
    on_error : {"raise", "skip"}
        A task failing with a terralux error (an unreadable file, a corrupt
        tile) fails the run with that error, which names the file; with
        "skip", the date is left out (``failed`` of the result, and a
        TerraluxWarning) and the others are completed as a run of those
        dates would be.
    progress : bool or callable
        As in :func:`zonal_stats` (in tasks).

    Returns
    -------
    DistributedCountyNtl
        ``(table, trends, dates)`` as :func:`terralux.county_ntl`, and
        ``failed``.
    """
    from distributed import get_client

    if on_error not in ("raise", "skip"):
        raise InvalidInputError(f"on_error: unknown rule '{on_error}' (valid: raise, skip)")
    if (folder is None) == (rasters is None):
        raise InvalidInputError("county_ntl: give either folder or rasters")
    if chunks_per_task is not None:
        _whole_count(chunks_per_task, "chunks_per_task")
    request = (
        _worker_path(folder),
        None if rasters is None else [_worker_path(r) for r in rasters],
        product,
        threshold,
        _worker_path(population),
        bool(masked_frac),
        bool(snap_grid),
        bool(ignore_mask),
    )
    folder_w, rasters_w, _, _, population_w, _, _, _ = request
    native = _terralux.county_plan(
        _path(zones), folder_w, rasters_w, product, layer, id_field, threshold, population_w,
        bool(gcj02), bool(masked_frac), bool(snap_grid), bool(ignore_mask))
    _say(native.messages)
    client = client if client is not None else get_client()
    labels = native.dates
    passes = native.passes
    if chunks_per_task is None:
        chunks_per_task = _default_chunks_per_task(
            client, sum(native.chunk_count(p, d) for p in passes for d in range(len(labels))))
    # Date by date (both passes of a date together), so that dates complete in turn.
    units = sorted(((d, p, s, e) for p in passes for d, s, e in native.units(p, chunks_per_task)),
                   key=lambda u: (u[0], passes.index(u[1]), u[2]))
    payloads = {p: (native.to_bytes(p), native.fingerprint(p)) for p in passes}
    collected = {}

    def keep(date, partials):
        collected[date] = partials

    failed = _run_units(client, payloads, units, run_county_unit, request, progress, keep,
                        on_error == "skip", label="county tasks")
    dates = sorted(collected)
    if not dates:
        first = failed[min(failed)]
        raise TerraluxError(f"county_ntl: every date failed; the first: {first}") from first
    result = native.finish([p for d in dates for p in collected[d]], dates)
    collected.clear()
    _say(result["messages"])
    _warn_failed(labels, failed)
    out = _county_output(result, DistributedCountyNtl)
    out.failed = {labels[d]: failed[d] for d in sorted(failed)}
    return out


RUN_RECORD = "_terralux_run.json"


def _write_run_record(root, names, labels, files, written, skipped, failed, run_error=None):
    """The run's record beside the partitions (``ROOT/_terralux_run.json``;
    Parquet readers skip names that start with ``_``): each date's label,
    raster, file and status (written, skipped: already written whole by
    the same request, failed: with the error, not run) and the error that
    stopped the run, if one did; written atomically."""
    import json

    status = {}
    for date, name in enumerate(names):
        entry = {"raster": name, "file": files.get(date)}
        if date in failed:
            entry.update(status="failed", error=str(failed[date]) or type(failed[date]).__name__)
        elif date in written:
            entry["status"] = "written"
        elif date in skipped:
            entry["status"] = "skipped"
        else:
            entry["status"] = "not run"
        status[labels[date]] = entry
    from . import __version__

    record = {"terralux": __version__, "dates": status}
    if run_error is not None:
        record["error"] = str(run_error) or type(run_error).__name__
    target = os.path.join(root, RUN_RECORD)
    staging = f"{target}.partial-{os.getpid()}"
    try:
        with open(staging, "w", encoding="utf-8") as f:
            json.dump(record, f, indent=2, ensure_ascii=False)
            f.write("\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(staging, target)
    finally:
        if os.path.exists(staging):
            os.remove(staging)


def _warn_failed(names, failed):
    for date, error in sorted(failed.items()):
        warnings.warn(f"{names[date]}: left out: {error}", TerraluxWarning, stacklevel=3)
