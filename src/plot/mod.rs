//! PNG and SVG plots with `plotters`, with a bundled font (DejaVu Sans, registered as the
//! `sans-serif` family), so no system font packages are needed to build or run.
//!
//! Shared pieces for every chart in the crate:
//! - [`register_fonts`] (idempotent; [`save`] calls it),
//! - [`PALETTE`] / [`color`]: the Okabe–Ito colour-blind-safe palette,
//! - [`font`]: text styles in the registered family,
//! - [`Figure`] + [`save`]: draw once, write `<stem>.png` and `<stem>.svg`, each atomically,
//! - readability: legends go to the corner whose box covers no data ([`emptiest_corner`],
//!   [`legend_size`]; if every corner has data the chart adds an empty band at the top for
//!   it), long titles and network descriptions are tidied ([`tidy_numbers`]) and wrapped
//!   ([`wrap`], [`titled_lines`]), crowded log axes label only 1-2-5 ticks ([`log_tick`]).
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

/// Rewrite long decimals in a description to 4 significant digits (`w_std=1.4142135623730951`
/// becomes `w_std=1.414`), leaving short numbers and other text as they are.
///
/// ```
/// assert_eq!(ntk::plot::tidy_numbers("w=1.4142135623730951 b=0.1 n=256"), "w=1.414 b=0.1 n=256");
/// ```
pub fn tidy_numbers(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find(|c: char| c.is_ascii_digit()) {
        out.push_str(&rest[..start]);
        let tail = &rest[start..];
        let end = tail
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(tail.len());
        let num = &tail[..end];
        let digits = num.chars().filter(char::is_ascii_digit).count();
        match num.parse::<f64>() {
            Ok(v) if digits > 6 && num.contains('.') => {
                let mag = if v == 0.0 {
                    0
                } else {
                    v.log10().floor() as i32
                };
                let decimals = (3 - mag).max(0) as usize;
                let s = format!("{v:.decimals$}");
                let s = if s.contains('.') {
                    s.trim_end_matches('0').trim_end_matches('.')
                } else {
                    &s
                };
                out.push_str(s);
            }
            _ => out.push_str(num),
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

/// Break `text` into lines of at most `max_chars` characters at spaces (a word longer than
/// that gets a line of its own); separators `" | "` are preferred break points.
///
/// ```
/// let lines = ntk::plot::wrap("relu depth=3 w_std=1.414 | data circle:16 | 5 seeds", 30);
/// assert_eq!(lines, vec!["relu depth=3 w_std=1.414 |", "data circle:16 | 5 seeds"]);
/// ```
pub fn wrap(text: &str, max_chars: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut cur = String::new();
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        let len = cur.chars().count();
        if len > 0 && len + 1 + word.chars().count() > max_chars {
            lines.push(std::mem::take(&mut cur));
        }
        if !cur.is_empty() {
            cur.push(' ');
        }
        cur.push_str(word);
    }
    if !cur.is_empty() {
        lines.push(cur);
    }
    // a line that starts with a separator reads badly: move it to the line before
    for i in 1..lines.len() {
        if let Some(stripped) = lines[i].strip_prefix("| ") {
            let s = stripped.to_string();
            lines[i - 1].push_str(" |");
            lines[i] = s;
        }
    }
    lines
}

/// Draw `lines` centred, one under the other, at the top of `area`, and return the area
/// below them.
///
/// # Errors
/// A drawing error message.
pub fn titled_lines<'a, DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    lines: &[String],
    style: &TextStyle<'a>,
    line_height: u32,
) -> std::result::Result<DrawingArea<DB, Shift>, String> {
    use plotters::style::text_anchor::{HPos, Pos, VPos};
    let (w, _) = area.dim_in_pixel();
    let centred = style.pos(Pos::new(HPos::Center, VPos::Top));
    for (k, line) in lines.iter().enumerate() {
        let y = (k as u32 * line_height) as i32 + 4;
        area.draw(&Text::new(
            line.as_str(),
            ((w / 2) as i32, y),
            centred.clone(),
        ))
        .map_err(err)?;
    }
    let used = lines.len() as u32 * line_height + 8;
    Ok(area.split_vertically(used).1)
}

/// Where a legend of `w x h` (fractions of the plot area) covers the fewest samples of
/// `lines` (polylines in plot-area fractions, y up; a single point is a marker): the corner
/// and how many samples it covers (0: none). Ties go to upper right, upper left, lower
/// right, lower left, in that order.
///
/// ```
/// use plotters::prelude::SeriesLabelPosition;
/// // a line from the upper left to the lower right leaves the other two corners empty
/// let (pos, n) = ntk::plot::emptiest_corner(&[vec![(0.0, 1.0), (1.0, 0.0)]], 0.3, 0.3);
/// assert!(matches!(pos, SeriesLabelPosition::UpperRight) && n == 0);
/// ```
pub fn emptiest_corner(lines: &[Vec<(f64, f64)>], w: f64, h: f64) -> (SeriesLabelPosition, usize) {
    // boxes: (x0, x1, y0, y1), with a small margin
    let (w, h) = (w + 0.03, h + 0.03);
    let corners = [
        (
            SeriesLabelPosition::UpperRight,
            (1.0 - w, 1.0, 1.0 - h, 1.0),
        ),
        (SeriesLabelPosition::UpperLeft, (0.0, w, 1.0 - h, 1.0)),
        (SeriesLabelPosition::LowerRight, (1.0 - w, 1.0, 0.0, h)),
        (SeriesLabelPosition::LowerLeft, (0.0, w, 0.0, h)),
    ];
    let mut counts = [0usize; 4];
    let mut visit = |(x, y): (f64, f64)| {
        for (k, (_, (x0, x1, y0, y1))) in corners.iter().enumerate() {
            if x >= *x0 && x <= *x1 && y >= *y0 && y <= *y1 {
                counts[k] += 1;
            }
        }
    };
    for line in lines {
        if line.len() == 1 {
            visit(line[0]);
        }
        for seg in line.windows(2) {
            let ((ax, ay), (bx, by)) = (seg[0], seg[1]);
            let steps = (((bx - ax).abs().max((by - ay).abs())) / 0.005)
                .ceil()
                .min(1e4) as usize;
            for s in 0..=steps.max(1) {
                let t = s as f64 / steps.max(1) as f64;
                visit((ax + t * (bx - ax), ay + t * (by - ay)));
            }
        }
    }
    let best = (0..4).min_by_key(|&k| (counts[k], k)).unwrap_or(0);
    let pos = match best {
        0 => SeriesLabelPosition::UpperRight,
        1 => SeriesLabelPosition::UpperLeft,
        2 => SeriesLabelPosition::LowerRight,
        _ => SeriesLabelPosition::LowerLeft,
    };
    (pos, counts[best])
}

/// The approximate pixel size of a legend with these labels (`font_px` text, one row each).
pub fn legend_size<'a>(labels: impl IntoIterator<Item = &'a str>, font_px: f64) -> (f64, f64) {
    let (mut rows, mut chars) = (0usize, 0usize);
    for l in labels {
        rows += 1;
        chars = chars.max(l.chars().count());
    }
    // DejaVu Sans averages ~0.55 em per character; 30 px for the swatch and padding
    (
        chars as f64 * 0.56 * font_px + 44.0,
        rows as f64 * (font_px + 6.0) + 12.0,
    )
}

/// Tick labels for a log axis with many ticks: `1`, `2` and `5` times a power of ten get a
/// label ([`short_number`]), the ticks between them none, so labels never run together.
///
/// ```
/// assert_eq!(ntk::plot::log_tick(200.0), "200");
/// assert_eq!(ntk::plot::log_tick(900.0), "");
/// ```
pub fn log_tick(v: f64) -> String {
    if !(v > 0.0 && v.is_finite()) {
        return String::new();
    }
    let m = v / 10f64.powf(v.log10().floor());
    if [1.0, 2.0, 5.0, 10.0]
        .iter()
        .any(|n| (m - n).abs() < 1e-6 * n)
    {
        short_number(v)
    } else {
        String::new()
    }
}
