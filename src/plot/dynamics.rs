//! Plots of training dynamics: line/marker series and shaded bands on linear or
//! logarithmic axes, saved as PNG and SVG.
//!
//! A logarithmic axis plots `log10(v)` and labels ticks `10^e`; values `<= 0` or non-finite
//! are left out of a log axis (t = 0 and t = inf cannot be drawn on a log-time axis). Fonts,
//! palette and the atomic PNG + SVG writer are the shared ones of [`crate::plot`].

use crate::dynamics::compare::Comparison;
use crate::dynamics::{GradientFlow, Moments, Point, TestData};
use crate::{Error, Result};
use faer::MatRef;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::{Path, PathBuf};

/// How a series is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A solid line of the given stroke width.
    Line(u32),
    /// A dashed line of the given stroke width.
    Dashed(u32),
    /// Filled circles of the given radius.
    Markers(u32),
}

/// One series: points `(x, y)`, a legend label (empty: no legend entry), a style, a colour
/// index into the shared palette ([`super::color`]).
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
///     bands: vec![], y_window: None,
/// };
/// let files = fig.save(&dir.path().join("loss"))?;
/// assert!(files.iter().all(|f| f.exists()));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct Chart {
    /// Title.
    pub title: String,
    /// Abscissa label.
    pub x_label: String,
    /// Ordinate label.
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

    fn ranges(&self) -> Option<((f64, f64), (f64, f64))> {
        let mut xs = Vec::new();
        let mut ys = Vec::new();
        for s in &self.series {
            for &(x, y) in &s.points {
                if let (Some(a), Some(b)) = (self.tx(x), self.ty(y)) {
                    xs.push(a);
                    ys.push(b);
                }
            }
        }
        for b in &self.bands {
            for i in 0..b.x.len().min(b.lo.len()).min(b.hi.len()) {
                if let Some(a) = self.tx(b.x[i]) {
                    for v in [b.lo[i], b.hi[i]] {
                        if let Some(c) = self.ty(v) {
                            xs.push(a);
                            ys.push(c);
                        }
                    }
                }
            }
        }
        let span = |v: &[f64]| -> Option<(f64, f64)> {
            let lo = v.iter().cloned().fold(f64::INFINITY, f64::min);
            let hi = v.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
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
        Some((span(&xs)?, span(&ys)?))
    }

    fn draw_in<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        ((x0, x1), (y0, y1)): ((f64, f64), (f64, f64)),
    ) -> std::result::Result<(), String> {
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let (corner, y1) = self.legend_place(root, (x0, x1), (y0, y1));
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, super::font(22.0))
            .margin(12)
            .x_label_area_size(48)
            .y_label_area_size(72)
            .build_cartesian_2d(x0..x1, y0..y1)
            .map_err(|e| e.to_string())?;
        // on a log axis spanning many decades, label every decade alike (1e-8 .. 1e2)
        let (dx, dy) = (x1 - x0, y1 - y0);
        let fx = move |v: &f64| label(*v, self.log_x, dx);
        let fy = move |v: &f64| label(*v, self.log_y, dy);
        chart
            .configure_mesh()
            .x_desc(self.x_label.as_str())
            .y_desc(self.y_label.as_str())
            .x_label_formatter(&fx)
            .y_label_formatter(&fy)
            .label_style(super::font(14.0))
            .axis_desc_style(super::font(16.0))
            .light_line_style(WHITE.mix(0.0))
            .draw()
            .map_err(|e| e.to_string())?;
        let mut legend = false;
        for b in &self.bands {
            let c = color(b.color);
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
                .map_err(|e| e.to_string())?;
            if !b.label.is_empty() {
                legend = true;
                a.label(b.label.clone()).legend(move |(x, y)| {
                    Rectangle::new([(x, y - 5), (x + 18, y + 5)], c.mix(0.3).filled())
                });
            }
        }
        for s in &self.series {
            let c = color(s.color);
            let pts: Vec<(f64, f64)> = s
                .points
                .iter()
                .filter_map(|&(x, y)| Some((self.tx(x)?, self.ty(y)?)))
                .collect();
            let anno = match s.kind {
                Kind::Line(w) => chart
                    .draw_series(LineSeries::new(pts, c.stroke_width(w)))
                    .map_err(|e| e.to_string())?,
                Kind::Dashed(w) => chart
                    .draw_series(DashedLineSeries::new(pts, 8, 5, c.stroke_width(w)))
                    .map_err(|e| e.to_string())?,
                Kind::Markers(r) => chart
                    .draw_series(pts.into_iter().map(|p| Circle::new(p, r, c.filled())))
                    .map_err(|e| e.to_string())?,
            };
            if !s.label.is_empty() {
                legend = true;
                match s.kind {
                    Kind::Markers(r) => {
                        anno.label(s.label.clone())
                            .legend(move |(x, y)| Circle::new((x + 9, y), r.max(3), c.filled()));
                    }
                    Kind::Line(w) | Kind::Dashed(w) => {
                        anno.label(s.label.clone()).legend(move |(x, y)| {
                            PathElement::new(vec![(x, y), (x + 18, y)], c.stroke_width(w))
                        });
                    }
                }
            }
        }
        if legend {
            chart
                .configure_series_labels()
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK.mix(0.4))
                .label_font(super::font(14.0))
                .position(corner)
                .draw()
                .map_err(|e| e.to_string())?;
        }
        Ok(())
    }

    /// The legend's corner: the one whose box covers no drawn point; if every corner has
    /// data, the ordinate range grows upwards by the legend's height (an empty band at the
    /// top) and the legend goes to the upper right. Returns the corner and the top of the
    /// ordinate range.
    fn legend_place<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        (x0, x1): (f64, f64),
        (y0, y1): (f64, f64),
    ) -> (SeriesLabelPosition, f64) {
        let labels = self
            .bands
            .iter()
            .map(|b| b.label.as_str())
            .chain(self.series.iter().map(|s| s.label.as_str()))
            .filter(|l| !l.is_empty());
        let (lw, lh) = super::legend_size(labels, 14.0);
        let (w, h) = root.dim_in_pixel();
        // the plot area: the canvas less the label areas, margins and caption
        let (pw, ph) = (
            (w as f64 - 72.0 - 24.0).max(1.0),
            (h as f64 - 48.0 - 24.0 - 34.0).max(1.0),
        );
        let (fw, fh) = ((lw / pw).min(1.0), (lh / ph).min(0.9));
        let unit = |x: f64, y: f64| ((x - x0) / (x1 - x0), (y - y0) / (y1 - y0));
        let mut lines: Vec<Vec<(f64, f64)>> = Vec::new();
        for s in &self.series {
            let pts = s
                .points
                .iter()
                .filter_map(|&(x, y)| Some(unit(self.tx(x)?, self.ty(y)?)));
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
                    lines.push(vec![unit(x, lo), unit(x, hi)]);
                }
            }
        }
        match super::emptiest_corner(&lines, fw, fh) {
            (pos, 0) => (pos, y1),
            _ => (
                SeriesLabelPosition::UpperRight,
                y0 + (y1 - y0) / (1.0 - fh - 0.04),
            ),
        }
    }
}

