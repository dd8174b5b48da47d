//! Output sets as transactions.
//!
//! Every file a run writes (tables, provenance, maps, roll-ups, trends) is
//! one [`OutputSet`]: before any work, each input and output is resolved to
//! its file identity (device and inode, through symbolic and hard links)
//! and an output that is an input, or another output of the same run, is
//! refused. Each output is then written under a visible temporary name in
//! its own folder (`name.partial-PID-N.ext`), checked (its size, and for
//! files GDAL wrote a re-read), synced, and hashed; only when every file of
//! the set is ready are they all renamed into place, under an advisory lock
//! on their folders, so two runs writing the same outputs never leave a
//! mixed set. A run that fails (or is dropped) before that leaves the
//! previous set byte-identical and removes its temporary files; so does a
//! signal, once [`clean_up_on_signals`] is installed. A later run removes
//! temporary files that dead processes left behind.

use std::collections::BTreeSet;
use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// A file of a committed (or staged) output set: where it is, its size and its SHA-256.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct OutputFile {
    /// The final path, as given.
    pub path: PathBuf,
    /// Size in bytes.
    pub size_bytes: u64,
    /// SHA-256 of the content, lower-case hex.
    pub sha256: String,
}

/// What [`OutputSet::commit`] does when another process is committing
/// outputs in the same folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LockPolicy {
    /// Wait until it is done (the default).
    #[default]
    Wait,
    /// Fail at once with an error naming the folder.
    Fail,
}

/// One input of a run, resolved to its file.
#[derive(Debug, Clone)]
struct Input {
    /// The path as given (possibly a GDAL connection string).
    given: String,
    /// The canonical path of the underlying file.
    canonical: PathBuf,
    /// Device and inode.
    identity: Option<(u64, u64)>,
}

/// One output of a run.
#[derive(Debug)]
struct Output {
    target: PathBuf,
    /// Canonical folder joined with the file name.
    canonical: PathBuf,
    staging: PathBuf,
    /// Set once the staged file is complete and checked.
    done: Option<OutputFile>,
}

/// Every output file of one run, written as one transaction.
///
/// ```
/// # fn main() -> terralux::Result<()> {
/// use terralux::write::OutputSet;
/// let dir = std::env::temp_dir().join(format!("terralux-doc-set-{}", std::process::id()));
/// std::fs::create_dir_all(&dir).unwrap();
/// let (table, notes) = (dir.join("table.csv"), dir.join("table.csv.notes.txt"));
/// let mut set = OutputSet::new();
/// set.input("Cargo.toml")?;
/// set.output(&table)?;
/// set.output(&notes)?;
/// set.prepare()?;
/// set.write(&table, |w| w.write_all(b"code,count\n1,2\n"))?;
/// let digest = set.written()[0].sha256.clone();
/// set.write_bytes(&notes, format!("table sha256 {digest}\n").as_bytes())?;
/// assert!(!table.exists()); // nothing is in place before the commit
/// let files = set.commit()?;
/// assert_eq!(std::fs::read_to_string(&table).unwrap(), "code,count\n1,2\n");
/// assert_eq!(files[0].size_bytes, 15);
///
/// // An output that is an input is refused before any work.
/// let mut again = OutputSet::new();
/// again.input(table.to_str().unwrap())?;
/// assert!(again.output(&table).is_err());
/// # std::fs::remove_dir_all(&dir).unwrap();
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Default)]
pub struct OutputSet {
    inputs: Vec<Input>,
    outputs: Vec<Output>,
    lock_policy: LockPolicy,
    committed: bool,
}

/// Temporary files of this process not yet committed, for the signal handler.
static PARTIAL_FILES: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());
/// Makes the temporary names of one process unique.
static NEXT_STAGING: AtomicUsize = AtomicUsize::new(0);

/// Suffixes of the companion files SQLite (GeoPackage) writes beside a database.
const SQLITE_COMPANIONS: [&str; 3] = ["-journal", "-wal", "-shm"];

fn partial_files() -> std::sync::MutexGuard<'static, Vec<PathBuf>> {
    PARTIAL_FILES.lock().unwrap_or_else(|e| e.into_inner())
}

fn register_partial(path: &Path) {
    partial_files().push(path.to_path_buf());
}

fn unregister_partial(path: &Path) {
    partial_files().retain(|p| p != path);
}

/// Remove a temporary file and the SQLite companions GDAL may have left beside it.
fn remove_with_companions(path: &Path) {
    let _ = std::fs::remove_file(path);
    for suffix in SQLITE_COMPANIONS {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(name));
    }
}

