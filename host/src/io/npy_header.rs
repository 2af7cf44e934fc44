//! The NPY header: a Python dict literal with exactly the keys `descr` (a string),
//! `fortran_order` (True/False) and `shape` (a tuple of integers), each once, as NumPy's
//! `format.py` writes it. Parsed strictly: a repeated or unknown key, or text after the closing
//! brace other than the padding (spaces, a newline), is an error — a header that two readers
//! could read two ways is refused.

use anyhow::{bail, Context, Result};

/// The three fields of an NPY header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NpyHeader {
    /// The dtype string, e.g. `<f4`.
    pub descr: String,
    /// Whether the array is stored in Fortran (column-major) order.
    pub fortran_order: bool,
    /// The shape, outermost first.
    pub shape: Vec<usize>,
}

/// A cursor over the header text.
struct Cursor<'a> {
    rest: &'a str,
}

impl<'a> Cursor<'a> {
    fn skip_space(&mut self) {
        self.rest = self.rest.trim_start_matches([' ', '\t', '\n', '\r']);
    }

    fn eat(&mut self, token: char) -> bool {
        self.skip_space();
        match self.rest.strip_prefix(token) {
            Some(rest) => {
                self.rest = rest;
                true
            }
            None => false,
        }
    }

    fn expect(&mut self, token: char) -> Result<()> {
        if !self.eat(token) {
            bail!("NPY header: expected '{token}' at '{}'", self.preview());
        }
        Ok(())
    }

    fn preview(&self) -> String {
        self.rest.chars().take(16).collect()
    }

    fn string(&mut self) -> Result<&'a str> {
        self.skip_space();
        let quote = match self.rest.chars().next() {
            Some(q @ ('\'' | '"')) => q,
            _ => bail!(
                "NPY header: expected a quoted string at '{}'",
                self.preview()
            ),
        };
        let body = &self.rest[1..];
        let end = body
            .find(quote)
            .context("NPY header: unterminated string")?;
        self.rest = &body[end + 1..];
        Ok(&body[..end])
    }

    fn word(&mut self) -> &'a str {
        self.skip_space();
        let end = self
            .rest
            .find(|c: char| !c.is_ascii_alphanumeric() && c != '_')
            .unwrap_or(self.rest.len());
        let (word, rest) = self.rest.split_at(end);
        self.rest = rest;
        word
    }

    fn tuple(&mut self) -> Result<Vec<usize>> {
        self.expect('(')?;
        let mut entries = Vec::new();
        loop {
            if self.eat(')') {
                return Ok(entries);
            }
            let word = self.word();
            let value = word
                .strip_suffix('L')
                .unwrap_or(word)
                .parse::<usize>()
                .with_context(|| format!("bad NPY shape entry '{word}'"))?;
            entries.push(value);
            if !self.eat(',') {
                self.expect(')')?;
                return Ok(entries);
            }
        }
    }
}

/// Parses an NPY header dict.
pub fn parse_header(text: &str) -> Result<NpyHeader> {
    let mut cursor = Cursor { rest: text };
    cursor.expect('{')?;
    let (mut descr, mut fortran_order, mut shape) = (None, None, None);
    loop {
        if cursor.eat('}') {
            break;
        }
        let key = cursor.string()?;
        cursor.expect(':')?;
        let repeated = match key {
            "descr" => descr.replace(cursor.string()?.to_owned()).is_some(),
            "fortran_order" => {
                let value = match cursor.word() {
                    "True" => true,
                    "False" => false,
                    other => bail!("NPY header: fortran_order is '{other}', not True or False"),
                };
                fortran_order.replace(value).is_some()
            }
            "shape" => shape.replace(cursor.tuple()?).is_some(),
            other => bail!("NPY header has an unknown key '{other}'"),
        };
        if repeated {
            bail!("NPY header repeats the key '{key}'");
        }
        if !cursor.eat(',') {
            cursor.expect('}')?;
            break;
        }
    }
    cursor.skip_space();
    if !cursor.rest.is_empty() {
        bail!("NPY header: text after the dict ('{}')", cursor.preview());
    }
    Ok(NpyHeader {
        descr: descr.context("NPY header has no 'descr'")?,
        fortran_order: fortran_order.context("NPY header has no 'fortran_order'")?,
        shape: shape.context("NPY header has no 'shape'")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_numpy_headers() {
        let header =
            parse_header("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 2), }    \n")
                .unwrap();
        assert_eq!(header.descr, "<f4");
        assert!(!header.fortran_order);
        assert_eq!(header.shape, vec![3, 2]);
        assert_eq!(
            parse_header("{\"shape\":(7,),\"descr\":\"<f8\",\"fortran_order\":True}")
                .unwrap()
                .shape,
            vec![7]
        );
        assert_eq!(
            parse_header("{'descr':'<f4','fortran_order':False,'shape':()}")
                .unwrap()
                .shape,
            Vec::<usize>::new()
        );
    }

    #[test]
    fn refuses_ambiguous_headers() {
        for (text, needle) in [
            (
                "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), 'shape': (9,)}",
                "repeats the key 'shape'",
            ),
            ("{'descr': '<f4', 'fortran_order': False}", "no 'shape'"),
            (
                "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), 'x': 1}",
                "unknown key",
            ),
            (
                "{'descr': '<f4', 'fortran_order': False, 'shape': (3,)} junk",
                "after the dict",
            ),
            (
                "{'descr': '<f4', 'fortran_order': Maybe, 'shape': (3,)}",
                "fortran_order",
            ),
            (
                "{'descr': '<f4', 'fortran_order': False, 'shape': (-3,)}",
                "shape entry",
            ),
            ("{'descr: '<f4'", "expected"),
        ] {
            let error = parse_header(text).unwrap_err().to_string();
            assert!(error.contains(needle), "{text}: {error}");
        }
    }
}
