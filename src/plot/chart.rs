//! A general 2-D chart: line, dashed-line and marker series and shaded bands on linear or
//! logarithmic axes, saved as PNG and SVG (the charts of [`super::dynamics`]).
//!
//! Contract: a logarithmic axis plots `log10(v)`; values `<= 0` or non-finite are left out
//! of a log axis (t = 0 and t = inf cannot be drawn on a log-time axis), and so are values
//! outside `y_window`. Ticks are round values that fit ([`super::ticks`]); the title and
//! subtitle wrap to the canvas width; the legend goes to a corner free of drawn data, or
//! into a band added above the data (whose ticks are then not labelled) when no corner is
//! free ([`super::legend::place`]). Fonts, palette and the atomic PNG + SVG writer are the
//! shared ones of [`crate::plot`].

use super::ticks::{self, TickedAxis, Ticks};
use crate::{Error, Result};
use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use std::path::{Path, PathBuf};

/// How a series is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A solid line of the given stroke width.
    Line(u32),
    /// A solid line of the given stroke width with a filled circle at every point.
    LineMarkers(u32),
    /// A dashed line of the given stroke width.
    Dashed(u32),
    /// Filled circles of the given radius.
    Markers(u32),
}

/// One series: points `(x, y)`, a legend label (empty: no legend entry), a style, a colour
/// index into the shared palette ([`super::color`]). A series without points and with a
/// label is a legend entry only (e.g. to say what a line style means).
#[derive(Clone, Debug)]
pub struct Series {
    /// Legend label; empty for none.
    pub label: String,
    /// The points.
    pub points: Vec<(f64, f64)>,
    /// Line or markers.
    pub kind: Kind,
    /// Index into the shared palette ([`super::color`], wraps around).
    pub color: usize,
}

/// A shaded band between `lo` and `hi` over `x` (e.g. mean +- 2 sigma).
#[derive(Clone, Debug)]
pub struct Band {
    /// Legend label; empty for none.
    pub label: String,
    /// Abscissae.
    pub x: Vec<f64>,
    /// Lower edge.
    pub lo: Vec<f64>,
    /// Upper edge.
    pub hi: Vec<f64>,
    /// Index into the shared palette ([`super::color`]).
    pub color: usize,
}

/// A 2-D chart of series and bands, drawn with the shared plot helpers ([`super::save`]).
///
/// ```
/// use ntk::plot::dynamics::{Chart, Kind, Series};
/// let dir = tempfile::tempdir()?;
/// let fig = Chart {
///     title: "loss".into(), x_label: "t".into(), y_label: "L".into(), log_x: true, log_y: true,
///     series: vec![Series { label: "predicted".into(), kind: Kind::Line(2), color: 0,
///         points: (1..50).map(|i| (i as f64, (-0.1 * i as f64).exp())).collect() }],
///     ..Default::default()
/// };
/// let files = fig.save(&dir.path().join("loss"))?;
/// assert!(files.iter().all(|f| f.exists()));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct Chart {
    /// Title.
    pub title: String,
    /// A line under the title (e.g. the network and data), wrapped to the width; may be empty.
    pub subtitle: String,
    /// Abscissa label (with units).
    pub x_label: String,
    /// Ordinate label (with units).
    pub y_label: String,
    /// Logarithmic abscissa.
    pub log_x: bool,
    /// Logarithmic ordinate.
    pub log_y: bool,
    /// Series, drawn in order after the bands.
    pub series: Vec<Series>,
    /// Bands, drawn first.
    pub bands: Vec<Band>,
    /// Ordinate window `(lo, hi)` in data units: points outside are left out.
    pub y_window: Option<(f64, f64)>,
    /// Labelled abscissae in data units (e.g. the widths measured) instead of automatic ticks;
    /// empty for automatic.
    pub x_ticks: Vec<f64>,
}

