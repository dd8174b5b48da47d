//! The maps of a composite index as files beside its table.

use std::path::{Path, PathBuf};

use super::geometry::Topology;
use super::{Choropleth, InteractiveMap};
use crate::error::Result;
use crate::zones::ZoneSet;

/// The title of an index map when none is given.
pub const DEFAULT_TITLE: &str = "Composite index (0-100)";

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
    /// The maps' title (`None`: "Composite index (0-100)").
    pub title: Option<String>,
    /// A line under the title (`None`: none).
    pub subtitle: Option<String>,
    /// The source line at the bottom, e.g. from [`source_line`] (`None`:
    /// the terralux version alone).
    pub source: Option<String>,
    /// The static map's width in CSS pixels (its height follows the zones' shape).
    pub width: u32,
    /// The PNG's resolution: 96 gives one pixel per CSS pixel, 300 is for print.
    pub dpi: u32,
}

impl Default for MapOptions {
    fn default() -> Self {
        MapOptions {
            classes: 5,
            group_field: None,
            label_field: None,
            title: None,
            subtitle: None,
            source: None,
            width: 1000,
            dpi: 96,
        }
    }
}

/// The map files of an index ([`map_files`]) and what could not be drawn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MapFiles {
    /// The files to write: paths of [`map_paths`] and their bytes, in that order.
    pub files: Vec<(PathBuf, Vec<u8>)>,
    /// Notes for the user (stderr, a log): text the PNG could not draw for
    /// lack of a font.
    pub warnings: Vec<String>,
}

/// A map's source line: the inputs' file names, the data's date and the
/// day the map was made.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// let made = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
/// let line = terralux::map::source_line(&["data/ntl.tif", "data/counties.gpkg"], Some("2023"), made);
/// assert_eq!(line, "Data: ntl.tif, counties.gpkg (2023) · made 2023-11-14");
/// ```
pub fn source_line(inputs: &[&str], date: Option<&str>, made: std::time::SystemTime) -> String {
    let names: Vec<String> = inputs
        .iter()
        .map(|p| {
            Path::new(p)
                .file_name()
                .map_or_else(|| p.to_string(), |n| n.to_string_lossy().into_owned())
        })
        .collect();
    let day = chrono::DateTime::<chrono::Utc>::from(made).format("%Y-%m-%d");
    match date {
        Some(date) => format!("Data: {} ({date}) · made {day}", names.join(", ")),
        None => format!("Data: {} · made {day}", names.join(", ")),
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
/// [`map_paths`], in that order): a choropleth of `scores` as SVG and the
/// PNG rendered from it, titled "Composite index (0-100)" unless the
/// options say otherwise, with the group field's outlines (`province` by
/// default, when the zones have it), and the self-contained interactive
/// HTML map of the score and of each indicator (`indicators`, with one
/// column of values per zone each). The static maps are drawn while the
/// HTML map's data is built (two threads).
///
/// ```
/// use geo_types::{MultiPolygon, polygon};
/// use terralux::map::{MapOptions, map_files};
/// use terralux::zones::{Attributes, Zone, ZoneId, ZoneSet};
/// let zone = |id, x: f64| Zone { id: ZoneId::Int(id), attributes: Attributes::default(),
///     geometry: MultiPolygon(vec![polygon![(x: x, y: 0.0), (x: x + 1.0, y: 0.0), (x: x + 1.0, y: 1.0)]]) };
/// let zones = ZoneSet::new(vec![zone(1, 0.0), zone(2, 1.0)], None);
/// let maps = map_files("index.csv".as_ref(), &zones, &[Some(10.0), Some(90.0)],
///     &["lights".into()], &[vec![Some(1.0), Some(3.0)]], &MapOptions::default())?;
/// let files = &maps.files;
/// assert_eq!(files[0].0, std::path::Path::new("index.png"));
/// assert_eq!(&files[0].1[1..4], b"PNG");
/// assert!(String::from_utf8_lossy(&files[1].1).contains("Composite index (0-100)"));
/// assert!(String::from_utf8_lossy(&files[2].1).contains("lights"));
/// assert!(maps.warnings.is_empty());
/// # Ok::<(), terralux::Error>(())
/// ```
pub fn map_files(
    output: &Path,
    zones: &ZoneSet,
    scores: &[Option<f64>],
    indicators: &[String],
    columns: &[Vec<Option<f64>>],
    options: &MapOptions,
) -> Result<MapFiles> {
    let [png, svg, html] = map_paths(output);
    let title = options.title.as_deref().unwrap_or(DEFAULT_TITLE);
    let field = |given: &Option<String>, default: &str| -> Option<String> {
        given.clone().or_else(|| {
            zones
                .field_names()
                .iter()
                .any(|f| f == default)
                .then(|| default.to_string())
        })
    };
    let group = field(&options.group_field, "province");
    let label = field(&options.label_field, "name");

    // The zones' shared borders, found once for both maps.
    let topology = Topology::new(zones);
    let mut map = Choropleth::new(zones, scores, title)?
        .with_topology(&topology)
        .classes(options.classes)
        .width(options.width)
        .dpi(options.dpi)
        .legend_title("Index score");
    if let Some(subtitle) = &options.subtitle {
        map = map.subtitle(subtitle);
    }
    if let Some(source) = &options.source {
        map = map.source(source);
    }
    if let Some(group) = &group {
        map = map.group_by(group)?;
    }
    if let Some(label) = &label {
        map = map.label_field(label)?;
    }

    let mut page = InteractiveMap::new(zones, title)
        .with_topology(&topology)
        .classes(options.classes)
        .indicator("index score", scores)?;
    for (name, values) in indicators.iter().zip(columns) {
        page = page.indicator(name, values)?;
    }
    if let Some(group) = &group {
        page = page.group_by(group);
    }
    if let Some(label) = &label {
        page = page.label_field(label);
    }
    if let Some(source) = &options.source {
        page = page.source(source);
    }
    let (drawn, html_text) = rayon::join(|| map.render_both(), || page.to_html());
    let (svg_text, rendered) = drawn?;
    let html_text = html_text?;

    // Zones outside the frame are named in the legend, not warned about:
    // fitting the map to the zones with a value is the rule, not a fault.
    let warnings: Vec<String> = rendered
        .unrendered
        .iter()
        .map(|text| format!("map {}: could not draw text {text}", png.display()))
        .collect();
    Ok(MapFiles {
        files: vec![
            (png, rendered.png),
            (svg, svg_text.into_bytes()),
            (html, html_text.into_bytes()),
        ],
        warnings,
    })
}
