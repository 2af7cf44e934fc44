//! The result table every experiment returns: printed aligned, written as CSV and JSON.

use crate::io::output::write_atomic;
use anyhow::Result;
use serde_json::{json, Map, Value};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// A cell: text or a number (printed with 4 significant digits, stored exactly in CSV/JSON).
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    /// A label.
    Text(String),
    /// A measurement.
    Number(f64),
}

impl From<&str> for Cell {
    fn from(value: &str) -> Self {
        Cell::Text(value.to_string())
    }
}

impl From<String> for Cell {
    fn from(value: String) -> Self {
        Cell::Text(value)
    }
}

impl From<f64> for Cell {
    fn from(value: f64) -> Self {
        Cell::Number(value)
    }
}

impl From<usize> for Cell {
    fn from(value: usize) -> Self {
        Cell::Number(value as f64)
    }
}

impl Cell {
    fn short(&self) -> String {
        match self {
            Cell::Text(text) => text.clone(),
            Cell::Number(value) if value.fract() == 0.0 && value.abs() < 1e9 => {
                format!("{value:.0}")
            }
            Cell::Number(value) if *value != 0.0 && (value.abs() < 1e-3 || value.abs() >= 1e4) => {
                format!("{value:.3e}")
            }
            Cell::Number(value) => format!("{value:.4}"),
        }
    }

    fn exact(&self) -> String {
        match self {
            Cell::Text(text) if text.contains([',', '"', '\n']) => {
                format!("\"{}\"", text.replace('"', "\"\""))
            }
            Cell::Text(text) => text.clone(),
            Cell::Number(value) => format!("{value}"),
        }
    }

    fn json(&self) -> Value {
        match self {
            Cell::Text(text) => Value::String(text.clone()),
            Cell::Number(value) if value.is_finite() => json!(value),
            Cell::Number(_) => Value::Null,
        }
    }
}

/// The suffixes of a metric's interval columns: `<metric>_ci95_low`, `<metric>_ci95_high`.
pub const INTERVAL_SUFFIXES: [&str; 2] = ["_ci95_low", "_ci95_high"];

/// Named columns and rows of cells: the first `keys` columns say what a row is (settings), the
/// others are measurements.
#[derive(Clone, Debug, PartialEq)]
pub struct Table {
    /// The table's name (file stem).
    pub name: String,
    /// Column names, snake_case.
    pub columns: Vec<String>,
    /// How many leading columns identify a row (the rest are metrics).
    pub keys: usize,
    /// The rows, each as long as `columns`.
    pub rows: Vec<Vec<Cell>>,
    /// When the metrics are means over replicates: how many (the text then explains ±).
    pub replicates: Option<usize>,
    /// Whether the text report prints the table (long tables only go to the files).
    pub printed: bool,
}

impl Table {
    /// An empty table with key columns `keys` followed by metric columns `metrics`.
    pub fn new(name: &str, keys: &[&str], metrics: &[&str]) -> Self {
        Table {
            name: name.to_string(),
            columns: keys.iter().chain(metrics).map(|c| c.to_string()).collect(),
            keys: keys.len(),
            rows: Vec::new(),
            replicates: None,
            printed: true,
        }
    }

