//! Axis ticks a reader can use: round values only, never more labels than fit.
//!
//! Contract, for an axis range `[lo, hi]` and at most `max` labels (`max >= 4`; smaller
//! values are taken as 4):
//! - [`linear_ticks`]: the labelled ticks are the multiples of a step `s = m 10^k`,
//!   `m in {1, 2, 2.5, 5}`, inside the range, for the smallest such step giving at most
//!   `max` labels (so at least 2: consecutive steps differ by at most 2x); unlabelled minor
//!   ticks split each step into 5 parts (4 when `m = 2`);
//! - [`log_ticks`] (`0 < lo < hi`): labelled ticks at `m 10^k` for the richest mantissa set
//!   of `{1}`, `{1, 3}`, `{1, 2, 5}`, `{1, 2, 3, 5}`, `{1, ..., 9}` that gives 2 to `max` labels
//!   (every `j`-th decade when even `{1}` gives too many); the other integer multiples of a
//!   power of ten become unlabelled minor ticks (over at most 4 decades); a range too narrow
//!   to hold three values `m 10^k` (`m` an integer 1..9) falls back to [`linear_ticks`];
//!   labels are never closer (in decades) than `max` evenly spread labels would be;
//! - every tick lies in `[lo, hi]`, ticks are strictly increasing, and their labels
//!   ([`tick_label`]) are distinct.

/// Labelled (major) and unlabelled (minor) tick positions, in data units, increasing.
#[derive(Clone, Debug, PartialEq)]
pub struct Ticks {
    /// Ticks with a label and a grid line.
    pub major: Vec<f64>,
    /// Ticks with a light grid line only.
    pub minor: Vec<f64>,
}

/// Ticks for a linear axis over `[lo, hi]` with at most `max` labels.
///
/// ```
/// let t = ntk::plot::ticks::linear_ticks(-1.37, 1.42, 8);
/// assert_eq!(t.major, vec![-1.0, -0.5, 0.0, 0.5, 1.0]);
/// ```
pub fn linear_ticks(lo: f64, hi: f64, max: usize) -> Ticks {
    let max = max.max(4);
    if !(lo.is_finite() && hi.is_finite() && hi > lo) {
        let v = if lo.is_finite() { lo } else { 0.0 };
        return Ticks {
            major: vec![v],
            minor: vec![],
        };
    }
    let span = hi - lo;
    let mut k = (span / max as f64).log10().floor() as i32 - 1;
    loop {
        for m in [1.0, 2.0, 2.5, 5.0] {
            let step = m * 10f64.powi(k);
            let major = multiples(lo, hi, step);
            if major.len() <= max {
                let sub = if m == 2.0 { 4.0 } else { 5.0 };
                let minor = multiples(lo, hi, step / sub)
                    .into_iter()
                    .filter(|v| !major.iter().any(|t| close(*t, *v, step)))
                    .collect();
                return Ticks { major, minor };
            }
        }
        k += 1;
    }
}

/// Ticks for a logarithmic axis over `[lo, hi]` (`0 < lo < hi`) with at most `max` labels.
///
/// ```
/// let t = ntk::plot::ticks::log_ticks(0.045, 0.9, 8);
/// assert_eq!(t.major, vec![0.05, 0.1, 0.2, 0.3, 0.5]);
/// let wide = ntk::plot::ticks::log_ticks(1e-10, 1e3, 8);
/// assert_eq!(wide.major, vec![1e-10, 1e-8, 1e-6, 1e-4, 1e-2, 1.0, 1e2]);
/// ```
pub fn log_ticks(lo: f64, hi: f64, max: usize) -> Ticks {
    let max = max.max(4);
    if !(lo > 0.0 && hi > lo && hi.is_finite()) {
        return linear_ticks(lo, hi, max);
    }
    let (e0, e1) = (lo.log10().floor() as i32, hi.log10().ceil() as i32);
    let sets: [&[f64]; 5] = [
        &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0],
        &[1.0, 2.0, 3.0, 5.0],
        &[1.0, 2.0, 5.0],
        &[1.0, 3.0],
        &[1.0],
    ];
    let all = decade_values(lo, hi, e0, e1, sets[0], 1);
    if all.len() < 3 {
        // too narrow for round values m 10^k: a linear axis's ticks
        return linear_ticks(lo, hi, max);
    }
    // labels no closer than an even spread of `max` labels would put them
    let span = (hi / lo).log10();
    for set in sets {
        let major = decade_values(lo, hi, e0, e1, set, 1);
        let min_gap = major
            .windows(2)
            .map(|w| (w[1] / w[0]).log10())
            .fold(f64::INFINITY, f64::min);
        if major.len() >= 2 && major.len() <= max && min_gap >= span / max as f64 * (1.0 - 1e-9) {
            let minor = minor_of(&all, &major, e1 - e0 <= 4);
            return Ticks { major, minor };
        }
    }
    if ((e1 - e0) as usize) < max {
        return linear_ticks(lo, hi, max);
    }
    // too many decades: every `stride`-th one, starting from a multiple of the stride
    let decades = (e1 - e0 + 1) as usize;
    let stride = decades.div_ceil(max).max(1) as i32;
    let major: Vec<f64> = decade_values(lo, hi, e0, e1, &[1.0], stride);
    let minor = decade_values(lo, hi, e0, e1, &[1.0], 1)
        .into_iter()
        .filter(|v| !major.contains(v))
        .collect();
    Ticks { major, minor }
}

