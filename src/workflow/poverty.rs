//! The `poverty_index` workflow as one call: per-zone indicators from a
//! table (joined to the zones by id, one date) or from a raster (rolled up
//! to groups of zones from the same pass), screened, combined into a
//! composite index, validated against a reference column or a list of poor
//! zones, and written as one set of files: the index table, its maps, the
//! roll-ups and the run's provenance beside each table. The steps are
//! library functions of their own ([`crate::index::poverty`]).

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::index::poverty::{
    IndexSettings, Indicators, PoorListFigures, PovertyError, PovertyProvenance, ReferenceFigures,
    RollUpRecord, Validation, index_record_batch, raster_stats, rows_of,
};
use crate::index::{CompositeIndex, composite_index, index_table_csv};
use crate::map::{MapOptions, map_files};
use crate::raster::{GdalRaster, RasterOptions};
use crate::table::{Table, TableOptions};
use crate::write::{Format, InputFile, OutputFile, OutputSet};
use crate::zones::{ZoneOptions, ZoneSet};

/// Where the indicators of a run come from.
#[derive(Debug, Clone, PartialEq)]
pub enum IndicatorSource {
    /// A CSV table with one row per zone.
    Table {
        /// The table's path.
        path: String,
        /// Its id column (default: the zones' id field, else `fid`).
        id_column: Option<String>,
        /// Keep the rows of this date ([`rows_of_date`](crate::index::rows_of_date)).
        date: Option<String>,
        /// How to read it (delimiter, encoding).
        options: TableOptions,
        /// A column to validate the score against.
        reference: Option<String>,
    },
    /// Statistics of a raster band over the zones (the indicators name them).
    Raster {
        /// The raster's path.
        path: String,
        /// The band (from 1).
        band: usize,
        /// Zone fields to roll the index up to.
        roll_ups: Vec<String>,
        /// How to open the raster.
        options: RasterOptions,
    },
}

/// Everything a `poverty_index` run needs ([`run_poverty_index`]).
#[derive(Debug, Clone, PartialEq)]
pub struct PovertyIndexRequest {
    /// The program named in the provenance.
    pub program: String,
    /// The command line recorded in the provenance.
    pub command_line: Vec<String>,
    /// Where the indicators come from.
    pub source: IndicatorSource,
    /// The zones' path.
    pub zones: String,
    /// How to read them (layer, id field).
    pub zone_options: ZoneOptions,
    /// The indicators (default from a table: its numeric columns).
    pub indicators: Option<Vec<String>>,
    /// The index's choices.
    pub settings: IndexSettings,
    /// A list of zones designated poor (one id a line) to validate against.
    pub poor: Option<String>,
    /// The zones' field to zoom to in the HTML map (default `province` when present).
    pub group_field: Option<String>,
    /// The zones' field shown beside each id (default `name` when present).
    pub label_field: Option<String>,
    /// The index table (`.csv`, or `.parquet`); maps, roll-ups (CSV) and
    /// provenance go beside it.
    pub output: PathBuf,
}

