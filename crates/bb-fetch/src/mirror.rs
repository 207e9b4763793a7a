//! PREMIRRORS / MIRRORS: pairs of a regular expression on a URL and a replacement, as
//! BitBake reads them (`find replace` pairs separated by blanks or `\n`).

use regex::Regex;

use crate::error::{Error, Result};

/// One mirror pair.
#[derive(Debug, Clone)]
pub struct Mirror {
    find: Regex,
    find_text: String,
    replace: String,
}

impl Mirror {
    /// A pair; `find` is a regular expression matched at the start of the URL.
    pub fn new(find: &str, replace: &str) -> Result<Mirror> {
        let re = Regex::new(&format!("^(?:{find})")).map_err(|e| Error::InvalidMirror {
            find: find.to_owned(),
            replace: replace.to_owned(),
            reason: e.to_string(),
        })?;
        Ok(Mirror {
            find: re,
            find_text: find.to_owned(),
            replace: replace.to_owned(),
        })
    }

    /// Parses a PREMIRRORS/MIRRORS value: words taken two by two.
    pub fn parse_list(value: &str) -> Result<Vec<Mirror>> {
        let words: Vec<&str> = value.split_whitespace().filter(|w| *w != "\\n").collect();
        if !words.len().is_multiple_of(2) {
            return Err(Error::InvalidMirror {
                find: words.last().map(|w| (*w).to_owned()).unwrap_or_default(),
                replace: String::new(),
                reason: "an odd number of words: every pattern needs a replacement".into(),
            });
        }
        words.chunks(2).map(|p| Mirror::new(p[0], p[1])).collect()
    }

    /// The mirror URL for `url` (whose file name is `basename`), when the pattern
    /// matches: a replacement ending in `/` gets the basename appended.
    pub fn rewrite(&self, url: &str, basename: &str) -> Option<String> {
        if !self.find.is_match(url) {
            return None;
        }
        let mut out = self.replace.clone();
        if out.ends_with('/') {
            out.push_str(basename);
        }
        Some(out)
    }

    /// The pattern as written.
    pub fn pattern(&self) -> &str {
        &self.find_text
    }
}
