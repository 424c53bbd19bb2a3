//! The kernel-profile plot of Jacot et al. (2018), Figure 1: `Theta(x_0, x(gamma))` on the unit
//! circle against `gamma`, one thin line per seed (colour = width), the infinite-width NTK as a
//! thick dashed black line; left panel at initialization, right panel after training.

use super::{Figure, bold, color, font, save};
use crate::Result;
use crate::converge::ProfileReport;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::{Path, PathBuf};

struct Chart<'a> {
    report: &'a ProfileReport,
    subtitle: String,
}

/// Draw the profile of `report` to `<dir>/profile.png` and `.svg`; `subtitle` describes the
/// network (e.g. [`crate::Network::summary`]).
///
/// # Errors
/// [`crate::Error::Io`] if a file cannot be written.
///
/// ```
/// use ntk::converge::{kernel_profile, ProfileConfig};
/// let net = ntk::Network::mlp(ntk::Activation::Relu, 2, 1.0, 0.1)?;
/// let cfg = ProfileConfig { n_angles: 21, steps: 3, ..ProfileConfig::scaled(vec![16, 64], 2) };
/// let p = kernel_profile(&net, &cfg, None)?;
/// let dir = std::env::temp_dir().join(format!("ntk-doc-profile-{}", std::process::id()));
/// std::fs::create_dir_all(&dir).unwrap();
/// let files = ntk::plot::profile(&p, &net.summary(), &dir)?;
/// assert!(files[0].ends_with("profile.png"));
/// std::fs::remove_dir_all(&dir).unwrap();
/// # Ok::<(), ntk::Error>(())
/// ```
pub fn profile(report: &ProfileReport, subtitle: &str, dir: &Path) -> Result<Vec<PathBuf>> {
    save(
        &Chart {
            report,
            subtitle: subtitle.to_string(),
        },
        &dir.join("profile"),
    )
}

const TITLE: &str = "NTK on the unit circle: Theta(x0, x(gamma)), x0 = (1, 0)";
const LEGEND_PX: f64 = 15.0;
const HEIGHT: u32 = 640;

