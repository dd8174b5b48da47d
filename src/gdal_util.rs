//! Small helpers around GDAL calls (only with the `gdal` feature).

/// Run `f` with GDAL's error printing silenced on this thread.
///
/// GDAL's default error handler prints `ERROR 4: ...` on stderr for every
/// failed call; terralux turns those failures into [`crate::Error`]s
/// instead, so the printout would only repeat them. The last error message
/// is still recorded by GDAL and reaches the returned `Result`.
pub(crate) fn quietly<T>(f: impl FnOnce() -> T) -> T {
    struct Pop;
    impl Drop for Pop {
        fn drop(&mut self) {
            // SAFETY: pops the handler pushed below, on the same thread.
            unsafe { gdal_sys::CPLPopErrorHandler() };
        }
    }
    // SAFETY: CPLQuietErrorHandler is a plain C function with the handler signature;
    // the push is thread-local and undone by `Pop` even if `f` panics.
    unsafe { gdal_sys::CPLPushErrorHandler(Some(gdal_sys::CPLQuietErrorHandler)) };
    let _pop = Pop;
    f()
}

/// True when `path` names a GDAL connection string or virtual file
/// (`HDF5:"f.h5"://...`, `NETCDF:...`, `/vsizip/...`) rather than a plain file,
/// so that its existence cannot be checked on the file system.
pub(crate) fn is_gdal_virtual_path(path: &str) -> bool {
    if path.starts_with("/vsi") {
        return true;
    }
    match path.find(':') {
        // A driver prefix is at least two characters (one letter is a Windows drive).
        Some(idx) if idx >= 2 => path[..idx]
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_'),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn virtual_paths_are_recognised() {
        assert!(is_gdal_virtual_path(r#"HDF5:"f.h5"://HDFEOS/GRIDS/x"#));
        assert!(is_gdal_virtual_path("/vsizip/a.zip/b.tif"));
        assert!(is_gdal_virtual_path("NETCDF:f.nc:var"));
        assert!(!is_gdal_virtual_path("testdata/ntl.tif"));
        assert!(!is_gdal_virtual_path("C:/data/ntl.tif"));
        assert!(!is_gdal_virtual_path("/data/my:odd/file.tif"));
    }
}