/// Remove every temporary output file of this process that is not yet
/// committed, and keep any more from being made: for a signal or
/// out-of-memory handler that ends the process right after. A commit under
/// way is finished first, so the outputs are either the old set or the new
/// one.
pub fn remove_partial_files() {
    let mut files = partial_files();
    for path in files.drain(..) {
        remove_with_companions(&path);
    }
    // Hold the registry until the process ends: no new temporary file, no commit.
    std::mem::forget(files);
}

/// Install handlers for SIGINT, SIGTERM and SIGHUP that remove the
/// temporary files of uncommitted output sets ([`remove_partial_files`])
/// and then end the process as the signal would have (exit status 130 for
/// Ctrl-C). For programs; a library user that handles signals itself calls
/// [`remove_partial_files`] from its own handler instead.
///
/// ```no_run
/// terralux::write::clean_up_on_signals()?;
/// # Ok::<(), terralux::Error>(())
/// ```
#[cfg(unix)]
pub fn clean_up_on_signals() -> Result<()> {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    // A file-size limit (ulimit -f) makes writes fail with EFBIG, reported
    // like any failed write, instead of killing the process mid-write.
    // SAFETY: setting a signal's disposition to "ignore" is always sound.
    unsafe { libc::signal(libc::SIGXFSZ, libc::SIG_IGN) };
    let mut signals =
        signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP]).map_err(|source| {
            Error::Io {
                path: PathBuf::from("signal handler"),
                source,
            }
        })?;
    std::thread::Builder::new()
        .name("terralux-signals".into())
        .spawn(move || {
            if let Some(signal) = signals.forever().next() {
                remove_partial_files();
                let _ = signal_hook::low_level::emulate_default_handler(signal);
                std::process::exit(128 + signal);
            }
        })
        .map_err(|source| Error::Io {
            path: PathBuf::from("signal handler"),
            source,
        })?;
    Ok(())
}

/// The file a GDAL path reads: the path itself, or the file inside a
/// connection string or virtual path (`/vsigzip/f.tif.gz`,
/// `/vsizip/a.zip/b.tif`, `HDF5:"f.h5"://grid`, `NETCDF:"f.nc":var`).
/// `None` for network paths and in-memory files.
///
/// ```
/// use std::path::PathBuf;
/// use terralux::write::underlying_file;
/// assert_eq!(underlying_file("ntl.tif"), Some(PathBuf::from("ntl.tif")));
/// assert_eq!(underlying_file("/vsigzip/data/v.tif.gz"), Some(PathBuf::from("data/v.tif.gz")));
/// assert_eq!(underlying_file("/vsigzip//data/v.tif.gz"), Some(PathBuf::from("/data/v.tif.gz")));
/// assert_eq!(underlying_file("/vsizip/a/b.zip/c/d.tif"), Some(PathBuf::from("a/b.zip")));
/// if cfg!(feature = "gdal") {
///     assert_eq!(underlying_file(r#"HDF5:"t.h5"://HDFEOS/GRIDS/x"#), Some(PathBuf::from("t.h5")));
///     assert_eq!(underlying_file("NETCDF:f.nc:var"), Some(PathBuf::from("f.nc")));
/// }
/// assert_eq!(underlying_file("/vsicurl/https://example.org/a.tif"), None);
/// ```
pub fn underlying_file(gdal_path: &str) -> Option<PathBuf> {
    if let Some(rest) = gdal_path.strip_prefix("/vsi") {
        let (kind, inner) = rest.split_once('/')?;
        return match kind {
            "gzip" | "cached" => underlying_file(inner),
            "zip" | "tar" | "7z" | "rar" => underlying_file(archive_of(inner)),
            // /vsisubfile/OFFSET_SIZE,path
            "subfile" => inner.split_once(',').and_then(|(_, p)| underlying_file(p)),
            // /vsicrypt/key=...,file=path
            "crypt" => inner
                .rsplit_once("file=")
                .and_then(|(_, p)| underlying_file(p)),
            // Network and in-memory files: nothing on this file system.
            _ => None,
        };
    }
    if is_connection_string(gdal_path) {
        // DRIVER:"file":rest or DRIVER:file:rest (possibly with a sub-driver: HDF4_EOS:EOS_GRID:"f").
        if let Some(start) = gdal_path.find('"') {
            let rest = &gdal_path[start + 1..];
            let end = rest.find('"')?;
            return underlying_file(&rest[..end]);
        }
        let mut parts = gdal_path.splitn(3, ':');
        parts.next();
        return parts.next().and_then(underlying_file);
    }
    Some(PathBuf::from(gdal_path))
}

