//! Night-time light products: recognising EOG VIIRS (VNL), NASA Black
//! Marble and DMSP-OLS files from their names, their grids, nodata and
//! calibration (DOMAIN.md §1).

pub mod blackmarble;
mod collection;
#[cfg(feature = "gdal")]
mod county;
#[cfg(feature = "gdal")]
pub mod county_plan;
pub mod dmsp;
mod indicators;
pub mod mask;
pub mod population;
pub mod series;
pub mod trend;
pub mod vnl;

pub use collection::{Collection, CollectionFile, ProductChoice, cf_cvg_path, gdal_path};
#[cfg(feature = "gdal")]
pub use county::{CountyNtlOptions, CountyNtlRun, RunEvent, county_ntl};
#[cfg(feature = "gdal")]
pub use county_plan::{CountyPass, CountyPlan, county_unit};
pub use indicators::{INDICATOR_NAMES, IndicatorSet, Normaliser};

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

    /// Like [`Product::from_name`], but a name that looks like a product's
    /// (`VNL_`, `SVDNB_`, `VNP46`, `VJ146`) and cannot be read is an error
    /// naming the file and what is wrong, instead of a plain raster with
    /// the wrong date.
    ///
    /// ```
    /// use terralux::ntl::Product;
    /// assert!(Product::recognise("data/ntl.tif").unwrap().is_none());
    /// let err = Product::recognise("data/VNL_v21_npp_global_vcmslcfg_c1.average_masked.tif").unwrap_err();
    /// assert!(err.to_string().starts_with("data/VNL_v21_npp_global_vcmslcfg_c1.average_masked.tif: looks like an EOG VNL name"), "{err}");
    /// assert!(Product::recognise("VNP46A2.A2015366.h29v05.002.2021.h5").is_err()); // 2015 has 365 days
    /// ```
    pub fn recognise(name: &str) -> crate::Result<Option<Product>> {
        let file = name.rsplit(['/', '\\']).next().unwrap_or(name);
        let unreadable = |what: &str, reason: String| crate::Error::Mismatch {
            context: name.to_string(),
            reason: format!("looks like {what} name but {reason}"),
        };
        if file.starts_with("VNP46") || file.starts_with("VJ146") {
            return blackmarble::BlackMarbleName::parse(file)
                .map(|n| Some(Product::BlackMarble(n)))
                .ok_or_else(|| {
                    unreadable(
                        "a NASA Black Marble",
                        "is not PRODUCT.AYYYYDDD.hHHvVV.CCC.*.h5 with a day that exists and a tile \
                         h00..h35, v00..v17"
                            .into(),
                    )
                });
        }
        match vnl::VnlName::check(file) {
            Ok(Some(n)) => return Ok(Some(Product::Vnl(n))),
            Err(reason) => return Err(unreadable("an EOG VNL", format!("has {reason}"))),
            Ok(None) => {}
        }
        Ok(dmsp::SatYear::from_name(file).map(Product::Dmsp))
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
