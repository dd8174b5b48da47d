//! Command-line parsing shared by the example binaries, on clap: every
//! binary declares its flags as a `#[derive(Parser)]` struct (whose doc
//! comments are its `--help`), and [`parse`] reads the command line into it
//! with the conventions of all of them:
//!
//! - `--flag value` and `--flag=value`; an option given twice keeps its last
//!   value (a list option such as `--band` keeps every value), a switch given
//!   twice is the switch;
//! - a value that begins with `-` is taken as the next flag, not as the
//!   value (`--raster -h` is "--raster needs a value"): give such a path as
//!   `--raster=-h` or `--raster ./-h`; negative numbers are values;
//! - `-h`/`--help` print the whole help and `--version` the version, on
//!   stdout, and the program ends with exit code 0;
//! - any usage error is one line (with a suggestion for a mistyped flag or
//!   value), said by the caller with exit code 2;
//! - paths are taken as given by the system (`PathBuf`), even when they
//!   are not valid UTF-8; text (field names, CRS, lists) must be UTF-8.

#![allow(dead_code)]

use std::error::Error as _;
use std::ffi::OsString;
use std::path::Path;

use clap::builder::{OsStringValueParser, TypedValueParser};
use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{Arg, ArgAction, CommandFactory, FromArgMatches};

/// Parse this program's command line into `T`. `Ok(None)`: the help or the
/// version was asked for and has been printed (exit 0); `Err`: a one-line
/// usage error (without the program name).
pub fn parse<T: CommandFactory + FromArgMatches>(
    program: &'static str,
) -> Result<Option<T>, String> {
    parse_from(program, std::env::args_os())
}

/// [`parse`] from the given arguments (the first is the program's name).
pub fn parse_from<T: CommandFactory + FromArgMatches>(
    program: &'static str,
    arguments: impl IntoIterator<Item = OsString>,
) -> Result<Option<T>, String> {
    let mut command = command::<T>(program);
    let parsed = command
        .try_get_matches_from_mut(arguments)
        .and_then(|mut matches| T::from_arg_matches_mut(&mut matches));
    match parsed {
        Ok(args) => Ok(Some(args)),
        Err(e) if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) => {
            print_stdout(&e.render().to_string())?;
            Ok(None)
        }
        Err(e) => Err(usage_message(&e)),
    }
}

/// `T`'s command with the settings every binary shares.
pub fn command<T: CommandFactory>(program: &'static str) -> clap::Command {
    let command = T::command()
        .name(program)
        .bin_name(program)
        .version(env!("CARGO_PKG_VERSION"))
        // `--layer a --layer b` is `--layer b`, as it always was.
        .args_override_self(true)
        .disable_help_flag(true)
        .disable_version_flag(true)
        .color(clap::ColorChoice::Never);
    // -h and --help both print the whole help, last, under a heading of
    // their own when the other flags have headings.
    let headed = command
        .get_arguments()
        .any(|a| a.get_help_heading().is_some());
    command
        .next_help_heading(headed.then_some("HELP"))
        .arg(
            Arg::new("help")
                .short('h')
                .long("help")
                .action(ArgAction::HelpLong)
                .help("Print this help and exit."),
        )
        .arg(
            Arg::new("version")
                .short('V')
                .long("version")
                .action(ArgAction::Version)
                .help("Print the version and exit."),
        )
}

/// Write help or version text to stdout; a reader that stops early
/// (`| head`) is not an error.
fn print_stdout(text: &str) -> Result<(), String> {
    use std::io::Write;
    let stdout = std::io::stdout();
    let mut lock = stdout.lock();
    match lock.write_all(text.as_bytes()).and_then(|()| lock.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(format!("standard output: {e}"))
        }
        _ => Ok(()),
    }
}

