"""The native module (PyO3); use the functions of `terralux` instead."""

from typing import Any, Callable, Optional

__version__: str

def zonal_stats(
    raster: str, zones_path: Optional[str], zones_ids: Optional[list[Any]],
    zones_wkb: Optional[list[Optional[bytes]]], zones_given_crs: Optional[str],
    options: dict[str, Any], as_arrow: bool, progress: Optional[Callable[[int, int], Any]],
    coverage_index: Optional[NativeCoverageIndex], chunk_cells: Optional[int] = ...,
) -> dict[str, Any]: ...

class NativeZonalPlan:
    @property
    def fingerprint(self) -> str: ...
    @property
    def dates(self) -> int: ...
    @property
    def messages(self) -> list[str]: ...
    def to_bytes(self) -> bytes: ...
    def chunk_count(self, date: int) -> int: ...
    def units(self, chunks_per_unit: int) -> list[tuple[int, int, int]]: ...
    def date_fingerprints(self) -> list[str]: ...
    def write_partition(
        self, partials: list[bytes], date: int, root: str, label: str, key: str,
        inputs: list[str], id_column: Optional[str] = ...,
    ) -> str: ...
    def merge(
        self, partials: list[bytes], dates: list[int], with_geometry: bool, as_arrow: bool,
    ) -> list[dict[str, Any]]: ...

def zonal_plan(
    rasters: list[str], zones_path: Optional[str], zones_ids: Optional[list[Any]],
    zones_wkb: Optional[list[Optional[bytes]]], zones_given_crs: Optional[str],
    options: dict[str, Any], chunk_cells: Optional[int],
) -> NativeZonalPlan: ...
def run_unit(
    plan_bytes: bytes, date: int, start: int, end: int, raster_crs: Optional[str],
    snap_grid: bool, ignore_mask: bool, allow_raw_vrt: bool,
) -> bytes: ...
def cached_plans() -> list[str]: ...
def partition_finished(root: str, label: str, key: str) -> bool: ...
def partition_file(root: str, label: str) -> str: ...

class ArrowBatch:
    """An Arrow record batch; pyarrow.table() imports it (PyCapsule interface)."""
    def __len__(self) -> int: ...
    def __arrow_c_schema__(self) -> object: ...
    def __arrow_c_array__(self, requested_schema: object = None) -> tuple[object, object]: ...
    def __arrow_c_stream__(self, requested_schema: object = None) -> object: ...

class NativeCoverageIndex:
    def __len__(self) -> int: ...
    @property
    def coverage(self) -> str: ...
    @property
    def fingerprint(self) -> str: ...
    @property
    def shape(self) -> tuple[int, int]: ...
    @property
    def id_column(self) -> str: ...

def coverage_index(
    raster: str, zones_path: Optional[str], zones_ids: Optional[list[Any]],
    zones_wkb: Optional[list[Optional[bytes]]], zones_given_crs: Optional[str],
    layer: Optional[str], id_field: Optional[str], coverage: str, zones_crs: Optional[str],
    raster_crs: Optional[str], gcj02: bool, keep_bad_geometry: bool, snap_grid: bool,
    allow_raw_vrt: bool,
) -> NativeCoverageIndex: ...
def coverage_zonal_stats(
    index: NativeCoverageIndex, raster: str, stats: Optional[str], bands: list[int],
    weights: Optional[str], area_weighted: bool, raster_crs: Optional[str], snap_grid: bool,
    ignore_mask: bool, allow_raw_vrt: bool, threads: Optional[int],
    min_coverage_frac: Optional[float], default_value: Optional[float],
    default_weight: Optional[float], mode_ties_rule: str, with_geometry: bool, as_arrow: bool,
    progress: Optional[Callable[[int, int], Any]],
) -> dict[str, Any]: ...
def poverty_index(
    zones: str, table: Optional[str], raster: Optional[str], table_id: Optional[str],
    date: Optional[str], delimiter: Optional[str], encoding: Optional[str], band: int,
    roll_ups: list[str], layer: Optional[str], id_field: Optional[str],
    indicators: Optional[list[str]], worse: list[str], normalisation: str,
    goalposts: Optional[str], weights: str, aggregation: str, missing: str, classes: int,
    reference: Optional[str], poor: Optional[str], group_field: Optional[str],
    label_field: Optional[str], map_title: Optional[str], map_subtitle: Optional[str],
    map_source: Optional[str], map_width: int, dpi: int, snap_grid: bool, ignore_mask: bool,
    allow_raw_vrt: bool, output: str, command_line: list[str],
    progress: Optional[Callable[[int, int], Any]],
) -> dict[str, Any]: ...
def county_ntl(
    zones: str, folder: Optional[str], paths: Optional[list[str]], product: str,
    layer: Optional[str], id_field: Optional[str], threshold: Optional[float],
    population: Optional[str], gcj02: bool, threads: Optional[int], masked_frac: bool,
    snap_grid: bool, ignore_mask: bool, progress: Optional[Callable[[int, int], Any]],
) -> dict[str, Any]: ...