impl Chart<'_> {
    fn trained(&self) -> bool {
        self.report.curves.iter().any(|c| c.trained.is_some())
    }

    /// The network description, and with training what was trained and on what.
    fn full_subtitle(&self) -> String {
        let r = self.report;
        let mut sub = super::tidy_numbers(&self.subtitle);
        if self.trained() {
            sub.push_str(&format!(
                " | {} GD steps, lr {}, {} loss, {} points x ~ N(0, I), f*(x) = x1 x2",
                r.config.steps,
                super::short_number(r.learning_rate),
                r.config.loss.name(),
                r.config.n_train
            ));
        }
        sub
    }

    fn header_height(&self, w: u32) -> u32 {
        super::wrapped_height(TITLE, &bold(24.0), w)
            + super::wrapped_height(&self.full_subtitle(), &sub_style(), w)
    }

    /// The distinct widths, in order.
    fn widths(&self) -> Vec<usize> {
        let mut w: Vec<usize> = self.report.curves.iter().map(|c| c.width).collect();
        w.dedup();
        w
    }

    /// The legend's labels as drawn: one per width, then the analytic limit(s).
    fn legend_labels(&self) -> Vec<String> {
        let r = self.report;
        let mut out: Vec<String> = self
            .widths()
            .iter()
            .map(|&w| {
                let n = r.curves.iter().filter(|c| c.width == w).count();
                format!("width {w} ({n} seed{})", if n == 1 { "" } else { "s" })
            })
            .collect();
        out.extend(self.analytic().into_iter().map(|(label, _)| label));
        out
    }

    /// The analytic curves to draw, one per distinct set of values, with their labels.
    fn analytic(&self) -> Vec<(String, &Vec<f64>)> {
        let r = self.report;
        let mut drawn: Vec<(String, &Vec<f64>)> = Vec::new();
        let same = r
            .analytic
            .iter()
            .all(|b| r.analytic.first().is_some_and(|a| a.values == b.values));
        for a in &r.analytic {
            if drawn.iter().any(|(_, v)| **v == a.values) {
                continue;
            }
            let label = if same {
                "infinite width (analytic NTK)".to_string()
            } else {
                format!("infinite-width NTK, standard param. at width {}", a.width)
            };
            drawn.push((label, &a.values));
        }
        drawn
    }

    /// The shared ordinate range and the legend's place for both panels: the corner free of
    /// data in every panel, or a band added above the data.
    fn y_range_and_legend(&self, area_px: (f64, f64)) -> ((f64, f64), super::legend::Place) {
        let r = self.report;
        let all = r
            .curves
            .iter()
            .flat_map(|c| c.init.iter().chain(c.trained.iter().flatten()))
            .chain(r.analytic.iter().flat_map(|a| a.values.iter()))
            .filter(|v| v.is_finite());
        let (mut lo, mut hi) = all.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
            (a.min(v), b.max(v))
        });
        if !(lo.is_finite() && hi.is_finite() && hi > lo) {
            let c = if lo.is_finite() { lo } else { 0.0 };
            (lo, hi) = (c - 1.0, c + 1.0);
        }
        let pad = 0.06 * (hi - lo);
        let (ylo, yhi) = (lo - pad, hi + pad);
        let pi = std::f64::consts::PI;
        let unit = |g: f64, v: f64| ((g + pi) / (2.0 * pi), (v - ylo) / (yhi - ylo));
        let mut lines: Vec<Vec<(f64, f64)>> = Vec::new();
        let curve = |vals: &Vec<f64>| -> Vec<(f64, f64)> {
            r.gamma
                .iter()
                .zip(vals)
                .map(|(&g, &v)| unit(g, v))
                .collect()
        };
        for c in &r.curves {
            lines.push(curve(&c.init));
            if let Some(t) = &c.trained {
                lines.push(curve(t));
            }
        }
        lines.extend(r.analytic.iter().map(|a| curve(&a.values)));
        let labels = self.legend_labels();
        let size = super::legend_size(labels.iter().map(String::as_str), LEGEND_PX);
        let place = super::legend::place(&lines, size, area_px, (ylo, yhi));
        ((ylo, place.top), place)
    }
}

fn sub_style() -> plotters::style::TextStyle<'static> {
    font(15.0).color(&RGBColor(70, 70, 70))
}

/// The label of an abscissa tick at a multiple of pi/2.
fn angle_label(v: f64) -> String {
    let k = (v / std::f64::consts::FRAC_PI_2).round() as i64;
    match k {
        0 => "0".into(),
        2 => "π".into(),
        -2 => "-π".into(),
        1 => "π/2".into(),
        -1 => "-π/2".into(),
        _ => format!("{}π/2", k),
    }
}

