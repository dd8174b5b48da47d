//! SVG to PNG with resvg: anti-aliased shapes and text through real fonts.
//!
//! Fonts come from the system's font folders (fontdb), then DejaVu Sans,
//! bundled in the crate (`assets/fonts/`, Bitstream Vera / DejaVu licence),
//! so Latin text always renders. Other scripts render when a system font
//! has their glyphs (Debian's `fonts-noto-cjk` for Chinese); a character no
//! font has is reported (see [`RenderedPng::unrendered`]), never replaced
//! silently.

use std::sync::{Arc, Mutex, OnceLock};

use resvg::tiny_skia;
use resvg::usvg::{self, fontdb};

use crate::error::{Error, Result};

/// The bundled Latin fallback font.
const DEJAVU_SANS: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");

/// Font families asked for by the maps' text, Latin first.
pub(super) const LATIN_FAMILIES: &str = "'DejaVu Sans', 'Noto Sans CJK SC', sans-serif";
/// Font families for text with CJK characters: a Chinese font first, so
/// that Han characters take their Simplified Chinese forms.
pub(super) const CJK_FAMILIES: &str = "'Noto Sans CJK SC', 'Source Han Sans SC', 'Noto Sans SC', \
'WenQuanYi Micro Hei', 'Microsoft YaHei', 'PingFang SC', 'DejaVu Sans', sans-serif";

/// The font families for `text`.
pub(super) fn families_for(text: &str) -> &'static str {
    if text.chars().any(is_cjk) {
        CJK_FAMILIES
    } else {
        LATIN_FAMILIES
    }
}

/// Han, kana, hangul, CJK punctuation and full-width forms.
fn is_cjk(c: char) -> bool {
    matches!(c, '\u{2E80}'..='\u{9FFF}' | '\u{AC00}'..='\u{D7AF}' | '\u{F900}'..='\u{FAFF}'
        | '\u{FF00}'..='\u{FFEF}' | '\u{20000}'..='\u{3FFFF}')
}

/// The font database: system fonts, then the bundled DejaVu Sans; loaded once.
fn fonts() -> Arc<fontdb::Database> {
    static FONTS: OnceLock<Arc<fontdb::Database>> = OnceLock::new();
    FONTS
        .get_or_init(|| {
            let mut db = fontdb::Database::new();
            db.load_system_fonts();
            db.load_font_data(DEJAVU_SANS.to_vec());
            db.set_sans_serif_family("DejaVu Sans");
            db.set_serif_family("DejaVu Sans");
            Arc::new(db)
        })
        .clone()
}

/// A PNG drawn from an SVG, with the text it could not draw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedPng {
    /// The PNG file's bytes (RGBA, 8 bits).
    pub png: Vec<u8>,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Each text of the picture with characters that no installed font
    /// has, and the first such character of each run the renderer shaped,
    /// e.g. `"地图 (no font has 地)"`. Empty when everything was drawn.
    pub unrendered: Vec<String>,
}