/// A clap error as one line, in the words the binaries have always used:
/// `unknown option '--x'` (with the closest flag), `--flag needs a value`,
/// `--flag takes a, b or c, not 'v'`, `--flag <what the value parser said>`.
pub fn usage_message(e: &clap::Error) -> String {
    let string = |kind| match e.get(kind) {
        Some(ContextValue::String(s)) => Some(s.clone()),
        _ => None,
    };
    let strings = |kind| match e.get(kind) {
        Some(ContextValue::String(s)) => vec![s.clone()],
        Some(ContextValue::Strings(v)) => v.clone(),
        _ => Vec::new(),
    };
    let suggestion = |kind| {
        strings(kind)
            .first()
            .map(|s| format!("; did you mean '{s}'?"))
            .unwrap_or_default()
    };
    // "--band <N>" and "--raster <PATH>..." name the flag "--band", "--raster".
    let flag = string(ContextKind::InvalidArg)
        .map(|arg| arg.split(' ').next().unwrap_or_default().to_string());
    let value = string(ContextKind::InvalidValue);
    match (e.kind(), flag, value) {
        (ErrorKind::UnknownArgument, Some(_), _) => {
            let arg = string(ContextKind::InvalidArg).unwrap_or_default();
            let name = match arg.split_once('=') {
                Some((name, _)) if name.starts_with("--") => name.to_string(),
                _ => arg.clone(),
            };
            if name.starts_with('-') && name != "-" {
                format!(
                    "unknown option '{name}'{}",
                    suggestion(ContextKind::SuggestedArg)
                )
            } else {
                format!("unexpected argument '{arg}'")
            }
        }
        (ErrorKind::InvalidValue, Some(flag), Some(value)) if value.is_empty() => {
            format!("{flag} needs a value")
        }
        (ErrorKind::InvalidValue, Some(flag), Some(value)) => {
            let valid = strings(ContextKind::ValidValue);
            match valid.split_last() {
                Some((last, rest)) if !rest.is_empty() => format!(
                    "{flag} takes {} or {last}, not '{value}'{}",
                    rest.join(", "),
                    suggestion(ContextKind::SuggestedValue)
                ),
                Some((only, _)) => format!("{flag} takes {only}, not '{value}'"),
                None => format!("{flag} does not take '{value}'"),
            }
        }
        (ErrorKind::ValueValidation, Some(flag), value) => match e.source() {
            Some(reason) => format!("{flag} {reason}"),
            None => format!("{flag} does not take '{}'", value.unwrap_or_default()),
        },
        // `--quiet=yes`: a switch given a value.
        (ErrorKind::TooManyValues, Some(flag), Some(value)) => {
            format!("{flag} takes no value, not '{value}'")
        }
        (ErrorKind::InvalidUtf8, _, _) => "an argument is not valid UTF-8".to_string(),
        _ => {
            // Anything else (rare: `--quiet=yes`): clap's own first line.
            let text = e.render().to_string();
            let line = text.lines().next().unwrap_or("invalid command line");
            line.strip_prefix("error: ").unwrap_or(line).to_string()
        }
    }
}

/// A value parser that hands `parse` the value as text; a value that is
/// not UTF-8 is refused with a message naming it. `parse`'s error follows
/// the flag's name in the message (`--band` + `takes a whole number...`).
pub fn parser<T, F>(parse: F) -> impl TypedValueParser<Value = T>
where
    T: Clone + Send + Sync + 'static,
    F: Fn(&str) -> Result<T, String> + Clone + Send + Sync + 'static,
{
    OsStringValueParser::new().try_map(move |raw: OsString| match raw.to_str() {
        Some(text) => parse(text),
        None => Err(format!(
            "takes text, and '{}' is not valid UTF-8",
            raw.to_string_lossy()
        )),
    })
}

/// Text (field names, lists, CRS definitions...).
pub fn text() -> impl TypedValueParser<Value = String> {
    parser(|raw| Ok(raw.to_string()))
}

/// A whole number of at least `min`.
pub fn whole(min: usize) -> impl TypedValueParser<Value = usize> {
    parser(move |raw| {
        raw.parse::<usize>()
            .ok()
            .filter(|n| *n >= min)
            .ok_or_else(|| format!("takes a whole number of at least {min}, not '{raw}'"))
    })
}