/// The archive of an archive path: `{a.gpkg}/inner` (GDAL's syntax for an
/// archive of any name) or `a.zip/inner`.
fn archive_of(inner: &str) -> &str {
    if let Some(braced) = inner.strip_prefix('{')
        && let Some(end) = braced.find('}')
    {
        return &braced[..end];
    }
    let lower = inner.to_ascii_lowercase();
    let end = [".zip", ".tar.gz", ".tgz", ".tar", ".7z", ".rar"]
        .iter()
        .filter_map(|ext| lower.find(&format!("{ext}/")).map(|i| i + ext.len()))
        .min()
        .unwrap_or(inner.len());
    &inner[..end]
}

/// The data sources an OGR VRT file reads (its `<SrcDataSource>`
/// elements, resolved against the VRT's folder when `relativeToVRT="1"`);
/// empty for any other file. GDAL's file list of an OGR VRT names only the
/// VRT itself.
///
/// ```text
/// <OGRVRTDataSource><OGRVRTLayer name="z">
///   <SrcDataSource relativeToVRT="1">counties.gpkg</SrcDataSource>
/// ```
fn ogr_vrt_sources(file: &Path) -> Vec<String> {
    let is_vrt = file
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("vrt"));
    let small = std::fs::metadata(file).is_ok_and(|m| m.len() < (16 << 20));
    let Some(text) = (is_vrt && small)
        .then(|| std::fs::read_to_string(file).ok())
        .flatten()
        .filter(|t| t.contains("<OGRVRTDataSource"))
    else {
        return Vec::new();
    };
    let mut sources = Vec::new();
    let mut rest = text.as_str();
    while let Some(start) = rest.find("<SrcDataSource") {
        rest = &rest[start + "<SrcDataSource".len()..];
        let (Some(open_end), Some(close)) = (rest.find('>'), rest.find("</SrcDataSource>")) else {
            break;
        };
        if close < open_end {
            break;
        }
        let attributes = &rest[..open_end];
        let value = xml_unescape(rest[open_end + 1..close].trim());
        rest = &rest[close..];
        let relative =
            attributes.contains("relativeToVRT=\"1\"") || attributes.contains("relativeToVRT='1'");
        sources.push(if relative {
            folder_of(file).join(&value).to_string_lossy().into_owned()
        } else {
            value
        });
    }
    sources
}

/// The five predefined XML entities, decoded.
fn xml_unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

/// Every file GDAL reads for the data set at `path` (a VRT's sources, a
/// shapefile's companions, an OGR VRT's source...), as GDAL lists them;
/// empty when GDAL cannot open it (the caller's own open says why).
#[cfg(feature = "gdal")]
fn gdal_file_list(path: &str) -> Vec<String> {
    use std::ffi::{CStr, CString};
    let Ok(c_path) = CString::new(path) else {
        return Vec::new();
    };
    // The gdal crate registers its drivers on its first open; this may come first.
    gdal::DriverManager::register_all();
    crate::gdal_util::quietly(|| {
        let flags = (gdal::GdalOpenFlags::GDAL_OF_RASTER
            | gdal::GdalOpenFlags::GDAL_OF_VECTOR
            | gdal::GdalOpenFlags::GDAL_OF_READONLY)
            .bits();
        // SAFETY: a valid C string; no driver list, options or sibling files.
        let dataset = unsafe {
            gdal_sys::GDALOpenEx(
                c_path.as_ptr(),
                flags,
                std::ptr::null(),
                std::ptr::null(),
                std::ptr::null(),
            )
        };
        if dataset.is_null() {
            return Vec::new();
        }
        let mut files = Vec::new();
        // SAFETY: a dataset GDAL opened; the list is GDAL's to free with CSLDestroy.
        unsafe {
            let list = gdal_sys::GDALGetFileList(dataset);
            if !list.is_null() {
                let mut i = 0;
                while !(*list.add(i)).is_null() {
                    files.push(CStr::from_ptr(*list.add(i)).to_string_lossy().into_owned());
                    i += 1;
                }
                gdal_sys::CSLDestroy(list);
            }
            gdal_sys::GDALClose(dataset);
        }
        files
    })
}

#[cfg(not(feature = "gdal"))]
fn gdal_file_list(_path: &str) -> Vec<String> {
    Vec::new()
}