/// Render `svg` (with texts `texts`, to name those with missing glyphs) at
/// `scale` device pixels per SVG unit, on white. The PNG records its
/// resolution (`96 * scale` dpi, a `pHYs` chunk), so it prints at the
/// SVG's size.
///
/// ```
/// # fn main() -> terralux::Result<()> {
/// let svg = r##"<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20"><rect width="20" height="20" fill="#ff0000"/></svg>"##;
/// let png = terralux::map::render_svg(svg, &[], 2.0)?;
/// assert_eq!((png.width, png.height), (80, 40));
/// assert!(png.unrendered.is_empty());
/// # Ok(())
/// # }
/// ```
pub fn render_svg(svg: &str, texts: &[&str], scale: f32) -> Result<RenderedPng> {
    let fail = |reason: String| Error::Mismatch {
        context: "map PNG".into(),
        reason,
    };
    let missing: Arc<Mutex<Vec<char>>> = Arc::default();
    let record = missing.clone();
    let fallback = usvg::FontResolver::default_fallback_selector();
    let options = usvg::Options {
        font_family: "DejaVu Sans".into(),
        fontdb: fonts(),
        font_resolver: usvg::FontResolver {
            select_font: usvg::FontResolver::default_font_selector(),
            select_fallback: Box::new(move |c, exclude, db| {
                let found = fallback(c, exclude, db);
                if found.is_none()
                    && !c.is_whitespace()
                    && !c.is_control()
                    && let Ok(mut list) = record.lock()
                    && !list.contains(&c)
                {
                    list.push(c);
                }
                found
            }),
        },
        ..usvg::Options::default()
    };
    let tree =
        usvg::Tree::from_str(svg, &options).map_err(|e| fail(format!("SVG not drawable: {e}")))?;
    let size = tree.size();
    let width = (size.width() * scale).round().max(1.0) as u32;
    let height = (size.height() * scale).round().max(1.0) as u32;
    let mut pixmap = tiny_skia::Pixmap::new(width, height)
        .ok_or_else(|| fail(format!("cannot make a {width} x {height} image")))?;
    pixmap.fill(tiny_skia::Color::WHITE);
    resvg::render(
        &tree,
        tiny_skia::Transform::from_scale(scale, scale),
        &mut pixmap.as_mut(),
    );
    let png = pixmap
        .encode_png()
        .map_err(|e| fail(format!("PNG encoding failed: {e}")))?;
    let png = with_resolution(png, 96.0 * scale as f64);
    let missing = missing.lock().map(|m| m.clone()).unwrap_or_default();
    let unrendered = texts
        .iter()
        .filter_map(|text| {
            let lacking: String = missing.iter().filter(|c| text.contains(**c)).collect();
            (!lacking.is_empty()).then(|| format!("{text} (no font has {lacking})"))
        })
        .collect();
    Ok(RenderedPng {
        png,
        width,
        height,
        unrendered,
    })
}

/// `png` with a `pHYs` chunk saying `dpi` (after the header chunk).
fn with_resolution(png: Vec<u8>, dpi: f64) -> Vec<u8> {
    // Signature (8 bytes), then IHDR: length 13, type, data, CRC = 25 bytes.
    const IHDR_END: usize = 8 + 25;
    if png.len() < IHDR_END || &png[12..16] != b"IHDR" {
        return png;
    }
    let per_metre = (dpi / 0.0254).round() as u32;
    let mut chunk = Vec::with_capacity(21);
    chunk.extend_from_slice(&9u32.to_be_bytes());
    chunk.extend_from_slice(b"pHYs");
    chunk.extend_from_slice(&per_metre.to_be_bytes());
    chunk.extend_from_slice(&per_metre.to_be_bytes());
    chunk.push(1); // the unit is the metre
    let crc = crc32(&chunk[4..]);
    chunk.extend_from_slice(&crc.to_be_bytes());
    let mut out = Vec::with_capacity(png.len() + chunk.len());
    out.extend_from_slice(&png[..IHDR_END]);
    out.extend_from_slice(&chunk);
    out.extend_from_slice(&png[IHDR_END..]);
    out
}

/// The CRC-32 of PNG chunks (ISO 3309, reflected, polynomial 0xEDB88320).
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &byte in bytes {
        crc ^= byte as u32;
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_crc_is_the_png_one() {
        // The CRC of the IEND chunk's type, as in every PNG file.
        assert_eq!(super::crc32(b"IEND"), 0xAE42_6082);
    }

    #[test]
    fn the_resolution_is_recorded_and_the_png_still_decodes() {
        let svg = r#"<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>"#;
        let png = super::render_svg(svg, &[], 3.125).unwrap().png;
        let at = png.windows(4).position(|w| w == b"pHYs").unwrap();
        let per_metre = u32::from_be_bytes(png[at + 4..at + 8].try_into().unwrap());
        assert_eq!(per_metre, (300.0f64 / 0.0254).round() as u32);
        let image = resvg::tiny_skia::Pixmap::decode_png(&png).unwrap();
        assert_eq!(image.width(), 31);
    }
}
