//! The county night-light workflow: a [`Collection`] of dated files and a
//! zone set in, the standard indicators per zone and date out, with every
//! product's masks, calibration, mosaics and population handled as the
//! `county_ntl` binary does.

use std::path::PathBuf;

use super::blackmarble::MaskPolicy;
use super::dmsp::{Calibrated, Calibration, SatelliteMean};
use super::mask::{Keep, MaskLayer, Masked, MaskedShare, Negatives};
use super::population::Population;
use super::series::{Dated, Series, run_series};
use super::{
    Collection, CollectionFile, IndicatorSet, Normaliser, Product, blackmarble, gdal_path,
};
use crate::error::{Error, Result};
use crate::grid::Grid;
use crate::raster::{GdalRaster, Mosaic, Quantity, RasterOptions, RasterSource, Resampled};
use crate::results::{Column, LayerInfo, ZonalTable};
use crate::stats::Stat;
use crate::write::InputFile;
use crate::zones::{PrepareOptions, PreparedZones, ZoneSet};

/// A Black Marble tile of a date: its radiance layer and quality masks.
type BlackMarbleTile = (String, GdalRaster, Vec<(GdalRaster, Keep)>);

/// A file's values as the indicators read them.
enum FileSource<'a> {
    /// Masked by its quality layers or `cf_cvg` companion.
    Masked(Masked<'a>),
    /// DMSP, inter-calibrated.
    Calibrated(Calibrated<'a>),
}

/// How to run the indicators over a collection.
#[derive(Debug, Clone, PartialEq)]
pub struct CountyNtlOptions {
    /// The lit threshold; `None`: the product's ([`Collection::default_threshold`]).
    pub threshold: Option<f64>,
    /// A population raster (people per cell) for `per_capita` and
    /// `lit_pop_frac`, split by area onto the lights' grid when it differs.
    pub population: Option<PathBuf>,
    /// What negative radiance means (default: dark, 0).
    pub negatives: Negatives,
    /// DMSP inter-calibration (`None`: raw DN).
    pub calibration: Option<Calibration>,
    /// The Black Marble layer; `None`: the product's default
    /// ([`blackmarble::default_layer`]).
    pub bm_layer: Option<String>,
    /// Which Black Marble quality layers mask the radiance (default: fill only).
    pub bm_masks: MaskPolicy,
    /// What ALI and CNLI divide by; `None`: 63 for DMSP, else the largest
    /// value of any zone on any date of the run.
    pub light_max: Option<f64>,
    /// CRS override and GCJ-02 conversion of the zones.
    pub zones: PrepareOptions,
    /// Worker threads (`None`: all cores).
    pub threads: Option<usize>,
    /// How rasters are opened (raw VRTs, `--snap-grid`, masks).
    pub raster_options: RasterOptions,
    /// Add a last column `masked_frac`: the share of each zone's valid
    /// radiance cells (coverage-weighted) that the product's masks (VNL
    /// `cf_cvg`, Black Marble quality layers) removed on that date, from a
    /// second pass over the same files ([`MaskedShare`]). Not for DMSP,
    /// which has no masks.
    pub masked_frac: bool,
}

impl Default for CountyNtlOptions {
    fn default() -> Self {
        CountyNtlOptions {
            threshold: None,
            population: None,
            negatives: Negatives::Zero,
            calibration: Some(Calibration::Elvidge2014),
            bm_layer: None,
            bm_masks: MaskPolicy::Fill,
            light_max: None,
            zones: PrepareOptions::default(),
            threads: None,
            raster_options: RasterOptions::default(),
            masked_frac: false,
        }
    }
}

/// What a run tells while it goes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RunEvent<'a> {
    /// Something that changes the results and that the user must know
    /// (a missing mask, two files of one date); also in [`CountyNtlRun::notes`].
    Warning(&'a str),
    /// A fact about the inputs (DMSP saturation, a snapped grid); also in the notes.
    Note(&'a str),
    /// A step taken (reprojecting the zones); in the provenance's transformations.
    Step(&'a str),
    /// `done` of `total` dates measured.
    Progress {
        /// Dates done.
        done: usize,
        /// Dates in all.
        total: usize,
    },
}

/// The results of a run and what the provenance needs.
#[derive(Debug, Clone)]
pub struct CountyNtlRun {
    /// One table per date, in date order, with the [`IndicatorSet`]'s columns.
    pub series: Series,
    /// The indicators measured.
    pub indicators: IndicatorSet,
    /// The zones as given (after any CRS override and GCJ-02 conversion,
    /// before reprojection), for outputs with geometry.
    pub zones: ZoneSet,
    /// The zones' CRS as their source declared it.
    pub zones_crs_as_read: Option<String>,
    /// What was done to the zones, in order.
    pub zone_transformations: Vec<String>,
    /// Every input file (rasters, masks, population, zones), for the provenance.
    pub inputs: Vec<InputFile>,
    /// The warnings and notes of the run, in order.
    pub notes: Vec<String>,
}

/// Run the standard indicators ([`IndicatorSet`]) of `collection` over
/// `zones`: each file masked (VNL `cf_cvg`, Black Marble quality flags) or
/// calibrated (DMSP), the files of one date mosaicked, one coverage of the
/// zones for every date. `on_event` hears warnings, notes, steps and
/// progress as they happen.
///
/// ```
/// # fn main() -> terralux::Result<()> {
/// use terralux::ntl::{Collection, CountyNtlOptions, ProductChoice, county_ntl};
/// use terralux::zones::{ZoneOptions, ZoneSet};
/// let data = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata");
/// let collection = Collection::from_paths(vec![format!("{data}/ntl.tif").into()], ProductChoice::Auto)?;
/// let zones = ZoneSet::read(format!("{data}/counties.gpkg"), &ZoneOptions { id_field: Some("code".into()), ..Default::default() })?;
/// let run = county_ntl(&collection, zones, &CountyNtlOptions::default(), &|_| {})?;
/// let table = &run.series.tables[0];
/// assert_eq!(table.columns[0].name, "tnl");
/// assert_eq!(table.columns.len(), 14);
/// # Ok(())
/// # }
/// ```
pub fn county_ntl(
    collection: &Collection,
    zones: ZoneSet,
    options: &CountyNtlOptions,
    on_event: &(dyn Fn(RunEvent<'_>) + Sync),
) -> Result<CountyNtlRun> {
    let mut notes = Notes::new(on_event);
    with_sources(
        collection,
        options,
        Selection::Every,
        &mut notes,
        |sources, notes| {
            let (prepared, indicators) =
                prepare(collection, zones, options, sources, notes, on_event)?;
            let series = run_series(
                &prepared.zones,
                &sources.dated(),
                &indicators.stats(),
                options.threads,
                &|done, total| on_event(RunEvent::Progress { done, total }),
            )?;
            let shares = match &sources.removed {
                Some(removed) => Some(
                    run_series(
                        &prepared.zones,
                        &sources.dated_removed(removed),
                        &[Stat::Mean],
                        options.threads,
                        &|_, _| {},
                    )?
                    .tables,
                ),
                None => None,
            };
            let finishing = Finishing::new(collection, options, indicators, prepared);
            Ok(finishing.finish(series, shares, std::mem::take(&mut notes.list), on_event))
        },
    )
}

/// A run's warnings and notes: each told to `on_event` as it comes, and
/// kept in order for [`CountyNtlRun::notes`].
pub(super) struct Notes<'e> {
    pub(super) list: Vec<String>,
    on_event: &'e (dyn Fn(RunEvent<'_>) + Sync),
}

impl<'e> Notes<'e> {
    pub(super) fn new(on_event: &'e (dyn Fn(RunEvent<'_>) + Sync)) -> Self {
        Notes {
            list: Vec::new(),
            on_event,
        }
    }

    fn add(&mut self, text: String, warning: bool) {
        (self.on_event)(if warning {
            RunEvent::Warning(&text)
        } else {
            RunEvent::Note(&text)
        });
        self.list.push(text);
    }
}

