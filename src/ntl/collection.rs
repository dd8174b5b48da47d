//! A collection of night-light files: which product each is, its date and
//! tile, its `cf_cvg` companion, and what a run over them should be told.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use super::Product;
use crate::error::{Error, Result};

/// Which product family to read: recognised from the names (`Auto`), or one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ProductChoice {
    /// Whatever the names say (files that are no known product are read as plain rasters).
    #[default]
    Auto,
    /// EOG VIIRS nighttime lights (annual VNL, monthly SVDNB).
    Vnl,
    /// NASA Black Marble (VNP46A1..A4, VJ146*).
    BlackMarble,
    /// DMSP-OLS stable lights v4.
    Dmsp,
}

impl ProductChoice {
    /// The name used on the command line: `auto`, `vnl`, `blackmarble`, `dmsp`.
    pub fn name(self) -> &'static str {
        match self {
            ProductChoice::Auto => "auto",
            ProductChoice::Vnl => "vnl",
            ProductChoice::BlackMarble => "blackmarble",
            ProductChoice::Dmsp => "dmsp",
        }
    }

    /// True when `product` (recognised from a name, or `None`) is of this choice.
    pub fn admits(self, product: Option<&Product>) -> bool {
        matches!(
            (self, product),
            (ProductChoice::Auto, _)
                | (ProductChoice::Vnl, Some(Product::Vnl(_)))
                | (ProductChoice::BlackMarble, Some(Product::BlackMarble(_)))
                | (ProductChoice::Dmsp, Some(Product::Dmsp(_)))
        )
    }
}

impl fmt::Display for ProductChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for ProductChoice {
    type Err = Error;

    /// ```
    /// use terralux::ntl::ProductChoice;
    /// assert_eq!("dmsp".parse::<ProductChoice>().unwrap(), ProductChoice::Dmsp);
    /// assert!("modis".parse::<ProductChoice>().is_err());
    /// ```
    fn from_str(s: &str) -> Result<Self> {
        [
            ProductChoice::Auto,
            ProductChoice::Vnl,
            ProductChoice::BlackMarble,
            ProductChoice::Dmsp,
        ]
        .into_iter()
        .find(|c| c.name() == s)
        .ok_or_else(|| Error::Request {
            context: "--product".into(),
            reason: format!("takes auto, vnl, blackmarble or dmsp, not '{s}'"),
        })
    }
}

/// One file of a collection.
#[derive(Debug, Clone, PartialEq)]
pub struct CollectionFile {
    /// The path as given or listed.
    pub path: PathBuf,
    /// The date label: the product's (`2014`, `2014-01`, `2015-01-01`), or
    /// the file name before its first dot for other rasters.
    pub date: String,
    /// The product recognised from the name (`None`: a plain raster).
    pub product: Option<Product>,
    /// The `cf_cvg` companion of a VNL layer, when it is beside it.
    pub companion: Option<PathBuf>,
}

impl CollectionFile {
    /// The path GDAL opens: `/vsigzip/PATH` for a gzipped file (EOG ships
    /// `.tif.gz`), the path itself otherwise.
    ///
    /// ```
    /// use std::path::Path;
    /// use terralux::ntl::gdal_path;
    /// assert_eq!(gdal_path(Path::new("d/a.average_masked.dat.tif.gz")), Path::new("/vsigzip/d/a.average_masked.dat.tif.gz"));
    /// assert_eq!(gdal_path(Path::new("d/a.tif")), Path::new("d/a.tif"));
    /// ```
    pub fn gdal_path(&self) -> PathBuf {
        gdal_path(&self.path)
    }

    /// What the file covers within its date: a tile id, or `None` for a whole product.
    pub fn tile(&self) -> Option<String> {
        match &self.product {
            Some(Product::Vnl(name)) => name.tile.clone(),
            Some(Product::BlackMarble(name)) => Some(format!("h{:02}v{:02}", name.h, name.v)),
            _ => None,
        }
    }

    /// The product family's name: `vnl`, `dmsp`, `blackmarble`, or `other`.
    pub fn family(&self) -> &'static str {
        match self.product {
            Some(Product::Vnl(_)) => "vnl",
            Some(Product::Dmsp(_)) => "dmsp",
            Some(Product::BlackMarble(_)) => "blackmarble",
            None => "other",
        }
    }
}