/// How many labels fit on an axis `axis_px` long with `font_px` text: along a horizontal
/// axis labels up to 6 characters wide with a gap (`horizontal`), else stacked lines with
/// room between them; between 4 and 12.
///
/// ```
/// assert_eq!(ntk::plot::ticks::max_labels(800.0, 14.0, true), 12);
/// assert_eq!(ntk::plot::ticks::max_labels(300.0, 14.0, false), 7);
/// ```
pub fn max_labels(axis_px: f64, font_px: f64, horizontal: bool) -> usize {
    let per = if horizontal {
        4.4 * font_px
    } else {
        3.0 * font_px
    };
    ((axis_px / per).floor() as usize).clamp(4, 12)
}

/// The label of a tick: a short decimal (`0.05`, `256`, `-1.5`) or `1e-6` / `2e5` for very
/// small or large magnitudes (below 1e-3, from 1e5); `step` (the spacing of the labelled ticks, 0 if unknown) sets
/// how many decimals a linear tick keeps.
///
/// ```
/// use ntk::plot::ticks::tick_label;
/// assert_eq!(tick_label(0.30000000000000004, 0.1), "0.3");
/// assert_eq!(tick_label(1e-6, 0.0), "1e-6");
/// assert_eq!(tick_label(20000.0, 0.0), "20000");
/// assert_eq!(tick_label(200000.0, 0.0), "2e5");
/// assert_eq!(tick_label(-0.0, 0.5), "0");
/// ```
pub fn tick_label(v: f64, step: f64) -> String {
    if v == 0.0 || (step > 0.0 && v.abs() < 1e-9 * step) {
        return "0".into();
    }
    let a = v.abs();
    if (1e-3..1e5).contains(&a) {
        let decimals = if step > 0.0 {
            // as many decimals as the step needs (0.25 needs 2)
            (0..=6)
                .find(|&d| {
                    let x = step * 10f64.powi(d);
                    (x - x.round()).abs() < 1e-6 * x.max(1.0)
                })
                .unwrap_or(6) as usize
        } else {
            (3 - a.log10().floor() as i32).clamp(0, 6) as usize
        };
        let s = format!("{v:.decimals$}");
        let s = if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s
        };
        return s;
    }
    let e = a.log10().floor() as i32;
    let m = v / 10f64.powi(e);
    let m = format!("{m:.1}");
    let m = m.trim_end_matches('0').trim_end_matches('.');
    format!("{m}e{e}")
}

/// The spacing of the labelled ticks (0 for fewer than two).
///
/// ```
/// assert_eq!(ntk::plot::ticks::step_of(&[0.0, 0.5, 1.0]), 0.5);
/// assert_eq!(ntk::plot::ticks::step_of(&[1.0]), 0.0);
/// ```
pub fn step_of(ticks: &[f64]) -> f64 {
    if ticks.len() < 2 {
        return 0.0;
    }
    ticks
        .windows(2)
        .map(|w| w[1] - w[0])
        .fold(f64::INFINITY, f64::min)
}

fn close(a: f64, b: f64, scale: f64) -> bool {
    (a - b).abs() <= 1e-9 * scale
}

