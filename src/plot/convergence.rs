//! Width-convergence plot: relative Frobenius error of the empirical NTK and NNGP against the
//! analytic kernels, versus hidden width, on log-log axes: the mean over seeds with error
//! bars (+- one standard deviation), every seed as a faint dot, and a `width^{-1/2}` guide line
//! through the smallest width's NTK error.

use super::ticks::{self, Ticks};
use super::{Figure, color, font, save};
use crate::Result;
use crate::converge::ConvergenceReport;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::{Path, PathBuf};

struct Chart<'a>(&'a ConvergenceReport);

/// Draw the convergence plot of `report` to `<dir>/convergence.png` and `.svg`.
///
/// # Errors
/// [`crate::Error::Io`] if a file cannot be written.
///
/// ```
/// use ntk::{converge::{width_sweep, SweepConfig}, Activation, Network};
/// let net = Network::mlp(Activation::Relu, 1, 1.4, 0.1)?;
/// let x = ntk::data::Dataset::Circle(5).load()?.x;
/// let r = width_sweep(&net, x.as_ref(), "circle:5", &SweepConfig::new(vec![8, 64], 2), None)?;
/// let dir = std::env::temp_dir().join(format!("ntk-doc-conv-{}", std::process::id()));
/// std::fs::create_dir_all(&dir).unwrap();
/// let files = ntk::plot::convergence(&r, &dir)?;
/// assert!(files[0].ends_with("convergence.png") && files[1].ends_with("convergence.svg"));
/// std::fs::remove_dir_all(&dir).unwrap();
/// # Ok::<(), ntk::Error>(())
/// ```
pub fn convergence(report: &ConvergenceReport, dir: &Path) -> Result<Vec<PathBuf>> {
    save(&Chart(report), &dir.join("convergence"))
}

fn slope_text(s: Option<f64>) -> String {
    s.map_or_else(|| "n/a".into(), |v| format!("{v:.2}"))
}

/// Canvas width, margin, label areas (pixels) and font sizes.
const WIDTH: u32 = 960;
const MARGIN: u32 = 16;
const X_AREA: u32 = 56;
const Y_AREA: u32 = 84;
const TICK_PX: f64 = 15.0;
const LEGEND_PX: f64 = 16.0;
const TITLE: &str = "Finite-width kernels converge to the infinite-width limit";

impl Chart<'_> {
    fn subtitle(&self) -> String {
        let r = self.0;
        format!(
            "{} | data {} ({} points, d = {}) | {} seed{} per width",
            super::tidy_numbers(&r.network.summary()),
            r.data,
            r.n_points,
            r.input_dim,
            r.seeds,
            if r.seeds == 1 { "" } else { "s" }
        )
    }

    fn header_height(&self) -> u32 {
        super::wrapped_height(TITLE, &super::bold(24.0), WIDTH)
            + super::wrapped_height(&self.subtitle(), &subtitle_style(), WIDTH)
    }

    /// The plot area in pixels.
    fn area_px(&self) -> (f64, f64) {
        let (w, h) = self.size();
        (
            f64::from(w - 2 * MARGIN - Y_AREA),
            f64::from(h - self.header_height() - 2 * MARGIN - X_AREA),
        )
    }
}

fn subtitle_style() -> plotters::style::TextStyle<'static> {
    font(16.0).color(&RGBColor(70, 70, 70))
}

/// The label of the tick `v` if it is one of `major` (else none).
fn tick_text(major: &[f64], v: f64) -> String {
    major
        .iter()
        .find(|m| (**m - v).abs() <= 1e-9 * m.abs())
        .map_or_else(String::new, |m| ticks::tick_label(*m, 0.0))
}