/// Canvas size, margins and the label areas around the plot area, in pixels.
const SIZE: (u32, u32) = (900, 600);
const MARGIN: u32 = 14;
const X_LABEL_AREA: u32 = 50;
const TICK_PX: f64 = 14.0;
const LEGEND_PX: f64 = 14.0;

type Axis = TickedAxis<RangedCoordf64>;

/// The computed layout of one drawing: ranges in plotted units, ticks, legend place.
struct Layout {
    x: (f64, f64),
    y: (f64, f64),
    x_ticks: Ticks,
    y_ticks: Ticks,
    legend: super::legend::Place,
    y_label_area: u32,
}

impl Chart {
    /// Save as `<stem>.png` and `<stem>.svg`; returns the two paths.
    ///
    /// # Errors
    /// [`Error::Io`] if a file cannot be written; [`Error::Data`] if nothing is drawable.
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// let fig = ntk::plot::dynamics::Chart::default(); // nothing to draw
    /// assert!(fig.save(&dir.path().join("empty")).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn save(&self, stem: &Path) -> Result<Vec<PathBuf>> {
        if self.ranges().is_none() {
            return Err(Error::Data(format!(
                "plot `{}`: no drawable points (log axes need positive values)",
                self.title
            )));
        }
        super::save(self, stem)
    }

    fn tx(&self, x: f64) -> Option<f64> {
        transform(x, self.log_x)
    }

    fn ty(&self, y: f64) -> Option<f64> {
        if let Some((lo, hi)) = self.y_window {
            if !(y >= lo && y <= hi) {
                return None;
            }
        }
        transform(y, self.log_y)
    }

    /// Every drawn point in plotted units (series points, band edges).
    fn plotted(&self) -> Vec<(f64, f64)> {
        let mut pts = Vec::new();
        for s in &self.series {
            pts.extend(
                s.points
                    .iter()
                    .filter_map(|&(x, y)| Some((self.tx(x)?, self.ty(y)?))),
            );
        }
        for b in &self.bands {
            for i in 0..b.x.len().min(b.lo.len()).min(b.hi.len()) {
                if let Some(a) = self.tx(b.x[i]) {
                    pts.extend(
                        [b.lo[i], b.hi[i]]
                            .iter()
                            .filter_map(|&v| Some((a, self.ty(v)?))),
                    );
                }
            }
        }
        pts
    }

    /// The padded data ranges in plotted units, or `None` if nothing is drawable.
    fn ranges(&self) -> Option<((f64, f64), (f64, f64))> {
        let pts = self.plotted();
        let span = |v: &mut dyn Iterator<Item = f64>| -> Option<(f64, f64)> {
            let (lo, hi) = v.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| {
                (a.min(x), b.max(x))
            });
            if !lo.is_finite() || !hi.is_finite() {
                return None;
            }
            let pad = if hi > lo {
                0.04 * (hi - lo)
            } else {
                0.5 * lo.abs().max(1.0)
            };
            Some((lo - pad, hi + pad))
        };
        Some((
            span(&mut pts.iter().map(|p| p.0))?,
            span(&mut pts.iter().map(|p| p.1))?,
        ))
    }

    /// Ticks of one axis in plotted units.
    fn axis_ticks(&self, (lo, hi): (f64, f64), log: bool, max: usize, given: &[f64]) -> Ticks {
        if !given.is_empty() {
            let major: Vec<f64> = given
                .iter()
                .filter_map(|&v| transform(v, log))
                .filter(|v| *v >= lo && *v <= hi)
                .collect();
            return Ticks {
                major,
                minor: Vec::new(),
            };
        }
        if log {
            let t = ticks::log_ticks(10f64.powf(lo), 10f64.powf(hi), max);
            Ticks {
                major: t.major.iter().map(|v| v.log10()).collect(),
                minor: t.minor.iter().map(|v| v.log10()).collect(),
            }
        } else {
            ticks::linear_ticks(lo, hi, max)
        }
    }

    /// The label of the plotted tick `v` (empty unless `v` is a major tick in `t`).
    fn tick_text(t: &Ticks, v: f64, log: bool) -> String {
        let Some(&m) = t.major.iter().find(|m| (**m - v).abs() < 1e-9) else {
            return String::new();
        };
        if log {
            // the round value the tick was made from (1e-10, not 1.0000000000000001e-10)
            let x: f64 = format!("{:.6e}", 10f64.powf(m)).parse().unwrap_or(m);
            ticks::tick_label(x, 0.0)
        } else {
            ticks::tick_label(m, ticks::step_of(&t.major))
        }
    }

    /// The pixel height taken by the title and subtitle.
    fn header_height(&self) -> u32 {
        let w = SIZE.0;
        let mut h = super::wrapped_height(&self.title, &super::font(22.0), w);
        if !self.subtitle.is_empty() {
            let sub = super::tidy_numbers(&self.subtitle);
            h += super::wrapped_height(&sub, &subtitle_style(), w);
        }
        h
    }

    fn layout(&self, ((x0, x1), (y0, y1)): ((f64, f64), (f64, f64))) -> Layout {
        let (w, h) = (SIZE.0 as f64, (SIZE.1 + self.extra_height()) as f64);
        let ph = h - f64::from(self.header_height() + 2 * MARGIN + X_LABEL_AREA);
        let y_max = ticks::max_labels(ph, TICK_PX, false);
        // a first guess of the plot width for the legend; refined below with the y labels
        let y_ticks0 = self.axis_ticks((y0, y1), self.log_y, y_max, &[]);
        let yla = self.y_label_area(&y_ticks0);
        let pw = w - f64::from(2 * MARGIN + yla);
        let labels = self
            .bands
            .iter()
            .map(|b| b.label.as_str())
            .chain(self.series.iter().map(|s| s.label.as_str()))
            .filter(|l| !l.is_empty());
        let legend_px = super::legend_size(labels, LEGEND_PX);
        let unit = |(x, y): (f64, f64)| ((x - x0) / (x1 - x0), (y - y0) / (y1 - y0));
        let mut lines: Vec<Vec<(f64, f64)>> = Vec::new();
        for s in &self.series {
            let pts = s
                .points
                .iter()
                .filter_map(|&(x, y)| Some(unit((self.tx(x)?, self.ty(y)?))));
            match s.kind {
                Kind::Markers(_) => lines.extend(pts.map(|p| vec![p])),
                _ => lines.push(pts.collect()),
            }
        }
        for b in &self.bands {
            for i in 0..b.x.len().min(b.lo.len()).min(b.hi.len()) {
                if let (Some(x), Some(lo), Some(hi)) =
                    (self.tx(b.x[i]), self.ty(b.lo[i]), self.ty(b.hi[i]))
                {
                    lines.push(vec![unit((x, lo)), unit((x, hi))]);
                }
            }
        }
        let legend = if self.has_legend() {
            super::legend::place(&lines, legend_px, (pw, ph), (y0, y1))
        } else {
            super::legend::Place {
                corner: SeriesLabelPosition::UpperRight,
                top: y1,
                data_top: y1,
            }
        };
        let y = (y0, legend.top);
        let mut y_ticks = self.axis_ticks(y, self.log_y, y_max, &[]);
        // no labels in the legend's band above the data
        y_ticks.major.retain(|v| *v <= legend.data_top + 1e-9);
        y_ticks.minor.retain(|v| *v <= legend.data_top + 1e-9);
        let x_max = ticks::max_labels(pw, TICK_PX, true);
        let x_ticks = self.axis_ticks((x0, x1), self.log_x, x_max, &self.x_ticks);
        Layout {
            x: (x0, x1),
            y,
            x_ticks,
            y_label_area: self.y_label_area(&y_ticks),
            y_ticks,
            legend,
        }
    }

    fn has_legend(&self) -> bool {
        self.bands.iter().any(|b| !b.label.is_empty())
            || self.series.iter().any(|s| !s.label.is_empty())
    }

    /// Extra canvas height for a long title or subtitle (the plot area keeps its size).
    fn extra_height(&self) -> u32 {
        self.header_height().saturating_sub(40)
    }

    /// Width of the area left of the plot: the widest tick label plus the axis label.
    fn y_label_area(&self, t: &Ticks) -> u32 {
        let f = super::font(TICK_PX);
        let widest = t
            .major
            .iter()
            .map(|&v| super::text_width(&Self::tick_text(t, v, self.log_y), &f))
            .fold(0.0, f64::max);
        (widest + 18.0 + 30.0).ceil() as u32
    }

    fn draw_in<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        l: &Layout,
    ) -> std::result::Result<(), String> {
        root.fill(&WHITE).map_err(super::err)?;
        let mut area = super::wrapped_title(root, &self.title, &super::font(22.0))?;
        if !self.subtitle.is_empty() {
            let sub = super::tidy_numbers(&self.subtitle);
            area = super::wrapped_title(&area, &sub, &subtitle_style())?;
        }
        let xs = TickedAxis::new(RangedCoordf64::from(l.x.0..l.x.1), l.x_ticks.clone());
        let ys = TickedAxis::new(RangedCoordf64::from(l.y.0..l.y.1), l.y_ticks.clone());
        let mut chart = ChartBuilder::on(&area)
            .margin(MARGIN)
            .x_label_area_size(X_LABEL_AREA)
            .y_label_area_size(l.y_label_area)
            .build_cartesian_2d(xs, ys)
            .map_err(super::err)?;
        let fx = |v: &f64| Self::tick_text(&l.x_ticks, *v, self.log_x);
        let fy = |v: &f64| Self::tick_text(&l.y_ticks, *v, self.log_y);
        chart
            .configure_mesh()
            .x_desc(self.x_label.as_str())
            .y_desc(self.y_label.as_str())
            .x_label_formatter(&fx)
            .y_label_formatter(&fy)
            .label_style(super::font(TICK_PX))
            .axis_desc_style(super::font(16.0))
            .bold_line_style(RGBColor(205, 205, 205))
            .light_line_style(RGBColor(238, 238, 238))
            .draw()
            .map_err(super::err)?;
        self.draw_bands(&mut chart)?;
        self.draw_series(&mut chart)?;
        if self.has_legend() {
            chart
                .configure_series_labels()
                .background_style(WHITE.mix(0.9))
                .border_style(BLACK.mix(0.4))
                .label_font(super::font(LEGEND_PX))
                .position(l.legend.corner.clone())
                .draw()
                .map_err(super::err)?;
        }
        Ok(())
    }

    fn draw_bands<'a, DB: DrawingBackend + 'a>(
        &self,
        chart: &mut ChartContext<'a, DB, Cartesian2d<Axis, Axis>>,
    ) -> std::result::Result<(), String> {
        for b in &self.bands {
            let c = super::color(b.color);
            let mut upper: Vec<(f64, f64)> = Vec::new();
            let mut lower: Vec<(f64, f64)> = Vec::new();
            for i in 0..b.x.len().min(b.lo.len()).min(b.hi.len()) {
                if let (Some(x), Some(lo), Some(hi)) =
                    (self.tx(b.x[i]), self.ty(b.lo[i]), self.ty(b.hi[i]))
                {
                    upper.push((x, hi));
                    lower.push((x, lo));
                }
            }
            lower.reverse();
            upper.extend(lower);
            let a = chart
                .draw_series(std::iter::once(Polygon::new(upper, c.mix(0.22).filled())))
                .map_err(super::err)?;
            if !b.label.is_empty() {
                a.label(b.label.clone()).legend(move |(x, y)| {
                    Rectangle::new([(x, y - 5), (x + 20, y + 5)], c.mix(0.3).filled())
                });
            }
        }
        Ok(())
    }

    fn draw_series<'a, DB: DrawingBackend + 'a>(
        &self,
        chart: &mut ChartContext<'a, DB, Cartesian2d<Axis, Axis>>,
    ) -> std::result::Result<(), String> {
        for s in &self.series {
            let c = super::color(s.color);
            let pts: Vec<(f64, f64)> = s
                .points
                .iter()
                .filter_map(|&(x, y)| Some((self.tx(x)?, self.ty(y)?)))
                .collect();
            let anno = match s.kind {
                Kind::Line(w) => chart.draw_series(LineSeries::new(pts, c.stroke_width(w))),
                Kind::LineMarkers(w) => {
                    chart
                        .draw_series(LineSeries::new(pts.clone(), c.stroke_width(w)))
                        .map_err(super::err)?;
                    chart.draw_series(
                        pts.into_iter()
                            .map(|p| Circle::new(p, 2 * w + 1, c.filled())),
                    )
                }
                Kind::Dashed(w) => {
                    chart.draw_series(DashedLineSeries::new(pts, 8, 5, c.stroke_width(w)))
                }
                Kind::Markers(r) => {
                    chart.draw_series(pts.into_iter().map(|p| Circle::new(p, r, c.filled())))
                }
            }
            .map_err(super::err)?;
            if s.label.is_empty() {
                continue;
            }
            let anno = anno.label(s.label.clone());
            match s.kind {
                Kind::Markers(r) => {
                    anno.legend(move |(x, y)| Circle::new((x + 10, y), r.max(3), c.filled()));
                }
                Kind::LineMarkers(w) => {
                    anno.legend(move |(x, y)| {
                        EmptyElement::at((x, y))
                            + PathElement::new(vec![(0, 0), (20, 0)], c.stroke_width(w))
                            + Circle::new((10, 0), 2 * w + 1, c.filled())
                    });
                }
                Kind::Line(w) => {
                    anno.legend(move |(x, y)| {
                        PathElement::new(vec![(x, y), (x + 20, y)], c.stroke_width(w))
                    });
                }
                Kind::Dashed(w) => {
                    // a dashed swatch for a dashed line
                    anno.legend(move |(x, y)| {
                        EmptyElement::at((x, y))
                            + PathElement::new(vec![(0, 0), (6, 0)], c.stroke_width(w))
                            + PathElement::new(vec![(10, 0), (20, 0)], c.stroke_width(w))
                    });
                }
            }
        }
        Ok(())
    }
}