/// True for a GDAL connection string (`HDF5:"f.h5"://...`); without the
/// `gdal` feature nothing opens those, so every path is a file.
fn is_connection_string(path: &str) -> bool {
    #[cfg(feature = "gdal")]
    return crate::gdal_util::is_gdal_virtual_path(path);
    #[cfg(not(feature = "gdal"))]
    return {
        let _ = path;
        false
    };
}

#[cfg(unix)]
fn identity(meta: &std::fs::Metadata) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    Some((meta.dev(), meta.ino()))
}

#[cfg(not(unix))]
fn identity(_meta: &std::fs::Metadata) -> Option<(u64, u64)> {
    None
}

fn conflict(output: &Path, reason: String) -> Error {
    Error::OutputConflict {
        output: output.to_path_buf(),
        reason,
    }
}

fn io_error(path: &Path, source: io::Error) -> Error {
    Error::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// The folder of `target` (`.` for a bare file name).
fn folder_of(target: &Path) -> &Path {
    match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// `stem.<kind>-PID-TOKEN.ext` beside `target`, TOKEN unique in the process
/// and unpredictable (so that nobody can plant a link under the name first).
fn sibling_name(target: &Path, kind: &str) -> PathBuf {
    use std::hash::{BuildHasher, Hasher};
    let stem = target
        .file_stem()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "output".to_string());
    let n = NEXT_STAGING.fetch_add(1, Ordering::Relaxed);
    // RandomState is seeded from the operating system's randomness.
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_usize(n);
    let token = format!("{n}{:08x}", hasher.finish() as u32);
    let name = match target.extension() {
        Some(ext) => format!(
            "{stem}.{kind}-{}-{token}.{}",
            std::process::id(),
            ext.to_string_lossy()
        ),
        None => format!("{stem}.{kind}-{}-{token}", std::process::id()),
    };
    folder_of(target).join(name)
}

/// A visible temporary path beside `target` (same folder, so the final
/// rename is atomic; the same extension, so format drivers recognise it):
/// `stem.partial-PID-TOKEN.ext`, unique within the process.
///
/// ```
/// let tmp = terralux::write::temporary_path_for(std::path::Path::new("out/zonal.csv"));
/// let name = tmp.file_name().unwrap().to_str().unwrap();
/// assert!(name.starts_with(&format!("zonal.partial-{}-", std::process::id())));
/// assert!(name.ends_with(".csv") && tmp.starts_with("out"));
/// assert_ne!(tmp, terralux::write::temporary_path_for(std::path::Path::new("out/zonal.csv")));
/// ```
pub fn temporary_path_for(target: &Path) -> PathBuf {
    sibling_name(target, "partial")
}

/// True when process `pid` is still running (or cannot be checked).
#[cfg(unix)]
fn process_alive(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return true;
    };
    // SAFETY: kill with signal 0 only checks for the process's existence.
    let status = unsafe { libc::kill(pid, 0) };
    status == 0 || io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
}

#[cfg(not(unix))]
fn process_alive(_pid: u32) -> bool {
    true
}

/// The process id in a temporary name left beside an output of stem
/// `stem`: `stem.partial-PID-N[.ext][-journal]`, `stem.previous-PID-N...`,
/// or the older `.stem.tmp-PID[.ext]`.
fn leftover_pid(name: &str, stem: &str) -> Option<u32> {
    let digits = |s: &str| -> Option<u32> {
        let end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
        s[..end].parse().ok()
    };
    for kind in [".partial-", ".previous-"] {
        if let Some(rest) = name
            .strip_prefix(stem)
            .and_then(|rest| rest.strip_prefix(kind))
        {
            let pid = digits(rest)?;
            let after = &rest[pid.to_string().len()..];
            return after
                .strip_prefix('-')
                .and_then(|n| n.chars().next())
                .filter(char::is_ascii_hexdigit)
                .map(|_| pid);
        }
    }
    name.strip_prefix('.')
        .and_then(|rest| rest.strip_prefix(stem))
        .and_then(|rest| rest.strip_prefix(".tmp-"))
        .and_then(digits)
}

impl OutputSet {
    /// An empty set.
    pub fn new() -> Self {
        OutputSet::default()
    }

    /// What [`commit`](Self::commit) does when another process is
    /// committing in the same folder (default: wait).
    pub fn lock_policy(mut self, policy: LockPolicy) -> Self {
        self.lock_policy = policy;
        self
    }

