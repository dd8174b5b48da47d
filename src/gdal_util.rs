//! Small helpers around GDAL calls (only with the `gdal` feature).

use std::ffi::{CStr, CString, c_char, c_void};
use std::sync::Mutex;

use gdal_sys::{CPLErr, CPLErrorNum};

/// The longest message GDAL keeps as its last error without growing its
/// buffer (`DEFAULT_LAST_ERR_MSG_SIZE` minus the terminating NUL):
/// `CPLErrorSetState` truncates anything longer.
const GDAL_LAST_ERROR_ROOM: usize = 499;

/// Run `f` with GDAL's error printing silenced on this thread.
///
/// GDAL's default error handler prints `ERROR 4: ...` on stderr for every
/// failed call; terralux turns those failures into [`crate::Error`]s
/// instead, so the printout would only repeat them. Those errors are built
/// from GDAL's *last* error message, which is often the least telling one
/// (GeoJSON's "Failed to read GeoJSON data" hides the first error, which
/// names `OGR_GEOJSON_MAX_OBJ_SIZE`). So while `f` runs, the first failure
/// GDAL reports is kept, and when a later, different failure arrives, GDAL's
/// last error message is rewritten to read
/// `<first failure> (then: <latest failure>)`: whatever `f` builds from
/// GDAL's last message (the gdal crate's errors, `CPLGetLastErrorMsg`)
/// relays GDAL's own first reason too. Warnings and debug messages are
/// left alone. The error class and number stay those of the latest failure.
pub(crate) fn quietly<T>(f: impl FnOnce() -> T) -> T {
    struct Pop;
    impl Drop for Pop {
        fn drop(&mut self) {
            // SAFETY: pops the handler pushed below, on the same thread.
            unsafe { gdal_sys::CPLPopErrorHandler() };
        }
    }
    // The first failure of `f`. A Mutex, not a RefCell: GDAL may hand a thread's
    // handler (and its user data) to worker threads.
    let first: Mutex<Option<String>> = Mutex::new(None);
    // SAFETY: `relaying_handler` has the handler signature; the user data points to
    // `first`, which outlives the push: `Pop` undoes it (even if `f` panics) before
    // `first` is dropped, and GDAL calls the handler only while `f` runs.
    unsafe {
        gdal_sys::CPLPushErrorHandlerEx(
            Some(relaying_handler),
            &first as *const Mutex<Option<String>> as *mut c_void,
        )
    };
    let _pop = Pop;
    f()
}

/// The error handler of [`quietly`]: silent like `CPLQuietErrorHandler`
/// (which it calls, so that debug output still follows `CPL_DEBUG`); it
/// remembers the first failure and rewrites GDAL's last error message to
/// relay it.
unsafe extern "C" fn relaying_handler(
    class: CPLErr::Type,
    number: CPLErrorNum,
    msg: *const c_char,
) {
    // SAFETY: forwards GDAL's own arguments to GDAL's quiet handler.
    unsafe { gdal_sys::CPLQuietErrorHandler(class, number, msg) };
    if (class != CPLErr::CE_Failure && class != CPLErr::CE_Fatal) || msg.is_null() {
        return;
    }
    // SAFETY: GDAL passes a valid NUL-terminated message (null is checked above). It is
    // GDAL's last-error buffer, which `CPLErrorSetState` below overwrites: copy it first.
    let text = unsafe { CStr::from_ptr(msg) }
        .to_string_lossy()
        .into_owned();
    // SAFETY: the user data is the `Mutex` pushed by `quietly`, alive while this handler
    // is installed.
    let data = unsafe { gdal_sys::CPLGetErrorHandlerUserData() } as *const Mutex<Option<String>>;
    if data.is_null() {
        return;
    }
    let Ok(mut first) = (unsafe { &*data }).lock() else {
        return;
    };
    let combined = match first.as_deref() {
        None => {
            *first = Some(text);
            None
        }
        Some(first) => combined_message(first, &text),
    };
    drop(first);
    if let Some(combined) = combined.and_then(|c| CString::new(c).ok()) {
        // SAFETY: a valid C string; GDAL copies it into its thread-local error state.
        unsafe { gdal_sys::CPLErrorSetState(class, number, combined.as_ptr()) };
    }
}

/// The message GDAL should keep as its last error when `latest` follows the
/// `first` failure: `None` when `latest` already says it all (it repeats the
/// first, as GDAL does when it passes an error message on).
fn combined_message(first: &str, latest: &str) -> Option<String> {
    if first.is_empty() || latest.contains(first) {
        return None;
    }
    let tail = format!(" (then: {latest})");
    let room = GDAL_LAST_ERROR_ROOM.saturating_sub(tail.len());
    if room < 40 {
        // The latest message alone fills GDAL's buffer: keep it whole.
        return None;
    }
    let head = if first.len() <= room {
        first.to_string()
    } else {
        let mut end = room - 3;
        while !first.is_char_boundary(end) {
            end -= 1;
        }
        format!("{}...", &first[..end])
    };
    Some(format!("{head}{tail}"))
}

/// GDAL's last error message on this thread (`None` when empty): the
/// reason behind an OGR error code, which the gdal crate reports as a
/// number only (`OGR_L_CreateFeature returned error: '6'`).
pub(crate) fn last_error_message() -> Option<String> {
    // SAFETY: GDAL returns a valid NUL-terminated thread-local string (never null).
    let message = unsafe { CStr::from_ptr(gdal_sys::CPLGetLastErrorMsg()) }
        .to_string_lossy()
        .trim()
        .to_string();
    (!message.is_empty()).then_some(message)
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

    /// Emit a GDAL failure, as a driver would.
    fn fail(message: &str) {
        let format = CString::new("%s").unwrap();
        let message = CString::new(message).unwrap();
        // SAFETY: a "%s" format with one C string argument.
        unsafe { gdal_sys::CPLError(CPLErr::CE_Failure, 1, format.as_ptr(), message.as_ptr()) };
    }

    fn last_message() -> String {
        // SAFETY: GDAL returns its valid, NUL-terminated last error message.
        unsafe { CStr::from_ptr(gdal_sys::CPLGetLastErrorMsg()) }
            .to_string_lossy()
            .into_owned()
    }

    #[test]
    fn the_first_failure_is_relayed_with_the_last() {
        let message = quietly(|| {
            fail("object too large: raise OGR_GEOJSON_MAX_OBJ_SIZE");
            fail("Failed to read GeoJSON data");
            last_message()
        });
        assert_eq!(
            message,
            "object too large: raise OGR_GEOJSON_MAX_OBJ_SIZE (then: Failed to read GeoJSON data)"
        );
        // A single failure, or the first passed on again, stays as GDAL wrote it.
        assert_eq!(
            quietly(|| {
                fail("only one");
                last_message()
            }),
            "only one"
        );
        let passed_on = quietly(|| {
            fail("root cause");
            fail("wrapper: root cause");
            last_message()
        });
        assert_eq!(passed_on, "wrapper: root cause");
        // Each call starts afresh.
        assert_eq!(
            quietly(|| {
                fail("again");
                last_message()
            }),
            "again"
        );
    }

    #[test]
    fn combined_messages_fit_gdals_buffer() {
        let long = "x".repeat(1000);
        let combined = combined_message(&long, "last").unwrap();
        assert!(combined.len() <= GDAL_LAST_ERROR_ROOM);
        assert!(combined.ends_with("... (then: last)"));
        assert_eq!(combined_message("a", &long), None);
        assert_eq!(combined_message("", "b"), None);
    }

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
