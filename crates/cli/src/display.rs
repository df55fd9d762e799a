//! Terminal output: words coloured by attribution, small bars, one-line errors.

use std::io::IsTerminal;

use daogou_explain::Explanation;

/// Whether stdout takes colours (a terminal, and `NO_COLOR` unset).
pub fn colours() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
}

/// The words of an explanation, each on a background whose strength follows its value
/// (green for positive, red for negative), with the values after the words when there is
/// no colour.
pub fn coloured_words(e: &Explanation, colour: bool) -> String {
    let max = e
        .values
        .iter()
        .fold(0.0f64, |m, v| m.max(v.abs()))
        .max(1e-12);
    e.feature_names
        .iter()
        .zip(&e.values)
        .map(|(word, &v)| {
            if colour {
                let level = (v.abs() / max * 4.0).round() as u8;
                let code = match (v >= 0.0, level) {
                    (_, 0) => return word.clone(),
                    (true, 1..=2) => "48;5;151",
                    (true, _) => "48;5;71",
                    (false, 1..=2) => "48;5;217",
                    (false, _) => "48;5;167",
                };
                format!("\x1b[{code};30m{word}\x1b[0m")
            } else {
                format!("{word}({v:+.3})")
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A horizontal bar of `width` cells for `value` out of `max` (signed).
pub fn bar(value: f64, max: f64, width: usize) -> String {
    let cells = if max > 0.0 {
        ((value.abs() / max) * width as f64).round() as usize
    } else {
        0
    };
    let cells = cells.min(width);
    let glyph = if value >= 0.0 { "█" } else { "▒" };
    format!("{}{}", glyph.repeat(cells), " ".repeat(width - cells))
}

/// One line per feature: name, bar, value; largest magnitude first.
pub fn attribution_table(e: &Explanation, indent: &str) -> String {
    let max = e.values.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let width = e
        .feature_names
        .iter()
        .map(|n| n.chars().count())
        .max()
        .unwrap_or(0)
        .min(24);
    e.sorted_indices()
        .into_iter()
        .map(|i| {
            let name: String = e.feature_names[i].chars().take(24).collect();
            format!(
                "{indent}{name:<width$} {} {:+.4}",
                bar(e.values[i], max, 20),
                e.values[i]
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}
