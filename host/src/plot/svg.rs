//! A dependency-free SVG scatter plot: training points and samples in the first two coordinates.
//! Text is plain SVG `<text>`, so no fonts are embedded and the file is a few kilobytes.

use crate::matrix::Matrix;

/// Side of the square plotting area in pixels, and the margin around it.
const SIZE: f64 = 480.0;
const MARGIN: f64 = 48.0;

/// The bounding box of the first two coordinates of all rows of `sets`, padded by 5 %.
fn bounds(sets: &[&Matrix]) -> (f64, f64, f64, f64) {
    let (mut x0, mut x1, mut y0, mut y1) = (
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
    );
    for set in sets {
        for row in set.iter_rows() {
            let x = row[0] as f64;
            let y = row.get(1).copied().unwrap_or(0.0) as f64;
            x0 = x0.min(x);
            x1 = x1.max(x);
            y0 = y0.min(y);
            y1 = y1.max(y);
        }
    }
    if !x0.is_finite() {
        return (-1.0, 1.0, -1.0, 1.0);
    }
    let span = (x1 - x0).max(y1 - y0).max(1e-9);
    let (cx, cy) = (0.5 * (x0 + x1), 0.5 * (y0 + y1));
    let half = 0.55 * span;
    (cx - half, cx + half, cy - half, cy + half)
}

/// An SVG document with `train` as grey rings and `samples` as filled dots (first two
/// coordinates; a 1-D set is drawn on y = 0), axis ticks, and `title` above the plot.
pub fn scatter(train: &Matrix, samples: &Matrix, title: &str) -> String {
    let (x0, x1, y0, y1) = bounds(&[train, samples]);
    let to_px = |x: f64, y: f64| {
        (
            MARGIN + (x - x0) / (x1 - x0) * SIZE,
            MARGIN + (y1 - y) / (y1 - y0) * SIZE,
        )
    };
    let total = SIZE + 2.0 * MARGIN;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{total}\" height=\"{total}\" viewBox=\"0 0 {total} {total}\" font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n<rect x=\"{MARGIN}\" y=\"{MARGIN}\" width=\"{SIZE}\" height=\"{SIZE}\" fill=\"none\" stroke=\"#888\"/>\n<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-size=\"14\">{}</text>\n",
        total / 2.0,
        MARGIN * 0.6,
        escape(title)
    );
    for k in 0..=4 {
        let fraction = k as f64 / 4.0;
        let (px, _) = to_px(x0 + fraction * (x1 - x0), y0);
        let (_, py) = to_px(x0, y0 + fraction * (y1 - y0));
        svg += &format!(
            "<text x=\"{px:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{:.2}</text>\n<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{:.2}</text>\n",
            MARGIN + SIZE + 16.0,
            x0 + fraction * (x1 - x0),
            MARGIN - 4.0,
            py + 4.0,
            y0 + fraction * (y1 - y0)
        );
    }
    let point = |row: &[f32]| to_px(row[0] as f64, row.get(1).copied().unwrap_or(0.0) as f64);
    for row in samples.iter_rows() {
        let (px, py) = point(row);
        svg += &format!("<circle cx=\"{px:.1}\" cy=\"{py:.1}\" r=\"2.5\" fill=\"#d62728\" fill-opacity=\"0.5\"/>\n");
    }
    for row in train.iter_rows() {
        let (px, py) = point(row);
        svg += &format!("<circle cx=\"{px:.1}\" cy=\"{py:.1}\" r=\"4\" fill=\"none\" stroke=\"#1f3b73\" stroke-width=\"1.2\"/>\n");
    }
    svg += &format!(
        "<text x=\"{:.1}\" y=\"{:.1}\" fill=\"#1f3b73\">○ training points ({})</text>\n<text x=\"{:.1}\" y=\"{:.1}\" fill=\"#d62728\">● samples ({})</text>\n</svg>\n",
        MARGIN + 8.0,
        MARGIN + 18.0,
        train.rows(),
        MARGIN + 8.0,
        MARGIN + 34.0,
        samples.rows()
    );
    svg
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_point_is_drawn_inside_the_frame() {
        let train = Matrix::new(3, 2, vec![0.0, 0.0, 1.0, 2.0, -1.0, 0.5]).unwrap();
        let samples = Matrix::new(2, 2, vec![0.5, 0.5, 3.0, -1.0]).unwrap();
        let svg = scatter(&train, &samples, "a < b");
        assert_eq!(svg.matches("<circle").count(), 5);
        assert!(svg.contains("a &lt; b"));
        for circle in svg.split("<circle").skip(1) {
            for attribute in ["cx=\"", "cy=\""] {
                let start = circle.find(attribute).unwrap() + attribute.len();
                let value: f64 = circle[start..].split('"').next().unwrap().parse().unwrap();
                assert!((MARGIN..=MARGIN + SIZE).contains(&value), "{value}");
            }
        }
    }
}
