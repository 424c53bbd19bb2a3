//! Where a legend goes so that it covers no data.
//!
//! Contract: [`legend_size`] is the pixel size of the box plotters draws for these labels
//! (its layout: 10 px margins, a 30 px swatch column, lines 1.25 font sizes apart);
//! [`emptiest_corner`] returns the corner whose box (plus a margin) covers the fewest
//! samples of the drawn polylines, preferring upper right, upper left, lower right, lower
//! left on ties; [`place`] turns that into a position and, when every corner holds data, a
//! taller ordinate range whose new top band is empty and holds the legend.

use plotters::prelude::SeriesLabelPosition;

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
        (1.0 - w, 1.0, 1.0 - h, 1.0),
        (0.0, w, 1.0 - h, 1.0),
        (1.0 - w, 1.0, 0.0, h),
        (0.0, w, 0.0, h),
    ];
    let mut counts = [0usize; 4];
    let mut visit = |(x, y): (f64, f64)| {
        for (k, (x0, x1, y0, y1)) in corners.iter().enumerate() {
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

/// The pixel size (width, height) of the legend plotters draws for these labels in the
/// registered font at `font_px` (measured with the font; includes plotters' 5 px offset
/// from the plot-area edge).
///
/// ```
/// let (w1, h1) = ntk::plot::legend_size(["a"], 14.0);
/// let (w2, h2) = ntk::plot::legend_size(["a", "a much longer label"], 14.0);
/// assert!(w2 > w1 + 50.0 && h2 > h1 + 14.0);
/// ```
pub fn legend_size<'a>(labels: impl IntoIterator<Item = &'a str>, font_px: f64) -> (f64, f64) {
    let style = super::font(font_px);
    let (mut rows, mut width) = (0usize, 0f64);
    for l in labels {
        rows += 1;
        width = width.max(super::text_width(l, &style));
    }
    let rows = rows.max(1) as f64;
    // plotters: lines 1.25 font sizes apart, the last one its own height (~1.2 font sizes)
    let h = (rows - 1.0) * 1.25 * font_px + 1.2 * font_px;
    (width + 30.0 + 20.0 + 5.0, h + 20.0 + 5.0)
}

/// A legend's place: the corner, and the top of the ordinate range in plotted units (the
/// old top when a corner is free, else raised so that the band above the data holds the
/// legend).
#[derive(Clone, Debug, PartialEq)]
pub struct Place {
    /// Where the legend goes.
    pub corner: SeriesLabelPosition,
    /// The (possibly raised) top of the ordinate range.
    pub top: f64,
    /// The top of the data; tick labels above it (in the legend's band) are left out.
    pub data_top: f64,
}

/// Place a legend of `legend_px` (see [`legend_size`]) on a plot area of `area_px` pixels
/// whose data, as polylines in plot-area fractions, are `lines`; `(bottom, top)` is the
/// ordinate range in plotted units (linear; pass logarithms for a log axis).
///
/// ```
/// use plotters::prelude::SeriesLabelPosition;
/// // a flat line across the whole top: no corner is free at the top, the bottom ones are
/// let p = ntk::plot::legend::place(&[vec![(0.0, 0.95), (1.0, 0.95)]], (100.0, 50.0), (600.0, 400.0), (0.0, 1.0));
/// assert!(matches!(p.corner, SeriesLabelPosition::LowerRight) && p.top == 1.0);
/// // data everywhere: the range grows and the legend sits in the new top band
/// let full: Vec<Vec<(f64, f64)>> = (0..=20).map(|i| vec![(i as f64 / 20.0, 0.0), (i as f64 / 20.0, 1.0)]).collect();
/// let p = ntk::plot::legend::place(&full, (100.0, 80.0), (600.0, 400.0), (0.0, 1.0));
/// assert!(p.top > 1.2 && p.data_top == 1.0);
/// ```
pub fn place(
    lines: &[Vec<(f64, f64)>],
    legend_px: (f64, f64),
    area_px: (f64, f64),
    (bottom, top): (f64, f64),
) -> Place {
    let fw = (legend_px.0 / area_px.0.max(1.0)).min(1.0);
    let fh = (legend_px.1 / area_px.1.max(1.0)).min(0.8);
    match emptiest_corner(lines, fw, fh) {
        (corner, 0) => Place {
            corner,
            top,
            data_top: top,
        },
        _ => Place {
            corner: SeriesLabelPosition::UpperRight,
            top: bottom + (top - bottom) / (1.0 - fh - 0.04),
            data_top: top,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn covered(lines: &[Vec<(f64, f64)>], corner: SeriesLabelPosition, w: f64, h: f64) -> bool {
        let (x0, x1, y0, y1) = match corner {
            SeriesLabelPosition::UpperRight => (1.0 - w, 1.0, 1.0 - h, 1.0),
            SeriesLabelPosition::UpperLeft => (0.0, w, 1.0 - h, 1.0),
            SeriesLabelPosition::LowerRight => (1.0 - w, 1.0, 0.0, h),
            _ => (0.0, w, 0.0, h),
        };
        lines
            .iter()
            .flatten()
            .any(|&(x, y)| x >= x0 && x <= x1 && y >= y0 && y <= y1)
    }

    #[test]
    fn the_legend_goes_to_a_corner_free_of_data() {
        // decaying curves (a loss plot) fill the upper left; the upper right is free
        let decay: Vec<Vec<(f64, f64)>> = (1..4)
            .map(|k| {
                (0..=100)
                    .map(|i| {
                        let x = i as f64 / 100.0;
                        (x, 0.9 * (-(k as f64) * 4.0 * x).exp())
                    })
                    .collect()
            })
            .collect();
        let (pos, n) = emptiest_corner(&decay, 0.3, 0.25);
        assert_eq!(n, 0);
        assert!(matches!(pos, SeriesLabelPosition::UpperRight), "{pos:?}");
        assert!(!covered(&decay, pos, 0.3, 0.25));
        // rising data (test predictions sorted by mean) leave upper left and lower right
        let rise = vec![
            (0..=50)
                .map(|i| (i as f64 / 50.0, i as f64 / 50.0))
                .collect(),
        ];
        let (pos, n) = emptiest_corner(&rise, 0.3, 0.3);
        assert!(
            n == 0 && matches!(pos, SeriesLabelPosition::UpperLeft),
            "{pos:?}"
        );
        // a marker in each of three corners: the fourth is chosen
        let dots = vec![vec![(0.95, 0.95)], vec![(0.05, 0.95)], vec![(0.95, 0.05)]];
        let (pos, n) = emptiest_corner(&dots, 0.2, 0.2);
        assert!(
            n == 0 && matches!(pos, SeriesLabelPosition::LowerLeft),
            "{pos:?}"
        );
        // a segment crossing a corner without a vertex in it still counts
        let cross = vec![vec![(0.6, 1.0), (1.0, 0.6)], vec![(0.0, 0.6), (0.4, 1.0)]];
        let (pos, _) = emptiest_corner(&cross, 0.2, 0.2);
        assert!(!matches!(
            pos,
            SeriesLabelPosition::UpperRight | SeriesLabelPosition::UpperLeft
        ));
    }

    #[test]
    fn a_full_plot_gets_an_empty_band_for_the_legend() {
        let full: Vec<Vec<(f64, f64)>> = (0..=20)
            .map(|i| vec![(i as f64 / 20.0, 0.0), (i as f64 / 20.0, 1.0)])
            .collect();
        let p = place(&full, (120.0, 100.0), (600.0, 400.0), (-2.0, 3.0));
        // the band above the old top is at least the legend's height (100 / 400 of the area)
        let band = (p.top - 3.0) / (p.top + 2.0);
        assert!(band >= 0.25, "{band}");
        assert_eq!(p.data_top, 3.0);
    }

    #[test]
    fn legend_size_grows_with_labels() {
        let (w, h) = legend_size(["one"], 14.0);
        let (w2, h2) = legend_size(["one", "two", "three three three"], 14.0);
        assert!(w2 > w && h2 > h + 2.0 * 14.0);
        assert!(w > 55.0 && h > 14.0 + 25.0);
    }
}