    /// The index of column `name`.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c == name)
    }

    /// Whether column `c` is a metric followed by its two interval columns.
    fn has_interval(&self, c: usize) -> bool {
        INTERVAL_SUFFIXES.iter().enumerate().all(|(k, suffix)| {
            self.columns.get(c + 1 + k) == Some(&format!("{}{suffix}", self.columns[c]))
        })
    }

    /// The aligned-text cells of a row: a metric with an interval as `value ± half-width`.
    fn text_cells(&self, row: &[Cell]) -> Vec<String> {
        let mut cells = Vec::new();
        let mut c = 0;
        while c < row.len() {
            if self.has_interval(c) {
                cells.push(match (&row[c], &row[c + 1], &row[c + 2]) {
                    (Cell::Number(_), Cell::Number(low), Cell::Number(high))
                        if low.is_finite() && high.is_finite() =>
                    {
                        format!(
                            "{} ± {}",
                            row[c].short(),
                            Cell::Number(0.5 * (high - low)).short()
                        )
                    }
                    _ => row[c].short(),
                });
                c += 3;
            } else {
                cells.push(row[c].short());
                c += 1;
            }
        }
        cells
    }

    /// The aligned-text header (interval columns folded into their metric).
    fn text_header(&self) -> Vec<String> {
        let mut names = Vec::new();
        let mut c = 0;
        while c < self.columns.len() {
            names.push(self.columns[c].clone());
            c += if self.has_interval(c) { 3 } else { 1 };
        }
        names
    }

    /// Appends a row (must have one cell per column).
    pub fn push(&mut self, row: Vec<Cell>) {
        debug_assert_eq!(row.len(), self.columns.len());
        self.rows.push(row);
    }

    /// The table as aligned text.
    pub fn render(&self) -> String {
        let cells: Vec<Vec<String>> = self.rows.iter().map(|row| self.text_cells(row)).collect();
        let header = self.text_header();
        let widths: Vec<usize> = (0..header.len())
            .map(|c| {
                cells
                    .iter()
                    .map(|row| row[c].chars().count())
                    .chain([header[c].chars().count()])
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let mut text = String::new();
        let line = |values: &[String], text: &mut String| {
            let padded: Vec<String> = values
                .iter()
                .zip(&widths)
                .map(|(v, &w)| format!("{v:>w$}"))
                .collect();
            let _ = writeln!(text, "{}", padded.join("  ").trim_end());
        };
        line(&header, &mut text);
        for row in &cells {
            line(row, &mut text);
        }
        if let Some(count) = self.replicates {
            let _ = writeln!(
                text,
                "(mean over {count} replicates with independent seeds; ± is the half-width of the \
                 two-sided 95 % Student-t interval, t_{{R−1, 0.975}}·s/√R)"
            );
        }
        text
    }

    /// The table as CSV with a header row.
    pub fn csv(&self) -> String {
        let mut text = self.columns.join(",") + "\n";
        for row in &self.rows {
            let values: Vec<String> = row.iter().map(Cell::exact).collect();
            text += &(values.join(",") + "\n");
        }
        text
    }

    /// The rows as JSON objects keyed by column.
    pub fn json(&self) -> Value {
        let rows: Vec<Value> = self
            .rows
            .iter()
            .map(|row| {
                let object: Map<String, Value> = self
                    .columns
                    .iter()
                    .zip(row)
                    .map(|(name, cell)| (name.clone(), cell.json()))
                    .collect();
                Value::Object(object)
            })
            .collect();
        Value::Array(rows)
    }

    /// Writes `<dir>/<name>.csv` and `<dir>/<name>.json`; returns both paths.
    pub fn write(&self, dir: &Path) -> Result<Vec<PathBuf>> {
        std::fs::create_dir_all(dir)?;
        let csv = dir.join(format!("{}.csv", self.name));
        let json_path = dir.join(format!("{}.json", self.name));
        write_atomic(&csv, self.csv().as_bytes())?;
        write_atomic(
            &json_path,
            serde_json::to_string_pretty(&self.json())?.as_bytes(),
        )?;
        Ok(vec![csv, json_path])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_csv_and_json_with_the_same_values() {
        let mut table = Table::new("demo", &["score"], &["memorized_fraction"]);
        table.push(vec!["exact".into(), 1.0.into()]);
        table.push(vec!["kernel, h = 0.1".into(), 0.083.into()]);
        assert_eq!(
            table.csv(),
            "score,memorized_fraction\nexact,1\n\"kernel, h = 0.1\",0.083\n"
        );
        assert_eq!(table.json()[1]["memorized_fraction"], json!(0.083));
        assert!(table.render().contains("0.0830"));
    }

    #[test]
    fn interval_columns_render_as_plus_minus() {
        let mut table = Table::new(
            "demo",
            &["score"],
            &["mmd", "mmd_ci95_low", "mmd_ci95_high", "other"],
        );
        table.replicates = Some(5);
        table.push(vec![
            "exact".into(),
            0.5.into(),
            0.25.into(),
            0.75.into(),
            2.0.into(),
        ]);
        table.push(vec![
            "kernel".into(),
            1.0.into(),
            f64::NAN.into(),
            f64::NAN.into(),
            "-".into(),
        ]);
        let text = table.render();
        assert!(text.contains("0.5000 ± 0.2500"), "{text}");
        assert!(
            text.lines().next().unwrap().ends_with("mmd  other"),
            "{text}"
        );
        assert!(
            text.contains("Student-t") && text.contains("5 replicates"),
            "{text}"
        );
        assert_eq!(table.json()[1]["mmd_ci95_low"], Value::Null);
        assert!(table
            .csv()
            .starts_with("score,mmd,mmd_ci95_low,mmd_ci95_high,other\n"));
    }
}