/// The files of one night-light series, in the order given (a folder's
/// sorted by name), all of one product family.
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use terralux::ntl::{Collection, ProductChoice};
/// let dir = std::env::temp_dir().join(format!("terralux-collection-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// for name in ["F152005.v4b_web.stable_lights.avg_vis.tif", "F162006.v4b_web.stable_lights.avg_vis.tif", "notes.txt"] {
///     std::fs::write(dir.join(name), b"")?;
/// }
/// let collection = Collection::from_folder(&dir, ProductChoice::Auto)?;
/// assert_eq!(collection.dates(), ["2005", "2006"]);
/// assert!(collection.is_dmsp());
/// assert_eq!(collection.default_threshold(), 7.0);
/// std::fs::remove_dir_all(&dir)?;
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Collection {
    /// The files, in order.
    pub files: Vec<CollectionFile>,
    /// The product asked for.
    pub choice: ProductChoice,
}

impl Collection {
    /// The rasters of `folder` (`.tif`, `.tiff`, `.h5`), sorted by name,
    /// leaving out `cf_cvg` companions and population rasters, which are
    /// found by the layers they belong to. An error names the folder when
    /// it cannot be read or holds no raster.
    pub fn list_folder(folder: &Path) -> Result<Vec<PathBuf>> {
        let entries = std::fs::read_dir(folder).map_err(|source| Error::Io {
            path: folder.to_path_buf(),
            source,
        })?;
        let mut paths: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                let name = p
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                RASTER_ENDINGS.iter().any(|e| name.ends_with(e)) && !is_companion(&name)
            })
            .collect();
        paths.sort();
        if paths.is_empty() {
            return Err(Error::Mismatch {
                context: folder.display().to_string(),
                reason: "no raster (.tif, .tif.gz, .h5) to read".into(),
            });
        }
        Ok(paths)
    }

    /// The rasters of `folder` (see [`Collection::list_folder`]); with a
    /// product other than `Auto`, only that product's files are kept.
    pub fn from_folder(folder: &Path, choice: ProductChoice) -> Result<Self> {
        let mut collection = Self::build(Self::list_folder(folder)?, choice)?;
        if choice != ProductChoice::Auto {
            collection.files.retain(|f| f.product.is_some());
        }
        collection.check()?;
        Ok(collection)
    }

    /// The files given. A file that is not of the chosen product is read as
    /// a plain raster (so a series of one product cannot take it).
    pub fn from_paths(paths: Vec<PathBuf>, choice: ProductChoice) -> Result<Self> {
        let collection = Self::build(paths, choice)?;
        collection.check()?;
        Ok(collection)
    }

    fn build(paths: Vec<PathBuf>, choice: ProductChoice) -> Result<Self> {
        let files = paths
            .into_iter()
            .map(|path| {
                let name = path.display().to_string();
                let product = Product::recognise(&name)?.filter(|p| choice.admits(Some(p)));
                let date = product.as_ref().map(Product::date).unwrap_or_else(|| {
                    path.file_name()
                        .map(|n| {
                            let n = n.to_string_lossy();
                            n.split('.').next().unwrap_or("").to_string()
                        })
                        .unwrap_or_default()
                });
                let companion = match product {
                    Some(Product::Vnl(_)) | None => cf_cvg_candidates(&path)
                        .into_iter()
                        .find(|companion| companion.exists()),
                    _ => None,
                };
                Ok(CollectionFile {
                    path,
                    date,
                    product,
                    companion,
                })
            })
            .collect::<Result<_>>()?;
        Ok(Collection { files, choice })
    }

    /// One product family, and one file at least.
    fn check(&self) -> Result<()> {
        if let Some(first) = self.files.first()
            && let Some(other) = self.files.iter().find(|f| f.family() != first.family())
        {
            return Err(Error::Request {
                context: "rasters".into(),
                reason: format!(
                    "{} ({}) and {} ({}) are different products; run them separately or choose one with --product",
                    first.path.display(),
                    first.family(),
                    other.path.display(),
                    other.family()
                ),
            });
        }
        if self.files.is_empty() {
            return Err(Error::Mismatch {
                context: "rasters".into(),
                reason: format!("no {} raster among the inputs", self.choice),
            });
        }
        Ok(())
    }

    /// True for a Black Marble series.
    pub fn is_black_marble(&self) -> bool {
        self.files
            .iter()
            .any(|f| matches!(f.product, Some(Product::BlackMarble(_))))
    }

    /// True for a DMSP series.
    pub fn is_dmsp(&self) -> bool {
        self.files
            .iter()
            .any(|f| matches!(f.product, Some(Product::Dmsp(_))))
    }

    /// The lit threshold when none is given: DN 7 for DMSP (Li et al. 2020
    /// treat DN > 7 as reliably lit), 0.5 nW/cm²/sr otherwise.
    pub fn default_threshold(&self) -> f64 {
        if self.is_dmsp() { 7.0 } else { 0.5 }
    }

    /// The date labels, sorted, each once.
    pub fn dates(&self) -> Vec<String> {
        let mut dates: Vec<String> = self.files.iter().map(|f| f.date.clone()).collect();
        dates.sort();
        dates.dedup();
        dates
    }

    /// What would otherwise change silently, one sentence each: a VNL
    /// layer without its `cf_cvg` mask, two files of one date over the
    /// same tile (but DMSP's two satellites of one year, which are averaged).
    pub fn warnings(&self) -> Vec<String> {
        let mut warnings = Vec::new();
        for file in &self.files {
            if matches!(file.product, Some(Product::Vnl(_)))
                && file.companion.is_none()
                && let Some(expected) = cf_cvg_candidates(&file.path).into_iter().next()
            {
                warnings.push(format!(
                    "{}: no cf_cvg companion ({}) beside it; measured without the cloud-free coverage mask (cells never observed count as dark)",
                    file.path.display(),
                    expected.file_name().unwrap_or_default().to_string_lossy()
                ));
            }
        }
        // DMSP years of two satellites are averaged, not mosaicked: nothing to warn of.
        for (i, file) in self.files.iter().enumerate().filter(|_| !self.is_dmsp()) {
            let tile = file.tile();
            if let Some(earlier) = self.files[..i]
                .iter()
                .find(|e| e.date == file.date && e.tile() == tile)
            {
                warnings.push(format!(
                    "date {}: {} and {} cover the same {}; they are mosaicked and the first file's valid cells win (keep one file per date and tile)",
                    file.date,
                    earlier.path.display(),
                    file.path.display(),
                    tile.map_or("area".to_string(), |t| format!("tile {t}"))
                ));
            }
        }
        warnings
    }
}