impl Figure for Chart<'_> {
    fn size(&self) -> (u32, u32) {
        let w = if self.trained() { 1400 } else { 900 };
        (w, HEIGHT + self.header_height(w).saturating_sub(60))
    }

    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
    ) -> std::result::Result<(), String> {
        let r = self.report;
        root.fill(&WHITE).map_err(super::err)?;
        let trained = self.trained();
        let root = super::wrapped_title(root, TITLE, &bold(24.0))?;
        let root = super::wrapped_title(&root, &self.full_subtitle(), &sub_style())?;
        let panels: Vec<DrawingArea<DB, Shift>> = if trained {
            root.split_evenly((1, 2))
        } else {
            vec![root.clone()]
        };
        // plot area of one panel: less caption (~30), margins, label areas
        let (pw, ph) = panels[0].dim_in_pixel();
        let area_px = (
            f64::from(pw) - 2.0 * 14.0 - 70.0,
            f64::from(ph) - 30.0 - 2.0 * 14.0 - 50.0,
        );
        let ((ylo, yhi), place) = self.y_range_and_legend(area_px);
        let data_top = place.data_top;
        let y_ticks =
            super::ticks::linear_ticks(ylo, yhi, super::ticks::max_labels(area_px.1, 15.0, false));
        let y_major: Vec<f64> = y_ticks
            .major
            .iter()
            .copied()
            .filter(|v| *v <= data_top + 1e-12)
            .collect();
        let y_step = super::ticks::step_of(&y_major);
        let widths = self.widths();
        let analytic = self.analytic();
        let pi = std::f64::consts::PI;
        let half = std::f64::consts::FRAC_PI_2;
        for (p, panel) in panels.iter().enumerate() {
            let caption = if p == 0 {
                "at initialization".to_string()
            } else {
                format!("after {} steps of gradient descent", r.config.steps)
            };
            use super::ticks::{TickedAxis, Ticks};
            use plotters::coord::types::RangedCoordf64;
            let xs = TickedAxis::new(
                RangedCoordf64::from(-pi..pi),
                Ticks {
                    major: vec![-pi, -half, 0.0, half, pi],
                    minor: vec![],
                },
            );
            let ys = TickedAxis::new(
                RangedCoordf64::from(ylo..yhi),
                Ticks {
                    major: y_major.clone(),
                    minor: y_ticks
                        .minor
                        .iter()
                        .copied()
                        .filter(|v| *v <= data_top)
                        .collect(),
                },
            );
            let mut chart = ChartBuilder::on(panel)
                .caption(caption, font(20.0))
                .margin(14)
                .x_label_area_size(50)
                .y_label_area_size(70)
                .build_cartesian_2d(xs, ys)
                .map_err(super::err)?;
            let fy = |v: &f64| {
                if y_major.iter().any(|m| (m - v).abs() < 1e-12) {
                    super::ticks::tick_label(*v, y_step)
                } else {
                    String::new()
                }
            };
            chart
                .configure_mesh()
                .x_desc("gamma: angle of x from x0 (radians)")
                .y_desc("Theta(x0, x(gamma))")
                .x_label_formatter(&|v| angle_label(*v))
                .y_label_formatter(&fy)
                .label_style(font(15.0))
                .axis_desc_style(font(17.0))
                .light_line_style(RGBColor(238, 238, 238))
                .bold_line_style(RGBColor(215, 215, 215))
                .draw()
                .map_err(super::err)?;
            for (wi, &w) in widths.iter().enumerate() {
                let c = color(wi);
                // the widest nets drawn more opaque so both stay visible
                let alpha = if wi + 1 == widths.len() { 0.9 } else { 0.55 };
                let mut first = true;
                let n_seeds = r.curves.iter().filter(|cv| cv.width == w).count();
                for cv in r.curves.iter().filter(|cv| cv.width == w) {
                    let vals = if p == 0 {
                        Some(&cv.init)
                    } else {
                        cv.trained.as_ref()
                    };
                    let Some(vals) = vals else { continue };
                    let pts: Vec<(f64, f64)> =
                        r.gamma.iter().copied().zip(vals.iter().copied()).collect();
                    let s = chart
                        .draw_series(LineSeries::new(pts, c.mix(alpha).stroke_width(2)))
                        .map_err(super::err)?;
                    if first {
                        s.label(format!(
                            "width {w} ({n_seeds} seed{})",
                            if n_seeds == 1 { "" } else { "s" }
                        ))
                        .legend(move |(x, y)| {
                            PathElement::new(vec![(x, y), (x + 24, y)], c.stroke_width(3))
                        });
                        first = false;
                    }
                }
            }
            // analytic limit(s): one line when they coincide (NTK parameterization)
            for (label, values) in &analytic {
                let pts: Vec<(f64, f64)> = r
                    .gamma
                    .iter()
                    .copied()
                    .zip(values.iter().copied())
                    .collect();
                chart
                    .draw_series(DashedLineSeries::new(pts, 10, 6, BLACK.stroke_width(3)))
                    .map_err(super::err)?
                    .label(label.clone())
                    .legend(|(x, y)| {
                        let s = BLACK.stroke_width(3);
                        EmptyElement::at((x, y))
                            + PathElement::new(vec![(0, 0), (9, 0)], s)
                            + PathElement::new(vec![(15, 0), (24, 0)], s)
                    });
            }
            chart
                .configure_series_labels()
                .position(place.corner.clone())
                .background_style(WHITE.mix(0.9))
                .border_style(RGBColor(180, 180, 180))
                .label_font(font(LEGEND_PX))
                .draw()
                .map_err(super::err)?;
        }
        Ok(())
    }
}