impl Figure for Chart<'_> {
    fn size(&self) -> (u32, u32) {
        // a subtitle of more than one line makes the canvas taller, not the plot smaller
        let extra = self.header_height().saturating_sub(78);
        (WIDTH, 680 + extra)
    }

    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
    ) -> std::result::Result<(), String> {
        let r = self.0;
        root.fill(&WHITE).map_err(super::err)?;
        let ws: Vec<f64> = r.widths.iter().map(|s| s.width as f64).collect();
        let (wmin, wmax) = ws
            .iter()
            .fold((f64::INFINITY, 0.0f64), |(a, b), &w| (a.min(w), b.max(w)));
        let mut lo = f64::INFINITY;
        let mut hi = 0.0f64;
        for s in &r.widths {
            for &e in s.ntk_rel_err.iter().chain(&s.nngp_rel_err) {
                if e > 0.0 && e.is_finite() {
                    lo = lo.min(e);
                    hi = hi.max(e);
                }
            }
            for e in [
                s.ntk_rel_err_mean + s.ntk_rel_err_std,
                s.nngp_rel_err_mean + s.nngp_rel_err_std,
            ] {
                if e.is_finite() {
                    hi = hi.max(e);
                }
            }
        }
        if !lo.is_finite() || hi <= 0.0 {
            lo = 1e-3;
            hi = 1.0;
        }
        let (ylo, yhi) = (lo / 1.8, hi * 1.8);
        let (xlo, xhi) = (wmin / 1.6, wmax * 1.6);
        let place = legend_place(r, (xlo, xhi), (ylo, yhi), self.area_px());
        let (corner, data_top, yhi) = (
            place.corner,
            10f64.powf(place.data_top),
            10f64.powf(place.top),
        );
        let area = super::wrapped_title(root, TITLE, &super::bold(24.0))?;
        let area = super::wrapped_title(&area, &self.subtitle(), &subtitle_style())?;
        let (pw, ph) = self.area_px();
        // the trained widths label the abscissa; round values the ordinate
        let x_ticks = if ws.len() <= 8 {
            Ticks {
                major: ws.clone(),
                minor: ticks::log_ticks(xlo, xhi, 4).major,
            }
        } else {
            ticks::log_ticks(xlo, xhi, ticks::max_labels(pw, TICK_PX, true))
        };
        let mut y_ticks = ticks::log_ticks(ylo, yhi, ticks::max_labels(ph, TICK_PX, false));
        // no labels in a band added above the data for the legend
        y_ticks.major.retain(|v| *v <= data_top * (1.0 + 1e-9));
        y_ticks.minor.retain(|v| *v <= data_top * (1.0 + 1e-9));
        let xs = ticks::TickedAxis::new(
            plotters::coord::combinators::LogCoord::from((xlo..xhi).log_scale()),
            x_ticks.clone(),
        );
        let ys = ticks::TickedAxis::new(
            plotters::coord::combinators::LogCoord::from((ylo..yhi).log_scale()),
            y_ticks.clone(),
        );
        let mut chart = ChartBuilder::on(&area)
            .margin(MARGIN)
            .x_label_area_size(X_AREA)
            .y_label_area_size(Y_AREA)
            .build_cartesian_2d(xs, ys)
            .map_err(super::err)?;
        let fx = |v: &f64| tick_text(&x_ticks.major, *v);
        let fy = |v: &f64| tick_text(&y_ticks.major, *v);
        chart
            .configure_mesh()
            .x_desc("hidden width n (log scale)")
            .y_desc("relative error ||K_n - K||_F / ||K||_F (log scale)")
            .x_label_formatter(&fx)
            .y_label_formatter(&fy)
            .label_style(font(TICK_PX))
            .axis_desc_style(font(17.0))
            .light_line_style(RGBColor(238, 238, 238))
            .bold_line_style(RGBColor(210, 210, 210))
            .draw()
            .map_err(super::err)?;

        // width^{-1/2} guide through the smallest width's mean NTK error
        if let Some(first) = r.widths.first() {
            let e0 = first.ntk_rel_err_mean;
            let w0 = first.width as f64;
            if e0 > 0.0 && e0.is_finite() {
                let pts: Vec<(f64, f64)> = (0..=40)
                    .map(|i| {
                        let w = xlo * (xhi / xlo).powf(i as f64 / 40.0);
                        (w, e0 * (w / w0).powf(-0.5))
                    })
                    .filter(|p| p.1 >= ylo && p.1 <= yhi)
                    .collect();
                chart
                    .draw_series(DashedLineSeries::new(
                        pts,
                        8,
                        6,
                        RGBColor(120, 120, 120).stroke_width(2),
                    ))
                    .map_err(super::err)?
                    .label(GUIDE)
                    .legend(|(x, y)| {
                        let c = RGBColor(120, 120, 120).stroke_width(2);
                        EmptyElement::at((x, y))
                            + PathElement::new(vec![(0, 0), (8, 0)], c)
                            + PathElement::new(vec![(13, 0), (22, 0)], c)
                    });
            }
        }

        for (ci, is_ntk) in [(0, true), (1, false)] {
            let c = color(ci);
            let stat = |s: &crate::converge::WidthStats| {
                if is_ntk {
                    (s.ntk_rel_err_mean, s.ntk_rel_err_std, s.ntk_rel_err.clone())
                } else {
                    (
                        s.nngp_rel_err_mean,
                        s.nngp_rel_err_std,
                        s.nngp_rel_err.clone(),
                    )
                }
            };
            // the NNGP is drawn slightly to the right so error bars do not overlap
            let shift = if is_ntk { 0.97 } else { 1.03 };
            // per-seed dots
            let dots: Vec<(f64, f64)> = r
                .widths
                .iter()
                .flat_map(|s| {
                    let w = s.width as f64 * shift;
                    stat(s)
                        .2
                        .into_iter()
                        .filter(|e| *e > 0.0)
                        .map(move |e| (w, e))
                })
                .collect();
            chart
                .draw_series(
                    dots.into_iter()
                        .map(|p| Circle::new(p, 2, c.mix(0.35).filled())),
                )
                .map_err(super::err)?;
            // error bars
            for s in &r.widths {
                let (m, sd, _) = stat(s);
                let w = s.width as f64 * shift;
                let top = (m + sd).min(yhi);
                let bot = (m - sd).max(ylo);
                if sd > 0.0 && m.is_finite() {
                    let cap = 1.04;
                    chart
                        .draw_series([
                            PathElement::new(vec![(w, bot), (w, top)], c.stroke_width(2)),
                            PathElement::new(
                                vec![(w / cap, top), (w * cap, top)],
                                c.stroke_width(2),
                            ),
                            PathElement::new(
                                vec![(w / cap, bot), (w * cap, bot)],
                                c.stroke_width(2),
                            ),
                        ])
                        .map_err(super::err)?;
                }
            }
            let means: Vec<(f64, f64)> = r
                .widths
                .iter()
                .map(|s| (s.width as f64 * shift, stat(s).0))
                .filter(|p| p.1 > 0.0)
                .collect();
            chart
                .draw_series(LineSeries::new(means.clone(), c.stroke_width(3)))
                .map_err(super::err)?;
            let label = legend_labels(r)[if is_ntk { 1 } else { 2 }].clone();
            if is_ntk {
                chart
                    .draw_series(means.iter().map(|&p| Circle::new(p, 6, c.filled())))
                    .map_err(super::err)?
                    .label(label)
                    .legend(move |(x, y)| Circle::new((x + 12, y), 6, c.filled()));
            } else {
                chart
                    .draw_series(means.iter().map(|&p| TriangleMarker::new(p, 8, c.filled())))
                    .map_err(super::err)?
                    .label(label)
                    .legend(move |(x, y)| TriangleMarker::new((x + 12, y), 8, c.filled()));
            }
        }
        chart
            .configure_series_labels()
            .position(corner)
            .background_style(WHITE.mix(0.9))
            .border_style(RGBColor(180, 180, 180))
            .label_font(font(LEGEND_PX))
            .draw()
            .map_err(super::err)?;
        Ok(())
    }
}

