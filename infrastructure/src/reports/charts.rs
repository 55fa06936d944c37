//! Charts as SVG markup, drawn on the server: horizontal bars, a trend line and the ATT&CK
//! heatmap. Every text that came from data is escaped.

use std::fmt::Write;

use aegis_application::reports::{Bar, HeatColumn};

pub(super) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A colour from the data, or grey when it is not a plain `#rrggbb`.
pub(super) fn colour(text: &str) -> &str {
    let hex = text.strip_prefix('#').unwrap_or("");
    if hex.len() == 6 && hex.chars().all(|c| c.is_ascii_hexdigit()) {
        text
    } else {
        "#8b8d98"
    }
}

const FONT: &str = "font-family=\"Helvetica, Arial, sans-serif\"";

pub(super) fn bars(bars: &[Bar]) -> String {
    let row = 22.0;
    let label_width = 190.0;
    let bar_width = 420.0;
    let height = row * bars.len() as f64 + 10.0;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 680 {height}\" width=\"680\" \
         height=\"{height}\" role=\"img\" {FONT} font-size=\"12\">"
    );
    for (n, bar) in bars.iter().enumerate() {
        let y = n as f64 * row + 4.0;
        let value = bar.value.clamp(0.0, 100.0);
        let width = bar_width * value / 100.0;
        let _ = write!(
            svg,
            "<text x=\"0\" y=\"{}\" >{}</text>\
             <rect x=\"{label_width}\" y=\"{y}\" width=\"{bar_width}\" height=\"16\" fill=\"#eceef0\"/>\
             <rect x=\"{label_width}\" y=\"{y}\" width=\"{width:.1}\" height=\"16\" fill=\"{}\"><title>{}: {value:.1}</title></rect>\
             <text x=\"{}\" y=\"{}\">{value:.1}</text>",
            y + 12.0,
            escape(&bar.label),
            colour(&bar.color),
            escape(&bar.label),
            label_width + bar_width + 8.0,
            y + 12.0,
        );
    }
    svg.push_str("</svg>");
    svg
}

pub(super) fn trend(points: &[(String, f64)]) -> String {
    let (width, height, left, bottom) = (680.0, 220.0, 40.0, 30.0);
    let plot_width = width - left - 20.0;
    let plot_height = height - bottom - 10.0;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {width} {height}\" width=\"{width}\" \
         height=\"{height}\" role=\"img\" {FONT} font-size=\"11\">"
    );
    for tick in [0.0, 25.0, 50.0, 75.0, 100.0] {
        let y = 10.0 + plot_height * (1.0 - tick / 100.0);
        let _ = write!(
            svg,
            "<line x1=\"{left}\" x2=\"{}\" y1=\"{y}\" y2=\"{y}\" stroke=\"#dfe3e6\"/>\
             <text x=\"0\" y=\"{}\">{tick}</text>",
            left + plot_width,
            y + 4.0
        );
    }
    if points.is_empty() {
        let _ = write!(
            svg,
            "<text x=\"{}\" y=\"{}\">No posture snapshots yet</text>",
            left + 10.0,
            height / 2.0
        );
    }
    let step = if points.len() > 1 {
        plot_width / (points.len() - 1) as f64
    } else {
        0.0
    };
    let coords: Vec<(f64, f64)> = points
        .iter()
        .enumerate()
        .map(|(n, (_, value))| {
            (
                left + step * n as f64,
                10.0 + plot_height * (1.0 - value.clamp(0.0, 100.0) / 100.0),
            )
        })
        .collect();
    let path: Vec<String> = coords
        .iter()
        .map(|(x, y)| format!("{x:.1},{y:.1}"))
        .collect();
    let _ = write!(
        svg,
        "<polyline fill=\"none\" stroke=\"#0090ff\" stroke-width=\"2\" points=\"{}\"/>",
        path.join(" ")
    );
    for ((x, y), (label, value)) in coords.iter().zip(points) {
        let _ = write!(
            svg,
            "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"3\" fill=\"#0090ff\"><title>{}: {value:.1}</title></circle>",
            escape(label)
        );
    }
    if let (Some(first), Some(last)) = (points.first(), points.last()) {
        let _ = write!(
            svg,
            "<text x=\"{left}\" y=\"{}\">{}</text><text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>",
            height - 8.0,
            escape(&first.0),
            left + plot_width,
            height - 8.0,
            escape(&last.0)
        );
    }
    svg.push_str("</svg>");
    svg
}

pub(super) fn heatmap(columns: &[HeatColumn]) -> String {
    let column_width = 74.0;
    let cell_height = 16.0;
    let rows = columns.iter().map(|c| c.cells.len()).max().unwrap_or(0);
    let width = column_width * columns.len() as f64;
    let height = 30.0 + cell_height * rows as f64;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {width} {height}\" width=\"{width}\" \
         height=\"{height}\" role=\"img\" {FONT} font-size=\"8\">"
    );
    for (n, column) in columns.iter().enumerate() {
        let x = n as f64 * column_width;
        let title: String = column.title.chars().take(16).collect();
        let _ = write!(
            svg,
            "<text x=\"{:.1}\" y=\"20\" font-weight=\"bold\">{}</text>",
            x + 2.0,
            escape(&title)
        );
        for (row, cell) in column.cells.iter().enumerate() {
            let y = 26.0 + row as f64 * cell_height;
            let _ = write!(
                svg,
                "<rect x=\"{:.1}\" y=\"{y}\" width=\"{}\" height=\"{}\" fill=\"{}\" stroke=\"#ffffff\">\
                 <title>{} {}: {:.1}</title></rect><text x=\"{:.1}\" y=\"{}\">{}</text>",
                x + 1.0,
                column_width - 2.0,
                cell_height - 1.0,
                colour(&cell.color),
                escape(&cell.id),
                escape(&cell.name),
                cell.score,
                x + 3.0,
                y + 11.0,
                escape(&cell.id)
            );
        }
    }
    svg.push_str("</svg>");
    svg
}
