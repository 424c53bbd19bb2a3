//! Unit tests of `chart.rs` (moved out of the file to keep it readable).

use super::*;

fn decay() -> Chart {
    Chart {
        title: "loss".into(),
        log_x: true,
        log_y: true,
        series: (1..4)
            .map(|k| Series {
                label: format!("rate {k}"),
                points: log_grid(1e-2, 1e3, 80)
                    .into_iter()
                    .map(|t| (t, (-(k as f64) * t).exp() + 1e-9))
                    .collect(),
                kind: Kind::Line(2),
                color: k,
            })
            .collect(),
        ..Default::default()
    }
}

#[test]
fn log_axes_get_round_labels_and_the_legend_a_free_corner() {
    let c = decay();
    let l = c.layout(c.ranges().unwrap());
    let labels: Vec<String> = l
        .y_ticks
        .major
        .iter()
        .map(|&v| Chart::tick_text(&l.y_ticks, v, true))
        .collect();
    assert!(labels.len() >= 3, "{labels:?}");
    for s in &labels {
        // decades only on a 9-decade axis
        let v: f64 = s.parse().unwrap();
        assert!((v.log10() - v.log10().round()).abs() < 1e-12, "{labels:?}");
    }
    // the curves start at the upper left and end at the bottom: upper right is free
    assert!(matches!(l.legend.corner, SeriesLabelPosition::UpperRight));
    assert_eq!(l.legend.top, l.y.1);
}

#[test]
fn a_full_chart_gets_a_band_without_labels_for_the_legend() {
    // vertical lines everywhere: no corner is free
    let c = Chart {
        title: "full".into(),
        series: (0..=30)
            .map(|i| Series {
                label: if i == 0 { "data".into() } else { String::new() },
                points: vec![(i as f64, 0.0), (i as f64, 1.0)],
                kind: Kind::Line(1),
                color: 0,
            })
            .collect(),
        ..Default::default()
    };
    let r = c.ranges().unwrap();
    let l = c.layout(r);
    assert!(l.y.1 > r.1.1 + 0.1, "{:?} vs {:?}", l.y, r.1);
    assert!(l.y_ticks.major.iter().all(|v| *v <= r.1.1 + 1e-9));
}

#[test]
fn a_long_subtitle_makes_the_canvas_taller_not_the_text_cut() {
    let mut c = decay();
    let short = super::super::Figure::size(&c);
    c.subtitle = "relu depth=3 w_std=1.414 b_std=0.1 ntk | digits 3 vs 8, 32 train / 64 test \
                  | learning rate 0.5 (half the largest stable) | 3 seeds per width | widths 32, 256, 1024"
        .into();
    let tall = super::super::Figure::size(&c);
    assert_eq!(tall.0, short.0);
    assert!(tall.1 > short.1, "{short:?} {tall:?}");
}
