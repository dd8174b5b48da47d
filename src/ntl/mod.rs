//! Night-time light products: recognising EOG VIIRS (VNL), NASA Black
//! Marble and DMSP-OLS files from their names, their grids, nodata and
//! calibration (DOMAIN.md §1).

pub mod blackmarble;
mod collection;
#[cfg(feature = "gdal")]
mod county;
pub mod dmsp;
mod indicators;
pub mod mask;
pub mod population;
pub mod series;
pub mod trend;
pub mod vnl;

pub use collection::{Collection, CollectionFile, ProductChoice, cf_cvg_path};
#[cfg(feature = "gdal")]
pub use county::{CountyNtlOptions, CountyNtlRun, RunEvent, county_ntl};
pub use indicators::{INDICATOR_NAMES, IndicatorSet};

/// A night-light product family, as recognised from a file name.
#[derive(Debug, Clone, PartialEq)]
pub enum Product {
    /// EOG VIIRS nighttime lights (annual or monthly).
    Vnl(vnl::VnlName),
    /// NASA Black Marble VNP46/VJ146 tiles.
    BlackMarble(blackmarble::BlackMarbleName),
    /// DMSP-OLS stable lights v4.
    Dmsp(dmsp::SatYear),
}

impl Product {
    /// Recognise a product from a path's file name.
    ///
    /// ```
    /// use terralux::ntl::Product;
    /// assert!(matches!(Product::from_name("F121999.v4b_web.stable_lights.avg_vis.tif"), Some(Product::Dmsp(_))));
    /// assert!(matches!(Product::from_name("VNP46A3.A2020001.h29v05.001.2021.h5"), Some(Product::BlackMarble(_))));
    /// assert!(Product::from_name("ntl.tif").is_none());
    /// ```
    pub fn from_name(name: &str) -> Option<Product> {
        if let Some(n) = blackmarble::BlackMarbleName::parse(name) {
            return Some(Product::BlackMarble(n));
        }
        if let Some(n) = vnl::VnlName::parse(name) {
            return Some(Product::Vnl(n));
        }
        dmsp::SatYear::from_name(name).map(Product::Dmsp)
    }

    /// The date label used in long outputs (`2014`, `2014-01`, `2015-01-01`, `1999`).
    pub fn date(&self) -> String {
        match self {
            Product::Vnl(n) => n.date(),
            Product::BlackMarble(n) => n.date(),
            Product::Dmsp(s) => format!("{}", s.year),
        }
    }
}