/// The endings of the files a folder is read for.
const RASTER_ENDINGS: [&str; 5] = [".tif", ".tiff", ".tif.gz", ".tiff.gz", ".h5"];

/// The path GDAL opens for `path`: through `/vsigzip/` when it ends in
/// `.gz` (and is not a GDAL virtual path already).
pub fn gdal_path(path: &Path) -> PathBuf {
    let text = path.to_string_lossy();
    if text.ends_with(".gz") && !text.starts_with("/vsi") {
        PathBuf::from(format!("/vsigzip/{text}"))
    } else {
        path.to_path_buf()
    }
}

/// Where the `cf_cvg` companion of a VNL layer may be, most likely first:
/// beside it with the layer's own suffix (`.dat.tif.gz`), then as EOG names
/// monthly companions (`.cf_cvg.tif`, also for `.avg_rade9h.masked.tif`),
/// plain or gzipped. Empty for the companion itself. A `/vsigzip/` path is
/// looked up as the real file.
fn cf_cvg_candidates(path: &Path) -> Vec<PathBuf> {
    let real = path
        .to_str()
        .and_then(|p| p.strip_prefix("/vsigzip/"))
        .map_or_else(|| path.to_path_buf(), PathBuf::from);
    let Some(same_suffix) = cf_cvg_path(&real) else {
        return Vec::new();
    };
    let stem = real
        .file_name()
        .map(|n| {
            n.to_string_lossy()
                .split('.')
                .next()
                .unwrap_or("")
                .to_string()
        })
        .unwrap_or_default();
    let mut candidates = vec![same_suffix];
    for suffix in ["tif", "dat.tif", "tif.gz", "dat.tif.gz"] {
        let candidate = real.with_file_name(format!("{stem}.cf_cvg.{suffix}"));
        if !candidates.contains(&candidate) {
            candidates.push(candidate);
        }
    }
    candidates
}

/// Companions and population rasters in a product folder.
fn is_companion(name: &str) -> bool {
    name.contains("cf_cvg") || name.starts_with("population")
}

/// Where the `cf_cvg` companion of a VNL layer would be (`None` for the companion itself).
///
/// ```
/// use std::path::Path;
/// use terralux::ntl::cf_cvg_path;
/// let layer = Path::new("d/VNL_v21_npp_2014_global_vcmslcfg_c1.average_masked.dat.tif");
/// assert_eq!(cf_cvg_path(layer).unwrap(), Path::new("d/VNL_v21_npp_2014_global_vcmslcfg_c1.cf_cvg.dat.tif"));
/// ```
pub fn cf_cvg_path(path: &Path) -> Option<PathBuf> {
    let name = path.file_name()?.to_string_lossy().into_owned();
    let (stem, rest) = name.split_once('.')?;
    let after_layer = rest.split_once('.').map_or("tif", |(_, r)| r);
    let companion = path.with_file_name(format!("{stem}.cf_cvg.{after_layer}"));
    (companion != path).then_some(companion)
}
