//! A small RGB canvas: polygon fill (even-odd, sampled at pixel centres),
//! lines, rectangles and 8x8 bitmap text, encoded as PNG.

use super::{Choropleth, Rgb};

const TEXT: Rgb = [33, 33, 33];
const BORDER: Rgb = [255, 255, 255];
/// Zones filling fewer pixels than this are drawn over their borders.
const SMALL_ZONE_PIXELS: usize = 16;

/// An RGB image being drawn.
#[derive(Debug, Clone, PartialEq)]
pub struct Canvas {
    width: u32,
    height: u32,
    pixels: Vec<u8>,
}

impl Canvas {
    /// A `width` x `height` canvas filled with `background`.
    ///
    /// ```
    /// use terralux::map::Canvas;
    /// let mut canvas = Canvas::new(4, 3, [255, 255, 255]);
    /// let filled = canvas.fill_rings(&[vec![(1.0, 0.0), (3.0, 0.0), (3.0, 2.0), (1.0, 2.0)]], [255, 0, 0]);
    /// assert_eq!(filled, 4);
    /// assert_eq!(canvas.pixel(0, 0), [255, 255, 255]);
    /// assert_eq!(canvas.pixel(2, 1), [255, 0, 0]);
    /// assert_eq!(canvas.pixel(2, 2), [255, 255, 255]);
    /// ```
    pub fn new(width: u32, height: u32, background: Rgb) -> Self {
        Canvas {
            width,
            height,
            pixels: background.repeat((width * height) as usize),
        }
    }

    /// The colour at column `x`, row `y`.
    pub fn pixel(&self, x: u32, y: u32) -> Rgb {
        let i = 3 * (y * self.width + x) as usize;
        [self.pixels[i], self.pixels[i + 1], self.pixels[i + 2]]
    }

    fn set(&mut self, x: i64, y: i64, colour: Rgb) {
        if x >= 0 && y >= 0 && (x as u32) < self.width && (y as u32) < self.height {
            let i = 3 * (y as usize * self.width as usize + x as usize);
            self.pixels[i..i + 3].copy_from_slice(&colour);
        }
    }

