//! The maps of a composite index as files beside its table.

use std::path::{Path, PathBuf};

use super::{Choropleth, InteractiveMap};
use crate::error::Result;
use crate::zones::ZoneSet;

/// How the maps of an index are drawn ([`map_files`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MapOptions {
    /// Quantile classes (5: quintiles).
    pub classes: usize,
    /// The zones' field listing the groups to zoom to in the HTML map
    /// (`None`: `province` when the zones have it).
    pub group_field: Option<String>,
    /// The zones' field shown beside each id (`None`: `name` when present).
    pub label_field: Option<String>,
}

impl Default for MapOptions {
    fn default() -> Self {
        MapOptions {
            classes: 5,
            group_field: None,
            label_field: None,
        }
    }
}

/// Where [`map_files`] puts the maps of the table `output`:
/// `<stem>.png`, `<stem>.svg` and `<stem>.html` beside it.
///
/// ```
/// use std::path::Path;
/// let [png, svg, html] = terralux::map::map_paths(Path::new("out/index.csv"));
/// assert_eq!((png.as_path(), svg.as_path(), html.as_path()),
///     (Path::new("out/index.png"), Path::new("out/index.svg"), Path::new("out/index.html")));
/// ```
pub fn map_paths(output: &Path) -> [PathBuf; 3] {
    ["png", "svg", "html"].map(|extension| output.with_extension(extension))
}

/// The maps of an index table `output` as the files to write (paths of
/// [`map_paths`], in that order): a choropleth of `scores` as PNG and SVG,
/// titled "Composite index (0-100)", and the self-contained interactive
/// HTML map of the score and of each indicator (`indicators`, with one
/// column of values per zone each).
///
/// ```
/// use geo_types::{MultiPolygon, polygon};
/// use terralux::map::{MapOptions, map_files};
/// use terralux::zones::{Attributes, Zone, ZoneId, ZoneSet};
/// let zone = |id, x: f64| Zone { id: ZoneId::Int(id), attributes: Attributes::default(),
///     geometry: MultiPolygon(vec![polygon![(x: x, y: 0.0), (x: x + 1.0, y: 0.0), (x: x + 1.0, y: 1.0)]]) };
/// let zones = ZoneSet::new(vec![zone(1, 0.0), zone(2, 1.0)], None);
/// let files = map_files("index.csv".as_ref(), &zones, &[Some(10.0), Some(90.0)],
///     &["lights".into()], &[vec![Some(1.0), Some(3.0)]], &MapOptions::default())?;
/// assert_eq!(files[0].0, std::path::Path::new("index.png"));
/// assert_eq!(&files[0].1[1..4], b"PNG");
/// assert!(String::from_utf8_lossy(&files[2].1).contains("lights"));
/// # Ok::<(), terralux::Error>(())
/// ```
pub fn map_files(
    output: &Path,
    zones: &ZoneSet,
    scores: &[Option<f64>],
    indicators: &[String],
    columns: &[Vec<Option<f64>>],
    options: &MapOptions,
) -> Result<Vec<(PathBuf, Vec<u8>)>> {
    let [png, svg, html] = map_paths(output);
    let title = "Composite index (0-100)";
    let map = Choropleth::new(zones, scores, title)?.classes(options.classes);
    let mut files = vec![(png, map.to_png()?), (svg, map.to_svg().into_bytes())];

    let field = |given: &Option<String>, default: &str| -> Option<String> {
        given.clone().or_else(|| {
            zones
                .field_names()
                .iter()
                .any(|f| f == default)
                .then(|| default.to_string())
        })
    };
    let mut page = InteractiveMap::new(zones, title)
        .classes(options.classes)
        .indicator("index score", scores)?;
    for (name, values) in indicators.iter().zip(columns) {
        page = page.indicator(name, values)?;
    }
    if let Some(group) = field(&options.group_field, "province") {
        page = page.group_by(&group);
    }
    if let Some(label) = field(&options.label_field, "name") {
        page = page.label_field(&label);
    }
    files.push((html, page.to_html()?.into_bytes()));
    Ok(files)
}