/// Which dates of a collection [`with_sources`] opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Selection<'d> {
    /// Every date, with every check that only informs (the driver).
    Every,
    /// The files of one date label only, and no check that only adds a
    /// note (a worker running a unit of that date).
    One(&'d str),
}

/// The rasters of a run as the indicators read them, one per date, borrowed
/// from the files a [`with_sources`] call opened.
pub(super) struct Sources<'s> {
    /// The date labels, sorted (the collection's, or the selected one).
    pub(super) labels: Vec<String>,
    /// Each date's values: its file masked or calibrated, or its files as a
    /// mosaic (DMSP satellites of one year averaged).
    pub(super) by_date: Vec<&'s (dyn RasterSource + Sync)>,
    /// Each date's cells removed by masks (with `masked_frac`).
    pub(super) removed: Option<Vec<&'s (dyn RasterSource + Sync)>>,
    /// The population on the lights' grid, if given.
    pub(super) population: Option<&'s (dyn RasterSource + Sync)>,
    /// The DMSP files and their rasters (for the saturation notes).
    dmsp: Vec<(&'s CollectionFile, &'s GdalRaster)>,
    /// The lights' grid.
    pub(super) grid: Grid,
}

impl<'s> Sources<'s> {
    /// Each date's values, weighted by the population if given.
    pub(super) fn dated(&self) -> Vec<Dated<'s>> {
        self.labels
            .iter()
            .zip(&self.by_date)
            .map(|(date, source)| Dated {
                date: date.clone(),
                raster: *source,
                band: 1,
                weights: self.population.map(|p| (p, 1)),
            })
            .collect()
    }

    /// Each date's cells removed by masks, unweighted.
    pub(super) fn dated_removed(
        &self,
        removed: &[&'s (dyn RasterSource + Sync)],
    ) -> Vec<Dated<'s>> {
        self.labels
            .iter()
            .zip(removed)
            .map(|(date, source)| Dated {
                date: date.clone(),
                raster: *source,
                band: 1,
                weights: None,
            })
            .collect()
    }

    /// Every raster the dates read, each once (values, removed cells and
    /// population), as a worker finds them by name.
    pub(super) fn all(&self) -> Vec<&'s (dyn RasterSource + Sync)> {
        let mut all = self.by_date.clone();
        all.extend(self.removed.iter().flatten().copied());
        all.extend(self.population);
        all
    }
}