    /// Fill the pixels whose centres are inside `rings` (even-odd rule, so
    /// holes stay empty), coordinates in pixels; return how many were filled.
    pub fn fill_rings(&mut self, rings: &[Vec<(f64, f64)>], colour: Rgb) -> usize {
        let edges: Vec<((f64, f64), (f64, f64))> = rings
            .iter()
            .flat_map(|ring| {
                ring.iter()
                    .zip(ring.iter().cycle().skip(1))
                    .map(|(a, b)| (*a, *b))
            })
            .filter(|(a, b)| a.1 != b.1)
            .collect();
        let (lo, hi) = edges
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), (a, b)| {
                (lo.min(a.1).min(b.1), hi.max(a.1).max(b.1))
            });
        if !lo.is_finite() {
            return 0;
        }
        let mut filled = 0;
        let first = (lo - 0.5).ceil().max(0.0) as i64;
        let last = ((hi - 0.5).floor() as i64).min(self.height as i64 - 1);
        let mut crossings = Vec::new();
        for row in first..=last {
            let y = row as f64 + 0.5;
            crossings.clear();
            for &((x0, y0), (x1, y1)) in &edges {
                if (y0 <= y) != (y1 <= y) {
                    crossings.push(x0 + (y - y0) / (y1 - y0) * (x1 - x0));
                }
            }
            crossings.sort_by(f64::total_cmp);
            for pair in crossings.chunks_exact(2) {
                let start = (pair[0] - 0.5).ceil().max(0.0) as i64;
                let end = ((pair[1] - 0.5).floor() as i64).min(self.width as i64 - 1);
                for col in start..=end {
                    self.set(col, row, colour);
                    filled += 1;
                }
            }
        }
        filled
    }

    /// A one-pixel line from `a` to `b` (pixels).
    pub fn line(&mut self, a: (f64, f64), b: (f64, f64), colour: Rgb) {
        let steps = (b.0 - a.0).abs().max((b.1 - a.1).abs()).ceil().max(1.0) as usize;
        for i in 0..=steps {
            let t = i as f64 / steps as f64;
            let x = a.0 + (b.0 - a.0) * t;
            let y = a.1 + (b.1 - a.1) * t;
            self.set(x.floor() as i64, y.floor() as i64, colour);
        }
    }

    /// A filled rectangle with its top-left corner at (`x`, `y`).
    pub fn rect(&mut self, x: u32, y: u32, width: u32, height: u32, colour: Rgb) {
        for row in y..y + height {
            for col in x..x + width {
                self.set(col as i64, row as i64, colour);
            }
        }
    }

    /// `text` in the 8x8 bitmap font, each font pixel drawn `scale` x
    /// `scale`; characters outside ASCII are drawn as '?'.
    pub fn text(&mut self, x: u32, y: u32, text: &str, scale: u32, colour: Rgb) {
        for (i, c) in text.chars().enumerate() {
            let code = if c.is_ascii() {
                c as usize
            } else {
                '?' as usize
            };
            let glyph = font8x8::legacy::BASIC_LEGACY[code];
            let left = x + i as u32 * 8 * scale;
            for (row, bits) in glyph.iter().enumerate() {
                for col in 0..8 {
                    if bits & (1 << col) != 0 {
                        self.rect(
                            left + col * scale,
                            y + row as u32 * scale,
                            scale,
                            scale,
                            colour,
                        );
                    }
                }
            }
        }
    }

    /// Draw `map`: zones, borders, title and legend.
    pub fn draw_map(&mut self, map: &Choropleth<'_>) {
        let zones: Vec<_> = (0..map.zone_count()).map(|z| map.zone_pixels(z)).collect();
        let mut too_small = Vec::new();
        for (z, polygons) in zones.iter().enumerate() {
            let colour = map.colour_of_zone(z);
            let filled: usize = polygons
                .iter()
                .map(|rings| self.fill_rings(rings, colour))
                .sum();
            if filled < SMALL_ZONE_PIXELS {
                too_small.push(z);
            }
        }
        for rings in zones.iter().flatten().flatten() {
            for pair in rings.windows(2) {
                self.line(pair[0], pair[1], BORDER);
            }
        }
        // Small zones are drawn again over the borders, and a zone smaller
        // than a pixel still shows: one pixel at its first vertex.
        for z in too_small {
            let colour = map.colour_of_zone(z);
            let filled: usize = zones[z]
                .iter()
                .map(|rings| self.fill_rings(rings, colour))
                .sum();
            if filled == 0
                && let Some(&(x, y)) = zones[z].iter().flatten().flatten().next()
            {
                self.set(x.floor() as i64, y.floor() as i64, colour);
            }
        }
        let layout = map.layout();
        let title_scale = if map.title().chars().count() as u32 * 24 + 20 <= self.width {
            3
        } else {
            2
        };
        self.text(10, 12, map.title(), title_scale, TEXT);
        for (i, (colour, label)) in map.legend().iter().enumerate() {
            let (x, y) = layout.legend_entry(i);
            self.rect(x, y, layout.swatch, layout.swatch, [120, 120, 120]);
            self.rect(x + 1, y + 1, layout.swatch - 2, layout.swatch - 2, *colour);
            self.text(x + layout.swatch + 8, y + 2, label, 2, TEXT);
        }
    }

    /// The image as PNG (RGB, 8 bits per channel).
    pub fn to_png(&self) -> Result<Vec<u8>, png::EncodingError> {
        let mut out = Vec::new();
        {
            let mut encoder = png::Encoder::new(&mut out, self.width, self.height);
            encoder.set_color(png::ColorType::Rgb);
            encoder.set_depth(png::BitDepth::Eight);
            let mut writer = encoder.write_header()?;
            writer.write_image_data(&self.pixels)?;
        }
        Ok(out)
    }
}
