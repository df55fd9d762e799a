//! Standalone HTML reports: one file with inline CSS and inline SVG, no script and
//! no external request (a Content-Security-Policy forbids both).

use std::fmt;
use std::path::Path;

use crate::error::RenderError;
use crate::svg::escape;
use crate::Render;

/// A piece of HTML markup that is inserted into pages verbatim.
///
/// Made by this crate's renderers (escaped throughout), from plain text with
/// [`HtmlFragment::text`], or from markup the caller vouches for with
/// [`HtmlFragment::trusted`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HtmlFragment(String);

impl HtmlFragment {
    /// Markup inserted as is: the caller guarantees it is safe.
    pub fn trusted(markup: impl Into<String>) -> Self {
        HtmlFragment(markup.into())
    }

    /// Plain text, escaped.
    pub fn text(plain: &str) -> Self {
        HtmlFragment(escape(plain).into_owned())
    }

    /// The markup.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The markup, owned.
    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for HtmlFragment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A table of text cells; cells that parse as numbers are right-aligned.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Table {
    /// Column headers.
    pub headers: Vec<String>,
    /// Rows of cells; rows shorter than the header are padded with empty cells.
    pub rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with these headers and no rows.
    pub fn new<S: Into<String>>(headers: impl IntoIterator<Item = S>) -> Self {
        Table {
            headers: headers.into_iter().map(Into::into).collect(),
            rows: Vec::new(),
        }
    }

    /// Adds a row.
    pub fn row<S: Into<String>>(mut self, cells: impl IntoIterator<Item = S>) -> Self {
        self.rows.push(cells.into_iter().map(Into::into).collect());
        self
    }

    fn render(&self, out: &mut String) {
        out.push_str("<div class=\"table\"><table>\n");
        if !self.headers.is_empty() {
            out.push_str("<thead><tr>");
            for h in &self.headers {
                out.push_str(&format!("<th>{}</th>", escape(h)));
            }
            out.push_str("</tr></thead>\n");
        }
        out.push_str("<tbody>\n");
        for row in &self.rows {
            out.push_str("<tr>");
            let width = row.len().max(self.headers.len());
            for i in 0..width {
                let cell = row.get(i).map_or("", String::as_str);
                let class = if cell.trim().parse::<f64>().is_ok() {
                    " class=\"num\""
                } else {
                    ""
                };
                out.push_str(&format!("<td{class}>{}</td>", escape(cell)));
            }
            out.push_str("</tr>\n");
        }
        out.push_str("</tbody></table></div>\n");
    }
}

/// One block of page content.
#[derive(Debug, Clone, PartialEq)]
enum Block {
    Paragraph(String),
    Table(Table),
    Figure { svg: String, caption: String },
    Markup(HtmlFragment),
}

impl Block {
    fn render(&self, out: &mut String) {
        match self {
            Block::Paragraph(text) => out.push_str(&format!("<p>{}</p>\n", escape(text))),
            Block::Table(table) => table.render(out),
            Block::Figure { svg, caption } => {
                out.push_str("<figure>\n");
                out.push_str(svg);
                if !caption.is_empty() {
                    out.push_str(&format!("<figcaption>{}</figcaption>\n", escape(caption)));
                }
                out.push_str("</figure>\n");
            }
            Block::Markup(fragment) => {
                out.push_str("<div class=\"fragment\">\n");
                out.push_str(fragment.as_str());
                out.push_str("</div>\n");
            }
        }
    }
}

/// A section of a page: a heading and blocks below it.
#[derive(Debug, Clone, PartialEq)]
pub struct Section {
    heading: String,
    blocks: Vec<Block>,
}

impl Section {
    /// A section with this heading (escaped) and no content yet.
    pub fn new(heading: impl Into<String>) -> Self {
        Section {
            heading: heading.into(),
            blocks: Vec::new(),
        }
    }

    /// Adds a paragraph of plain text (escaped).
    pub fn paragraph(mut self, text: impl Into<String>) -> Self {
        self.blocks.push(Block::Paragraph(text.into()));
        self
    }

