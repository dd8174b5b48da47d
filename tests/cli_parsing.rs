//! The command lines of the four example binaries (parsed by clap, in
//! `examples/common/args.rs`): the syntax that scripts depend on, `--help`
//! and `--version`, typo suggestions, and the fixes over the hand-written
//! parser it replaced: a flag after an option is not taken as its value
//! (`--raster a.tif -h` never opens a file named `-h`), and paths that are
//! not valid UTF-8 are accepted wherever the library can take them.
#![cfg(feature = "gdal")]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{TempDir, example_binary, files_in};

const BINARIES: [&str; 4] = ["zonal", "county_ntl", "poverty_index", "summary"];
const VNL_2021: &str =
    "testdata/products/vnl/VNL_v22_npp_2021_global_vcmslcfg_c202402081200.average_masked.dat.tif";

/// Run `binary` in the crate folder (where `testdata/` is).
fn run(binary: &str, args: &[&std::ffi::OsStr]) -> Output {
    Command::new(example_binary(binary))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run the binary")
}

fn os<'a>(args: &[&'a str]) -> Vec<&'a std::ffi::OsStr> {
    args.iter().map(|a| std::ffi::OsStr::new(*a)).collect()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Expect a usage error: exit code 2, one line on stderr containing
/// every one of `parts`, nothing on stdout, no panic.
fn expect_usage_error(out: &Output, parts: &[&str]) {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    for part in parts {
        assert!(err.contains(part), "expected '{part}' in '{err}'");
    }
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(out.stdout.is_empty());
}

#[cfg(unix)]
fn not_utf8(dir: &Path, name: &[u8]) -> PathBuf {
    use std::os::unix::ffi::OsStrExt;
    dir.join(std::ffi::OsStr::from_bytes(name))
}

