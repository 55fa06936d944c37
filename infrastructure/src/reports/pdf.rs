//! The PDF document: A4 pages laid out top to bottom, text in the standard Helvetica font
//! (no font file to ship or download), charts drawn as vector shapes.

use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str};

use aegis_application::reports::{Bar, Block, HeatColumn, ReportContent};

use super::charts::colour;

const WIDTH: f32 = 595.0;
const HEIGHT: f32 = 842.0;
const MARGIN: f32 = 50.0;
const REGULAR: Name<'static> = Name(b"F1");
const BOLD: Name<'static> = Name(b"F2");

/// Text as the standard fonts' WinAnsi encoding holds it: Latin-1 kept, anything else `?`.
fn latin1(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| match u32::from(c) {
            0x20..=0x7e | 0xa0..=0xff => u8::try_from(u32::from(c)).unwrap_or(b'?'),
            _ => b'?',
        })
        .collect()
}

/// Helvetica's average advance is about half the font size: enough to wrap and truncate.
fn fits(size: f32, width: f32) -> usize {
    ((width / (size * 0.52)).floor() as usize).max(1)
}

fn wrap(text: &str, columns: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > columns {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

fn truncate(text: &str, columns: usize) -> String {
    if text.chars().count() <= columns {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(columns.saturating_sub(1)).collect();
    cut.push('~');
    cut
}

fn rgb(hex: &str) -> (f32, f32, f32) {
    let hex = colour(hex).trim_start_matches('#');
    let part = |i: usize| {
        hex.get(i..i + 2)
            .and_then(|h| u8::from_str_radix(h, 16).ok())
            .map_or(0.5, |v| f32::from(v) / 255.0)
    };
    (part(0), part(2), part(4))
}

/// Pages being filled, the cursor moving down the current one.
struct Layout {
    pages: Vec<Content>,
    y: f32,
}

impl Layout {
    fn new() -> Self {
        Self {
            pages: vec![Content::new()],
            y: HEIGHT - MARGIN,
        }
    }

    fn page(&mut self) -> &mut Content {
        if self.pages.is_empty() {
            self.pages.push(Content::new());
        }
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    /// Makes room for `height` points, starting a new page when the current one is full.
    fn room(&mut self, height: f32) {
        if self.y - height < MARGIN {
            self.pages.push(Content::new());
            self.y = HEIGHT - MARGIN;
        }
    }

    fn text(&mut self, x: f32, y: f32, size: f32, bold: bool, text: &str) {
        let bytes = latin1(text);
        let page = self.page();
        page.begin_text();
        page.set_fill_rgb(0.11, 0.13, 0.14);
        page.set_font(if bold { BOLD } else { REGULAR }, size);
        page.next_line(x, y);
        page.show(Str(&bytes));
        page.end_text();
    }

    fn fill(&mut self, x: f32, y: f32, w: f32, h: f32, colour: (f32, f32, f32)) {
        let page = self.page();
        page.set_fill_rgb(colour.0, colour.1, colour.2);
        page.rect(x, y, w, h);
        page.fill_nonzero();
    }

    fn line(&mut self, points: &[(f32, f32)], colour: (f32, f32, f32), width: f32) {
        let Some((first, rest)) = points.split_first() else {
            return;
        };
        let page = self.page();
        page.set_stroke_rgb(colour.0, colour.1, colour.2);
        page.set_line_width(width);
        page.move_to(first.0, first.1);
        for (x, y) in rest {
            page.line_to(*x, *y);
        }
        page.stroke();
    }

    fn paragraph(&mut self, text: &str, size: f32, bold: bool) {
        for line in wrap(text, fits(size, WIDTH - 2.0 * MARGIN)) {
            self.room(size * 1.4);
            self.y -= size * 1.4;
            let y = self.y;
            self.text(MARGIN, y, size, bold, &line);
        }
        self.y -= size * 0.6;
    }

    fn figures(&mut self, items: &[(String, String)]) {
        let column = (WIDTH - 2.0 * MARGIN) / 3.0;
        for row in items.chunks(3) {
            self.room(36.0);
            for (n, (label, value)) in row.iter().enumerate() {
                let x = MARGIN + column * n as f32;
                let y = self.y;
                self.fill(x, y - 34.0, column - 8.0, 34.0, (0.97, 0.97, 0.98));
                self.text(
                    x + 6.0,
                    y - 12.0,
                    8.0,
                    false,
                    &truncate(label, fits(8.0, column - 14.0)),
                );
                self.text(
                    x + 6.0,
                    y - 28.0,
                    13.0,
                    true,
                    &truncate(value, fits(13.0, column - 14.0)),
                );
            }
            self.y -= 40.0;
        }
    }

    fn bars(&mut self, title: &str, bars: &[Bar]) {
        let label_width = 150.0;
        let bar_width = WIDTH - 2.0 * MARGIN - label_width - 40.0;
        for bar in bars {
            self.room(16.0);
            self.y -= 16.0;
            let y = self.y;
            let value = bar.value.clamp(0.0, 100.0) as f32;
            self.text(
                MARGIN,
                y + 3.0,
                8.5,
                false,
                &truncate(&bar.label, fits(8.5, label_width - 6.0)),
            );
            self.fill(MARGIN + label_width, y, bar_width, 11.0, (0.93, 0.93, 0.94));
            self.fill(
                MARGIN + label_width,
                y,
                bar_width * value / 100.0,
                11.0,
                rgb(&bar.color),
            );
            self.text(
                MARGIN + label_width + bar_width + 4.0,
                y + 3.0,
                8.0,
                false,
                &format!("{value:.1}"),
            );
        }
        self.caption(title);
    }

    fn caption(&mut self, title: &str) {
        self.room(14.0);
        self.y -= 14.0;
        let y = self.y;
        self.text(MARGIN, y, 8.0, false, title);
        self.y -= 6.0;
    }

    fn trend(&mut self, title: &str, points: &[(String, f64)]) {
        let height = 140.0;
        let width = WIDTH - 2.0 * MARGIN - 30.0;
        self.room(height + 20.0);
        let bottom = self.y - height;
        let left = MARGIN + 30.0;
        for tick in [0.0_f32, 50.0, 100.0] {
            let y = bottom + height * tick / 100.0;
            self.line(&[(left, y), (left + width, y)], (0.87, 0.89, 0.9), 0.5);
            self.text(MARGIN, y - 3.0, 7.5, false, &format!("{tick}"));
        }
        if points.is_empty() {
            self.text(
                left + 10.0,
                bottom + height / 2.0,
                9.0,
                false,
                "No posture snapshots yet",
            );
        }
        let step = if points.len() > 1 {
            width / (points.len() - 1) as f32
        } else {
            0.0
        };
        let coords: Vec<(f32, f32)> = points
            .iter()
            .enumerate()
            .map(|(n, (_, v))| {
                (
                    left + step * n as f32,
                    bottom + height * (v.clamp(0.0, 100.0) as f32) / 100.0,
                )
            })
            .collect();
        self.line(&coords, (0.0, 0.56, 1.0), 1.5);
        if let (Some(first), Some(last)) = (points.first(), points.last()) {
            self.text(left, bottom - 12.0, 7.5, false, &first.0);
            self.text(left + width - 45.0, bottom - 12.0, 7.5, false, &last.0);
        }
        self.y = bottom - 16.0;
        self.caption(title);
    }

    fn heatmap(&mut self, columns: &[HeatColumn]) {
        if columns.is_empty() {
            return;
        }
        let column_width = (WIDTH - 2.0 * MARGIN) / columns.len() as f32;
        let cell = 9.0;
        let size = (column_width / 5.0).clamp(3.5, 6.5);
        self.room(16.0);
        let top = self.y;
        for (n, column) in columns.iter().enumerate() {
            let x = MARGIN + column_width * n as f32;
            self.text(
                x + 1.0,
                top - 8.0,
                size,
                true,
                &truncate(&column.title, fits(size, column_width - 2.0)),
            );
        }
        self.y -= 12.0;
        let rows = columns.iter().map(|c| c.cells.len()).max().unwrap_or(0);
        for row in 0..rows {
            self.room(cell);
            self.y -= cell;
            let y = self.y;
            for (n, column) in columns.iter().enumerate() {
                let Some(c) = column.cells.get(row) else {
                    continue;
                };
                let x = MARGIN + column_width * n as f32;
                self.fill(x + 0.5, y, column_width - 1.0, cell - 1.0, rgb(&c.color));
                self.text(
                    x + 1.5,
                    y + 2.0,
                    size.min(6.0),
                    false,
                    &truncate(&c.id, fits(size.min(6.0), column_width - 3.0)),
                );
            }
        }
        self.caption("Technique scores by tactic: red 0, amber 50, green 100, grey untested");
    }

    fn table(&mut self, headers: &[String], rows: &[Vec<String>]) {
        let columns = headers.len().max(1);
        let width = (WIDTH - 2.0 * MARGIN) / columns as f32;
        let size = 7.5;
        let draw_row = |layout: &mut Self, cells: &[String], bold: bool| {
            layout.room(12.0);
            layout.y -= 12.0;
            let y = layout.y;
            if bold {
                layout.fill(
                    MARGIN,
                    y - 3.0,
                    WIDTH - 2.0 * MARGIN,
                    12.0,
                    (0.97, 0.97, 0.98),
                );
            }
            for (n, cell) in cells.iter().enumerate() {
                let x = MARGIN + width * n as f32;
                layout.text(
                    x + 2.0,
                    y,
                    size,
                    bold,
                    &truncate(cell, fits(size, width - 4.0)),
                );
            }
        };
        draw_row(self, headers, true);
        if rows.is_empty() {
            draw_row(self, &["None.".to_owned()], false);
        }
        for row in rows {
            draw_row(self, row, false);
        }
        self.y -= 8.0;
    }
}

pub(super) fn render(content: &ReportContent) -> Vec<u8> {
    let mut layout = Layout::new();
    layout.paragraph(&content.title, 20.0, true);
    layout.paragraph(
        &format!(
            "{} - {} - generated {}",
            content.organization,
            content.subtitle,
            content.generated_at.format("%Y-%m-%d %H:%M UTC")
        ),
        9.0,
        false,
    );
    for section in &content.sections {
        layout.room(40.0);
        layout.y -= 8.0;
        layout.paragraph(&section.heading, 13.0, true);
        for block in &section.blocks {
            match block {
                Block::Paragraph(text) => layout.paragraph(text, 9.5, false),
                Block::Bullets(items) => {
                    for item in items {
                        layout.paragraph(&format!("- {item}"), 9.5, false);
                    }
                }
                Block::Figures(items) => layout.figures(items),
                Block::Bars { title, bars } => layout.bars(title, bars),
                Block::Trend { title, points } => layout.trend(title, points),
                Block::Heatmap(columns) => layout.heatmap(columns),
                Block::Table { headers, rows } => layout.table(headers, rows),
            }
        }
    }
    assemble(layout.pages, &content.title)
}

/// The document: catalog, page tree, the two standard fonts, one content stream per page.
fn assemble(pages: Vec<Content>, title: &str) -> Vec<u8> {
    let mut pdf = Pdf::new();
    let catalog = Ref::new(1);
    let tree = Ref::new(2);
    let regular = Ref::new(3);
    let bold = Ref::new(4);
    let info = Ref::new(5);
    let first_page = 6;
    let count = i32::try_from(pages.len()).unwrap_or(i32::MAX);
    let page_ids: Vec<Ref> = (0..count).map(|n| Ref::new(first_page + 2 * n)).collect();
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree).kids(page_ids.iter().copied()).count(count);
    pdf.type1_font(regular)
        .base_font(Name(b"Helvetica"))
        .encoding_predefined(Name(b"WinAnsiEncoding"));
    pdf.type1_font(bold)
        .base_font(Name(b"Helvetica-Bold"))
        .encoding_predefined(Name(b"WinAnsiEncoding"));
    let title = latin1(title);
    pdf.document_info(info)
        .title(pdf_writer::TextStr(&String::from_utf8_lossy(&title)))
        .producer(pdf_writer::TextStr("Aegis"));
    for (n, content) in pages.into_iter().enumerate() {
        let page_id = page_ids[n];
        let content_id = Ref::new(page_id.get() + 1);
        let mut page = pdf.page(page_id);
        page.media_box(Rect::new(0.0, 0.0, WIDTH, HEIGHT));
        page.parent(tree);
        page.contents(content_id);
        let mut resources = page.resources();
        resources.fonts().pair(REGULAR, regular).pair(BOLD, bold);
        resources.finish();
        page.finish();
        let mut content = content;
        content.begin_text();
        content.set_fill_rgb(0.38, 0.39, 0.42);
        content.set_font(REGULAR, 7.0);
        content.next_line(MARGIN, 24.0);
        let footer = latin1(&format!("Aegis - page {} of {count}", n + 1));
        content.show(Str(&footer));
        content.end_text();
        pdf.stream(content_id, &content.finish());
    }
    pdf.finish()
}