fn color(i: usize) -> RGBColor {
    super::color(i)
}

impl super::Figure for Chart {
    fn size(&self) -> (u32, u32) {
        (900, 600)
    }

    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
    ) -> std::result::Result<(), String> {
        let ranges = self
            .ranges()
            .ok_or_else(|| format!("plot `{}`: no drawable points", self.title))?;
        self.draw_in(root, ranges)
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

/// A tick label; `span` is the axis range in plotted units (decades on a log axis).
fn label(v: f64, log: bool, span: f64) -> String {
    if log {
        let e = v.round();
        let x = 10f64.powf(v);
        if (v - e).abs() < 1e-6 {
            // decades: plain numbers on a short axis (0.01 .. 1000), 1eN on a long one
            return if span <= 5.0 && (-3.0..=4.0).contains(&e) {
                super::short_number(10f64.powi(e as i32))
            } else {
                format!("1e{}", e as i64)
            };
        }
        // two significant digits, as a plain decimal where that stays short
        let mag = 10f64.powf(x.log10().floor() - 1.0);
        let r = (x / mag).round() * mag;
        if (1e-3..1e5).contains(&r) {
            let decimals = (1.0 - r.log10().floor()).max(0.0) as usize;
            format!("{r:.decimals$}")
        } else {
            format!("{r:.1e}")
        }
    } else if v == v.round() && v.abs() < 1e4 {
        format!("{}", v as i64)
    } else if v != 0.0 && (v.abs() >= 1e4 || v.abs() < 1e-2) {
        format!("{v:.1e}")
    } else {
        let s = format!("{:.3}", (v * 1000.0).round() / 1000.0);
        s.trim_end_matches('0').trim_end_matches('.').to_string()
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

// ---------------------------------------------------------------------------------------
// Figures of a dynamics prediction
// ---------------------------------------------------------------------------------------

/// A log-spaced time grid covering the flow's time scales: from `0.01 / (s lambda_max)` to
/// `100 / (s lambda_min)` (non-null modes; at most 10 decades), extended to `t_max`.
///
/// ```
/// use ntk::dynamics::{FlowOptions, GradientFlow};
/// let k = faer::mat![[10.0, 0.0], [0.0, 0.1]];
/// let y = faer::mat![[1.0], [1.0]];
/// let flow = GradientFlow::new(k.as_ref(), y.as_ref(), &FlowOptions::default())?;
/// let g = ntk::plot::dynamics::time_grid(&flow, 0.0, 100);
/// assert!((g[0] - 1e-3).abs() < 1e-15 && (g[99] - 1e3).abs() < 1e-9);
/// # Ok::<(), ntk::Error>(())
/// ```
pub fn time_grid(flow: &GradientFlow, t_max: f64, n: usize) -> Vec<f64> {
    let s = flow.rate();
    let spec = flow.spectrum();
    let lam = spec.eigenvalues();
    let lmax = lam.last().copied().unwrap_or(0.0);
    let lmin = (0..lam.len())
        .find(|&i| !spec.is_null(i))
        .map_or(lmax, |i| lam[i]);
    if !(lmax > 0.0 && s > 0.0) {
        return log_grid(1e-2, t_max.max(1.0), n);
    }
    let lo = 0.01 / (s * lmax);
    let hi = (100.0 / (s * lmin))
        .min(lo * 1e10)
        .max(if t_max.is_finite() { t_max } else { 0.0 });
    log_grid(lo, hi.max(lo * 10.0), n)
}

/// Train (and test) loss against time on log axes: the predicted flow as lines, the
/// requested gradient-descent steps as markers, and, with a comparison, each trained
/// network's loss at its recorded steps (one colour per width; dashed: the prediction from
/// that network's own initial outputs).
///
/// # Errors
/// Errors of [`GradientFlow::predict`].
///
/// ```
/// use ntk::dynamics::{FlowOptions, GradientFlow};
/// let k = faer::mat![[2.0, 0.3], [0.3, 1.0]];
/// let y = faer::mat![[1.0], [-1.0]];
/// let flow = GradientFlow::new(k.as_ref(), y.as_ref(), &FlowOptions::default())?;
/// let fig = ntk::plot::dynamics::loss_figure(&flow, None, None, &[5, 50], None)?;
/// assert_eq!(fig.series.len(), 2);
/// # Ok::<(), ntk::Error>(())
/// ```
pub fn loss_figure(
    flow: &GradientFlow,
    f0_train: Option<MatRef<'_, f64>>,
    test: Option<TestData<'_>>,
    steps: &[u64],
    check: Option<&Comparison>,
) -> Result<Chart> {
    let t_max = steps.iter().copied().max().unwrap_or(0) as f64;
    let t_max = check
        .and_then(|c| c.steps.last().copied())
        .map_or(t_max, |m| t_max.max(m as f64));
    let grid = time_grid(flow, t_max, 160);
    let pts: Vec<Point> = grid.iter().map(|&t| Point::Time(t)).collect();
    let p = flow.predict(f0_train, test, &pts)?;
    let mut series = vec![Series {
        label: "predicted train loss (flow)".into(),
        points: grid
            .iter()
            .copied()
            .zip(p.loss_train.iter().copied())
            .collect(),
        kind: Kind::Line(3),
        color: 6,
    }];
    if let Some(lt) = &p.loss_test {
        series.push(Series {
            label: "predicted test loss (flow)".into(),
            points: grid.iter().copied().zip(lt.iter().copied()).collect(),
            kind: Kind::Line(3),
            color: 5,
        });
    }
    if !steps.is_empty() {
        let sp: Vec<Point> = steps.iter().map(|&k| Point::Steps(k)).collect();
        let ps = flow.predict(f0_train, test, &sp)?;
        let x: Vec<f64> = steps.iter().map(|&k| k as f64).collect();
        series.push(Series {
            label: "predicted train loss (GD steps)".into(),
            points: x
                .iter()
                .copied()
                .zip(ps.loss_train.iter().copied())
                .collect(),
            kind: Kind::Markers(5),
            color: 6,
        });
        if let Some(lt) = &ps.loss_test {
            series.push(Series {
                label: "predicted test loss (GD steps)".into(),
                points: x.iter().copied().zip(lt.iter().copied()).collect(),
                kind: Kind::Markers(5),
                color: 5,
            });
        }
    }
    if let Some(c) = check {
        let x: Vec<f64> = c.steps.iter().map(|&k| k as f64).collect();
        let mut seen = Vec::new();
        for r in &c.runs {
            let ci = 1 + c
                .summary
                .iter()
                .position(|s| s.width == r.width)
                .unwrap_or(0);
            let first = !seen.contains(&r.width);
            seen.push(r.width);
            series.push(Series {
                label: if first {
                    format!("trained, width {} (train)", r.width)
                } else {
                    String::new()
                },
                points: x
                    .iter()
                    .copied()
                    .zip(r.loss_train.iter().copied())
                    .collect(),
                kind: Kind::Line(1),
                color: ci,
            });
            series.push(Series {
                label: String::new(),
                points: x
                    .iter()
                    .copied()
                    .zip(r.predicted_loss_train.iter().copied())
                    .collect(),
                kind: Kind::Dashed(1),
                color: ci,
            });
            if let Some(lt) = &r.loss_test {
                series.push(Series {
                    label: if first {
                        format!("trained, width {} (test)", r.width)
                    } else {
                        String::new()
                    },
                    points: x.iter().copied().zip(lt.iter().copied()).collect(),
                    kind: Kind::Markers(3),
                    color: ci,
                });
            }
        }
    }
    // a window of 12 decades below the largest initial loss; diverged points (far above) are left out
    let top = series
        .iter()
        .flat_map(|s| s.points.first().map(|p| p.1))
        .filter(|v| v.is_finite())
        .fold(0.0f64, f64::max);
    let y_window = (top > 0.0).then_some((top * 1e-12, top * 1e3));
    Ok(Chart {
        y_window,
        title: "Loss vs time: kernel prediction and trained networks".into(),
        x_label: "time t (= gradient-descent steps)".into(),
        y_label: format!("loss ({})", flow.options().loss.name()),
        log_x: true,
        log_y: true,
        series,
        bands: vec![],
    })
}

/// The residual of each eigenmode relative to its initial value, against time: which modes
/// are learned when (top modes first). At most 8 modes, spread over the spectrum.
///
/// # Errors
/// Errors of [`GradientFlow::predict`].
///
/// ```
/// use ntk::dynamics::{FlowOptions, GradientFlow};
/// let k = faer::mat![[2.0, 0.3], [0.3, 1.0]];
/// let y = faer::mat![[1.0], [-1.0]];
/// let flow = GradientFlow::new(k.as_ref(), y.as_ref(), &FlowOptions::default())?;
/// assert_eq!(ntk::plot::dynamics::modes_figure(&flow, None)?.series.len(), 2);
/// # Ok::<(), ntk::Error>(())
/// ```
pub fn modes_figure(flow: &GradientFlow, f0_train: Option<MatRef<'_, f64>>) -> Result<Chart> {
    let grid = time_grid(flow, 0.0, 120);
    let mut pts: Vec<Point> = vec![Point::Time(0.0)];
    pts.extend(grid.iter().map(|&t| Point::Time(t)));
    let p = flow.predict(f0_train, None, &pts)?;
    let n = p.mode_residual[0].len();
    let mut lam = flow.spectrum().eigenvalues().to_vec();
    lam.reverse();
    let mut modes: Vec<usize> = if n <= 8 {
        (0..n).collect()
    } else {
        let mut m: Vec<usize> = (0..8)
            .map(|i| ((n - 1) as f64 * (i as f64 / 7.0).powi(2)).round() as usize)
            .collect();
        m.dedup();
        m
    };
    modes.retain(|&m| p.mode_residual[0][m] > 0.0);
    let series = modes
        .iter()
        .enumerate()
        .map(|(ci, &m)| Series {
            label: format!("mode {} (lambda = {:.3e})", m + 1, lam[m]),
            points: grid
                .iter()
                .enumerate()
                .map(|(i, &t)| (t, p.mode_residual[i + 1][m] / p.mode_residual[0][m]))
                .collect(),
            kind: Kind::Line(2),
            color: ci,
        })
        .collect();
    Ok(Chart {
        title: "Residual per eigenmode of the training kernel".into(),
        x_label: "time t".into(),
        y_label: "|residual in mode| / initial".into(),
        log_x: true,
        log_y: false,
        series,
        bands: vec![],
        y_window: None,
    })
}

/// Test predictions: the ensemble mean with a +-2 sigma band (output column `col`), test
/// points sorted by the mean; targets and, with a comparison, the trained networks' outputs
/// at `check_step` (index into the comparison's steps) as markers.
///
/// ```
/// use ntk::dynamics::Moments;
/// let m = Moments { mean: faer::mat![[0.5], [1.0]], cov: faer::mat![[0.01, 0.0], [0.0, 0.04]] };
/// let fig = ntk::plot::dynamics::band_figure(&m, 0, None, None, None, "t = inf");
/// assert_eq!(fig.bands.len(), 1);
/// ```
pub fn band_figure(
    m: &Moments,
    col: usize,
    y_test: Option<MatRef<'_, f64>>,
    check: Option<&Comparison>,
    check_step: Option<usize>,
    when: &str,
) -> Chart {
    let nt = m.mean.nrows();
    let mut order: Vec<usize> = (0..nt).collect();
    order.sort_by(|&a, &b| m.mean[(a, col)].total_cmp(&m.mean[(b, col)]));
    let x: Vec<f64> = (0..nt).map(|i| i as f64).collect();
    let mean: Vec<f64> = order.iter().map(|&i| m.mean[(i, col)]).collect();
    let sd: Vec<f64> = order
        .iter()
        .map(|&i| m.cov[(i, i)].max(0.0).sqrt())
        .collect();
    let bands = vec![Band {
        label: "ensemble mean +- 2 sigma".into(),
        x: x.clone(),
        lo: mean.iter().zip(&sd).map(|(m, s)| m - 2.0 * s).collect(),
        hi: mean.iter().zip(&sd).map(|(m, s)| m + 2.0 * s).collect(),
        color: 0,
    }];
    let mut series = vec![Series {
        label: "ensemble mean".into(),
        points: x.iter().copied().zip(mean.iter().copied()).collect(),
        kind: Kind::Line(2),
        color: 0,
    }];
    if let Some(y) = y_test {
        series.push(Series {
            label: "test target".into(),
            points: order
                .iter()
                .enumerate()
                .map(|(j, &i)| (j as f64, y[(i, col)]))
                .collect(),
            kind: Kind::Markers(4),
            color: 6,
        });
    }
    if let (Some(c), Some(si)) = (check, check_step) {
        let mut seen = Vec::new();
        for r in &c.runs {
            let ci = 1 + c
                .summary
                .iter()
                .position(|s| s.width == r.width)
                .unwrap_or(0);
            let first = !seen.contains(&r.width);
            seen.push(r.width);
            if let Some(f) = r.fx_test.get(si) {
                series.push(Series {
                    label: if first {
                        format!("trained, width {}", r.width)
                    } else {
                        String::new()
                    },
                    points: order
                        .iter()
                        .enumerate()
                        .filter_map(|(j, &i)| {
                            f.get(i)
                                .and_then(|row| row.get(col))
                                .map(|&v| (j as f64, v))
                        })
                        .collect(),
                    kind: Kind::Markers(3),
                    color: ci,
                });
            }
        }
    }
    Chart {
        title: format!("Test predictions at {when}: infinite ensemble vs trained networks"),
        x_label: "test point (sorted by ensemble mean)".into(),
        y_label: "output".into(),
        log_x: false,
        log_y: false,
        series,
        bands,
        y_window: None,
    }
}

/// Deviation of trained networks from the prediction against width (log-log), with a
/// `1/sqrt(width)` guide through the narrowest width.
///
/// ```
/// use ntk::dynamics::compare::{Comparison, WidthSummary};
/// let c = Comparison { steps: vec![0, 10], runs: vec![], summary: vec![
///     WidthSummary { width: 32, deviation_test: 0.1, relative_deviation_test: 0.2, ntk_change: None },
///     WidthSummary { width: 512, deviation_test: 0.03, relative_deviation_test: 0.05, ntk_change: None }] };
/// assert_eq!(ntk::plot::dynamics::width_figure(&c).series.len(), 2);
/// ```
pub fn width_figure(c: &Comparison) -> Chart {
    let pts: Vec<(f64, f64)> = c
        .summary
        .iter()
        .map(|s| (s.width as f64, s.relative_deviation_test))
        .collect();
    let mut series = vec![Series {
        label: "trained vs predicted (relative rms, test)".into(),
        points: pts.clone(),
        kind: Kind::Line(2),
        color: 0,
    }];
    if let Some(&(w0, d0)) = pts.first() {
        series.push(Series {
            label: "1 / sqrt(width)".into(),
            points: pts
                .iter()
                .map(|&(w, _)| (w, d0 * (w0 / w).sqrt()))
                .collect(),
            kind: Kind::Dashed(1),
            color: 6,
        });
    }
    Chart {
        title: "Finite-width deviation from the kernel prediction".into(),
        x_label: "hidden width".into(),
        y_label: "relative rms deviation (max over steps)".into(),
        log_x: true,
        log_y: true,
        series,
        bands: vec![],
        y_window: None,
    }
}