/// A finite number.
pub fn number() -> impl TypedValueParser<Value = f64> {
    parser(finite)
}

fn finite(raw: &str) -> Result<f64, String> {
    raw.parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .ok_or_else(|| format!("takes a number, not '{raw}'"))
}

/// A number from 0 to 1.
pub fn fraction() -> impl TypedValueParser<Value = f64> {
    parser(|raw| {
        finite(raw).and_then(|f| {
            (0.0..=1.0)
                .contains(&f)
                .then_some(f)
                .ok_or_else(|| format!("takes a fraction from 0 to 1, not {f}"))
        })
    })
}

/// The `--threads` count: at least 1, and at most a small multiple of the
/// cores (more threads than that only cost memory and start-up time;
/// results do not depend on it).
pub fn threads() -> impl TypedValueParser<Value = usize> {
    parser(|raw| {
        let threads = raw
            .parse::<usize>()
            .ok()
            .filter(|n| *n >= 1)
            .ok_or_else(|| format!("takes a whole number of at least 1, not '{raw}'"))?;
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let limit = (4 * cores).max(8);
        if threads > limit {
            return Err(format!(
                "{threads} is more than {limit} (4x the {cores} core(s) of this machine)"
            ));
        }
        Ok(threads)
    })
}

/// The names of a comma-separated list (an alias, so that clap takes a
/// `Names` field as one value, not as a repeated flag).
pub type Names = Vec<String>;

/// A comma-separated list (`mean,p90`): its items, trimmed, empty ones left out.
pub fn list() -> impl TypedValueParser<Value = Names> {
    parser(|raw| {
        let items = raw.split(',').map(str::trim).filter(|s| !s.is_empty());
        Ok(items.map(str::to_string).collect())
    })
}

/// A table's field delimiter: `,`, `;` or `tab`.
pub fn delimiter() -> impl TypedValueParser<Value = char> {
    parser(|given| match given {
        "," => Ok(','),
        ";" => Ok(';'),
        "tab" | "\t" => Ok('\t'),
        other => Err(format!("takes ',', ';' or 'tab', not '{other}'")),
    })
}

/// A text encoding, as a WHATWG label (`gbk`, `windows-1252`...).
pub fn encoding() -> impl TypedValueParser<Value = String> {
    parser(
        |given| match encoding_rs::Encoding::for_label(given.trim().as_bytes()) {
            Some(_) => Ok(given.to_string()),
            None => Err(format!(
                "takes a WHATWG encoding label such as utf-8, gbk, gb18030, big5, shift_jis or \
             windows-1252, not '{given}'"
            )),
        },
    )
}

/// `path` as the text a library call takes, or a one-line error naming
/// `flag`. Input paths reach terralux's input checks (`OutputSet::input`)
/// and GDAL as text (the `gdal` crate passes paths on lossily, so a name
/// that is not UTF-8 would open another file, or none): such a path is
/// refused where it would reach one of them, not when the command line is
/// read; output paths are written under their own name.
pub fn path_text<'a>(flag: &str, path: &'a Path) -> Result<&'a str, String> {
    path.to_str().ok_or_else(|| {
        format!(
            "{flag} '{}' is not valid UTF-8, and terralux passes input paths to GDAL as text",
            path.to_string_lossy()
        )
    })
}

/// The zone layer every binary reads: `--zones`, `--layer`, `--id-field`.
#[derive(clap::Args)]
pub struct ZoneArgs {
    /// Polygon zones (counties): any OGR source, e.g. GeoPackage,
    /// Shapefile, GeoJSON or FlatGeobuf.
    #[arg(long, value_name = "PATH", help_heading = "INPUTS", verbatim_doc_comment)]
    pub zones: Option<std::path::PathBuf>,
    /// Layer of the zones file (needed when it has several).
    #[arg(long, value_name = "NAME", value_parser = text(), help_heading = "INPUTS",
          verbatim_doc_comment)]
    pub layer: Option<String>,
    /// Field holding the zone ids (default: feature ids, column 'fid').
    #[arg(long, value_name = "FIELD", value_parser = text(), help_heading = "INPUTS",
          verbatim_doc_comment)]
    pub id_field: Option<String>,
}