fn subtitle_style() -> plotters::style::TextStyle<'static> {
    super::font(15.0).color(&RGBColor(70, 70, 70))
}

impl super::Figure for Chart {
    fn size(&self) -> (u32, u32) {
        (SIZE.0, SIZE.1 + self.extra_height())
    }

    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
    ) -> std::result::Result<(), String> {
        let ranges = self
            .ranges()
            .ok_or_else(|| format!("plot `{}`: no drawable points", self.title))?;
        self.draw_in(root, &self.layout(ranges))
    }
}

fn transform(v: f64, log: bool) -> Option<f64> {
    if !v.is_finite() {
        return None;
    }
    if log {
        (v > 0.0).then(|| v.log10())
    } else {
        Some(v)
    }
}

/// `n` log-spaced values from `lo` to `hi` (both > 0), inclusive.
///
/// ```
/// let g = ntk::plot::dynamics::log_grid(1.0, 100.0, 3);
/// assert!((g[1] - 10.0).abs() < 1e-12 && g[2] == 100.0);
/// ```
pub fn log_grid(lo: f64, hi: f64, n: usize) -> Vec<f64> {
    if n <= 1 || !(lo > 0.0 && hi > lo) {
        return vec![lo];
    }
    let (a, b) = (lo.ln(), hi.ln());
    (0..n)
        .map(|i| {
            if i + 1 == n {
                hi
            } else {
                (a + (b - a) * i as f64 / (n - 1) as f64).exp()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests;
