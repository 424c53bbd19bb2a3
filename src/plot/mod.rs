//! PNG and SVG plots with `plotters`, with a bundled font (DejaVu Sans, registered as the
//! `sans-serif` family), so no system font packages are needed to build or run.
//!
//! Shared pieces for every chart in the crate:
//! - [`register_fonts`] (idempotent; [`save`] calls it),
//! - [`PALETTE`] / [`color`]: the Okabe–Ito colour-blind-safe palette,
//! - [`font`]: text styles in the registered family,
//! - [`Figure`] + [`save`]: draw once, write `<stem>.png` and `<stem>.svg`, each atomically.
//!
//! Charts: [`convergence()`] (error vs width, log-log), [`profile()`] (Jacot et al. Figure 1),
//! [`heatmap()`] (a kernel matrix).
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

pub mod convergence;
pub mod dynamics;
pub mod heatmap;
pub mod profile;

pub use convergence::convergence;
pub use heatmap::heatmap;
pub use profile::profile;

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
    TextStyle::from((FONT, size).into_font())
}

/// A bold text style of `size` pixels (titles).
pub fn bold(size: f64) -> TextStyle<'static> {
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

/// Draw `fig` and write `<stem>.png` and `<stem>.svg` (each atomically: a failed run leaves
/// no partial file). Returns the two paths.
///
/// # Errors
/// [`Error::Io`] if a file cannot be written or drawing fails.
pub fn save(fig: &impl Figure, stem: &Path) -> Result<Vec<PathBuf>> {
    register_fonts()?;
    let png = stem.with_extension("png");
    let svg = stem.with_extension("svg");
    let (w, h) = fig.size();

    // SVG: into a string, then one atomic write
    let mut text = String::new();
    {
        let root = SVGBackend::with_string(&mut text, (w, h)).into_drawing_area();
        fig.draw(&root).map_err(|m| draw_failed(&svg, m))?;
        root.present()
            .map_err(|e| draw_failed(&svg, e.to_string()))?;
    }
    // PNG: plotters encodes by file extension, so render to a temporary `.png` in the same
    // directory and rename it into place.
    let dir = png
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    crate::io::check_writable(&png)?;
    static COUNTER: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let tmp = dir.join(format!(
        ".{}.{}-{}.tmp.png",
        png.file_name()
            .map_or_else(|| "plot".into(), |n| n.to_string_lossy()),
        std::process::id(),
        COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    ));
    let drawn = (|| {
        let root = BitMapBackend::new(&tmp, (w, h)).into_drawing_area();
        fig.draw(&root)?;
        root.present().map_err(err)
    })();
    if let Err(m) = drawn {
        let _ = std::fs::remove_file(&tmp);
        return Err(draw_failed(&png, m));
    }
    if let Err(e) = std::fs::rename(&tmp, &png) {
        let _ = std::fs::remove_file(&tmp);
        return Err(Error::Io {
            path: png,
            source: e,
            usage: false,
        });
    }
    crate::io::write_atomic(&svg, |wr| wr.write_all(text.as_bytes()))?;
    Ok(vec![png, svg])
}

/// Tick labels like `1e-3`, `0.01`, `256`: short and readable on log axes.
pub fn short_number(v: f64) -> String {
    if v == 0.0 {
        return "0".into();
    }
    let a = v.abs();
    if (1e-2..1e5).contains(&a) {
        let s = format!("{v:.3}");
        let s = s.trim_end_matches('0').trim_end_matches('.');
        s.to_string()
    } else {
        let e = a.log10().floor() as i32;
        let m = v / 10f64.powi(e);
        if (m.abs() - 1.0).abs() < 1e-9 {
            format!("{}1e{e}", if v < 0.0 { "-" } else { "" })
        } else {
            format!("{m:.1}e{e}")
        }
    }
}
