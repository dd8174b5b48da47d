//! Refusing VRT rasters that read raw bytes of other files.
//!
//! A VRT band of subclass `VRTRawRasterBand` reads any file it names as raw
//! cells: a `max` over a VRT pointing at `/etc/passwd` reproduces the file.
//! GDAL 3.6 has no option to forbid it, so [`refuse_raw_vrt`] looks for
//! such bands in the XML GDAL reports for a VRT (metadata domain `xml:VRT`),
//! and in every VRT it reads from (a source that is itself a VRT file, an
//! inline VRT or a `vrt://` string, whatever its name; `/vsi` paths
//! included), down to [`MAX_DEPTH`] levels.

use std::collections::HashSet;

use gdal::{Dataset, DatasetOptions, GdalOpenFlags, Metadata};

use crate::error::{Error, Result};
use crate::gdal_util::quietly;

/// How deep VRTs reading VRTs are followed; a deeper chain is refused.
pub(super) const MAX_DEPTH: usize = 8;

/// How to allow what is refused here.
const OPT_IN: &str = "refused unless allowed (RasterOptions::allow_raw_vrt, --allow-raw-vrt)";

/// `Err` when `dataset`, opened from `name`, is a VRT with a
/// `VRTRawRasterBand`, or reads from a VRT that has one (at any depth up to
/// [`MAX_DEPTH`]). Datasets of other drivers pass.
pub(super) fn refuse_raw_vrt(dataset: &Dataset, name: &str) -> Result<()> {
    let refuse = |reason: String| Error::Open {
        source_name: name.to_string(),
        reason,
    };
    let mut visited = HashSet::from([name.to_string()]);
    match find_raw_band(dataset, name, 0, &mut visited) {
        Finding::Clean => Ok(()),
        Finding::Raw { chain } => {
            let place = match chain.split_last() {
                None => String::new(),
                Some((inner, [])) => format!(" (in its source {inner})"),
                Some((inner, through)) => {
                    format!(
                        " (in {inner}, which it reads through {})",
                        through.join(", then ")
                    )
                }
            };
            Err(refuse(format!(
                "it contains a VRTRawRasterBand{place}, which reads raw bytes of another file; {OPT_IN}"
            )))
        }
        Finding::TooDeep => Err(refuse(format!(
            "it reads VRTs that read VRTs more than {MAX_DEPTH} levels deep, too deep to check for a \
             VRTRawRasterBand (which reads raw bytes of another file); {OPT_IN}"
        ))),
        Finding::NoXml => Err(refuse(format!(
            "it is a VRT whose XML GDAL does not report, so it cannot be checked for a \
             VRTRawRasterBand (which reads raw bytes of another file); {OPT_IN}"
        ))),
    }
}

/// What [`find_raw_band`] found.
#[derive(Debug, PartialEq)]
enum Finding {
    /// No raw band anywhere.
    Clean,
    /// A raw band, in the VRT reached through `chain` (empty: the VRT itself).
    Raw { chain: Vec<String> },
    /// VRTs nest deeper than [`MAX_DEPTH`].
    TooDeep,
    /// A VRT whose XML is not available.
    NoXml,
}

fn find_raw_band(
    dataset: &Dataset,
    name: &str,
    depth: usize,
    visited: &mut HashSet<String>,
) -> Finding {
    if !dataset.driver().short_name().eq_ignore_ascii_case("VRT") {
        return Finding::Clean;
    }
    let Some(xml) = dataset
        .metadata_domain("xml:VRT")
        .map(|items| items.join("\n"))
        .filter(|xml| !xml.trim().is_empty())
    else {
        return Finding::NoXml;
    };
    if mentions_raw_band(&xml) {
        return Finding::Raw { chain: Vec::new() };
    }
    for source in sources(&xml, name) {
        if !visited.insert(source.clone()) {
            continue;
        }
        // Only the VRT driver: a source it does not open is not a VRT (or not readable
        // at all, and then the VRT cannot read it either).
        let Some(inner) = open_as_vrt(&source) else {
            continue;
        };
        if depth + 1 >= MAX_DEPTH {
            return Finding::TooDeep;
        }
        match find_raw_band(&inner, &source, depth + 1, visited) {
            Finding::Clean => {}
            Finding::Raw { mut chain } => {
                chain.insert(0, source);
                return Finding::Raw { chain };
            }
            other => return other,
        }
    }
    Finding::Clean
}

fn open_as_vrt(source: &str) -> Option<Dataset> {
    quietly(|| {
        Dataset::open_ex(
            source,
            DatasetOptions {
                open_flags: GdalOpenFlags::GDAL_OF_RASTER | GdalOpenFlags::GDAL_OF_READONLY,
                allowed_drivers: Some(&["VRT"]),
                ..DatasetOptions::default()
            },
        )
    })
    .ok()
}

/// True when VRT XML names the raw band subclass anywhere (GDAL compares
/// subclass names ignoring case; an inline VRT source keeps it as text).
fn mentions_raw_band(xml: &str) -> bool {
    xml.to_ascii_lowercase().contains("vrtrawrasterband")
}