/// Open the files of `selection` as the indicators read them (each file
/// masked by its quality layers or `cf_cvg` companion, or calibrated; the
/// files of one date as a mosaic; the population on the lights' grid) and
/// call `f` with them. Warnings and notes about the inputs go to `notes`.
pub(super) fn with_sources<R>(
    collection: &Collection,
    options: &CountyNtlOptions,
    selection: Selection<'_>,
    notes: &mut Notes<'_>,
    f: impl FnOnce(&Sources<'_>, &mut Notes<'_>) -> Result<R>,
) -> Result<R> {
    let files: Vec<&CollectionFile> = collection
        .files
        .iter()
        .filter(|f| match selection {
            Selection::Every => true,
            Selection::One(date) => f.date == date,
        })
        .collect();
    let is_bm = collection.is_black_marble();
    let is_dmsp = collection.is_dmsp();
    if options.masked_frac && is_dmsp {
        return Err(Error::Request {
            context: "masked_frac".into(),
            reason: "DMSP composites have no quality masks to report on".into(),
        });
    }
    if files.is_empty() {
        return Err(Error::Request {
            context: "county_ntl".into(),
            reason: match selection {
                Selection::One(date) => format!("the collection has no file of date '{date}'"),
                Selection::Every => "the collection has no file".into(),
            },
        });
    }
    let opened = |path: &std::path::Path| GdalRaster::open_with(path, &options.raster_options);

    // Every raster and its mask or calibration.
    let rasters: Vec<GdalRaster> = if is_bm {
        Vec::new()
    } else {
        files
            .iter()
            .map(|f| opened(&f.gdal_path()))
            .collect::<Result<_>>()?
    };
    for raster in &rasters {
        if let Some(text) = raster.snap_note() {
            notes.add(text, false);
        }
    }
    let companions: Vec<Option<GdalRaster>> = if is_bm {
        Vec::new()
    } else {
        files
            .iter()
            .map(|f| {
                f.companion
                    .as_deref()
                    .map(|c| opened(&gdal_path(c)))
                    .transpose()
            })
            .collect::<Result<_>>()?
    };
    if selection == Selection::Every {
        for warning in collection.warnings() {
            notes.add(warning, true);
        }
    }
    // Black Marble: each tile's layer with its quality masks.
    let mut bm_layers: Vec<String> = Vec::new();
    let bm_tiles: Vec<BlackMarbleTile> = files
        .iter()
        .filter(|f| matches!(f.product, Some(Product::BlackMarble(_))))
        .map(|f| {
            let (radiance, layer) = match &options.bm_layer {
                Some(layer) => (blackmarble::open_layer(&f.path, layer)?, layer.as_str()),
                None => blackmarble::open_default_layer(&f.path)?,
            };
            if !bm_layers.iter().any(|l| l == layer) {
                bm_layers.push(layer.to_string());
            }
            let masks = blackmarble::masks(&f.path, layer, options.bm_masks)?;
            Ok((f.date.clone(), radiance, masks))
        })
        .collect::<Result<_>>()?;
    if !bm_layers.is_empty() {
        let policy = options.bm_masks;
        let gap_filled = bm_layers.iter().any(|l| l.starts_with("Gap_Filled_"));
        notes.add(
            format!(
                "Black Marble layer {}, masks '{}'{}",
                bm_layers.join(", "),
                policy.name(),
                match policy {
                    MaskPolicy::Fill => " (fill values only, as blackmarblepy and blackmarbler)",
                    MaskPolicy::Strict if gap_filled =>
                        " (no same-day quality flags on the gap-filled layer: fill values only there)",
                    MaskPolicy::Strict => " (quality, cloud and snow flags)",
                    MaskPolicy::None => " (no quality layer; the layer's own fill value only)",
                }
            ),
            false,
        );
    }
    let bm_masked: Vec<Masked<'_>> = bm_tiles
        .iter()
        .map(|(_, tile, masks)| {
            Masked::new(tile, 1, blackmarble::mask_layers(masks), options.negatives)
        })
        .collect::<Result<_>>()?;
    // Each file masked by its cf_cvg companion (VNL) or calibrated (DMSP).
    let mut file_sources: Vec<FileSource<'_>> = Vec::with_capacity(files.len());
    for ((file, raster), companion) in files.iter().zip(&rasters).zip(&companions) {
        file_sources.push(match &file.product {
            Some(Product::Dmsp(sat_year)) => {
                let coefficients = match options.calibration {
                    None => None,
                    Some(table) => match table.coefficients(*sat_year) {
                        Some(c) => Some(c),
                        // Li & Zhou calibrate some satellite-years only; the others are their reference.
                        None if table == Calibration::LiZhou2017 => {
                            notes.add(
                                format!(
                                    "{}: the {} table lists no coefficients for {sat_year}; its DN are used as they are",
                                    file.path.display(),
                                    table.name()
                                ),
                                false,
                            );
                            None
                        }
                        None => {
                            return Err(Error::Mismatch {
                                context: file.path.display().to_string(),
                                reason: format!(
                                    "the {} table has no coefficients for {sat_year}",
                                    table.name()
                                ),
                            });
                        }
                    },
                };
                FileSource::Calibrated(Calibrated::new(raster, 1, coefficients)?)
            }
            _ => {
                let masks = companion
                    .iter()
                    .map(|m| MaskLayer {
                        raster: m,
                        band: 1,
                        keep: Keep::NonZero,
                    })
                    .collect();
                FileSource::Masked(Masked::new(raster, 1, masks, options.negatives)?)
            }
        });
    }
    // One source per file, in file order, and where its masks removed
    // cells (`masked_frac`; DMSP has none).
    let mut per_file: Vec<Box<dyn RasterSource + Sync + '_>> = Vec::new();
    let mut per_file_removed: Vec<Option<MaskedShare<'_>>> = Vec::new();
    let mut file_dates: Vec<String> = Vec::new();
    for (masked, (date, _, _)) in bm_masked.iter().zip(&bm_tiles) {
        per_file.push(Box::new(masked));
        per_file_removed.push(Some(masked.removed()));
        file_dates.push(date.clone());
    }
    for (file, source) in files.iter().zip(&file_sources) {
        match source {
            FileSource::Masked(masked) => {
                per_file.push(Box::new(masked));
                per_file_removed.push(Some(masked.removed()));
            }
            FileSource::Calibrated(calibrated) => {
                per_file.push(Box::new(calibrated));
                per_file_removed.push(None);
            }
        }
        file_dates.push(file.date.clone());
    }
    // One source per date: the tiles of one date (Black Marble, VNL monthly) as a mosaic.
    let labels: Vec<String> = match selection {
        Selection::Every => collection.dates(),
        Selection::One(date) => vec![date.to_string()],
    };
    let members = |date: &String| -> Vec<usize> {
        (0..file_dates.len())
            .filter(|&i| &file_dates[i] == date)
            .collect()
    };
    // DMSP years of two satellites are averaged after calibration instead.
    let combined: Vec<Option<Box<dyn RasterSource + Sync + '_>>> = labels
        .iter()
        .map(|date| {
            let tiles = members(date);
            if tiles.len() == 1 {
                return Ok(None);
            }
            let refs: Vec<&(dyn RasterSource + Sync)> = tiles
                .iter()
                .map(|&i| per_file[i].as_ref() as &(dyn RasterSource + Sync))
                .collect();
            let source: Box<dyn RasterSource + Sync> = if is_dmsp {
                let names: Vec<String> = refs.iter().map(|r| r.name().to_string()).collect();
                notes.add(
                    format!(
                        "{date}: {} averaged cell by cell after calibration",
                        names.join(" and ")
                    ),
                    false,
                );
                Box::new(SatelliteMean::new(refs)?)
            } else {
                Box::new(Mosaic::new(refs, 1)?)
            };
            Ok(Some(source))
        })
        .collect::<Result<_>>()?;
    let by_date: Vec<&(dyn RasterSource + Sync)> = labels
        .iter()
        .zip(&combined)
        .map(|(date, combined)| match combined {
            Some(c) => c.as_ref(),
            None => per_file[members(date)[0]].as_ref(),
        })
        .collect();
    let grid = by_date[0].grid().clone();

    // Population on the lights' grid; negative and infinite cells are not people.
    let population_raster = options.population.as_deref().map(opened).transpose()?;
    let population_checked = population_raster
        .as_ref()
        .map(|p| Population::new(p, 1))
        .transpose()?;
    if let Some(p) = &population_checked
        && selection == Selection::Every
    {
        let invalid = p.invalid_cells()?;
        if invalid.total() > 0 {
            notes.add(
                format!(
                    "{}: {} negative and {} infinite cell(s) are not people counts; left out of per_capita and lit_pop_frac as invalid",
                    p.name(),
                    invalid.negative,
                    invalid.infinite
                ),
                true,
            );
        }
    }
    let population: Option<Box<dyn RasterSource + Sync + '_>> = match &population_checked {
        Some(p) if p.grid().same_as(&grid) => Some(Box::new(p)),
        Some(p) => Some(Box::new(Resampled::new(
            p,
            grid.clone(),
            Quantity::Extensive,
        )?)),
        None => None,
    };

    // Where each date's masks removed cells (`masked_frac`).
    let removed: Vec<&MaskedShare<'_>> = per_file_removed.iter().flatten().collect();
    let removed_by_date: Option<Vec<Box<dyn RasterSource + Sync + '_>>> = if options.masked_frac {
        Some(
            labels
                .iter()
                .map(|date| -> Result<Box<dyn RasterSource + Sync + '_>> {
                    let tiles: Vec<&MaskedShare<'_>> = members(date)
                        .into_iter()
                        .filter_map(|i| removed.get(i).copied())
                        .collect();
                    Ok(match tiles[..] {
                        [one] => Box::new(one),
                        _ => Box::new(Mosaic::new(
                            tiles
                                .into_iter()
                                .map(|t| t as &(dyn RasterSource + Sync))
                                .collect(),
                            1,
                        )?),
                    })
                })
                .collect::<Result<_>>()?,
        )
    } else {
        None
    };

    let sources = Sources {
        labels,
        by_date,
        removed: removed_by_date
            .as_ref()
            .map(|r| r.iter().map(|s| s.as_ref()).collect()),
        population: population
            .as_deref()
            .map(|p| p as &(dyn RasterSource + Sync)),
        dmsp: files
            .iter()
            .zip(&rasters)
            .filter(|(f, _)| matches!(f.product, Some(Product::Dmsp(_))))
            .map(|(f, r)| (*f, r))
            .collect(),
        grid,
    };
    f(&sources, notes)
}

