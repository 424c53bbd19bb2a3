//! PNG and SVG plots with `plotters`, with a bundled font (DejaVu Sans, registered as the
//! `sans-serif` family), so no system font packages are needed to build or run.
//!
//! Shared pieces for every chart in the crate:
//! - [`register_fonts`] (idempotent; [`save`] calls it),
//! - [`PALETTE`] / [`color`]: the Okabe–Ito colour-blind-safe palette,
//! - [`font`]: text styles in the registered family,
//! - [`Figure`] + [`save`]: draw once, write `<stem>.png` and `<stem>.svg`, each atomically,
//! - readability: legends go to the corner whose box covers no data ([`legend`]: if every
//!   corner has data the chart adds an empty band at the top for it), long titles and
//!   network descriptions are tidied and wrapped to the measured canvas width ([`text`]),
//!   axes carry round tick values that fit without overlapping ([`ticks`]).
//!
//! Charts: [`convergence()`] (error vs width, log-log), [`profile()`] (Jacot et al. Figure 1),
//! [`heatmap()`] (a kernel matrix), [`chart::Chart`] (series and bands; the figures of
//! [`dynamics`]).
//!
//! ```
//! use ntk::plot::{self, Figure};
//! use plotters::prelude::*;
//! struct Dot;
//! impl Figure for Dot {
//!     fn size(&self) -> (u32, u32) { (200, 100) }
//!     fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, plotters::coord::Shift>) -> Result<(), String> {
//!         root.fill(&WHITE).map_err(plot::err)?;
//!         root.draw(&Text::new("hello", (10, 10), plot::font(20.0))).map_err(plot::err)?;
//!         Ok(())
//!     }
//! }
//! let stem = std::env::temp_dir().join(format!("ntk-doc-plot-{}", std::process::id()));
//! let files = plot::save(&Dot, &stem)?;
//! assert!(files.iter().all(|f| f.exists()));
//! for f in files { std::fs::remove_file(f).unwrap(); }
//! # Ok::<(), ntk::Error>(())
//! ```

pub mod chart;
pub mod convergence;
pub mod dynamics;
pub mod heatmap;
pub mod legend;
pub mod profile;
pub mod text;
pub mod ticks;

pub use convergence::convergence;
pub use heatmap::heatmap;
pub use legend::{emptiest_corner, legend_size};
pub use profile::profile;
pub use text::{
    short_number, text_width, tidy_numbers, titled_lines, wrap, wrap_to_width, wrapped_height,
    wrapped_title,
};

use crate::{Error, Result};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::{FontStyle, RGBColor, TextStyle};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The font family every chart uses (registered by [`register_fonts`]).
pub const FONT: &str = "sans-serif";

/// The Okabe–Ito palette (colour-blind safe), reordered so the first colours contrast most
/// on white: blue, vermillion, bluish green, reddish purple, orange, sky blue, black, yellow.
pub const PALETTE: [RGBColor; 8] = [
    RGBColor(0, 114, 178),
    RGBColor(213, 94, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(230, 159, 0),
    RGBColor(86, 180, 233),
    RGBColor(0, 0, 0),
    RGBColor(240, 228, 66),
];

/// The `i`-th palette colour (cycling).
///
/// ```
/// assert_eq!(ntk::plot::color(8), ntk::plot::color(0));
/// ```
pub fn color(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// Register DejaVu Sans (regular and bold) as the `sans-serif` family, once per process.
///
/// # Errors
/// [`Error::Numerical`] if the bundled font cannot be parsed (not expected).
///
/// ```
/// ntk::plot::register_fonts()?;
/// ntk::plot::register_fonts()?; // idempotent
/// # Ok::<(), ntk::Error>(())
/// ```
pub fn register_fonts() -> Result<()> {
    static DONE: OnceLock<std::result::Result<(), String>> = OnceLock::new();
    DONE.get_or_init(|| {
        plotters::style::register_font(FONT, FontStyle::Normal, dejavu::sans::regular())
            .map_err(|_| "the bundled DejaVu Sans font could not be loaded".to_string())?;
        plotters::style::register_font(FONT, FontStyle::Bold, dejavu::sans::bold())
            .map_err(|_| "the bundled DejaVu Sans Bold font could not be loaded".to_string())
    })
    .clone()
    .map_err(Error::Numerical)
}

/// A text style of `size` pixels in the registered family.
pub fn font(size: f64) -> TextStyle<'static> {
    // the family must exist before a style is made from it (plotters looks it up then)
    let _ = register_fonts();
    TextStyle::from((FONT, size).into_font())
}

/// A bold text style of `size` pixels (titles).
pub fn bold(size: f64) -> TextStyle<'static> {
    let _ = register_fonts();
    TextStyle::from((FONT, size).into_font().style(FontStyle::Bold))
}

/// Convert a plotters drawing error into the message a [`Figure`] returns.
pub fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// Something drawable on any plotters backend (PNG bitmap or SVG).
pub trait Figure {
    /// Canvas size in pixels (width, height).
    fn size(&self) -> (u32, u32) {
        (960, 640)
    }
    /// Draw onto `root` (which the implementation should fill first).
    ///
    /// # Errors
    /// A message, e.g. from [`err`].
    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
    ) -> std::result::Result<(), String>;
}

fn draw_failed(path: &Path, msg: String) -> Error {
    Error::Io {
        path: path.to_path_buf(),
        source: std::io::Error::other(format!("cannot draw plot: {msg}")),
        usage: false,
    }
}

/// Draw `fig` and write `<stem>.png` and `<stem>.svg`, published together by one
/// [`crate::io::Transaction`] (temporary files in the target directory, fsynced, renamed; a
/// failure, or SIGINT/SIGTERM with [`crate::io::cleanup_on_signal`], leaves neither file
/// half-written and no temporary file). Returns the two paths.
///
/// # Errors
/// [`Error::Io`] if a file cannot be written or drawing fails.
pub fn save(fig: &impl Figure, stem: &Path) -> Result<Vec<PathBuf>> {
    register_fonts()?;
    let png = stem.with_extension("png");
    let svg = stem.with_extension("svg");
    let (w, h) = fig.size();
    let mut text = String::new();
    {
        let root = SVGBackend::with_string(&mut text, (w, h)).into_drawing_area();
        fig.draw(&root).map_err(|m| draw_failed(&svg, m))?;
        root.present()
            .map_err(|e| draw_failed(&svg, e.to_string()))?;
    }
    let mut t = crate::io::Transaction::new();
    t.write(&svg, |wr| wr.write_all(text.as_bytes()))?;
    // plotters encodes a bitmap by the file's extension: a staged temporary named `*.png`
    let tmp = t.stage_path(&png)?;
    {
        let root = BitMapBackend::new(&tmp, (w, h)).into_drawing_area();
        fig.draw(&root).map_err(|m| draw_failed(&png, m))?;
        root.present()
            .map_err(|e| draw_failed(&png, e.to_string()))?;
    }
    t.commit()?;
    Ok(vec![png, svg])
}

#[cfg(test)]
mod tests;
