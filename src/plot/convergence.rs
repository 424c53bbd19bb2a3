//! Width-convergence plot: relative Frobenius error of the empirical NTK and NNGP against the
//! analytic kernels, versus hidden width, on log-log axes: the mean over seeds with error
//! bars (+- one standard deviation), every seed as a faint dot, and a `width^{-1/2}` guide line
//! through the smallest width's NTK error.

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

impl Figure for Chart<'_> {
    fn size(&self) -> (u32, u32) {
        (960, 680)
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
        let (corner, yhi) = legend_place(r, (xlo, xhi), (ylo, yhi), self.size());
        let title_area = root
            .titled(
                "Finite-width kernels converge to the infinite-width limit",
                super::bold(26.0),
            )
            .map_err(super::err)?;
        let sub = format!(
            "{} | data {} ({} points, d = {}) | {} seed{} per width",
            super::tidy_numbers(&r.network.summary()),
            r.data,
            r.n_points,
            r.input_dim,
            r.seeds,
            if r.seeds == 1 { "" } else { "s" }
        );
        let area = super::titled_lines(
            &title_area,
            &super::wrap(&sub, SUB_CHARS),
            &font(16.0).color(&RGBColor(80, 80, 80)),
            21,
        )?;
        let mut chart = ChartBuilder::on(&area)
            .margin(16)
            .x_label_area_size(56)
            .y_label_area_size(80)
            .build_cartesian_2d((xlo..xhi).log_scale(), (ylo..yhi).log_scale())
            .map_err(super::err)?;
        chart
            .configure_mesh()
            .x_desc("hidden width n")
            .y_desc("relative error ||K_n - K||_F / ||K||_F")
            .x_label_formatter(&|v| super::log_tick(*v))
            .y_label_formatter(&|v| super::log_tick(*v))
            .label_style(font(15.0))
            .axis_desc_style(font(18.0))
            .light_line_style(RGBColor(235, 235, 235))
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
                    .label("slope -1/2 (theory)")
                    .legend(|(x, y)| {
                        PathElement::new(
                            vec![(x, y), (x + 24, y)],
                            RGBColor(120, 120, 120).stroke_width(2),
                        )
                    });
            }
        }

        let series: [(&str, Option<f64>, usize, bool); 2] = [
            ("NTK", r.ntk_slope, 0, true),
            ("NNGP", r.nngp_slope, 1, false),
        ];
        for (name, slope, ci, is_ntk) in series {
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
            let label = format!(
                "{name}: mean +- std over seeds (fitted slope {})",
                slope_text(slope)
            );
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
            .label_font(font(16.0))
            .draw()
            .map_err(super::err)?;
        Ok(())
    }
}

/// Characters per subtitle line (16 px DejaVu on a 960 px canvas).
const SUB_CHARS: usize = 105;

/// The legend's corner (the emptiest of the four for the plotted points, error bars and
/// theory line); if all four hold data, the ordinate range grows by the legend's height so
/// that the legend sits in an empty band at the top. Returns the corner and the new top.
fn legend_place(
    r: &ConvergenceReport,
    (xlo, xhi): (f64, f64),
    (ylo, yhi): (f64, f64),
    (w, h): (u32, u32),
) -> (SeriesLabelPosition, f64) {
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
    let labels = [
        "slope -1/2 (theory)",
        "NTK: mean +- std over seeds (fitted slope -0.00)",
        "NNGP: mean +- std over seeds (fitted slope -0.00)",
    ];
    let (lw, lh) = super::legend_size(labels, 16.0);
    // plot area: canvas less label areas, margins and the two title lines
    let (pw, ph) = (w as f64 - 80.0 - 32.0, h as f64 - 56.0 - 32.0 - 80.0);
    let (fw, fh) = ((lw / pw).min(1.0), ((lh + 10.0) / ph).min(0.8));
    match super::emptiest_corner(&lines, fw, fh) {
        (pos, 0) => (pos, yhi),
        _ => (
            SeriesLabelPosition::UpperRight,
            ylo * (yhi / ylo).powf(1.0 / (1.0 - fh - 0.04)),
        ),
    }
}