/// The data sets a VRT's XML reads from (`SourceFilename` of sources,
/// overviews and pansharpening bands, `SourceDataset` of warped VRTs), as
/// GDAL would open them: paths marked `relativeToVRT="1"` are joined to the
/// directory of `vrt_name`.
fn sources(xml: &str, vrt_name: &str) -> Vec<String> {
    let mut out = Vec::new();
    for tag in ["SourceFilename", "SourceDataset"] {
        let open = format!("<{tag}");
        let close = format!("</{tag}>");
        let mut rest = xml;
        while let Some(start) = rest.find(&open) {
            rest = &rest[start + open.len()..];
            // `<SourceFilename>` or `<SourceFilename attr="...">`, not `<SourceFilenameX>`.
            if !rest.starts_with(['>', ' ', '\t', '\n', '\r', '/']) {
                continue;
            }
            let Some(tag_end) = rest.find('>') else {
                break;
            };
            let attributes = &rest[..tag_end];
            if attributes.ends_with('/') {
                rest = &rest[tag_end + 1..];
                continue;
            }
            let body = &rest[tag_end + 1..];
            let Some(body_end) = body.find(&close) else {
                break;
            };
            let path = unescape(body[..body_end].trim());
            rest = &body[body_end + close.len()..];
            if path.is_empty() {
                continue;
            }
            let relative = attribute(attributes, "relativeToVRT").as_deref() == Some("1");
            out.push(if relative {
                relative_to(vrt_name, &path)
            } else {
                path
            });
        }
    }
    out
}

/// The value of attribute `name` in a tag's attribute text (as GDAL writes it: `name="v"`).
fn attribute(attributes: &str, name: &str) -> Option<String> {
    let lower = attributes.to_ascii_lowercase();
    let key = format!("{}=\"", name.to_ascii_lowercase());
    let start = lower.find(&key)? + key.len();
    let end = attributes[start..].find('"')? + start;
    Some(unescape(&attributes[start..end]))
}

/// `path` joined to the directory of `vrt_name`, as GDAL's
/// `CPLProjectRelativeFilename` does (absolute paths, `/vsi` paths and
/// inline XML stay as they are).
fn relative_to(vrt_name: &str, path: &str) -> String {
    let absolute = path.starts_with('/')
        || path.starts_with('\\')
        || path.starts_with('<')
        || path.as_bytes().get(1) == Some(&b':');
    if absolute || vrt_name.starts_with('<') {
        return path.to_string();
    }
    match vrt_name.rfind(['/', '\\']) {
        Some(slash) => format!("{}/{path}", &vrt_name[..slash]),
        None => path.to_string(),
    }
}

/// Text with XML's character references decoded.
fn unescape(text: &str) -> String {
    if !text.contains('&') {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let decoded = rest.find(';').and_then(|semi| {
            let entity = &rest[1..semi];
            let c = match entity {
                "lt" => Some('<'),
                "gt" => Some('>'),
                "amp" => Some('&'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                _ => entity
                    .strip_prefix("#x")
                    .or_else(|| entity.strip_prefix("#X"))
                    .map(|hex| u32::from_str_radix(hex, 16))
                    .or_else(|| entity.strip_prefix('#').map(str::parse::<u32>))
                    .and_then(|n| n.ok())
                    .and_then(char::from_u32),
            }?;
            Some((c, semi))
        });
        match decoded {
            Some((c, semi)) => {
                out.push(c);
                rest = &rest[semi + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_are_found_and_resolved() {
        let xml = r#"<VRTDataset rasterXSize="1" rasterYSize="1">
  <VRTRasterBand dataType="Byte" band="1">
    <SimpleSource>
      <SourceFilename relativeToVRT="1">sub/a.tif</SourceFilename>
    </SimpleSource>
    <ComplexSource><SourceFilename relativeToVRT="0">/data/b&amp;c.vrt</SourceFilename></ComplexSource>
    <SimpleSource><SourceFilename>&lt;VRTDataset/&gt;</SourceFilename></SimpleSource>
  </VRTRasterBand>
  <GDALWarpOptions><SourceDataset relativeToVRT="1">w.vrt</SourceDataset></GDALWarpOptions>
</VRTDataset>"#;
        assert_eq!(
            sources(xml, "/vsimem/dir/top.vrt"),
            vec![
                "/vsimem/dir/sub/a.tif".to_string(),
                "/data/b&c.vrt".to_string(),
                "<VRTDataset/>".to_string(),
                "/vsimem/dir/w.vrt".to_string(),
            ]
        );
        assert_eq!(sources(xml, "top.vrt")[0], "sub/a.tif");
    }

    #[test]
    fn raw_bands_are_recognised_in_any_case() {
        assert!(mentions_raw_band(
            r#"<VRTRasterBand subClass="VRTRawRasterBand">"#
        ));
        assert!(mentions_raw_band(
            r#"<VRTRasterBand subClass="vrtrawrasterband">"#
        ));
        assert!(mentions_raw_band(
            "<SourceFilename>&lt;VRTRasterBand subClass=&quot;VRTRawRasterBand&quot;&gt;"
        ));
        assert!(!mentions_raw_band(
            r#"<VRTRasterBand subClass="VRTDerivedRasterBand">"#
        ));
    }

    #[test]
    fn references_are_decoded() {
        assert_eq!(unescape("a&lt;b&#x41;&#66;&bogus;&"), "a<bAB&bogus;&");
    }
}