    /// Record an input (a file path or a GDAL path; see [`underlying_file`]):
    /// no output may be the same file, nor any file GDAL reads for it (a
    /// VRT's sources, an OGR VRT's data source, a shapefile's companions).
    /// Inputs that do not exist (yet) or are remote are recorded by their
    /// canonical path only, if any.
    pub fn input(&mut self, path: &str) -> Result<()> {
        self.input_within(path, path, 0)
    }

    /// [`input`](Self::input) for `path`, read on behalf of `given`, `depth`
    /// data sets deep (OGR VRTs nest; a loop ends at a bounded depth).
    fn input_within(&mut self, given: &str, path: &str, depth: usize) -> Result<()> {
        const MAX_DEPTH: usize = 8;
        if let Some(file) = underlying_file(path) {
            self.record_input(given, &file)?;
            if depth < MAX_DEPTH {
                for source in ogr_vrt_sources(&file) {
                    self.input_within(given, &source, depth + 1)?;
                }
            }
        }
        for listed in gdal_file_list(path) {
            if let Some(file) = underlying_file(&listed) {
                self.record_input(given, &file)?;
            }
        }
        Ok(())
    }

    fn record_input(&mut self, given: &str, file: &Path) -> Result<()> {
        let (canonical, identity) = match std::fs::metadata(file) {
            Ok(meta) => (
                std::fs::canonicalize(file).unwrap_or_else(|_| file.to_path_buf()),
                identity(&meta),
            ),
            Err(_) => (file.to_path_buf(), None),
        };
        let input = Input {
            given: given.to_string(),
            canonical,
            identity,
        };
        for output in &self.outputs {
            check_against_input(output, &input)?;
        }
        self.inputs.push(input);
        Ok(())
    }

    /// Record every file of the folder `dir` (and below) as an input.
    pub fn input_folder(&mut self, dir: &Path) -> Result<()> {
        let entries = std::fs::read_dir(dir).map_err(|e| io_error(dir, e))?;
        for entry in entries {
            let path = entry.map_err(|e| io_error(dir, e))?.path();
            if path.is_dir() {
                self.input_folder(&path)?;
            } else {
                self.record_input(&path.to_string_lossy(), &path)?;
            }
        }
        Ok(())
    }

    /// Declare an output file. Refused ([`Error::OutputConflict`]) when it
    /// is an input (the same file, through any link), another output of
    /// this set, or has no file name; an [`Error::Io`] when it is a folder
    /// or its folder does not exist.
    pub fn output(&mut self, target: impl AsRef<Path>) -> Result<()> {
        let target = target.as_ref();
        let Some(name) = target.file_name() else {
            return Err(conflict(target, "is not a file name".into()));
        };
        let folder = folder_of(target);
        let canonical_folder = std::fs::canonicalize(folder).map_err(|_| {
            io_error(
                target,
                io::Error::other(format!(
                    "cannot write here: the folder {} does not exist",
                    folder.display()
                )),
            )
        })?;
        if !canonical_folder.is_dir() {
            return Err(io_error(
                target,
                io::Error::other(format!(
                    "cannot write here: {} is not a folder",
                    folder.display()
                )),
            ));
        }
        let canonical = canonical_folder.join(name);
        if canonical.is_dir() {
            return Err(io_error(
                target,
                io::Error::other("is a folder, not a file to write"),
            ));
        }
        let output = Output {
            target: target.to_path_buf(),
            canonical,
            staging: temporary_path_for(target),
            done: None,
        };
        for input in &self.inputs {
            check_against_input(&output, input)?;
        }
        let output_identity = std::fs::metadata(&output.canonical)
            .ok()
            .and_then(|m| identity(&m));
        for other in &self.outputs {
            let other_identity = std::fs::metadata(&other.canonical)
                .ok()
                .and_then(|m| identity(&m));
            if other.canonical == output.canonical
                || (output_identity.is_some() && output_identity == other_identity)
            {
                return Err(conflict(
                    target,
                    format!(
                        "is also another output of this run ({})",
                        other.target.display()
                    ),
                ));
            }
        }
        self.outputs.push(output);
        Ok(())
    }

    /// The declared outputs, in order.
    pub fn targets(&self) -> impl Iterator<Item = &Path> {
        self.outputs.iter().map(|o| o.target.as_path())
    }

    /// Check, before any work, that every output folder accepts a new file,
    /// and remove temporary files that dead processes left beside the
    /// outputs.
    pub fn prepare(&mut self) -> Result<()> {
        for output in &self.outputs {
            let folder = folder_of(&output.canonical).to_path_buf();
            remove_leftovers(&folder, &output.target, &self.inputs);
        }
        self.check_folders()
    }

