//! Whole runs as library calls: what each binary of `examples/` does,
//! from a request to its files, so that a crate user, the Python package
//! and a Dask task reproduce a binary's outputs with one or two calls.
//!
//! The workflows print nothing: what a binary says on stderr comes back as
//! events (through a callback, as it happens) or data, and progress is an
//! event too, for the caller to draw.

#[cfg(feature = "gdal")]
pub mod county_ntl;
#[cfg(feature = "gdal")]
pub mod poverty;
#[cfg(feature = "gdal")]
pub mod zonal;

/// Ids for a one-line message: the first ten, joined by `, `, then how many
/// more.
///
/// ```
/// use terralux::workflow::id_list;
/// assert_eq!(id_list(&["a".into(), "b".into()]), "a, b");
/// let many: Vec<String> = (1..=12).map(|i| i.to_string()).collect();
/// assert_eq!(id_list(&many), "1, 2, 3, 4, 5, 6, 7, 8, 9, 10 and 2 more");
/// ```
pub fn id_list(ids: &[String]) -> String {
    const SHOWN: usize = 10;
    let mut text = ids
        .iter()
        .take(SHOWN)
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(", ");
    if ids.len() > SHOWN {
        text.push_str(&format!(" and {} more", ids.len() - SHOWN));
    }
    text
}

/// `path` as the text GDAL and the output checks take, or an
/// [`Error::Request`](crate::Error::Request) naming its `role`.
#[cfg(feature = "gdal")]
fn path_text<'a>(role: &str, path: &'a std::path::Path) -> crate::Result<&'a str> {
    path.to_str().ok_or_else(|| crate::Error::Request {
        context: role.to_string(),
        reason: format!(
            "'{}' is not valid UTF-8, and terralux passes input paths to GDAL as text",
            path.to_string_lossy()
        ),
    })
}