impl ZoneArgs {
    /// The zones' path, or the usage error that it is missing.
    pub fn path(&self) -> Result<&Path, String> {
        self.zones
            .as_deref()
            .ok_or_else(|| "--zones is required".to_string())
    }

    /// `--layer` and `--id-field` as the library takes them.
    pub fn options(&self) -> terralux::zones::ZoneOptions {
        terralux::zones::ZoneOptions {
            layer: self.layer.clone(),
            id_field: self.id_field.clone(),
            ..terralux::zones::ZoneOptions::default()
        }
    }
}

/// How rasters are opened: `--snap-grid`, `--ignore-mask`, `--allow-raw-vrt`.
#[derive(clap::Args)]
pub struct RasterArgs {
    /// Snap a geographic grid whose cell size is within 1e-6 of 1/n degree to
    /// exactly 1/n (and its origin to half cells), as EOG's 0.0041666667 is
    /// meant as 1/240. Default: cells are where the file declares them, as
    /// GDAL and exactextract take them. Recorded in the provenance.
    #[arg(long, help_heading = "INPUTS", verbatim_doc_comment)]
    pub snap_grid: bool,
    /// Count cells that the band's GDAL mask marks invalid (an internal or
    /// .msk mask, a per-dataset mask, an alpha band). By default a cell is
    /// valid when it is not nodata, not NaN and not masked.
    #[arg(long, help_heading = "INPUTS", verbatim_doc_comment)]
    pub ignore_mask: bool,
    /// Read VRT files with VRTRawRasterBand bands, which read the raw bytes of
    /// any other file; refused by default, since a VRT from elsewhere could
    /// make the statistics reveal a local file.
    #[arg(long, help_heading = "INPUTS", verbatim_doc_comment)]
    pub allow_raw_vrt: bool,
}

impl RasterArgs {
    /// The switches as the library takes them.
    pub fn options(&self) -> terralux::raster::RasterOptions {
        terralux::raster::RasterOptions {
            snap_geographic: self.snap_grid,
            ignore_mask: self.ignore_mask,
            allow_raw_vrt: self.allow_raw_vrt,
            ..terralux::raster::RasterOptions::default()
        }
    }
}

/// How a long run goes: `--threads`, `--quiet`.
#[derive(clap::Args)]
pub struct RunArgs {
    /// Worker threads (default: all cores). Results do not depend on it.
    #[arg(long, value_name = "N", value_parser = threads(), allow_negative_numbers = true,
          help_heading = "RUNNING", verbatim_doc_comment)]
    pub threads: Option<usize>,
    /// No progress bar (it is only drawn when stderr is a terminal anyway).
    #[arg(long, help_heading = "RUNNING", verbatim_doc_comment)]
    pub quiet: bool,
}

/// A flag whose values are the variants of a library enum: a
/// [`clap::ValueEnum`] (value names in kebab case, with any `#[value(...)]`
/// attributes of a variant: aliases, another name) and the conversion into
/// the library's value.
///
/// ```ignore
/// args::choice! {
///     /// `--coverage`.
///     Coverage => CoverageMode {
///         Exact => CoverageMode::Exact,
///         #[value(alias = "centre")]
///         Center => CoverageMode::Center,
///     }
/// }
/// ```
#[allow(unused_macros)]
macro_rules! choice {
    ($(#[$meta:meta])* $name:ident => $target:ty {
        $($(#[$variant_meta:meta])* $variant:ident => $value:expr),+ $(,)?
    }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, Debug, clap::ValueEnum)]
        enum $name {
            $($(#[$variant_meta])* $variant),+
        }

        impl From<$name> for $target {
            fn from(choice: $name) -> Self {
                match choice {
                    $($name::$variant => $value),+
                }
            }
        }
    };
}
#[allow(unused_imports)]
pub(crate) use choice;