    /// Check that every output folder accepts a new file and that no
    /// GeoPackage output has a SQLite log beside it; changes nothing
    /// (no leftover is removed: without the run's inputs, a file named like
    /// one may be an input).
    pub fn check_folders(&self) -> Result<()> {
        let mut probed = BTreeSet::new();
        for output in &self.outputs {
            check_no_sqlite_companions(&output.target)?;
            let folder = folder_of(&output.canonical).to_path_buf();
            if probed.insert(folder.clone()) {
                let probe = temporary_path_for(&output.target);
                // create_new: never through a link planted under the name.
                match File::options().write(true).create_new(true).open(&probe) {
                    Ok(_) => {
                        let _ = std::fs::remove_file(&probe);
                    }
                    Err(e) => {
                        return Err(io_error(
                            &output.target,
                            io::Error::other(format!(
                                "cannot write in {}: {e}",
                                folder_of(&output.target).display()
                            )),
                        ));
                    }
                }
            }
        }
        Ok(())
    }

    fn find(&self, target: &Path) -> Result<usize> {
        self.outputs
            .iter()
            .position(|o| o.target == target)
            .ok_or_else(|| {
                conflict(
                    target,
                    "was not declared as an output of this run (OutputSet::output)".into(),
                )
            })
    }

    /// The temporary path `target` is staged under, for writers that need
    /// a path (GDAL drivers); see [`write_with_path`](Self::write_with_path).
    pub fn staging_path(&self, target: &Path) -> Result<&Path> {
        Ok(&self.outputs[self.find(target)?].staging)
    }

    /// Write `target`'s content through `write` into its temporary file,
    /// check its size on disk and sync it. It is renamed into place by
    /// [`commit`](Self::commit).
    pub fn write(
        &mut self,
        target: &Path,
        write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
    ) -> Result<()> {
        let i = self.find(target)?;
        let staging = self.outputs[i].staging.clone();
        register_partial(&staging);
        let result = (|| -> io::Result<OutputFile> {
            let file = File::options()
                .write(true)
                .create_new(true)
                .open(&staging)?;
            let mut out = HashingWriter {
                inner: BufWriter::new(file),
                hasher: Sha256::new(),
                written: 0,
            };
            write(&mut out)?;
            out.flush()?;
            let HashingWriter {
                inner,
                hasher,
                written,
            } = out;
            let file = inner.into_inner().map_err(|e| e.into_error())?;
            file.sync_all()?;
            let on_disk = std::fs::metadata(&staging)?.len();
            if on_disk != written {
                return Err(io::Error::other(format!(
                    "{written} bytes written but {on_disk} on disk"
                )));
            }
            Ok(OutputFile {
                path: target.to_path_buf(),
                size_bytes: written,
                sha256: hex(&hasher.finalize()),
            })
        })();
        self.finish_staging(i, result.map_err(|e| io_error(target, e)))
    }

    /// Write `target` from bytes (see [`write`](Self::write)).
    pub fn write_bytes(&mut self, target: &Path, bytes: &[u8]) -> Result<()> {
        self.write(target, |w| w.write_all(bytes))
    }

    /// Write `target` with a writer that takes a path (a GDAL driver):
    /// `write` gets the temporary path, `check` re-reads what was written
    /// there (GDAL's GeoJSON writer reports no failed write), then the file
    /// is synced and hashed.
    pub fn write_with_path(
        &mut self,
        target: &Path,
        write: impl FnOnce(&Path) -> Result<()>,
        check: impl FnOnce(&Path) -> Result<()>,
    ) -> Result<()> {
        let i = self.find(target)?;
        let staging = self.outputs[i].staging.clone();
        register_partial(&staging);
        if std::fs::symlink_metadata(&staging).is_ok() {
            return Err(conflict(
                &staging,
                "exists already (a temporary name of this run); refusing to write through it"
                    .into(),
            ));
        }
        let result = write(&staging)
            .and_then(|()| check(&staging))
            .and_then(|()| {
                let hashed = (|| -> io::Result<(u64, String)> {
                    let mut file = std::fs::OpenOptions::new().read(true).open(&staging)?;
                    file.sync_all()?;
                    let mut hasher = Sha256::new();
                    let mut buffer = vec![0u8; 1 << 16];
                    let mut size = 0u64;
                    loop {
                        let n = file.read(&mut buffer)?;
                        if n == 0 {
                            break;
                        }
                        size += n as u64;
                        hasher.update(&buffer[..n]);
                    }
                    Ok((size, hex(&hasher.finalize())))
                })();
                let (size_bytes, sha256) = hashed.map_err(|e| io_error(target, e))?;
                Ok(OutputFile {
                    path: target.to_path_buf(),
                    size_bytes,
                    sha256,
                })
            });
        self.finish_staging(i, result)
    }