/// What a run tells while it goes (for stderr, a log...).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PovertyEvent<'a> {
    /// Zones with invalid geometry measured as repaired (their ids).
    Repaired(&'a [String]),
    /// A screening note (also in the provenance's notes).
    Warning(&'a str),
    /// A validation figure that has a value.
    Figure(&'a str, f64),
}

/// What a run made.
#[derive(Debug, Clone, PartialEq)]
pub struct PovertyIndexRun {
    /// The indicators, screened.
    pub indicators: Indicators,
    /// The index of the zones.
    pub index: CompositeIndex,
    /// The index of each roll-up level.
    pub levels: Vec<CompositeIndex>,
    /// The provenance written beside every table.
    pub provenance: PovertyProvenance,
    /// Every file written.
    pub files: Vec<OutputFile>,
}

/// Run `poverty_index`: every input and output checked first (no output
/// may be an input), the zones read, the indicators gathered and screened,
/// the index built (and rolled up), validated, and written as one set of
/// files (the table, `<stem>.png`, `.svg`, `.html`, the roll-ups and a
/// provenance file beside each table): all of them, or none.
pub fn run_poverty_index(
    request: &PovertyIndexRequest,
    on_event: &mut dyn FnMut(PovertyEvent<'_>),
) -> Result<PovertyIndexRun, PovertyError> {
    run_poverty_index_with_maps(request, &MapOptions::default(), on_event)
}

/// [`run_poverty_index`] with the maps drawn as `maps` says (title,
/// subtitle, source line, width, dpi). The request's `group_field` and
/// `label_field`, when given, take precedence over those of `maps`, and
/// the index's classes are the request's; without a source line in
/// `maps`, the maps name the inputs, the data's date and the day of the
/// run ([`source_line`](crate::map::source_line)). Text the PNG could not
/// draw (no font for it) is told as a [`PovertyEvent::Warning`].
///
/// ```no_run
/// # fn run(request: &terralux::workflow::poverty::PovertyIndexRequest) -> Result<(), terralux::index::poverty::PovertyError> {
/// use terralux::map::MapOptions;
/// use terralux::workflow::poverty::run_poverty_index_with_maps;
/// let maps = MapOptions { title: Some("贫困指数 Poverty index".into()), width: 1600, dpi: 300, ..MapOptions::default() };
/// run_poverty_index_with_maps(request, &maps, &mut |event| eprintln!("{event:?}"))?;
/// # Ok(())
/// # }
/// ```
pub fn run_poverty_index_with_maps(
    request: &PovertyIndexRequest,
    map_options: &MapOptions,
    on_event: &mut dyn FnMut(PovertyEvent<'_>),
) -> Result<PovertyIndexRun, PovertyError> {
    run_poverty_index_with_progress(request, map_options, on_event, &|_, _| {})
}

/// [`run_poverty_index_with_maps`] calling `progress(done, total)` as it
/// goes: in chunks of the raster during a raster pass, and between the
/// steps (with the last figures, `(0, 0)` before any pass) up to the
/// commit of the files. A `progress` that panics stops the run there,
/// and no file is left (the staged files are removed as the run unwinds);
/// this is how the Python package stops a run on Ctrl-C.
pub fn run_poverty_index_with_progress(
    request: &PovertyIndexRequest,
    map_options: &MapOptions,
    on_event: &mut dyn FnMut(PovertyEvent<'_>),
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<PovertyIndexRun, PovertyError> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let last = (AtomicUsize::new(0), AtomicUsize::new(0));
    let report = |done: usize, total: usize| {
        last.0.store(done, Ordering::Relaxed);
        last.1.store(total, Ordering::Relaxed);
        progress(done, total);
    };
    let step = || {
        progress(
            last.0.load(Ordering::Relaxed),
            last.1.load(Ordering::Relaxed),
        )
    };
    let started = SystemTime::now();
    let roll_ups: &[String] = match &request.source {
        IndicatorSource::Raster { roll_ups, .. } => roll_ups,
        IndicatorSource::Table { .. } => &[],
    };
    let mut outputs = OutputSet::new();
    match &request.source {
        IndicatorSource::Table { path, .. } | IndicatorSource::Raster { path, .. } => {
            outputs.input(path)?
        }
    }
    outputs.input(&request.zones)?;
    if let Some(poor) = &request.poor {
        outputs.input(poor)?;
    }
    let mut table_paths = vec![request.output.clone()];
    table_paths.extend(
        roll_ups
            .iter()
            .map(|f| crate::write::roll_up_path(&request.output, f)),
    );
    for path in &table_paths {
        crate::write::declare_with_provenance(&mut outputs, path)?;
    }
    for path in crate::map::map_paths(&request.output) {
        outputs.output(path)?;
    }
    outputs.prepare()?;
    step();
    let zones = ZoneSet::read(&request.zones, &request.zone_options)?;
    step();
    let (mut gathered, mut inputs, date) = match &request.source {
        IndicatorSource::Table {
            path,
            id_column,
            date,
            options,
            reference,
        } => {
            let table = crate::index::rows_of_date(
                Table::read_with(Path::new(path), options)?,
                date.as_deref(),
            )?;
            let id_column = id_column
                .clone()
                .or_else(|| request.zone_options.id_field.clone())
                .unwrap_or_else(|| "fid".to_string());
            let gathered = Indicators::from_table(
                &table,
                &id_column,
                &zones,
                request.indicators.as_deref(),
                reference.as_deref(),
            )?;
            (
                gathered,
                vec![InputFile::describe("table", path)],
                date.clone(),
            )
        }
        IndicatorSource::Raster {
            path,
            band,
            roll_ups,
            options,
        } => {
            let names = request.indicators.clone().unwrap_or_default();
            let stats = raster_stats(&names)?;
            let raster = GdalRaster::open_with(path, options)?;
            let gathered = Indicators::from_raster_with_progress(
                &raster,
                *band,
                &zones,
                &names,
                &stats,
                roll_ups,
                Some(&report),
            )?;
            if !gathered.repaired.is_empty() {
                on_event(PovertyEvent::Repaired(&gathered.repaired));
            }
            (gathered, vec![InputFile::describe("raster", path)], None)
        }
    };
    step();
    inputs.push(InputFile::describe("zones", &request.zones));
    let spec = request.settings.spec(&gathered.names)?;
    let notes = gathered.screen(spec.missing);
    for note in &notes {
        on_event(PovertyEvent::Warning(note));
    }
    let index = composite_index(&gathered.rows(), &spec)?;
    let levels = gathered
        .levels
        .iter()
        .map(|level| composite_index(&rows_of(&level.columns), &spec))
        .collect::<Result<Vec<_>, _>>()?;

    let zone_ids: Vec<String> = zones.iter().map(|z| z.id.to_string()).collect();
    let mut validation = Validation::default();
    if let (
        IndicatorSource::Table {
            reference: Some(column),
            ..
        },
        Some(values),
    ) = (&request.source, &gathered.reference)
    {
        validation.reference = Some(ReferenceFigures::new(column, &index.scores, values));
    }
    if let Some(poor) = &request.poor {
        validation.poor = Some(PoorListFigures::read(poor, &zone_ids, &index.scores)?);
    }
    for (name, value) in validation.figures() {
        on_event(PovertyEvent::Figure(name, value));
    }

    step();
    // Everything is prepared before the first file is written.
    let id_column = zones.id_field().unwrap_or("fid");
    let mut tables = vec![index_table_csv(
        id_column,
        &zone_ids,
        &gathered.names,
        &index,
    )];
    let maps = map_files(
        &request.output,
        &zones,
        &index.scores,
        &gathered.names,
        &gathered.columns,
        &MapOptions {
            classes: spec.classes,
            group_field: request
                .group_field
                .clone()
                .or(map_options.group_field.clone()),
            label_field: request
                .label_field
                .clone()
                .or(map_options.label_field.clone()),
            subtitle: map_options.subtitle.clone().or_else(|| {
                Some(match &date {
                    Some(date) => format!("{} · {date}", gathered.names.join(", ")),
                    None => gathered.names.join(", "),
                })
            }),
            source: map_options.source.clone().or_else(|| {
                let source = match &request.source {
                    IndicatorSource::Table { path, .. } | IndicatorSource::Raster { path, .. } => {
                        path.as_str()
                    }
                };
                Some(crate::map::source_line(
                    &[source, &request.zones],
                    date.as_deref(),
                    started,
                ))
            }),
            ..map_options.clone()
        },
    )?;
    for warning in &maps.warnings {
        on_event(PovertyEvent::Warning(warning));
    }
    let mut roll_up_records = Vec::new();
    for ((level, level_index), path) in gathered.levels.iter().zip(&levels).zip(&table_paths[1..]) {
        tables.push(index_table_csv(
            &level.field,
            &level.ids,
            &gathered.names,
            level_index,
        ));
        roll_up_records.push(RollUpRecord {
            field: level.field.clone(),
            output: path.display().to_string(),
            groups: level.ids.len(),
            weights: level_index.weights.clone(),
        });
    }
    // Tables and maps staged (complete and checked) before the provenance that names them;
    // the index table as Parquet when its name says so (roll-ups stay CSV).
    let parquet = (Format::from_path(&request.output) == Some(Format::Parquet))
        .then(|| index_record_batch(id_column, &zone_ids, &gathered.names, &index))
        .transpose()?;
    for (i, (path, bytes)) in table_paths
        .iter()
        .zip(&tables)
        .chain(maps.files.iter().map(|(p, b)| (p, b)))
        .enumerate()
    {
        match &parquet {
            Some(batch) if i == 0 => outputs.write_with_path(
                path,
                |file| crate::write::parquet::write_parquet_file(batch, file),
                |file| crate::write::parquet::check_parquet(file, batch),
            )?,
            _ => outputs.write_bytes(path, bytes)?,
        }
    }
    let mut provenance = PovertyProvenance::new(&request.program, &spec, started);
    provenance.command_line = request.command_line.clone();
    provenance.inputs = inputs;
    provenance.outputs = outputs.written();
    provenance.date = date;
    provenance.indicators = gathered.names.clone();
    provenance.higher_is_worse = request.settings.worse.clone();
    provenance.weights = index.weights.clone();
    provenance.zones = zones.len();
    provenance.zones_scored = index.scores.iter().flatten().count();
    provenance.zones_without_table_row = gathered.zones_without_row;
    provenance.table_rows_without_zone = gathered.rows_without_zone;
    provenance.roll_ups = roll_up_records;
    provenance.notes = notes;
    provenance.validation = validation;
    provenance.finished = SystemTime::now();
    // One record of the whole run beside every table.
    let text = provenance.to_text();
    for path in &table_paths {
        outputs.write_bytes(&crate::write::provenance_path(path), text.as_bytes())?;
    }
    step();
    // Every file complete and checked: all into place together.
    let files = outputs.commit()?;
    Ok(PovertyIndexRun {
        indicators: gathered,
        index,
        levels,
        provenance,
        files,
    })
}
