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

/// Named columns and rows of cells.
#[derive(Clone, Debug, PartialEq)]
pub struct Table {
    /// The table's name (file stem).
    pub name: String,
    /// Column names, snake_case.
    pub columns: Vec<String>,
    /// The rows, each as long as `columns`.
    pub rows: Vec<Vec<Cell>>,
}

impl Table {
    /// An empty table.
    pub fn new(name: &str, columns: &[&str]) -> Self {
        Table {
            name: name.to_string(),
            columns: columns.iter().map(|c| c.to_string()).collect(),
            rows: Vec::new(),
        }
    }

    /// Appends a row (must have one cell per column).
    pub fn push(&mut self, row: Vec<Cell>) {
        debug_assert_eq!(row.len(), self.columns.len());
        self.rows.push(row);
    }

    /// The table as aligned text.
    pub fn render(&self) -> String {
        let cells: Vec<Vec<String>> = self
            .rows
            .iter()
            .map(|row| row.iter().map(Cell::short).collect())
            .collect();
        let widths: Vec<usize> = (0..self.columns.len())
            .map(|c| {
                cells
                    .iter()
                    .map(|row| row[c].chars().count())
                    .chain([self.columns[c].chars().count()])
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
        line(&self.columns, &mut text);
        for row in &cells {
            line(row, &mut text);
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
        let mut table = Table::new("demo", &["score", "memorized_fraction"]);
        table.push(vec!["exact".into(), 1.0.into()]);
        table.push(vec!["kernel, h = 0.1".into(), 0.083.into()]);
        assert_eq!(
            table.csv(),
            "score,memorized_fraction\nexact,1\n\"kernel, h = 0.1\",0.083\n"
        );
        assert_eq!(table.json()[1]["memorized_fraction"], json!(0.083));
        assert!(table.render().contains("0.0830"));
    }
}
