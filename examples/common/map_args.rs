//! The map flags of binaries that draw maps (`poverty_index`): title,
//! subtitle, source line, width and print resolution, turned into the
//! library's [`MapOptions`].

use terralux::map::MapOptions;

/// How the maps look: `#[command(flatten)]` into a binary's `Cli`.
#[derive(clap::Args, Debug, Clone, PartialEq, Eq)]
pub struct MapArgs {
    /// The maps' title (default: 'Composite index (0-100)'). Any script:
    /// Chinese is drawn when a CJK font is installed (Debian's
    /// fonts-noto-cjk), else the run warns which text it could not draw.
    #[arg(long = "map-title", value_name = "TEXT", help_heading = "MAPS", verbatim_doc_comment)]
    pub title: Option<String>,
    /// A line under the title (default: the indicators and the date).
    #[arg(long = "map-subtitle", value_name = "TEXT", help_heading = "MAPS", verbatim_doc_comment)]
    pub subtitle: Option<String>,
    /// The source line at the bottom of the maps (default: the inputs'
    /// file names, the date and the day of the run); the terralux version
    /// is added.
    #[arg(long = "map-source", value_name = "TEXT", help_heading = "MAPS", verbatim_doc_comment)]
    pub source: Option<String>,
    /// The static map's width in CSS pixels; its height follows the zones'
    /// shape.
    #[arg(long = "map-width", value_name = "PX", default_value_t = 1000,
          value_parser = clap::value_parser!(u32).range(480..=20000),
          help_heading = "MAPS", verbatim_doc_comment)]
    pub width: u32,
    /// The PNG's resolution: 96 draws one pixel per CSS pixel, 300 is for
    /// print (the SVG is the same).
    #[arg(long, value_name = "N", default_value_t = 96,
          value_parser = clap::value_parser!(u32).range(24..=1200),
          help_heading = "MAPS", verbatim_doc_comment)]
    pub dpi: u32,
}

impl MapArgs {
    /// The library's map options (classes, group and label fields come
    /// from the request).
    pub fn options(&self) -> MapOptions {
        MapOptions {
            title: self.title.clone(),
            subtitle: self.subtitle.clone(),
            source: self.source.clone(),
            width: self.width,
            dpi: self.dpi,
            ..MapOptions::default()
        }
    }
}