    /// Adds a table.
    pub fn table(mut self, table: Table) -> Self {
        self.blocks.push(Block::Table(table));
        self
    }

    /// Renders `chart` now and adds it as an inline SVG figure with an optional
    /// caption (empty for none).
    pub fn chart(
        mut self,
        chart: &dyn Render,
        caption: impl Into<String>,
    ) -> Result<Self, RenderError> {
        self.blocks.push(Block::Figure {
            svg: chart.to_svg()?,
            caption: caption.into(),
        });
        Ok(self)
    }

    /// Adds an HTML fragment, e.g. [`crate::HighlightedText::to_html`].
    pub fn html(mut self, fragment: HtmlFragment) -> Self {
        self.blocks.push(Block::Markup(fragment));
        self
    }
}

/// A standalone HTML page: title, optional introduction, sections.
#[derive(Debug, Clone, PartialEq)]
pub struct HtmlPage {
    title: String,
    intro: Vec<String>,
    sections: Vec<Section>,
}

/// The page's style sheet.
const CSS: &str = "\
body{font-family:\"DejaVu Sans\",Verdana,system-ui,sans-serif;color:#222;background:#fafafa;margin:0}
main{max-width:980px;margin:0 auto;padding:24px 28px 48px;background:#fff;min-height:100vh;box-sizing:border-box}
h1{font-size:1.6em;margin:0 0 12px}
h2{font-size:1.2em;margin:32px 0 8px;padding-bottom:4px;border-bottom:1px solid #e3e3e3}
p{line-height:1.55;margin:8px 0}
figure{margin:12px 0;overflow-x:auto}
figure svg{max-width:none;height:auto;display:block}
figcaption{font-size:.85em;color:#666;margin-top:4px}
.table{overflow-x:auto;margin:12px 0}
table{border-collapse:collapse;font-size:.9em}
th,td{border:1px solid #ddd;padding:4px 10px;text-align:left;vertical-align:top}
th{background:#f2f2f2}
tbody tr:nth-child(even){background:#fafafa}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.fragment{margin:12px 0}
footer{margin-top:40px;font-size:.8em;color:#888}
@media print{body{background:#fff}main{padding:0}}
";

impl HtmlPage {
    /// An empty page with this title (escaped; shown as the heading and tab title).
    pub fn new(title: impl Into<String>) -> Self {
        HtmlPage {
            title: title.into(),
            intro: Vec::new(),
            sections: Vec::new(),
        }
    }

    /// Adds a paragraph of plain text below the title, before the sections.
    pub fn paragraph(mut self, text: impl Into<String>) -> Self {
        self.intro.push(text.into());
        self
    }

    /// Adds a section.
    pub fn section(mut self, section: Section) -> Self {
        self.sections.push(section);
        self
    }

    /// The complete HTML document.
    pub fn render(&self) -> String {
        let title = escape(&self.title);
        let mut out = String::with_capacity(16 * 1024);
        out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
        out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
        out.push_str(
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; \
             style-src 'unsafe-inline'; img-src data:\">\n",
        );
        out.push_str(&format!(
            "<title>{title}</title>\n<style>\n{CSS}</style>\n</head>\n"
        ));
        out.push_str(&format!("<body>\n<main>\n<h1>{title}</h1>\n"));
        for p in &self.intro {
            Block::Paragraph(p.clone()).render(&mut out);
        }
        for section in &self.sections {
            out.push_str(&format!(
                "<section>\n<h2>{}</h2>\n",
                escape(&section.heading)
            ));
            for block in &section.blocks {
                block.render(&mut out);
            }
            out.push_str("</section>\n");
        }
        out.push_str("<footer>Generated by daogou.</footer>\n</main>\n</body>\n</html>\n");
        out
    }

    /// Writes [`HtmlPage::render`] to `path`.
    pub fn write(&self, path: impl AsRef<Path>) -> Result<(), RenderError> {
        std::fs::write(path, self.render())?;
        Ok(())
    }
}