    fn finish_staging(&mut self, i: usize, result: Result<OutputFile>) -> Result<()> {
        let output = &mut self.outputs[i];
        match result {
            Ok(file) => {
                output.done = Some(file);
                Ok(())
            }
            Err(e) => {
                remove_with_companions(&output.staging);
                unregister_partial(&output.staging);
                Err(e)
            }
        }
    }

    /// The files staged so far (complete and checked), in declaration order.
    pub fn written(&self) -> Vec<OutputFile> {
        self.outputs.iter().filter_map(|o| o.done.clone()).collect()
    }

    /// Rename every staged file into place, all together: under an advisory
    /// lock on each output folder (see [`LockPolicy`]), with the previous
    /// files kept aside until every rename has succeeded (and put back if
    /// one fails). Fails, leaving the previous set untouched, when an
    /// output was declared but not written.
    pub fn commit(mut self) -> Result<Vec<OutputFile>> {
        if let Some(missing) = self.outputs.iter().find(|o| o.done.is_none()) {
            return Err(conflict(
                &missing.target,
                "was declared as an output but not written".into(),
            ));
        }
        let folders: BTreeSet<PathBuf> = self
            .outputs
            .iter()
            .map(|o| folder_of(&o.canonical).to_path_buf())
            .collect();
        let mut locks = Vec::new();
        for folder in &folders {
            locks.push(lock_folder(folder, self.lock_policy)?);
        }
        // Held while renaming: a signal waits for the set to be complete.
        let mut partial = partial_files();
        let result = rename_all(&self.outputs);
        for output in &self.outputs {
            partial.retain(|p| p != &output.staging);
        }
        drop(partial);
        if let Err(e) = result {
            for output in &self.outputs {
                remove_with_companions(&output.staging);
            }
            self.committed = true;
            return Err(e);
        }
        for folder in &folders {
            if let Ok(dir) = File::open(folder) {
                let _ = dir.sync_all();
            }
        }
        drop(locks);
        self.committed = true;
        Ok(self.outputs.iter().filter_map(|o| o.done.clone()).collect())
    }
}

impl Drop for OutputSet {
    fn drop(&mut self) {
        if self.committed {
            return;
        }
        for output in &self.outputs {
            remove_with_companions(&output.staging);
            unregister_partial(&output.staging);
        }
    }
}

/// Refuse `output` when it is `input`'s file.
fn check_against_input(output: &Output, input: &Input) -> Result<()> {
    let same_path = output.canonical == input.canonical;
    let same_file = input.identity.is_some()
        && std::fs::metadata(&output.canonical)
            .ok()
            .and_then(|m| identity(&m))
            == input.identity;
    if same_path || same_file {
        return Err(conflict(
            &output.target,
            format!(
                "is an input of this run ({}); refusing to overwrite it",
                input.given
            ),
        ));
    }
    Ok(())
}

/// Rename each staged output over its target, keeping hard links to the
/// previous files until all are in place; on a failure, put them back.
fn rename_all(outputs: &[Output]) -> Result<()> {
    // The previous files, kept aside: hard links (the target stays in place
    // until replaced) or, where the file system has none, renames.
    let mut previous: Vec<Option<PathBuf>> = Vec::new();
    let mut moved_aside: Vec<bool> = Vec::new();
    let mut failure = None;
    for output in outputs {
        if std::fs::symlink_metadata(&output.target).is_err() {
            previous.push(None);
            moved_aside.push(false);
            continue;
        }
        let backup = sibling_name(&output.target, "previous");
        if std::fs::hard_link(&output.target, &backup).is_ok() {
            previous.push(Some(backup));
            moved_aside.push(false);
            continue;
        }
        match std::fs::rename(&output.target, &backup) {
            Ok(()) => {
                previous.push(Some(backup));
                moved_aside.push(true);
            }
            Err(e) => {
                failure = Some(io_error(&output.target, e));
                break;
            }
        }
    }
    let mut renamed = 0;
    if failure.is_none() {
        for output in outputs {
            match std::fs::rename(&output.staging, &output.target) {
                Ok(()) => renamed += 1,
                Err(e) => {
                    failure = Some(io_error(&output.target, e));
                    break;
                }
            }
        }
    }
    if let Some(error) = failure {
        // Every previous file back in place (over a new file renamed in, or
        // from where it was moved aside); a new file without one removed.
        for (i, output) in outputs.iter().enumerate() {
            let replaced = i < renamed || moved_aside.get(i).copied().unwrap_or(false);
            match previous.get(i).cloned().flatten() {
                Some(backup) if replaced => {
                    let _ = std::fs::rename(&backup, &output.target);
                }
                Some(backup) => {
                    let _ = std::fs::remove_file(backup);
                }
                None if i < renamed => {
                    let _ = std::fs::remove_file(&output.target);
                }
                None => {}
            }
        }
        return Err(error);
    }
    for backup in previous.iter().flatten() {
        let _ = std::fs::remove_file(backup);
    }
    Ok(())
}

