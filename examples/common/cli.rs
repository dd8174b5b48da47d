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

impl From<String> for Failure {
    /// A command-line check's message (from `args`): a usage error.
    fn from(message: String) -> Self {
        Failure::Usage(message)
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
            terralux::workflow::id_list(&ids)
        );
    }
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

/// Refuse a value given twice to a repeatable `flag` (`--band 1 is given twice`).
pub fn given_once<T: PartialEq + std::fmt::Display>(
    flag: &str,
    values: &[T],
) -> Result<(), Failure> {
    match (1..values.len()).find(|&i| values[..i].contains(&values[i])) {
        Some(i) => Err(Failure::Usage(format!(
            "{flag} {} is given twice",
            values[i]
        ))),
        None => Ok(()),
    }
}

/// The statistics of a comma-separated list given to `flag`, each once
/// (two of one name, compared case-insensitively, would be two columns of
/// one name).
pub fn stat_list(flag: &str, list: &str) -> Result<Vec<terralux::stats::Stat>, Failure> {
    let stats = terralux::stats::Stat::parse_list(list).map_err(|e| {
        Failure::Usage(match e {
            terralux::Error::UnknownStatistic { name, valid } => {
                format!("unknown statistic '{name}' in {flag} (valid: {valid})")
            }
            other => format!("{flag}: {other}"),
        })
    })?;
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
    Ok(stats)
}

/// A missing-CRS error with the flag that states one.
pub fn crs_hint(flag: &'static str) -> impl Fn(terralux::Error) -> Failure {
    move |e| match e {
        terralux::Error::MissingCrs { .. } => Failure::Run(format!("{e}; use {flag}")),
        other => other.into(),
    }
}

/// A small GDAL block cache unless the user set `GDAL_CACHEMAX`: the
/// engine reads each chunk once, aligned to blocks, so a larger cache
/// would only hold memory.
pub fn small_gdal_cache() {
    if std::env::var_os("GDAL_CACHEMAX").is_none() {
        let _ = gdal::config::set_config_option("GDAL_CACHEMAX", "16");
    }
}
