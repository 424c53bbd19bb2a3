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

impl Figure for Chart<'_> {
    fn size(&self) -> (u32, u32) {
        let trained = self.report.curves.iter().any(|c| c.trained.is_some());
        if trained { (1400, 640) } else { (900, 640) }
    }

    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
    ) -> std::result::Result<(), String> {
        let r = self.report;
        root.fill(&WHITE).map_err(super::err)?;
        let trained = r.curves.iter().any(|c| c.trained.is_some());
        let root = root
            .titled(
                "NTK on the unit circle: Theta(x0, x(gamma)), x0 = (1, 0)",
                bold(26.0),
            )
            .map_err(super::err)?;
        let mut sub = self.subtitle.clone();
        if trained {
            sub.push_str(&format!(
                "  |  {} GD steps, lr {}, {} loss, {} points x ~ N(0, I), f*(x) = x1 x2",
                r.config.steps,
                super::short_number(r.learning_rate),
                r.config.loss.name(),
                r.config.n_train
            ));
        }
        let root = root
            .titled(&sub, font(15.0).color(&RGBColor(80, 80, 80)))
            .map_err(super::err)?;

        // shared y range
        let mut lo = f64::INFINITY;
        let mut hi = f64::NEG_INFINITY;
        let all = r
            .curves
            .iter()
            .flat_map(|c| c.init.iter().chain(c.trained.iter().flatten()))
            .chain(r.analytic.iter().flat_map(|a| a.values.iter()));
        for &v in all {
            if v.is_finite() {
                lo = lo.min(v);
                hi = hi.max(v);
            }
        }
        if !lo.is_finite() || !hi.is_finite() || hi <= lo {
            lo -= 1.0;
            hi += 1.0;
        }
        let pad = 0.06 * (hi - lo).max(1e-12);
        let (ylo, yhi) = (lo - pad, hi + pad);
        let panels: Vec<DrawingArea<DB, Shift>> = if trained {
            root.split_evenly((1, 2))
        } else {
            vec![root.clone()]
        };
        let mut widths: Vec<usize> = r.curves.iter().map(|c| c.width).collect();
        widths.dedup();
        let pi = std::f64::consts::PI;
        for (p, panel) in panels.iter().enumerate() {
            let caption = if p == 0 {
                "at initialization".to_string()
            } else {
                format!("after {} steps of gradient descent", r.config.steps)
            };
            let mut chart = ChartBuilder::on(panel)
                .caption(caption, font(20.0))
                .margin(14)
                .x_label_area_size(50)
                .y_label_area_size(70)
                .build_cartesian_2d(-pi..pi, ylo..yhi)
                .map_err(super::err)?;
            chart
                .configure_mesh()
                .x_desc("gamma (angle of x from x0, radians)")
                .y_desc("Theta(x0, x(gamma))")
                .x_label_formatter(&|v| format!("{v:.1}"))
                .y_label_formatter(&|v| super::short_number(*v))
                .label_style(font(15.0))
                .axis_desc_style(font(17.0))
                .light_line_style(RGBColor(238, 238, 238))
                .bold_line_style(RGBColor(215, 215, 215))
                .draw()
                .map_err(super::err)?;
            for (wi, &w) in widths.iter().enumerate() {
                let c = color(wi);
                // wider nets drawn thinner and more opaque so both stay visible
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
            let mut drawn: Vec<&Vec<f64>> = Vec::new();
            for a in &r.analytic {
                if drawn.contains(&&a.values) {
                    continue;
                }
                drawn.push(&a.values);
                let pts: Vec<(f64, f64)> = r
                    .gamma
                    .iter()
                    .copied()
                    .zip(a.values.iter().copied())
                    .collect();
                let label = if r.analytic.iter().all(|b| b.values == a.values) {
                    "infinite width (analytic NTK)".to_string()
                } else {
                    format!("infinite-width NTK, standard param. at width {}", a.width)
                };
                chart
                    .draw_series(DashedLineSeries::new(pts, 10, 6, BLACK.stroke_width(3)))
                    .map_err(super::err)?
                    .label(label)
                    .legend(|(x, y)| {
                        PathElement::new(vec![(x, y), (x + 24, y)], BLACK.stroke_width(3))
                    });
            }
            chart
                .configure_series_labels()
                .position(SeriesLabelPosition::UpperRight)
                .background_style(WHITE.mix(0.9))
                .border_style(RGBColor(180, 180, 180))
                .label_font(font(15.0))
                .draw()
                .map_err(super::err)?;
        }
        Ok(())
    }
}
