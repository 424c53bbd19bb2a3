//! A kernel matrix as a heatmap (viridis colour map, linear between the matrix's minimum and
//! maximum, a labelled colour bar on the right). Row 0 is at the top. Matrices larger than
//! [`MAX_CELLS`] per side are shown block-averaged (the subtitle says so), which keeps the
//! SVG small. The title wraps to the canvas width (which grows in height for it), so no
//! title or colour-bar label is cut off.

use super::{Figure, bold, font, save, short_number};
use crate::{Error, Result};
use faer::{Mat, MatRef};
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::{Path, PathBuf};

/// The largest number of cells drawn per side; larger matrices are block-averaged.
pub const MAX_CELLS: usize = 200;

/// Viridis, sampled at 9 stops (matplotlib's), interpolated linearly.
const VIRIDIS: [(u8, u8, u8); 9] = [
    (68, 1, 84),
    (71, 44, 122),
    (59, 81, 139),
    (44, 113, 142),
    (33, 144, 141),
    (39, 173, 129),
    (92, 200, 99),
    (170, 220, 50),
    (253, 231, 37),
];

/// The viridis colour of `t` in `[0, 1]` (clamped).
///
/// ```
/// use plotters::style::RGBColor;
/// assert_eq!(ntk::plot::heatmap::viridis(0.0), RGBColor(68, 1, 84));
/// assert_eq!(ntk::plot::heatmap::viridis(1.0), RGBColor(253, 231, 37));
/// ```
pub fn viridis(t: f64) -> RGBColor {
    let t = if t.is_finite() {
        t.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let x = t * (VIRIDIS.len() - 1) as f64;
    let i = (x.floor() as usize).min(VIRIDIS.len() - 2);
    let f = x - i as f64;
    let (a, b) = (VIRIDIS[i], VIRIDIS[i + 1]);
    let mix = |p: u8, q: u8| (p as f64 + f * (q as f64 - p as f64)).round() as u8;
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

struct Chart {
    cells: Mat<f64>,
    rows: usize,
    cols: usize,
    title: String,
    subtitle: String,
    value: String,
    axis: String,
    lo: f64,
    hi: f64,
}

/// What a heatmap's texts say.
///
/// ```
/// let l = ntk::plot::heatmap::Labels::new("ReLU NTK");
/// assert_eq!((l.value.as_str(), l.axis.as_str()), ("kernel value", "input index"));
/// ```
#[derive(Clone, Debug)]
pub struct Labels {
    /// The title (wrapped to the width).
    pub title: String,
    /// The colour bar's label: what the colours mean.
    pub value: String,
    /// What rows and columns index (`"input index"` gives `row i: input index`).
    pub axis: String,
}

impl Labels {
    /// `title` with the default value (`kernel value`) and axis (`input index`) labels.
    pub fn new(title: &str) -> Self {
        Labels {
            title: title.to_string(),
            value: "kernel value".into(),
            axis: "input index".into(),
        }
    }
}

/// Block-average `k` to at most `MAX_CELLS` per side.
fn pool(k: MatRef<'_, f64>) -> Mat<f64> {
    let (n, m) = (k.nrows(), k.ncols());
    let (bn, bm) = (n.div_ceil(MAX_CELLS).max(1), m.div_ceil(MAX_CELLS).max(1));
    let (pn, pm) = (n.div_ceil(bn), m.div_ceil(bm));
    Mat::from_fn(pn, pm, |i, j| {
        let (r0, r1) = (i * bn, ((i + 1) * bn).min(n));
        let (c0, c1) = (j * bm, ((j + 1) * bm).min(m));
        let mut s = 0.0;
        for c in c0..c1 {
            for r in r0..r1 {
                s += k[(r, c)];
            }
        }
        s / ((r1 - r0) * (c1 - c0)) as f64
    })
}

/// Draw `k` as a heatmap titled `title`, to `<stem>.png` and `<stem>.svg`.
///
/// # Errors
/// [`Error::Data`] for an empty or non-finite matrix; [`Error::Io`] if a file cannot be
/// written.
///
/// ```
/// let k = faer::Mat::from_fn(30, 30, |i, j| (-((i as f64 - j as f64) / 5.0).powi(2)).exp());
/// let stem = std::env::temp_dir().join(format!("ntk-doc-heat-{}", std::process::id()));
/// let files = ntk::plot::heatmap(k.as_ref(), "RBF", &stem)?;
/// assert_eq!(files.len(), 2);
/// for f in files { std::fs::remove_file(f).unwrap(); }
/// # Ok::<(), ntk::Error>(())
/// ```
pub fn heatmap(k: MatRef<'_, f64>, title: &str, stem: &Path) -> Result<Vec<PathBuf>> {
    heatmap_labelled(k, &Labels::new(title), stem)
}

/// As [`heatmap`] with every text given.
///
/// # Errors
/// As [`heatmap`].
///
/// ```
/// use ntk::plot::heatmap::{heatmap_labelled, Labels};
/// let k = faer::Mat::from_fn(8, 8, |i, j| if i == j { 1.0 } else { 0.2 });
/// let dir = tempfile::tempdir()?;
/// let labels = Labels { title: "toy".into(), value: "Theta(x_i, x_j)".into(), axis: "point".into() };
/// let files = heatmap_labelled(k.as_ref(), &labels, &dir.path().join("toy"))?;
/// assert!(files[0].exists());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn heatmap_labelled(k: MatRef<'_, f64>, labels: &Labels, stem: &Path) -> Result<Vec<PathBuf>> {
    if k.nrows() == 0 || k.ncols() == 0 {
        return Err(Error::Data("the matrix is empty; nothing to plot".into()));
    }
    crate::empirical::check_finite("matrix", k)?;
    let cells = pool(k);
    let mut lo = f64::INFINITY;
    let mut hi = f64::NEG_INFINITY;
    for j in 0..cells.ncols() {
        for i in 0..cells.nrows() {
            lo = lo.min(cells[(i, j)]);
            hi = hi.max(cells[(i, j)]);
        }
    }
    let subtitle = if cells.nrows() != k.nrows() || cells.ncols() != k.ncols() {
        format!(
            "{} x {} matrix, shown block-averaged to {} x {} cells",
            k.nrows(),
            k.ncols(),
            cells.nrows(),
            cells.ncols()
        )
    } else {
        format!("{} x {} matrix", k.nrows(), k.ncols())
    };
    save(
        &Chart {
            cells,
            rows: k.nrows(),
            cols: k.ncols(),
            title: super::tidy_numbers(&labels.title),
            subtitle,
            value: labels.value.clone(),
            axis: labels.axis.clone(),
            lo,
            hi,
        },
        stem,
    )
}

/// Canvas width and the colour bar's share of it, in pixels.
const WIDTH: u32 = 900;
const BAR: u32 = 140;

impl Chart {
    fn header_height(&self) -> u32 {
        super::wrapped_height(&self.title, &bold(20.0), WIDTH)
            + super::wrapped_height(&self.subtitle, &sub_style(), WIDTH)
    }
}

fn sub_style() -> plotters::style::TextStyle<'static> {
    font(15.0).color(&RGBColor(70, 70, 70))
}

