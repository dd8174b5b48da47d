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
    mode_ties: str = ...,
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
