"""Type stubs of terralux (see the module's docstring)."""

import os
from typing import Any, Callable, NamedTuple, Optional, Sequence, Union, overload, Literal

import pandas as pd

from .errors import (
    InputNotFoundError as InputNotFoundError,
    InvalidInputError as InvalidInputError,
    OutputConflictError as OutputConflictError,
    ReadError as ReadError,
    TerraluxError as TerraluxError,
    TerraluxWarning as TerraluxWarning,
)

__version__: str
DEFAULT_STATS: tuple[str, ...]

_Path = Union[str, os.PathLike[str]]
_Progress = Union[bool, Callable[[int, int], Any]]

@overload
def zonal_stats(
    raster: _Path, zones: Any, stats: Union[str, Sequence[str], None] = ..., *,
    band: Union[int, Sequence[int]] = ..., layer: Optional[str] = ...,
    id_field: Optional[str] = ..., coverage: str = ..., weights: Optional[_Path] = ...,
    area_weighted: bool = ..., zones_crs: Optional[str] = ..., raster_crs: Optional[str] = ...,
    gcj02: bool = ..., threads: Optional[int] = ..., progress: _Progress = ...,
    output: Literal["pandas"] = ..., keep_bad_geometry: bool = ..., snap_grid: bool = ...,
    ignore_mask: bool = ..., allow_raw_vrt: bool = ..., min_coverage_frac: Optional[float] = ...,
    default_value: Optional[float] = ..., default_weight: Optional[float] = ...,
    mode_ties: str = ..., coverage_index: Optional[CoverageIndex] = ...,
    chunk_cells: Optional[int] = ...,
) -> pd.DataFrame: ...
@overload
def zonal_stats(
    raster: _Path, zones: Any, stats: Union[str, Sequence[str], None] = ..., *,
    band: Union[int, Sequence[int]] = ..., layer: Optional[str] = ...,
    id_field: Optional[str] = ..., coverage: str = ..., weights: Optional[_Path] = ...,
    area_weighted: bool = ..., zones_crs: Optional[str] = ..., raster_crs: Optional[str] = ...,
    gcj02: bool = ..., threads: Optional[int] = ..., progress: _Progress = ...,
    output: Literal["geopandas", "arrow"], keep_bad_geometry: bool = ..., snap_grid: bool = ...,
    ignore_mask: bool = ..., allow_raw_vrt: bool = ..., min_coverage_frac: Optional[float] = ...,
    default_value: Optional[float] = ..., default_weight: Optional[float] = ...,
    mode_ties: str = ..., coverage_index: Optional[CoverageIndex] = ...,
    chunk_cells: Optional[int] = ...,
) -> Any: ...

class CoverageIndex:
    def __init__(
        self, zones: Any, raster: _Path, *, layer: Optional[str] = ...,
        id_field: Optional[str] = ..., coverage: str = ..., zones_crs: Optional[str] = ...,
        raster_crs: Optional[str] = ..., gcj02: bool = ..., keep_bad_geometry: bool = ...,
        snap_grid: bool = ..., allow_raw_vrt: bool = ...,
    ) -> None: ...
    def __len__(self) -> int: ...
    @property
    def coverage(self) -> str: ...
    @property
    def fingerprint(self) -> str: ...
    @property
    def shape(self) -> tuple[int, int]: ...
    def zonal_stats(
        self, raster: _Path, stats: Union[str, Sequence[str], None] = ..., *,
        band: Union[int, Sequence[int]] = ..., weights: Optional[_Path] = ...,
        area_weighted: bool = ..., threads: Optional[int] = ..., progress: _Progress = ...,
        output: str = ..., ignore_mask: bool = ..., min_coverage_frac: Optional[float] = ...,
        default_value: Optional[float] = ..., default_weight: Optional[float] = ...,
        mode_ties: str = ...,
    ) -> Any: ...

class CountyNtl(NamedTuple):
    table: pd.DataFrame
    trends: pd.DataFrame
    dates: list[str]

def county_ntl(
    zones: _Path, *, folder: Optional[_Path] = ..., rasters: Optional[Sequence[_Path]] = ...,
    product: str = ..., layer: Optional[str] = ..., id_field: Optional[str] = ...,
    threshold: Optional[float] = ..., population: Optional[_Path] = ..., gcj02: bool = ...,
    threads: Optional[int] = ..., masked_frac: bool = ..., snap_grid: bool = ...,
    ignore_mask: bool = ..., progress: _Progress = ...,
) -> CountyNtl: ...

class PovertyIndex(NamedTuple):
    table: pd.DataFrame
    validation: dict[str, float]
    roll_ups: dict[str, pd.DataFrame]
    files: list[str]
    provenance: dict[str, Any]

def poverty_index(
    zones: _Path, *, output: _Path, table: Optional[_Path] = ..., raster: Optional[_Path] = ...,
    indicators: Union[str, Sequence[str], None] = ..., layer: Optional[str] = ...,
    id_field: Optional[str] = ..., table_id: Optional[str] = ..., date: Optional[str] = ...,
    delimiter: Optional[str] = ..., encoding: Optional[str] = ..., band: int = ...,
    roll_ups: Union[str, Sequence[str], None] = ..., worse: Union[str, Sequence[str], None] = ...,
    normalisation: Optional[str] = ...,
    goalposts: Union[str, dict[str, tuple[float, float]], None] = ...,
    weights: Union[str, dict[str, float]] = ..., aggregation: str = ..., missing: str = ...,
    classes: int = ..., reference: Optional[str] = ..., poor: Optional[_Path] = ...,
    group_field: Optional[str] = ..., label_field: Optional[str] = ...,
    map_title: Optional[str] = ..., map_subtitle: Optional[str] = ...,
    map_source: Optional[str] = ..., map_width: int = ..., dpi: int = ...,
    snap_grid: bool = ..., ignore_mask: bool = ..., allow_raw_vrt: bool = ...,
    progress: _Progress = ...,
) -> PovertyIndex: ...