const GUIDE: &str = "slope -1/2 (theory)";

/// The legend's labels as drawn.
fn legend_labels(r: &ConvergenceReport) -> [String; 3] {
    let f = |name: &str, s: Option<f64>| {
        format!(
            "{name}: mean +- std over seeds (fitted slope {})",
            slope_text(s)
        )
    };
    [
        GUIDE.to_string(),
        f("NTK", r.ntk_slope),
        f("NNGP", r.nngp_slope),
    ]
}

/// The legend's corner (the emptiest of the four for the plotted points, error bars and
/// theory line); if all four hold data, the ordinate range grows by the legend's height so
/// that the legend sits in an empty band at the top. Ordinates of the result are `log10`.
fn legend_place(
    r: &ConvergenceReport,
    (xlo, xhi): (f64, f64),
    (ylo, yhi): (f64, f64),
    area_px: (f64, f64),
) -> super::legend::Place {
    let ux = |x: f64| (x / xlo).ln() / (xhi / xlo).ln();
    let uy = |y: f64| (y / ylo).ln() / (yhi / ylo).ln();
    let mut lines: Vec<Vec<(f64, f64)>> = Vec::new();
    if let Some(first) = r.widths.first() {
        let (e0, w0) = (first.ntk_rel_err_mean, first.width as f64);
        if e0 > 0.0 && e0.is_finite() {
            lines.push(vec![
                (0.0, uy(e0 * (xlo / w0).powf(-0.5))),
                (1.0, uy(e0 * (xhi / w0).powf(-0.5))),
            ]);
        }
    }
    for is_ntk in [true, false] {
        let mut means = Vec::new();
        for s in &r.widths {
            let (m, sd, seeds) = if is_ntk {
                (s.ntk_rel_err_mean, s.ntk_rel_err_std, &s.ntk_rel_err)
            } else {
                (s.nngp_rel_err_mean, s.nngp_rel_err_std, &s.nngp_rel_err)
            };
            let x = ux(s.width as f64);
            if m > 0.0 && m.is_finite() {
                means.push((x, uy(m)));
                lines.push(vec![(x, uy((m - sd).max(ylo))), (x, uy((m + sd).min(yhi)))]);
            }
            lines.extend(
                seeds
                    .iter()
                    .filter(|e| **e > 0.0)
                    .map(|&e| vec![(x, uy(e))]),
            );
        }
        lines.push(means);
    }
    let labels = legend_labels(r);
    let size = super::legend_size(labels.iter().map(String::as_str), LEGEND_PX);
    super::legend::place(&lines, size, area_px, (ylo.log10(), yhi.log10()))
}