/// Take the advisory lock on `folder` that commits in it share.
fn lock_folder(folder: &Path, policy: LockPolicy) -> Result<File> {
    let dir = File::open(folder).map_err(|e| io_error(folder, e))?;
    match dir.try_lock() {
        Ok(()) => Ok(dir),
        Err(std::fs::TryLockError::WouldBlock) => match policy {
            LockPolicy::Wait => {
                dir.lock().map_err(|e| io_error(folder, e))?;
                Ok(dir)
            }
            LockPolicy::Fail => Err(io_error(
                folder,
                io::Error::other("another run is writing its outputs in this folder; try again"),
            )),
        },
        Err(std::fs::TryLockError::Error(e)) => Err(io_error(folder, e)),
    }
}

/// Remove temporary files of dead processes beside `target`, never one
/// that is an input of this run (a file may be named like a leftover) and
/// only plain files (a link or folder under such a name is not ours).
fn remove_leftovers(folder: &Path, target: &Path, inputs: &[Input]) {
    let Some(stem) = target.file_stem().and_then(|s| s.to_str()) else {
        return;
    };
    let Ok(entries) = std::fs::read_dir(folder) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let Some(pid) = leftover_pid(name, stem) else {
            continue;
        };
        let path = entry.path();
        let is_input = std::fs::symlink_metadata(&path).ok().is_some_and(|meta| {
            let id = identity(&meta);
            let canonical = std::fs::canonicalize(&path).ok();
            inputs.iter().any(|i| {
                (id.is_some() && i.identity == id) || canonical.as_ref() == Some(&i.canonical)
            })
        });
        let is_file = entry.file_type().is_ok_and(|t| t.is_file());
        if is_file && !is_input && pid != std::process::id() && !process_alive(pid) {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// Refuse a GeoPackage (SQLite) output that has a `-wal` or `-journal`
/// beside it: another program has it open, or a writer crashed, and SQLite
/// would apply that log to the new file put in its place.
fn check_no_sqlite_companions(target: &Path) -> Result<()> {
    for suffix in ["-wal", "-journal"] {
        let mut name = target.as_os_str().to_owned();
        name.push(suffix);
        let companion = PathBuf::from(name);
        if std::fs::symlink_metadata(&companion).is_ok() {
            return Err(conflict(
                target,
                format!(
                    "{} exists beside it: another program has it open, or a writer crashed; \
                     close that program (or remove {} if nothing uses it) and run again",
                    companion.display(),
                    companion.display()
                ),
            ));
        }
    }
    Ok(())
}

/// A writer that hashes and counts what passes through it.
struct HashingWriter<W: Write> {
    inner: W,
    hasher: Sha256,
    written: u64,
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.written += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leftover_names_are_recognised() {
        assert_eq!(leftover_pid("zonal.partial-123-4.csv", "zonal"), Some(123));
        assert_eq!(
            leftover_pid("zonal.partial-123-4.gpkg-journal", "zonal"),
            Some(123)
        );
        assert_eq!(leftover_pid("zonal.previous-9-0.csv", "zonal"), Some(9));
        assert_eq!(leftover_pid(".zonal.tmp-77.csv", "zonal"), Some(77));
        assert_eq!(leftover_pid("zonal.csv", "zonal"), None);
        assert_eq!(leftover_pid("zonal.partial-x.csv", "zonal"), None);
        assert_eq!(leftover_pid("zonal.partial-12.csv", "zonal"), None);
        assert_eq!(leftover_pid("other.partial-1-2.csv", "zonal"), None);
    }
}
