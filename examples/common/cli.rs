//! Command-line plumbing shared by the example binaries: parsing (on clap,
//! in `args.rs`, which every binary that uses this module declares as
//! `mod args`) and the exit-code conventions (0 success, 2 usage error, 1 any
//! other error, always a one-line message and never a panic backtrace).

#![allow(dead_code)]

use std::process::ExitCode;

/// Running out of memory ends the program with exit code 1 and a message
/// naming the zone, not an abort (see `terralux::alloc`).
#[global_allocator]
static ALLOCATOR: terralux::alloc::ExitOnOutOfMemory = terralux::alloc::ExitOnOutOfMemory;

/// What went wrong, and so which exit code to use.
pub enum Failure {
    /// Bad command line: exit code 2.
    Usage(String),
    /// Anything else: exit code 1.
    Run(String),
}

impl From<terralux::Error> for Failure {
    fn from(e: terralux::Error) -> Self {
        match e {
            // An output that would overwrite an input is a mistake on the command line.
            terralux::Error::OutputConflict { .. } | terralux::Error::Request { .. } => {
                Failure::Usage(e.to_string())
            }
            other => Failure::Run(other.to_string()),
        }
    }
}

/// Print the failure as one line on stderr and return its exit code.
pub fn exit_with(program: &str, result: Result<(), Failure>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Usage(message)) => {
            eprintln!("{program}: {message} (see '{program} --help')");
            ExitCode::from(2)
        }
        Err(Failure::Run(message)) => {
            eprintln!("{program}: {}", message.replace('\n', " "));
            ExitCode::from(1)
        }
    }
}

/// Keep panics to one line too (they would be bugs, but must not spill a backtrace).
///
/// The library catches panics of the boolean operations it repairs invalid
/// zones with (i_overlay, on some degenerate rings) and measures such a
/// zone as given; those are said as a warning, not an internal error.
pub fn quiet_panics(program: &'static str) {
    std::panic::set_hook(Box::new(move |info| {
        let in_repair = info
            .location()
            .is_some_and(|l| l.file().contains("i_overlay"));
        if in_repair {
            eprintln!(
                "{program}: warning: repairing an invalid zone failed in a dependency \
                 ({info}); that zone is measured as given"
            );
        } else {
            eprintln!("{program}: internal error: {info}");
        }
    }));
}

/// Parse the command line into `T` (see `args`): `Ok(None)` when the help
/// or the version was printed; a usage error otherwise.
pub fn parse<T: clap::CommandFactory + clap::FromArgMatches>(
    program: &'static str,
) -> Result<Option<T>, Failure> {
    crate::args::parse(program).map_err(Failure::Usage)
}

/// `path` as text for a library call that takes `&str`, or a usage error
/// naming `flag` (see `args::path_text`).
pub fn path_text<'a>(flag: &str, path: &'a std::path::Path) -> Result<&'a str, Failure> {
    crate::args::path_text(flag, path).map_err(Failure::Usage)
}

/// Say on stderr which zones had invalid geometry and were measured as
/// repaired (nothing when none were).
pub fn report_repaired(program: &str, table: &terralux::results::ZonalTable) {
    let ids: Vec<String> = table
        .provenance
        .repaired_zones
        .iter()
        .map(ToString::to_string)
        .collect();
    if !ids.is_empty() {
        eprintln!(
            "{program}: {} zone(s) with invalid geometry measured as repaired: {}",
            ids.len(),
            id_list(&ids)
        );
    }
}

/// Ids for a one-line message: the first ten, then how many more.
pub fn id_list(ids: &[String]) -> String {
    terralux::workflow::id_list(ids)
}

/// Refuse a statistic asked twice (it would be two columns of one name).
pub fn check_unique_stats(stats: &[terralux::stats::Stat], flag: &str) -> Result<(), Failure> {
    for (i, stat) in stats.iter().enumerate() {
        let name = stat.name();
        if stats[..i]
            .iter()
            .any(|s| s.name().eq_ignore_ascii_case(&name))
        {
            return Err(Failure::Usage(format!(
                "statistic '{name}' is given twice in {flag}"
            )));
        }
    }
    Ok(())
}

/// What `--snap-grid` did to a raster's grid, for the provenance (`None`
/// when the grid is the declared one).
pub fn snap_note(raster: &terralux::GdalRaster) -> Option<String> {
    raster.snap_note()
}

/// Say (on stderr, and as a provenance note pushed on `notes`) how many NaN
/// values of `table` a GeoPackage output at `path` stores as null.
pub fn note_nan_in_geopackage(
    program: &str,
    path: &std::path::Path,
    table: &terralux::results::ZonalTable,
    format: terralux::write::VectorFormat,
    notes: &mut Vec<String>,
) {
    if let Some(note) = terralux::write::nan_in_geopackage_note(path, table, format) {
        eprintln!("{program}: warning: {note}");
        notes.push(note);
    }
}

/// Declare `path` and its provenance file as outputs of `set`.
pub fn declare_with_provenance(
    set: &mut terralux::write::OutputSet,
    path: &std::path::Path,
) -> Result<(), Failure> {
    Ok(terralux::write::declare_with_provenance(set, path)?)
}

/// Stage `path`'s provenance file in `set`, naming every data file staged so far.
pub fn stage_provenance(
    set: &mut terralux::write::OutputSet,
    path: &std::path::Path,
    record: &terralux::write::RunRecord<'_>,
) -> Result<(), Failure> {
    Ok(terralux::write::stage_provenance(set, path, record)?)
}

/// Set up what every binary needs before any output is written: temporary
/// files removed on Ctrl-C/SIGTERM, and a message instead of an abort when
/// memory runs out.
pub fn start(program: &'static str) {
    terralux::alloc::set_program_name(program);
    quiet_panics(program);
    if let Err(e) = terralux::write::clean_up_on_signals() {
        eprintln!("{program}: warning: {e}");
    }
}

/// Write to standard output; a reader that stops early (`| head`) ends the
/// run quietly instead of failing it.
pub fn write_stdout(
    write: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>,
) -> Result<(), Failure> {
    let stdout = std::io::stdout();
    let mut lock = stdout.lock();
    match write(&mut lock).and_then(|()| std::io::Write::flush(&mut lock)) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Failure::Run(format!("standard output: {e}"))),
    }
}

/// The whole command line as text, for provenance (invalid UTF-8 replaced).
pub fn command_line() -> Vec<String> {
    std::env::args_os()
        .map(|a| a.to_string_lossy().into_owned())
        .collect()
}

impl From<terralux::index::poverty::PovertyError> for Failure {
    /// A usage error exits with code 2, the rest as [`terralux::Error`] does.
    fn from(e: terralux::index::poverty::PovertyError) -> Self {
        use terralux::index::poverty::PovertyError;
        match e {
            PovertyError::Usage(message) => Failure::Usage(message),
            PovertyError::Data(message) => Failure::Run(message),
            PovertyError::Library(e) => e.into(),
        }
    }
}