#[test]
fn help_and_version_go_to_stdout_with_exit_code_0() {
    for binary in BINARIES {
        let long = run(binary, &os(&["--help"]));
        let short = run(binary, &os(&["-h"]));
        assert_eq!(long.status.code(), Some(0), "{binary}: {}", stderr(&long));
        assert!(long.stderr.is_empty(), "{binary}");
        let help = String::from_utf8(long.stdout).unwrap();
        assert!(
            help.contains("Usage:") && help.contains("--raster"),
            "{help}"
        );
        // -h is the whole help, as it always was.
        assert_eq!(
            short.stdout,
            help.as_bytes(),
            "{binary}: -h differs from --help"
        );

        let version = run(binary, &os(&["--version"]));
        assert_eq!(version.status.code(), Some(0), "{binary}");
        assert_eq!(
            String::from_utf8(version.stdout).unwrap(),
            format!("{binary} {}\n", terralux::VERSION)
        );
    }
    // The help keeps its prose: notes and examples after the flags.
    let help = String::from_utf8(run("zonal", &os(&["--help"])).stdout).unwrap();
    for part in [
        "INPUTS:",
        "WHAT TO COMPUTE:",
        "RUNNING:",
        "OUTPUT:",
        "Exit codes: 0 success, 2 usage error, 1 any other error.",
        "EXAMPLE",
        "With several bands, columns are named b{N}_{stat}.",
    ] {
        assert!(help.contains(part), "zonal --help lacks '{part}'");
    }
    // Help also wins after other flags, and nothing is run.
    let out = run("zonal", &os(&["--output", "x.txt", "--help"]));
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn a_flag_after_an_option_is_not_its_value() {
    let tmp = TempDir::new("cli-hyphen");
    let out = tmp.join("out.csv");
    let out = out.to_str().unwrap();
    // The hand parser took `-h` as the raster's path and failed to open it (exit 1).
    let result = run(
        "zonal",
        &os(&[
            "--raster",
            "-h",
            "--zones",
            "testdata/counties.gpkg",
            "--output",
        ])
        .into_iter()
        .chain([std::ffi::OsStr::new(out)])
        .collect::<Vec<_>>(),
    );
    expect_usage_error(&result, &["--raster needs a value"]);
    assert!(files_in(tmp.path()).is_empty());
    // county_ntl's --raster takes several paths, up to the next flag: `-h` is
    // that flag (the help), not a raster named `-h`.
    let result = run(
        "county_ntl",
        &os(&[
            "--raster",
            VNL_2021,
            "-h",
            "--zones",
            "testdata/counties.gpkg",
            "--output",
        ])
        .into_iter()
        .chain([std::ffi::OsStr::new(out)])
        .collect::<Vec<_>>(),
    );
    assert_eq!(result.status.code(), Some(0), "{}", stderr(&result));
    assert!(String::from_utf8_lossy(&result.stdout).contains("--dir"));
    assert!(files_in(tmp.path()).is_empty());
    // Any other short flag is a usage error, not a file.
    let result = run(
        "county_ntl",
        &os(&[
            "--raster",
            VNL_2021,
            "-x",
            "--zones",
            "testdata/counties.gpkg",
        ]),
    );
    expect_usage_error(&result, &["unknown option '-x'"]);
    // A text value cannot be the next flag either.
    let result = run("zonal", &os(&["--layer", "--quiet"]));
    expect_usage_error(&result, &["--layer needs a value"]);
}

#[test]
fn value_syntax_repetition_and_lists_are_as_before() {
    let counties = |extra: &[&'static str]| -> Vec<&'static str> {
        let mut args = vec![
            "--raster",
            "testdata/ntl.tif",
            "--zones",
            "testdata/counties.gpkg",
            "--output",
            "-",
            "--quiet",
        ];
        args.extend_from_slice(extra);
        args
    };
    let header = |out: &Output| -> String {
        assert_eq!(out.status.code(), Some(0), "{}", stderr(out));
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .next()
            .unwrap_or_default()
            .to_string()
    };
    // --flag=value and --flag value.
    let out = run(
        "zonal",
        &os(&counties(&["--id-field=code", "--stats=count,sum"])),
    );
    assert_eq!(header(&out), "code,count,sum");
    // An option given twice keeps its last value; a switch given twice is the switch.
    let out = run(
        "zonal",
        &os(&counties(&[
            "--stats",
            "mean",
            "--stats",
            "max",
            "--quiet",
            "--id-field",
            "code",
        ])),
    );
    assert_eq!(header(&out), "code,max");
    // Repeatable options keep every value.
    let out = run(
        "zonal",
        &os(&counties(&[
            "--id-field",
            "code",
            "--band",
            "1",
            "--stats",
            "sum",
        ])),
    );
    assert_eq!(header(&out), "code,sum");
    let out = run(
        "zonal",
        &os(&counties(&[
            "--id-field",
            "code",
            "--band",
            "1",
            "--band",
            "1",
        ])),
    );
    expect_usage_error(&out, &["--band 1 is given twice"]);
    // Negative numbers are values.
    let out = run(
        "zonal",
        &os(&counties(&["--default-value", "-1", "--stats", "count"])),
    );
    assert_eq!(header(&out), "fid,count");
    // Choices: aliases, and a mistyped one with a suggestion.
    let out = run(
        "zonal",
        &os(&counties(&["--coverage", "centre", "--stats", "count"])),
    );
    assert_eq!(header(&out), "fid,count");
    let out = run(
        "zonal",
        &os(&counties(&[
            "--coverage",
            "all_touched",
            "--stats",
            "count",
        ])),
    );
    assert_eq!(header(&out), "fid,count");
    let out = run("zonal", &os(&counties(&["--coverage", "centr"])));
    expect_usage_error(
        &out,
        &["--coverage takes exact, center or all-touched, not 'centr'; did you mean 'center'?"],
    );
    let out = run("zonal", &os(&counties(&["--mode-ties", "largest"])));
    expect_usage_error(
        &out,
        &["--mode-ties takes exactextract or smallest, not 'largest'"],
    );
    // Several rasters after one --raster, or --raster repeated: the same run.
    let vnl_2022 = "testdata/products/vnl/VNL_v22_npp_2022_global_vcmslcfg_c202402081200.average_masked.dat.tif";
    let tmp = TempDir::new("cli-raster-lists");
    let (a, b) = (tmp.join("a.csv"), tmp.join("b.csv"));
    let ntl = |rasters: &[&'static str], output: &Path| {
        let mut args = os(rasters);
        args.extend(os(&[
            "--zones",
            "testdata/counties.gpkg",
            "--id-field",
            "code",
            "--quiet",
        ]));
        args.push(std::ffi::OsStr::new("--output"));
        args.push(output.as_os_str());
        let out = run("county_ntl", &args);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    };
    ntl(&["--raster", VNL_2021, vnl_2022], &a);
    ntl(&["--raster", VNL_2021, "--raster", vnl_2022], &b);
    assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
}

#[test]
fn usage_errors_are_one_line_and_suggest_the_flag_meant() {
    let out = run("zonal", &os(&["--thread", "2"]));
    expect_usage_error(
        &out,
        &["unknown option '--thread'", "did you mean '--threads'?"],
    );
    let out = run("county_ntl", &os(&["--populaton", "p.tif"]));
    expect_usage_error(&out, &["did you mean '--population'?"]);
    let out = run("poverty_index", &os(&["--normalisation", "z-scor"]));
    expect_usage_error(
        &out,
        &[
            "--normalisation takes min-max, z-score or rank, not 'z-scor'",
            "'z-score'",
        ],
    );
    let out = run("summary", &os(&["--zone", "z.gpkg"]));
    expect_usage_error(&out, &["summary: unknown option '--zone'", "'--zones'"]);
    let out = run("summary", &os(&["--raster", "testdata/ntl.tif"]));
    expect_usage_error(&out, &["--zones is required"]);
    let out = run("zonal", &os(&["--quiet=yes"]));
    expect_usage_error(&out, &["--quiet takes no value"]);
    let out = run("zonal", &os(&["stray"]));
    expect_usage_error(&out, &["unexpected argument 'stray'"]);
    let out = run("county_ntl", &os(&["--threshold", "bright"]));
    expect_usage_error(&out, &["--threshold takes a number, not 'bright'"]);
    let out = run("poverty_index", &os(&["--classes", "0"]));
    expect_usage_error(
        &out,
        &["--classes takes a whole number of at least 1, not '0'"],
    );
}

/// An output path that is not UTF-8 is written under exactly that name
/// (the hand parser refused every such argument).
#[cfg(unix)]
#[test]
fn outputs_that_are_not_utf8_are_written_as_named() {
    let tmp = TempDir::new("cli-not-utf8-out");
    let output = not_utf8(tmp.path(), b"counties\xff.csv");
    let cells = not_utf8(tmp.path(), b"cells\xfe.csv");
    let mut args = os(&[
        "--raster",
        "testdata/ntl.tif",
        "--zones",
        "testdata/counties.gpkg",
        "--id-field",
        "code",
        "--roll-up",
        "city",
        "--quiet",
        "--output",
    ]);
    args.push(output.as_os_str());
    args.push(std::ffi::OsStr::new("--cells"));
    args.push(cells.as_os_str());
    let out = run("zonal", &args);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    for path in [
        output.clone(),
        terralux::write::provenance_path(&output),
        cells.clone(),
        not_utf8(tmp.path(), b"counties\xff_by_city.csv"),
    ] {
        assert!(path.exists(), "{} was not written", path.display());
    }
    assert!(
        std::fs::read_to_string(&output)
            .unwrap()
            .starts_with("code,count,")
    );

    // county_ntl: the table and its trends.
    let table = not_utf8(tmp.path(), b"ntl\xff.csv");
    let trends = not_utf8(tmp.path(), b"trends\xff.csv");
    let mut args = os(&[
        "--raster",
        VNL_2021,
        "--zones",
        "testdata/counties.gpkg",
        "--id-field",
        "code",
        "--quiet",
        "--output",
    ]);
    args.push(table.as_os_str());
    args.push(std::ffi::OsStr::new("--trends"));
    args.push(trends.as_os_str());
    let out = run("county_ntl", &args);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(table.exists() && trends.exists());

    // poverty_index: the index and its maps beside it.
    let index = not_utf8(tmp.path(), b"index\xff.csv");
    let mut args = vec![std::ffi::OsStr::new("--table"), table.as_os_str()];
    args.extend(os(&[
        "--date",
        "2021",
        "--zones",
        "testdata/counties.gpkg",
        "--id-field",
        "code",
        "--indicators",
        "density,lit_frac",
        "--output",
    ]));
    args.push(index.as_os_str());
    let out = run("poverty_index", &args);
    // The table path is not UTF-8, which terralux's input check takes as text: said, naming it.
    expect_usage_error(&out, &["--table", "not valid UTF-8"]);
    assert!(!index.exists());
}

/// An input path that is not UTF-8 is read from the command line (the
/// hand parser refused every such argument up front), and refused with a
/// one-line usage error naming its flag where it would reach terralux's
/// input checks or GDAL, which take paths as text (the `gdal` crate would
/// open a lossily converted name: another file, or none).
#[cfg(unix)]
#[test]
fn inputs_that_are_not_utf8_are_refused_naming_their_flag() {
    let tmp = TempDir::new("cli-not-utf8-in");
    let zones = not_utf8(tmp.path(), b"counties\xff.gpkg");
    std::fs::copy(common::testdata("counties.gpkg"), &zones).unwrap();
    let raster = not_utf8(tmp.path(), b"ntl\xff.tif");
    std::fs::copy(common::testdata("ntl.tif"), &raster).unwrap();
    let output = tmp.join("out.csv");
    let before = files_in(tmp.path());
    let check = |binary: &str, args: Vec<&std::ffi::OsStr>, flag: &str| {
        let out = run(binary, &args);
        expect_usage_error(
            &out,
            &[&format!("{flag} '"), "\u{FFFD}", "is not valid UTF-8"],
        );
        assert_eq!(files_in(tmp.path()), before, "{binary} {flag} left files");
    };
    let mut args = os(&["--raster", "testdata/ntl.tif", "--zones"]);
    args.push(zones.as_os_str());
    check("summary", args, "--zones");
    let mut args = os(&["--zones", "testdata/counties.gpkg", "--raster"]);
    args.push(raster.as_os_str());
    check("summary", args, "--raster");
    let mut args = os(&["--raster", "testdata/ntl.tif", "--output"]);
    args.push(output.as_os_str());
    args.push(std::ffi::OsStr::new("--zones"));
    args.push(zones.as_os_str());
    check("zonal", args, "--zones");
    let mut args = os(&["--zones", "testdata/counties.gpkg", "--output"]);
    args.push(output.as_os_str());
    args.push(std::ffi::OsStr::new("--weights"));
    args.push(raster.as_os_str());
    args.extend(os(&["--raster", "testdata/ntl.tif"]));
    check("zonal", args, "--weights");
    let mut args = os(&["--zones", "testdata/counties.gpkg", "--output"]);
    args.push(output.as_os_str());
    args.push(std::ffi::OsStr::new("--raster"));
    args.push(raster.as_os_str());
    check("county_ntl", args, "--raster");
    let mut args = os(&[
        "--raster",
        VNL_2021,
        "--zones",
        "testdata/counties.gpkg",
        "--output",
    ]);
    args.push(output.as_os_str());
    args.push(std::ffi::OsStr::new("--population"));
    args.push(raster.as_os_str());
    check("county_ntl", args, "--population");
    let mut args = os(&[
        "--raster",
        "testdata/ntl.tif",
        "--indicators",
        "mean",
        "--output",
    ]);
    args.push(output.as_os_str());
    args.push(std::ffi::OsStr::new("--zones"));
    args.push(zones.as_os_str());
    check("poverty_index", args, "--zones");

    // Text (a field name) must be UTF-8: a usage error naming the flag.
    let field = not_utf8(Path::new(""), b"co\xffde");
    let mut args = os(&[
        "--raster",
        "testdata/ntl.tif",
        "--zones",
        "testdata/counties.gpkg",
    ]);
    args.push(std::ffi::OsStr::new("--id-field"));
    args.push(field.as_os_str());
    args.extend(os(&["--output", "-"]));
    let out = run("zonal", &args);
    expect_usage_error(&out, &["--id-field takes text", "not valid UTF-8"]);
}