/// The multiples of `step` in `[lo, hi]`, computed as `i * step` (no accumulated error).
fn multiples(lo: f64, hi: f64, step: f64) -> Vec<f64> {
    let (i0, i1) = (
        (lo / step - 1e-9).ceil() as i64,
        (hi / step + 1e-9).floor() as i64,
    );
    (i0..=i1)
        .map(|i| {
            let v = i as f64 * step;
            // a rounded decimal, so that labels and comparisons see `0.3`, not `0.30000000000000004`
            let digits = (-(step.log10().floor()) as i32 + 1).clamp(0, 15) as usize;
            format!("{v:.digits$}").parse::<f64>().unwrap_or(v)
        })
        .filter(|v| *v >= lo - 1e-12 * step && *v <= hi + 1e-12 * step)
        .map(|v| if v == 0.0 { 0.0 } else { v })
        .collect()
}

/// `m 10^e` for `m` in `set`, decades `e0..=e1` with `e % stride == 0`, inside `[lo, hi]`.
fn decade_values(lo: f64, hi: f64, e0: i32, e1: i32, set: &[f64], stride: i32) -> Vec<f64> {
    let mut out = Vec::new();
    for e in e0..=e1 {
        if e.rem_euclid(stride) != 0 {
            continue;
        }
        for &m in set {
            // parse the decimal text: exactly the double nearest m * 10^e
            let v: f64 = format!("{m}e{e}").parse().unwrap_or(f64::NAN);
            if v >= lo * (1.0 - 1e-12) && v <= hi * (1.0 + 1e-12) {
                out.push(v);
            }
        }
    }
    out
}

/// Minor ticks: the values of `all` not in `major` (only over a few decades, where they are
/// spaced apart), else none.
fn minor_of(all: &[f64], major: &[f64], few_decades: bool) -> Vec<f64> {
    if !few_decades {
        return Vec::new();
    }
    all.iter().copied().filter(|v| !major.contains(v)).collect()
}

/// A plotters axis (linear or logarithmic, `inner`) whose grid lines are exactly `ticks`:
/// bold lines and labels at the major ticks, light lines at the minor ones.
///
/// ```
/// use ntk::plot::ticks::{linear_ticks, TickedAxis};
/// use plotters::coord::types::RangedCoordf64;
/// use plotters::prelude::Ranged;
/// let axis = TickedAxis::new(RangedCoordf64::from(0.0..1.0), linear_ticks(0.0, 1.0, 6));
/// assert_eq!(axis.range(), 0.0..1.0);
/// ```
pub struct TickedAxis<R> {
    inner: R,
    ticks: Ticks,
}

impl<R: plotters::coord::ranged1d::Ranged<ValueType = f64>> TickedAxis<R> {
    /// `inner` drawn with `ticks`.
    pub fn new(inner: R, ticks: Ticks) -> Self {
        TickedAxis { inner, ticks }
    }
}

