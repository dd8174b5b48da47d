"""The native module (PyO3); use the functions of `terralux` instead."""

from typing import Any, Callable, Optional

__version__: str

def zonal_stats(
    raster: str, zones_path: Optional[str], zones_ids: Optional[list[Any]],
    zones_wkb: Optional[list[Optional[bytes]]], zones_given_crs: Optional[str],
    stats: Optional[str], bands: list[int], layer: Optional[str], id_field: Optional[str],
    coverage: str, weights: Optional[str], area_weighted: bool, zones_crs: Optional[str],
    raster_crs: Optional[str], gcj02: bool, keep_bad_geometry: bool, snap_grid: bool,
    ignore_mask: bool, allow_raw_vrt: bool, threads: Optional[int],
    min_coverage_frac: Optional[float], default_value: Optional[float],
    default_weight: Optional[float], mode_ties_rule: str, with_geometry: bool,
    progress: Optional[Callable[[int, int], Any]],
) -> dict[str, Any]: ...
def county_ntl(
    zones: str, folder: Optional[str], paths: Optional[list[str]], product: str,
    layer: Optional[str], id_field: Optional[str], threshold: Optional[float],
    population: Optional[str], gcj02: bool, threads: Optional[int], masked_frac: bool,
    snap_grid: bool, ignore_mask: bool, progress: Optional[Callable[[int, int], Any]],
) -> dict[str, Any]: ...