impl Figure for Chart {
    fn size(&self) -> (u32, u32) {
        (WIDTH, 760 + self.header_height())
    }

    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
    ) -> std::result::Result<(), String> {
        root.fill(&WHITE).map_err(super::err)?;
        // long titles (network descriptions) wrap instead of running off the canvas
        let root = super::wrapped_title(root, &self.title, &bold(20.0))?;
        let root = super::wrapped_title(&root, &self.subtitle, &sub_style())?;
        let (w, _) = root.dim_in_pixel();
        let (main, bar) = root.split_horizontally(w.saturating_sub(BAR));
        let (pn, pm) = (self.cells.nrows(), self.cells.ncols());
        let (rows, cols) = (self.rows as f64, self.cols as f64);
        let mut chart = ChartBuilder::on(&main)
            .margin(12)
            .x_label_area_size(44)
            .y_label_area_size(64)
            .build_cartesian_2d(0.0..cols, rows..0.0)
            .map_err(super::err)?;
        chart
            .configure_mesh()
            .disable_mesh()
            .x_desc(format!("column j: {}", self.axis))
            .y_desc(format!("row i: {}", self.axis))
            .x_label_formatter(&|v| format!("{}", v.round() as i64))
            .y_label_formatter(&|v| format!("{}", v.round() as i64))
            .label_style(font(14.0))
            .axis_desc_style(font(16.0))
            .draw()
            .map_err(super::err)?;
        let span = if self.hi > self.lo {
            self.hi - self.lo
        } else {
            1.0
        };
        let (bh, bw) = (rows / pn as f64, cols / pm as f64);
        chart
            .draw_series((0..pm).flat_map(|j| {
                (0..pn).map(move |i| {
                    let v = self.cells[(i, j)];
                    let c = viridis((v - self.lo) / span);
                    Rectangle::new(
                        [
                            (j as f64 * bw, i as f64 * bh),
                            ((j + 1) as f64 * bw, (i + 1) as f64 * bh),
                        ],
                        c.filled(),
                    )
                })
            }))
            .map_err(super::err)?;
        // colour bar
        let (blo, bhi) = if self.hi > self.lo {
            (self.lo, self.hi)
        } else {
            (self.lo - 0.5, self.lo + 0.5)
        };
        let mut cb = ChartBuilder::on(&bar)
            .margin_top(12)
            .margin_bottom(56)
            .margin_left(6)
            .margin_right(8)
            .right_y_label_area_size(64)
            .build_cartesian_2d(0.0..1.0, blo..bhi)
            .map_err(super::err)?;
        cb.configure_mesh()
            .disable_mesh()
            .disable_x_axis()
            .y_label_formatter(&|v| short_number(*v))
            .label_style(font(13.0))
            .draw()
            .map_err(super::err)?;
        let steps = 120;
        cb.draw_series((0..steps).map(|s| {
            let a = blo + (bhi - blo) * s as f64 / steps as f64;
            let b = blo + (bhi - blo) * (s + 1) as f64 / steps as f64;
            Rectangle::new(
                [(0.0, a), (1.0, b)],
                viridis(s as f64 / (steps - 1) as f64).filled(),
            )
        }))
        .map_err(super::err)?;
        // the bar's label, under it on the row of the abscissa's label
        let (bw_px, bh_px) = bar.dim_in_pixel();
        let centre = bw_px as i32 / 2;
        let style = font(15.0).pos(plotters::style::text_anchor::Pos::new(
            plotters::style::text_anchor::HPos::Center,
            plotters::style::text_anchor::VPos::Center,
        ));
        for (k, line) in super::wrap_to_width(&self.value, &font(15.0), f64::from(BAR) - 8.0)
            .iter()
            .enumerate()
        {
            bar.draw(&Text::new(
                line.clone(),
                (centre, bh_px as i32 - 34 + 18 * k as i32),
                style.clone(),
            ))
            .map_err(super::err)?;
        }
        Ok(())
    }
}