impl<R: plotters::coord::ranged1d::Ranged<ValueType = f64>> plotters::coord::ranged1d::Ranged
    for TickedAxis<R>
{
    type FormatOption = plotters::coord::ranged1d::DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        self.inner.map(value, limit)
    }

    fn key_points<Hint: plotters::coord::ranged1d::KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            self.ticks.minor.clone()
        } else {
            self.ticks.major.clone()
        }
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.inner.range()
    }

    fn axis_pixel_range(&self, limit: (i32, i32)) -> std::ops::Range<i32> {
        self.inner.axis_pixel_range(limit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(t: &Ticks, lo: f64, hi: f64, max: usize) {
        let m = &t.major;
        assert!(
            m.len() >= 2 && m.len() <= max,
            "{lo}..{hi} max {max}: {m:?}"
        );
        assert!(m.windows(2).all(|w| w[0] < w[1]), "{m:?}");
        assert!(t.minor.windows(2).all(|w| w[0] < w[1]), "{:?}", t.minor);
        for v in m.iter().chain(&t.minor) {
            assert!(*v >= lo * (1.0 - 1e-9) - 1e-12 && *v <= hi * (1.0 + 1e-9) + 1e-12);
        }
        assert!(t.minor.iter().all(|v| !m.contains(v)));
        let step = step_of(m);
        let labels: Vec<String> = m.iter().map(|&v| tick_label(v, step)).collect();
        let mut uniq = labels.clone();
        uniq.dedup();
        assert_eq!(uniq, labels, "duplicate labels for {lo}..{hi}");
    }

    #[test]
    fn linear_ticks_are_round_and_few() {
        for (lo, hi) in [
            (0.0, 1.0),
            (-1.37, 1.42),
            (-3.3, 3.3),
            (0.061, 0.063),
            (-5e-7, 2e-6),
            (12.0, 63.0),
            (0.0, 1e6),
            (1.6, 1.7),
        ] {
            for max in [4, 5, 8, 12] {
                let t = linear_ticks(lo, hi, max);
                check(&t, lo, hi, max);
                // the step is m 10^k with m in 1, 2, 2.5, 5
                let step: f64 = format!("{:.6e}", step_of(&t.major)).parse().unwrap();
                let k = step.log10().floor();
                let m = (step / 10f64.powf(k) * 1e6).round() / 1e6;
                assert!([1.0, 2.0, 2.5, 5.0].contains(&m), "{step}");
            }
        }
        assert_eq!(
            linear_ticks(0.0, 1.0, 6).major,
            vec![0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
        );
        assert_eq!(
            linear_ticks(0.0, 1.0, 5).major,
            vec![0.0, 0.25, 0.5, 0.75, 1.0]
        );
        assert_eq!(linear_ticks(0.0, 1.0, 4).major, vec![0.0, 0.5, 1.0]);
        // an interval holding one multiple of 0.5 gets 0.25 steps, not one label
        assert_eq!(linear_ticks(0.6, 1.4, 4).major, vec![0.75, 1.0, 1.25]);
    }

    #[test]
    fn log_ticks_are_round_and_few() {
        for (lo, hi) in [
            (0.045, 0.9),
            (0.075, 0.93),
            (36.0, 1600.0),
            (1e-10, 1e3),
            (1e-300, 1e300),
            (0.5, 0.6),
            (3e-3, 0.7),
            (1.0, 10.0),
        ] {
            for max in [4, 6, 10] {
                check(&log_ticks(lo, hi, max), lo, hi, max);
            }
        }
        // a narrow range falls back to linear ticks
        assert_eq!(
            log_ticks(0.5, 0.6, 6).major,
            vec![0.5, 0.52, 0.54, 0.56, 0.58, 0.6]
        );
        // the ticks plotters drew on the width plot (0.079, 0.13, 0.16, ...) are not round;
        // these are
        assert_eq!(log_ticks(0.075, 0.93, 8).major, vec![0.1, 0.2, 0.3, 0.5]);
        assert_eq!(
            log_ticks(36.0, 1600.0, 8).major,
            vec![50.0, 100.0, 200.0, 500.0, 1000.0]
        );
        // 1-2-5 would crowd 5 labels on 1.6 decades (2 -> 5 -> 10 closer than 1.6/5): 1-3
        assert_eq!(log_ticks(36.0, 1600.0, 5).major, vec![100.0, 300.0, 1000.0]);
    }

    #[test]
    fn labels_do_not_overlap_on_the_axis() {
        let f = crate::plot::font(14.0);
        for axis in [300.0, 500.0, 800.0] {
            let max = max_labels(axis, 14.0, true);
            for (lo, hi, log) in [
                (0.045, 0.9, true),
                (0.075, 0.93, true),
                (36.0, 1600.0, true),
                (1e-2, 5e4, true),
                (1e-12, 1e3, true),
                (0.6, 0.99, true),
                (-1.37, 1.42, false),
                (0.0, 63.0, false),
                (-3.3, 3.3, false),
            ] {
                let t = if log {
                    log_ticks(lo, hi, max)
                } else {
                    linear_ticks(lo, hi, max)
                };
                let pos = |v: f64| {
                    if log {
                        axis * (v / lo).log10() / (hi / lo).log10()
                    } else {
                        axis * (v - lo) / (hi - lo)
                    }
                };
                let step = if log { 0.0 } else { step_of(&t.major) };
                for w in t.major.windows(2) {
                    let (a, b) = (tick_label(w[0], step), tick_label(w[1], step));
                    let need =
                        (crate::plot::text_width(&a, &f) + crate::plot::text_width(&b, &f)) / 2.0;
                    let gap = pos(w[1]) - pos(w[0]);
                    assert!(
                        gap > need + 4.0,
                        "{lo}..{hi} on {axis} px: {a} and {b} {gap} px apart, need {need}"
                    );
                }
            }
        }
    }

    #[test]
    fn labels_are_short() {
        assert_eq!(tick_label(0.05, 0.0), "0.05");
        assert_eq!(tick_label(256.0, 0.0), "256");
        assert_eq!(tick_label(1.5, 0.5), "1.5");
        assert_eq!(tick_label(-2.0, 0.5), "-2");
        assert_eq!(tick_label(3e-5, 0.0), "3e-5");
        assert_eq!(tick_label(2.5e7, 0.0), "2.5e7");
        assert_eq!(tick_label(0.062, 0.001), "0.062");
        assert_eq!(tick_label(0.75, 0.25), "0.75");
        assert_eq!(tick_label(12.5, 2.5), "12.5");
    }
}
