//! Figures of a dynamics prediction: loss against time (predicted flow, gradient-descent
//! steps, trained networks), the residual per eigenmode, test predictions with the
//! ensemble's +-2 sigma band, and the finite-width deviation against width. Each returns a
//! [`Chart`] (drawn by [`super::chart`]); set its `subtitle` to describe the network and data.

pub use super::chart::{Band, Chart, Kind, Series, log_grid};
use crate::Result;
use crate::dynamics::compare::Comparison;
use crate::dynamics::{GradientFlow, Moments, Point, TestData};
use faer::MatRef;

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
        // what the dashed lines are (a legend entry only)
        series.push(Series {
            label: "dashed: kernel prediction from each network's f_0".into(),
            points: vec![],
            kind: Kind::Dashed(1),
            color: 6,
        });
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
    let loss = match flow.options().loss {
        crate::dynamics::Loss::Sum => "1/2 ||f - Y||^2",
        crate::dynamics::Loss::Mean => "1/(2N) ||f - Y||^2",
    };
    Ok(Chart {
        y_window,
        title: "Loss vs time: kernel prediction and trained networks".into(),
        x_label: "time t (= gradient-descent steps)".into(),
        y_label: format!("loss {loss}"),
        log_x: true,
        log_y: true,
        series,
        ..Default::default()
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
            label: format!(
                "mode {} (eigenvalue {})",
                m + 1,
                super::short_number(lam[m])
            ),
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
        x_label: "time t (gradient-descent steps)".into(),
        y_label: "|residual in mode| / |residual at t = 0|".into(),
        log_x: true,
        log_y: false,
        series,
        ..Default::default()
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
        y_label: format!("network output f(x), column {col}"),
        series,
        bands,
        ..Default::default()
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
        kind: Kind::LineMarkers(2),
        color: 0,
    }];
    if let Some(&(w0, d0)) = pts.first() {
        series.push(Series {
            label: "1 / sqrt(width)".into(),
            points: pts
                .iter()
                .map(|&(w, _)| (w, d0 * (w0 / w).sqrt()))
                .collect(),
            kind: Kind::Dashed(2),
            color: 6,
        });
    }
    Chart {
        title: "Finite-width deviation from the kernel prediction".into(),
        x_label: "hidden width n (log scale)".into(),
        y_label: "relative rms deviation, test (max over steps)".into(),
        log_x: true,
        log_y: true,
        series,
        // label the widths that were trained
        x_ticks: if pts.len() <= 8 {
            pts.iter().map(|p| p.0).collect()
        } else {
            Vec::new()
        },
        ..Default::default()
    }
}