/// The zones in the rasters' CRS (outputs keep them as given), DMSP's
/// saturation noted, and the indicators of the run.
pub(super) fn prepare(
    collection: &Collection,
    zones: ZoneSet,
    options: &CountyNtlOptions,
    sources: &Sources<'_>,
    notes: &mut Notes<'_>,
    on_event: &(dyn Fn(RunEvent<'_>) + Sync),
) -> Result<(PreparedZones, IndicatorSet)> {
    let raster_crs = sources
        .grid
        .crs()
        .cloned()
        .ok_or_else(|| Error::MissingCrs {
            source_name: collection.files[0].path.display().to_string(),
        })?;
    let prepare = PrepareOptions {
        keep_as_given: true,
        ..options.zones.clone()
    };
    let prepared = zones.prepare_for(&raster_crs, &prepare)?;
    for step in &prepared.steps {
        if let Some(message) = step.message() {
            on_event(RunEvent::Step(&message));
        }
    }
    // DMSP saturates at DN 63 in city cores: say how much.
    for (file, raster) in &sources.dmsp {
        let (saturated, valid) = super::dmsp::saturation(raster, 1)?;
        let share = if valid > 0 {
            100.0 * saturated as f64 / valid as f64
        } else {
            0.0
        };
        notes.add(
            format!(
                "{}: {saturated} of {valid} valid cells saturated at DN 63 ({share:.2}%)",
                file.path.display()
            ),
            false,
        );
    }
    let normaliser = match (options.light_max, collection.is_dmsp()) {
        (Some(max), _) => Normaliser::Fixed(max),
        (None, true) => Normaliser::Fixed(63.0),
        (None, false) => Normaliser::RunMaximum,
    };
    let indicators = IndicatorSet {
        threshold: options
            .threshold
            .unwrap_or_else(|| collection.default_threshold()),
        normaliser,
        population: sources.population.is_some(),
    };
    Ok((prepared, indicators))
}

/// What a run's tables are completed with once measured: the indicators,
/// the zones as given, the inputs.
#[derive(Debug, Clone)]
pub(super) struct Finishing {
    indicators: IndicatorSet,
    light_max_given: bool,
    zones: ZoneSet,
    zones_crs_as_read: Option<String>,
    zone_transformations: Vec<String>,
    inputs: Vec<InputFile>,
}

impl Finishing {
    pub(super) fn new(
        collection: &Collection,
        options: &CountyNtlOptions,
        indicators: IndicatorSet,
        prepared: PreparedZones,
    ) -> Finishing {
        let files = &collection.files;
        let mut inputs: Vec<InputFile> = files
            .iter()
            .map(|f| {
                InputFile::describe(&format!("raster {}", f.date), &f.path.display().to_string())
            })
            .collect();
        for file in files {
            if let Some(c) = &file.companion {
                inputs.push(InputFile::describe(
                    &format!("cf_cvg mask {}", file.date),
                    &c.display().to_string(),
                ));
            }
        }
        if let Some(p) = &options.population {
            inputs.push(InputFile::describe("population", &p.display().to_string()));
        }
        inputs.push(InputFile::describe(
            "zones",
            prepared.for_output().source_name(),
        ));
        let zone_transformations = prepared.transformations();
        let zones_crs_as_read = prepared.crs_as_read.clone();
        let zones = match prepared.as_given {
            Some(given) => given,
            None => prepared.zones,
        };
        Finishing {
            indicators,
            light_max_given: options.light_max.is_some(),
            zones,
            zones_crs_as_read,
            zone_transformations,
            inputs,
        }
    }

    /// The run from its measured tables: the indicators completed (ALI and
    /// CNLI divided), `shares` (each date's mean of removed cells) appended
    /// as `masked_frac`, the last notes added to `notes`.
    pub(super) fn finish(
        self,
        mut series: Series,
        shares: Option<Vec<ZonalTable>>,
        notes: Vec<String>,
        on_event: &(dyn Fn(RunEvent<'_>) + Sync),
    ) -> CountyNtlRun {
        let mut notes = Notes {
            list: notes,
            on_event,
        };
        let indicators = self.indicators;
        let used = indicators.complete(&mut series.tables);
        if let Some(shares) = shares {
            for (table, share) in series.tables.iter_mut().zip(shares) {
                append_masked_frac(table, share);
            }
            notes.add(
                "masked_frac: the share of each zone's valid radiance cells (coverage-weighted) that the product's masks removed".into(),
                false,
            );
        }
        notes.add(
            match (indicators.normaliser, used) {
                (Normaliser::Fixed(n), _) if self.light_max_given => {
                    format!("ali and cnli divided by {n} (given)")
                }
                (Normaliser::Fixed(n), _) => {
                    format!("ali and cnli divided by {n} (DMSP's largest DN)")
                }
                (Normaliser::RunMaximum, Some(n)) => format!(
                    "ali and cnli divided by {n}, the largest value of any zone on any date of the run (give --light-max to fix it across runs)"
                ),
                (Normaliser::RunMaximum, None) => {
                    "ali and cnli missing: the run has no valid value".into()
                }
            },
            false,
        );
        CountyNtlRun {
            series,
            indicators,
            zones: self.zones,
            zones_crs_as_read: self.zones_crs_as_read,
            zone_transformations: self.zone_transformations,
            inputs: self.inputs,
            notes: notes.list,
        }
    }
}

/// Append `share`'s one column (the mean of a [`MaskedShare`] raster) to
/// `table` as `masked_frac`, a layer of its own.
fn append_masked_frac(table: &mut ZonalTable, share: ZonalTable) {
    let layer = table.layers.len();
    table
        .layers
        .extend(share.layers.into_iter().map(|l| LayerInfo {
            raster: layer + 1,
            ..l
        }));
    table.columns.push(Column {
        layer,
        stat: Stat::Mean,
        name: "masked_frac".into(),
    });
    for (zone, shares) in table.zones.iter_mut().zip(share.zones) {
        zone.values.extend(shares.values.into_iter().take(1));
    }
}
