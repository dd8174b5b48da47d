//! # terralux
//!
//! Night-time light and remote-sensing rasters, county boundaries, and
//! exact zonal statistics over them.
//!
//! terralux reads satellite rasters with GDAL, administrative boundaries
//! through OGR, reprojects them with PROJ, and (in later releases) computes
//! exact zonal statistics over thousands of polygons in parallel and in
//! bounded memory: coverage computed once per zone, rasters read once in
//! file order, every statistic (quantiles included) mergeable and
//! bit-identical whatever the number of threads.
//!
//! ## Quick start
//!
//! ```no_run
//! # #[cfg(not(feature = "gdal"))] fn main() {}
//! # #[cfg(feature = "gdal")]
//! # fn main() -> terralux::Result<()> {
//! use terralux::{GdalRaster, RasterSource};
//! use terralux::zones::{ZoneOptions, ZoneSet};
//!
//! let raster = GdalRaster::open("testdata/ntl.tif")?;
//! let zones = ZoneSet::read("testdata/counties.gpkg",
//!     &ZoneOptions { id_field: Some("code".into()), ..ZoneOptions::default() })?;
//! let grid_crs = raster.grid().crs().expect("GdalRaster::open requires a CRS");
//! let zones = zones.reprojected(grid_crs)?; // a no-op when already in the raster's CRS
//! let table = terralux::ZonalStats::new(&zones)
//!     .band(&raster, 1)
//!     .stats(&terralux::stats::Stat::parse_list("count,sum,mean,median,p90")?)
//!     .run()?;
//! for zone in &table.zones {
//!     println!("{}: {:?}", zone.id, zone.values);
//! }
//! # Ok(())
//! # }
//! ```
//!
//! ## Statistics
//! For a zone, let `c_i` be cell `i`'s coverage fraction ([`coverage`]),
//! `w_i` its weight (`c_i` by default; see [`stats::Weighting`]), `v_i` its value
//! (scale and offset applied), and sum over the *valid* cells only (not
//! nodata, not NaN):
//!
//! | statistic | definition | no valid cell |
//! |---|---|---|
//! | `count` | `W = Σ w_i` | 0 |
//! | `sum` | `Σ w_i v_i` | 0 |
//! | `mean` | `Σ w_i v_i / W` | missing |
//! | `min`, `max` | smallest / largest `v_i` with `w_i > 0` | missing |
//! | `variance` | `Σ w_i (v_i - mean)² / W` (population) | missing |
//! | `stdev` | `sqrt(variance)` | missing |
//! | `cv` | `stdev / mean`, divided as numpy and exactextract do (NaN for a zone of zeros, inf when only the mean is 0, NaN when the mean is not finite) | missing |
//! | `median`, `pNN` | the smallest `v` whose cumulative weight `Σ_{v_i <= v} w_i` reaches `q W` (`q` = 0.5, NN/100): the inverse of the weighted CDF, never an interpolation (`{0, 0, 0, 10}` has median 0) | missing |
//! | `majority`, `minority` | the value with the largest / smallest total weight; ties as exactextract breaks them: `majority` to the larger value, `minority` to the smaller ([`stats::ModeTies`]) | missing |
//! | `variety` | the number of distinct values | 0 |
//! | `frac` | for each distinct value, its share `Σ_{v_i = v} w_i / W` | empty |
//! | `unique` | the distinct values (those `variety` counts), in increasing order, each paired with its total weight `Σ_{v_i = v} w_i` | empty |
//! | `weighted_sum` | `Σ w_i u_i v_i`, with `u_i` from a weights raster on the same grid (cells where `u_i` is invalid are left out) | 0 |
//! | `weighted_mean` | `Σ w_i u_i v_i / Σ w_i u_i` | missing |
//! | `weighted_variance` | `Σ w_i u_i (v_i - m)² / Σ w_i u_i` (population), `m` = `weighted_mean`, over the cells with `w_i u_i > 0` | missing |
//! | `weighted_stdev` | `sqrt(weighted_variance)` | missing |
//! | `weighted_frac` | for each distinct value of a cell with `w_i > 0` and a valid `u_i`, its share `Σ_{v_i = v} w_i u_i / Σ w_i u_i` (a share may be 0) | empty |
//! | `valid_frac` | the share of the zone's area on valid cells: `(Σ_valid c_i / Σ_all c_i) × (1 - outside_frac)` | 0 (missing for a zone of zero area) |
//! | `outside_frac` | the share of the zone's area outside the raster | (missing for a zone of zero area) |
//!
//! Night-light indicators (DOMAIN.md §2; `A_i` is cell `i`'s area in km^2,
//! `T` the lit threshold, `u_i` a weights raster such as population):
//!
//! | indicator | definition | no valid cell |
//! |---|---|---|
//! | `tnl` | `Σ c_i v_i` (always coverage-weighted) | 0 |
//! | `tnl_area` | `Σ c_i A_i v_i` | 0 |
//! | `mean_area` | `Σ c_i A_i v_i / Σ c_i A_i` | missing |
//! | `area_km2` | the zone's area: on the WGS84 ellipsoid, edges straight in lon/lat (geographic CRSs), or planar | (without CRS: missing) |
//! | `density` | `tnl_area / area_km2` | 0 |
//! | `lit_area_km2` | `Σ c_i A_i [v_i > T]` | 0 |
//! | `lit_frac` | `lit_area_km2 / area_km2` | 0 |
//! | `ali` | (`Σ_lit c_i v_i / Σ_lit c_i`) / `dn_max`, one normaliser for the run: 63 for DMSP, one given, or the largest valid value of any zone of the run (never each zone's own maximum); 0 when nothing is lit | missing |
//! | `cnli` | `ali` x `lit_frac`, with the same normaliser; 0 when nothing is lit | missing |
//! | `gini` | `Σ_i Σ_j w_i w_j abs(v_i - v_j) / (2 W^2 mean)`; missing if a value is negative | missing |
//! | `theil` | `Σ (w_i/W)(v_i/mean) ln(v_i/mean)`, `0 ln 0 = 0`; missing if a value is negative | missing |
//! | `per_capita` | `Σ c_i v_i / Σ c_i u_i` over cells where both are valid | missing |
//! | `lit_pop_frac` | `Σ c_i u_i [v_i > T] / Σ c_i u_i` over cells where both are valid | missing |
//!
//! By name (`Stat::parse`) the lit threshold is 0.5 (VIIRS, nW/cm2/sr); in
//! code any threshold can be given (`Stat::LitFrac(7.0)` for harmonised DMSP).
//!
//! Infinite cell values are values, and results follow numpy: a sum or
//! mean with `+inf` is `inf`, with both `+inf` and `-inf` NaN, and a sum
//! beyond `f64::MAX` overflows to `inf` (the mean with it) as numpy's does;
//! min and max are `±inf`; the variance, stdev and cv with an infinite value
//! are NaN; quantiles, categories and the night-light indicators take the
//! infinities as values (the median of `{1, inf, inf}` is `inf`; Gini and
//! Theil are NaN). NaN cells stay invalid. A non-finite result is a number
//! (`inf`, `-inf`, `nan`), never missing: missing means no valid cell (or
//! an empty denominator, as in the tables). The variance and stdev are
//! exact to a few roundings for all finite values up to `±f64::MAX`: the
//! variance is `inf` only when it exceeds `f64::MAX`, and the stdev stays
//! finite then (the stdev of `{1, 1, 1, 1e300}` is `(1e300 - 1) sqrt(3) / 4`).
//!
//! ### Exact 64-bit integers
//! The values of a 64-bit integer band (GDAL Int64 or UInt64, with scale 1
//! and offset 0: [`raster::CellEncoding::exact_integers`]) are kept exactly,
//! beyond the 2^53 where an `f64` starts rounding them: `min`, `max`,
//! `median` and `pNN` (inverted-CDF selections, so always one of the
//! values), `majority` and `minority` are [`stats::StatValue::Integer`];
//! `variety` counts the exact distinct values; `frac`, `weighted_frac`
//! and `unique` are [`stats::StatValue::IntegerFractions`], keyed by the
//! exact values. The moments (`count`, `sum`, `mean`, `variance`,
//! `stdev`, `cv`, the `weighted_*` moments), `gini`, `theil` and the
//! night-light indicators are `f64`, computed from each value's nearest
//! `f64`. Writers keep every digit: CSV (the zonal table, `--frac-columns`
//! names `frac_<value>`, the cells table's `value`), GeoJSON and
//! GeoPackage (Integer64 fields; a column holding a UInt64 value beyond
//! `i64::MAX` is text of the digits, OGR having no unsigned 64-bit field).
//! Below 2^53 the text is the same as that of any other integer band.
//! Validity is unchanged (the nodata value is compared as the band's own
//! integer). A scaled band's values are not integers, and take the `f64`
//! path; so do a band's values when [`ZonalStats::default_value`] is not
//! an integer. Such bands keep 16 bytes a cell for quantiles (`f64` bands
//! 4 or 8). Sources that derive values ([`raster::Mosaic`],
//! [`raster::Resampled`], the `ntl` masks) are read as `f64`.
//!
//! `count` to `cv` equal exactextract's defaults (its
//! `coefficient_of_variation` is `cv` here); `unique`, `weighted_variance`,
//! `weighted_stdev` and `weighted_frac` follow exactextract's definitions,
//! with the differences listed below. `weighted_variance` and `weighted_stdev` merge like
//! the unweighted moments (Chan's formula on West's weighted moments, the
//! same scaled arithmetic for values near `f64::MAX`), with the weight
//! `w_i u_i` per cell. Quantile comparisons allow
//! a relative tolerance of 1e-12 on the cumulative weight, so that
//! rounding in a sum of fractions never skips a value the exact arithmetic
//! would pick.
//!
//! ### exactextract's operations and arguments
//! Where terralux differs from exactextract (0.3) on purpose:
//! - `unique` is a [`stats::StatValue::Fractions`] list of `(value, total
//!   weight)` pairs in increasing value order; exactextract returns the
//!   values alone, in hash-map order. The weights come free with the
//!   values, and a fixed order keeps outputs identical from run to run.
//! - `weighted_variance` and `weighted_stdev` leave out cells with
//!   `w_i u_i <= 0` (a variance with negative weights can be negative);
//!   exactextract folds negative weights in. With non-negative weights
//!   (populations, areas) the two agree.
//! - Cells where the weights raster is invalid are left out of the
//!   weighted statistics; exactextract gives them its `default_weight`,
//!   NaN unless set, which makes its weighted results NaN.
//! - Ties of `majority` go to the larger value and of `minority` to the
//!   smaller, as exactextract breaks them (the default,
//!   [`stats::ModeTies::Exactextract`]); [`ZonalStats::mode_ties`] with
//!   [`stats::ModeTies::Smallest`] gives the smaller value to both, as
//!   terralux did before.
//! - exactextract's arguments `min_coverage_frac`, `default_value` and
//!   `default_weight` belong to each operation there; in terralux they are
//!   options of the run ([`ZonalStats::min_coverage_frac`],
//!   [`ZonalStats::default_value`], [`ZonalStats::default_weight`]), seen
//!   alike by every statistic and recorded in the table's
//!   [`results::Provenance`], because one accumulator gathers every
//!   statistic of a band in one pass. Their meanings are exactextract's:
//!   a cell is kept when its coverage fraction is at least
//!   `min_coverage_frac` (0, the default, keeps every covered cell);
//!   invalid cells take `default_value` instead of being skipped;
//!   invalid weights take `default_weight`.
//!
//! ## Each binary in a few library calls
//! Every binary of `examples/` is a thin shell over a [`workflow`]: it
//! parses its flags into a request, calls the library, prints the events
//! that come back and maps errors to exit codes.
//!
//! ### zonal
//! `zonal --raster testdata/ntl.tif --zones testdata/counties.gpkg
//! --id-field code --stats count,sum,mean,median,p90 --roll-up province
//! --output out/counties.csv`, its roll-up and provenance files, and its
//! stderr, are [`workflow::zonal`]:
//!
//! ```
//! # #[cfg(not(feature = "gdal"))] fn main() {}
//! # #[cfg(feature = "gdal")]
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use terralux::stats::Stat;
//! use terralux::workflow::zonal::{self, ZonalOutput, ZonalRequest};
//! # let data = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata");
//! # let out = std::env::temp_dir().join(format!("terralux-lib-zonal-{}", std::process::id()));
//! # std::fs::create_dir_all(&out)?;
//! let mut request = ZonalRequest::new(format!("{data}/ntl.tif"), format!("{data}/counties.gpkg"));
//! request.id_field = Some("code".into());
//! request.stats = Stat::parse_list("count,sum,mean,median,p90")?;
//! request.roll_ups = vec!["province".into()];
//! let output = ZonalOutput::new(out.join("counties.csv"));
//! let request = request.for_output(&output)?;
//! let say = |event: &zonal::ZonalEvent| {
//!     if let Some(message) = event.message() {
//!         eprintln!("zonal: {message}");
//!     }
//! };
//! zonal::run_to_files(&request, &output, &say)?;
//! let csv = std::fs::read_to_string(out.join("counties.csv"))?;
//! assert!(csv.starts_with("code,count,sum,mean,median,p90\n"));
//! # std::fs::remove_dir_all(&out)?;
//! # Ok(())
//! # }
//! ```
//!
//! ### poverty_index
//! `poverty_index --raster testdata/ntl.tif --zones testdata/counties.gpkg
//! --id-field code --indicators mean,p90,valid_frac --output out/index.csv`
//! writes the index table below (and its maps, roll-ups and provenance:
//! [`workflow::poverty::run_poverty_index`] does the whole run, events for
//! stderr coming back through a callback); with `--table`, the indicators
//! come from [`index::rows_of_date`] and [`index::poverty::Indicators::from_table`]
//! instead, and [`index::poverty::Validation`] holds the `--reference` and
//! `--poor` figures:
//!
//! ```
//! # #[cfg(not(feature = "gdal"))] fn main() {}
//! # #[cfg(feature = "gdal")]
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use terralux::GdalRaster;
//! use terralux::index::poverty::{IndexSettings, Indicators, raster_stats};
//! use terralux::index::{composite_index, index_table_csv};
//! use terralux::zones::{ZoneOptions, ZoneSet};
//! # let data = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata");
//! let options = ZoneOptions { id_field: Some("code".into()), ..ZoneOptions::default() };
//! let zones = ZoneSet::read(format!("{data}/counties.gpkg"), &options)?;
//! let raster = GdalRaster::open(format!("{data}/ntl.tif"))?;
//! let names = ["mean", "p90", "valid_frac"].map(String::from);
//! let stats = raster_stats(&names)?;
//! let mut indicators = Indicators::from_raster(&raster, 1, &zones, &names, &stats, &[])?;
//! let spec = IndexSettings::default().spec(&names)?; // min-max, equal weights, quintiles
//! for note in indicators.screen(spec.missing) {
//!     eprintln!("poverty_index: warning: {note}");
//! }
//! let index = composite_index(&indicators.rows(), &spec)?;
//! let ids: Vec<String> = zones.iter().map(|z| z.id.to_string()).collect();
//! let csv = index_table_csv("code", &ids, &names, &index);
//! assert!(csv.starts_with(b"code,score,rank,class,composite,mean_norm,p90_norm,valid_frac_norm\n"));
//! # Ok(())
//! # }
//! ```
//!
//! ### county_ntl
//! `county_ntl --dir testdata/products/vnl --zones testdata/counties.gpkg
//! --id-field code --population testdata/products/population_30s.tif
//! --output out/county_ntl.csv --trends out/trends.csv` is
//! [`workflow::county_ntl`]: the folder's dates, products and `cf_cvg`
//! companions ([`ntl::Collection`]), the standard indicators of every date
//! ([`ntl::county_ntl`]), the long table, the trends and their provenance:
//!
//! ```
//! # #[cfg(not(feature = "gdal"))] fn main() {}
//! # #[cfg(feature = "gdal")]
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use terralux::ntl::{ProductChoice, RunEvent};
//! use terralux::workflow::county_ntl::{self, CountyNtlOutput, CountyNtlRequest};
//! # let data = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata");
//! # let out = std::env::temp_dir().join(format!("terralux-lib-county-{}", std::process::id()));
//! # std::fs::create_dir_all(&out)?;
//! let vnl = format!("{data}/products/vnl");
//! let counties = format!("{data}/counties.gpkg");
//! let mut request = CountyNtlRequest::from_folder(vnl, ProductChoice::Auto, counties)?;
//! request.zone_options.id_field = Some("code".into());
//! request.options.population = Some(format!("{data}/products/population_30s.tif").into());
//! let mut output = CountyNtlOutput::new(out.join("county_ntl.csv"));
//! output.trends = Some(out.join("trends.csv"));
//! let say = |event: RunEvent<'_>| match event {
//!     RunEvent::Warning(text) => eprintln!("county_ntl: warning: {text}"),
//!     RunEvent::Note(text) | RunEvent::Step(text) => eprintln!("county_ntl: {text}"),
//!     RunEvent::Progress { .. } => {}
//! };
//! county_ntl::run_to_files(&request, &output, &say)?;
//! let csv = std::fs::read_to_string(out.join("county_ntl.csv"))?;
//! assert!(csv.starts_with("code,date,tnl,tnl_area,mean,density,"));
//! # std::fs::remove_dir_all(&out)?;
//! # Ok(())
//! # }
//! ```
//!
//! ### summary
//! `summary --raster testdata/ntl.tif --zones testdata/counties.gpkg` prints
//! [`summary::RasterSummary`] and [`summary::ZonesSummary`]:
//!
//! ```
//! # #[cfg(not(feature = "gdal"))] fn main() {}
//! # #[cfg(feature = "gdal")]
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use terralux::summary::{RasterSummary, ZonesSummary};
//! use terralux::zones::{ZoneOptions, ZoneSet};
//! use terralux::{GdalRaster, RasterSource};
//! # let data = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata");
//! let raster = GdalRaster::open(format!("{data}/ntl.tif"))?;
//! let zones = ZoneSet::read(format!("{data}/counties.gpkg"), &ZoneOptions::default())?;
//! let raster_text = RasterSummary::of(&raster)?.to_string();
//! let zones_text = ZonesSummary::of(&zones, raster.grid())?.to_string();
//! print!("{raster_text}\n{zones_text}");
//! # Ok(())
//! # }
//! ```
//!
//! ## The pipeline
//!
//! ```text
//! raster source ─┐
//!                ├─> grid alignment ─> coverage ─> accumulators ─> typed results ─> writers
//! zone source ───┘
//! ```
//!
//! | module | stage |
//! |---|---|
//! | [`grid`] | [`Grid`] (geotransform, size, CRS), [`Window`], snapping, cell areas |
//! | [`raster`] | [`RasterSource`]: the in-memory [`Raster`] and the GDAL source [`GdalRaster`] |
//! | [`zones`] | [`zones::ZoneSet`] from OGR, reprojection with PROJ, GCJ-02 |
//! | [`coverage`] | exact / centre / all-touched cell coverage as sparse row runs; the [`coverage::CoverageIndex`] |
//! | [`stats`] | [`stats::Stat`], [`stats::Weighting`], the mergeable [`stats::Accumulator`] |
//! | [`engine`] | [`ZonalStats`]: chunked, parallel, deterministic scheduling; [`engine::partials`]: a run as work units whose partials merge, from bytes, into the same bits |
//! | [`rollup`] | [`rollup::Grouping`]: zones grouped by an admin field, for roll-ups merged from the same pass |
//! | [`results`] | [`results::ZonalTable`]: typed values per zone, in input order, with provenance |
//! | [`write`](mod@write) | CSV, GeoJSON, GeoPackage and provenance files, written atomically |
//! | [`ntl`] | night-light products (VNL, Black Marble, DMSP names and grids), quality masks, DMSP calibration, time series and trends |
//! | [`index`] | composite indices from per-zone indicators (normalise, weight, aggregate, rank, class) and validation figures (Pearson, Spearman, R², ROC AUC) |
//! | [`table`] | [`table::Table`]: per-zone tables read from CSV (to build indices from) |
//! | [`map`] | choropleth maps: SVG, the PNG rendered from it (resvg, system fonts with a bundled fallback, CJK), the self-contained HTML map |
//! | [`crs`] | [`Crs`]: definitions, geographic or projected, comparison |
//! | [`error`] | [`Error`], whose messages name the file, band, layer, field or feature at fault |
//!
//! ## Conventions
//! - Arrays are `(rows, cols)` in ndarray order; pixel offsets travel in a
//!   [`Window`]; world `x, y` and pixel `row, col` never share a signature.
//! - Coordinates are always x = longitude/easting, y = latitude/northing.
//! - Bands are numbered from 1, as in GDAL.
//! - A cell is valid when it is not the band's nodata value and not NaN
//!   (see [`raster`] for the full mask convention); reads as `f64` return
//!   invalid cells as NaN.
//! - Cell areas are on the WGS84 ellipsoid (km^2) for geographic grids and
//!   planar for projected ones ([`Grid::cell_area_km2`]).
//!
//! ## Feature flags
//! - `gdal` (default): [`GdalRaster`], reading zones through OGR,
//!   reprojection through PROJ, and CRS parsing. Needs the system GDAL
//!   (3.6+) and PROJ (9.1+) libraries. Without it, the kernels (grid,
//!   in-memory rasters, zones built in code, GCJ-02) build and test alone:
//!   `cargo test --no-default-features`.

#![deny(missing_docs)]

pub mod alloc;
pub mod cells;
mod codec;
pub mod coverage;
pub mod crs;
pub mod engine;
pub mod error;
#[cfg(feature = "gdal")]
mod gdal_util;
pub mod grid;
pub mod index;
pub mod map;
pub mod ntl;
#[deprecated(
    since = "0.1.0",
    note = "the library reports progress as events (ZonalEvent::Progress, RunEvent::Progress); \
            draw them with a crate such as indicatif, as the binaries do"
)]
pub mod progress;
pub mod raster;
pub mod results;
pub mod rollup;
pub mod serialize;
pub mod stats;
#[cfg(feature = "gdal")]
pub mod summary;
pub mod table;
pub mod workflow;
pub mod write;
pub mod zones;

pub use crs::{Crs, CrsKind};
pub use engine::ZonalStats;
pub use error::{Error, Result};
pub use grid::{GeoTransform, Grid, PixelCoord, Window};
#[cfg(feature = "gdal")]
pub use raster::GdalRaster;
pub use raster::{Raster, RasterSource};

/// The library version, as recorded in provenance.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
