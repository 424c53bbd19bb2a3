//! Text on charts: measured widths, tidy numbers, wrapped titles.
//!
//! Contract: [`text_width`] is the pixel width plotters itself lays out for a string in a
//! style (the bundled DejaVu Sans); [`wrap_to_width`] breaks text at spaces so that every
//! line measures at most the given width (a single word wider than that gets a line of its
//! own), preferring the separator `" | "`; [`titled_lines`] draws such lines centred and
//! returns the area below them; [`tidy_numbers`] shortens long decimals in a description.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::TextStyle;

/// Tick labels like `1e-3`, `0.01`, `256`: short and readable on log axes.
///
/// ```
/// assert_eq!(ntk::plot::short_number(0.05), "0.05");
/// assert_eq!(ntk::plot::short_number(2e-6), "2.0e-6");
/// ```
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
            Ok(v) if digits > 6 && num.contains('.') => out.push_str(&four_digits(v)),
            _ => out.push_str(num),
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

/// `v` (non-negative) with 4 significant digits, trailing zeros dropped.
fn four_digits(v: f64) -> String {
    let mag = if v == 0.0 {
        0
    } else {
        v.log10().floor() as i32
    };
    let decimals = (3 - mag).max(0) as usize;
    let s = format!("{v:.decimals$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// Break `text` into lines of at most `max_chars` characters at spaces (a word longer than
/// that gets a line of its own); separators `" | "` are preferred break points.
///
/// ```
/// let lines = ntk::plot::wrap("relu depth=3 w_std=1.414 | data circle:16 | 5 seeds", 30);
/// assert_eq!(lines, vec!["relu depth=3 w_std=1.414 |", "data circle:16 | 5 seeds"]);
/// ```
pub fn wrap(text: &str, max_chars: usize) -> Vec<String> {
    wrap_by(text, |s| s.chars().count() as f64, max_chars as f64)
}

/// The width in pixels of `text` set in `style` (as plotters lays it out; the bundled font
/// is registered first). 0 for an empty string or a font that cannot be loaded.
///
/// ```
/// let f = ntk::plot::font(16.0);
/// let (a, b) = (ntk::plot::text_width("ntk", &f), ntk::plot::text_width("ntk ntk", &f));
/// assert!(a > 10.0 && b > 2.0 * a);
/// ```
pub fn text_width(text: &str, style: &TextStyle<'_>) -> f64 {
    if text.is_empty() || super::register_fonts().is_err() {
        return 0.0;
    }
    style.font.box_size(text).map_or(0.0, |(w, _)| f64::from(w))
}

/// Break `text` into lines that each measure at most `max_px` pixels in `style` (see
/// [`wrap`] for the rules).
///
/// ```
/// let f = ntk::plot::font(16.0);
/// let text = "relu depth=3 w_std=1.414 b_std=0.1 ntk | data circle:16 (16 points, d = 2) | 5 seeds per width";
/// let lines = ntk::plot::wrap_to_width(text, &f, 400.0);
/// assert!(lines.len() >= 2);
/// assert!(lines.iter().all(|l| ntk::plot::text_width(l, &f) <= 400.0));
/// ```
pub fn wrap_to_width(text: &str, style: &TextStyle<'_>, max_px: f64) -> Vec<String> {
    wrap_by(text, |s| text_width(s, style), max_px)
}

/// Greedy wrapping at spaces with a line-width measure; a line never starts with `"| "`.
fn wrap_by(text: &str, width: impl Fn(&str) -> f64, max: f64) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut cur = String::new();
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        let candidate = if cur.is_empty() {
            word.to_string()
        } else {
            format!("{cur} {word}")
        };
        // a separator stays at the end of the line it closes
        let fits = width(&candidate) <= max || (word == "|" && width(&cur) <= max);
        if !cur.is_empty() && !fits {
            lines.push(std::mem::take(&mut cur));
            cur.push_str(word);
        } else {
            cur = candidate;
        }
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
    // a line ending in a separator that now overflows: drop the separator instead
    for l in &mut lines {
        if l.ends_with(" |") && width(l) > max {
            l.truncate(l.len() - 2);
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
        let y = (k as u32 * line_height) as i32 + 6;
        area.draw(&Text::new(
            line.as_str(),
            ((w / 2) as i32, y),
            centred.clone(),
        ))
        .map_err(super::err)?;
    }
    let used = lines.len() as u32 * line_height + 10;
    Ok(area.split_vertically(used).1)
}

/// Draw `text` wrapped to the width of `area` (less 40 px of margin) with lines
/// `1.3 x` the font size apart; returns the area below.
///
/// # Errors
/// A drawing error message.
pub fn wrapped_title<'a, DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    text: &str,
    style: &TextStyle<'a>,
) -> std::result::Result<DrawingArea<DB, Shift>, String> {
    let (w, _) = area.dim_in_pixel();
    let lines = wrap_to_width(text, style, f64::from(w) - 40.0);
    titled_lines(area, &lines, style, line_height(style))
}

/// The pixel height a [`wrapped_title`] of `text` in `style` takes on a canvas `width` wide.
pub fn wrapped_height(text: &str, style: &TextStyle<'_>, width: u32) -> u32 {
    let n = wrap_to_width(text, style, f64::from(width) - 40.0).len() as u32;
    n * line_height(style) + 10
}

fn line_height(style: &TextStyle<'_>) -> u32 {
    (style.font.get_size() * 1.3).ceil() as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapped_lines_fit_and_keep_every_word() {
        let text = "NTK of 300 digits sorted by label | relu depth=3 w_std=1.414 b_std=0.1 ntk | \
                    300 x 300, block-averaged to 150 x 150 | averylongwordthatcannotbebrokenanywhere";
        for px in [120.0, 250.0, 400.0, 800.0] {
            let f = super::super::font(16.0);
            let lines = wrap_to_width(text, &f, px);
            for l in &lines {
                let w = text_width(l, &f);
                assert!(w <= px || !l.contains(' '), "{l:?} is {w} px > {px}");
                assert!(!l.starts_with('|'), "{l:?}");
            }
            let words: Vec<&str> = text.split(' ').filter(|w| *w != "|").collect();
            let back: Vec<String> = lines
                .iter()
                .flat_map(|l| l.split(' ').filter(|w| *w != "|").map(String::from))
                .collect();
            assert_eq!(back, words, "at {px} px");
        }
        // measured widths grow with the text and the font size
        let (a, b) = (
            text_width("abc", &super::super::font(12.0)),
            text_width("abc", &super::super::font(24.0)),
        );
        assert!(a > 5.0 && b > 1.8 * a, "{a} {b}");
    }
}
