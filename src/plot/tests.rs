//! Tests of whole figures as pictures: the files written, their size, that they are not
//! blank, and that a legend drawn on a chart covers no pixel of its data.

use super::Figure;
use super::dynamics::{Chart, Kind, Series, log_grid};
use plotters::prelude::*;

/// Render `fig` into an RGB buffer.
fn render(fig: &impl Figure) -> (Vec<u8>, (u32, u32)) {
    super::register_fonts().unwrap();
    let (w, h) = fig.size();
    let mut buf = vec![0u8; (w * h * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut buf, (w, h)).into_drawing_area();
        fig.draw(&root).unwrap();
        root.present().unwrap();
    }
    (buf, (w, h))
}

fn decaying(labels: bool, n: usize) -> Chart {
    Chart {
        title: "Loss vs time".into(),
        subtitle: "relu depth=3 w_std=1.4142135623730951 b_std=0.1 ntk | circle:16 | 5 seeds"
            .into(),
        x_label: "time t".into(),
        y_label: "loss".into(),
        log_x: true,
        log_y: true,
        series: (0..n)
            .map(|k| Series {
                label: if labels {
                    format!("rate {}", k + 1)
                } else {
                    String::new()
                },
                points: log_grid(1e-2, 1e3, 120)
                    .into_iter()
                    .map(|t| (t, 10.0 * (-((k + 1) as f64) * t).exp() + 1e-6))
                    .collect(),
                kind: if k % 2 == 0 {
                    Kind::Line(2)
                } else {
                    Kind::Dashed(2)
                },
                color: k,
            })
            .collect(),
        ..Default::default()
    }
}

#[test]
fn saved_png_has_the_figure_size_and_is_not_blank() {
    let dir = tempfile::tempdir().unwrap();
    let fig = decaying(true, 3);
    let files = fig.save(&dir.path().join("loss")).unwrap();
    let png = std::fs::read(&files[0]).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    // IHDR: width and height, big-endian, at bytes 16..24
    let w = u32::from_be_bytes(png[16..20].try_into().unwrap());
    let h = u32::from_be_bytes(png[20..24].try_into().unwrap());
    assert_eq!((w, h), fig.size());
    let svg = std::fs::read_to_string(&files[1]).unwrap();
    assert!(
        svg.contains("Loss vs time") && svg.contains("w_std=1.414 "),
        "tidied subtitle"
    );
    // only the two outputs remain: no temporary file
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, vec!["loss.png", "loss.svg"]);
    // the picture has ink: data colours, text, not a white page
    let (buf, _) = render(&fig);
    let px = buf.len() / 3;
    let inked = buf.chunks(3).filter(|c| c.iter().any(|&v| v < 200)).count();
    assert!(inked > px / 100, "{inked} of {px} pixels");
    let blue = super::color(0);
    let data = buf
        .chunks(3)
        .filter(|c| (c[0], c[1], c[2]) == (blue.0, blue.1, blue.2))
        .count();
    assert!(data > 200, "{data} pixels of the first series");
}

#[test]
fn the_legend_covers_no_pixel_of_the_data() {
    for n in [2, 4, 7] {
        let with = render(&decaying(true, n));
        let without = render(&decaying(false, n));
        assert_eq!(with.1, without.1);
        let (w, _) = with.1;
        // the legend is where the two pictures differ
        let (mut x0, mut x1, mut y0, mut y1) = (u32::MAX, 0, u32::MAX, 0);
        for (i, (a, b)) in with.0.chunks(3).zip(without.0.chunks(3)).enumerate() {
            if a != b {
                let (x, y) = (i as u32 % w, i as u32 / w);
                (x0, x1, y0, y1) = (x0.min(x), x1.max(x), y0.min(y), y1.max(y));
            }
        }
        assert!(
            x1 > x0 + 40 && y1 > y0 + 20,
            "no legend drawn for {n} series"
        );
        // ... and there, the chart without a legend shows no series colour
        let colours: Vec<(u8, u8, u8)> = (0..n)
            .map(|k| {
                let c = super::color(k);
                (c.0, c.1, c.2)
            })
            .collect();
        let mut hidden = 0;
        for y in y0..=y1 {
            for x in x0..=x1 {
                let i = ((y * w + x) * 3) as usize;
                let c = (without.0[i], without.0[i + 1], without.0[i + 2]);
                hidden += usize::from(colours.contains(&c));
            }
        }
        assert_eq!(
            hidden, 0,
            "{n} series: the legend box {x0}..{x1} x {y0}..{y1} hides data"
        );
    }
}
