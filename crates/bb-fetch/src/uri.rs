//! `SrcUri`: one SRC_URI word split into scheme, user, host, path and `;key=value` parameters,
//! and `UriName`, the `name=` that keys checksums and SRCREVs.
//!
//! Parsing follows BitBake's `decodeurl`: for `file://` everything after the scheme is the path
//! (relative or absolute), for other schemes the text up to the first `/` is the host. This
//! file only reads text: it never touches the file system.

use std::fmt;
use std::str::FromStr;

use crate::error::{Error, Result};

#[cfg(test)]
mod tests;

/// The `name=` of a SRC_URI entry, `default` when absent.
///
/// It selects `SRC_URI[<name>.sha256sum]` (plain `SRC_URI[sha256sum]` for `default`) and
/// `SRCREV_<name>` (plain `SRCREV` for `default`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UriName(String);

impl UriName {
    /// The name of entries without `name=`.
    pub const DEFAULT: &'static str = "default";

    /// A name as written after `name=`.
    pub fn new(name: impl Into<String>) -> Self {
        Self(name.into())
    }

    /// The name of entries without `name=`.
    pub fn default_name() -> Self {
        Self(Self::DEFAULT.to_owned())
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this is the implicit `default` name.
    pub fn is_default(&self) -> bool {
        self.0 == Self::DEFAULT
    }

    /// The SRC_URI varflag holding this name's checksum of `kind` (`sha256sum`, `md5sum`).
    pub fn checksum_flag(&self, kind: &str) -> String {
        if self.is_default() {
            kind.to_owned()
        } else {
            format!("{}.{kind}", self.0)
        }
    }
}

impl fmt::Display for UriName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One parsed SRC_URI word, such as `file://fix.patch;striplevel=2` or
/// `git:///srv/repo.git;protocol=file;branch=main`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SrcUri {
    word: String,
    scheme: String,
    user: Option<String>,
    host: String,
    path: String,
    params: Vec<(String, String)>,
}

impl SrcUri {
    /// Parses one SRC_URI word (already expanded by the caller).
    pub fn parse(word: &str) -> Result<Self> {
        let bad = |reason: &str| Error::MalformedUri {
            word: word.to_owned(),
            reason: reason.to_owned(),
        };
        if word.is_empty() {
            return Err(bad("empty entry"));
        }
        if word.chars().any(char::is_whitespace) {
            return Err(bad(
                "contains whitespace (SRC_URI entries are separated by spaces)",
            ));
        }
        let (location, params_text) = match word.split_once(';') {
            Some((l, p)) => (l, Some(p)),
            None => (word, None),
        };
        let Some((scheme, rest)) = location.split_once("://") else {
            return Err(bad("missing `://` after the scheme"));
        };
        if scheme.is_empty()
            || !scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        {
            return Err(bad("invalid scheme"));
        }
        if rest.is_empty() {
            return Err(bad("nothing after `://`"));
        }
        let scheme = scheme.to_ascii_lowercase();
        let (user, host, path) = if scheme == "file" {
            (None, String::new(), rest.to_owned())
        } else {
            let (authority, path) = match rest.find('/') {
                Some(i) => (&rest[..i], &rest[i..]),
                None => (rest, "/"),
            };
            let (user, host) = match authority.rsplit_once('@') {
                Some((u, h)) => (Some(u.to_owned()), h),
                None => (None, authority),
            };
            (user, host.to_owned(), percent_decode(path))
        };
        let mut params: Vec<(String, String)> = Vec::new();
        for item in params_text.into_iter().flat_map(|p| p.split(';')) {
            if item.is_empty() {
                continue;
            }
            let Some((k, v)) = item.split_once('=') else {
                return Err(bad(&format!(
                    "parameter `{item}` has no value (missing `=`)"
                )));
            };
            if k.is_empty() {
                return Err(bad(&format!("parameter `{item}` has no name")));
            }
            match params.iter_mut().find(|(key, _)| key == k) {
                Some(slot) => slot.1 = v.to_owned(),
                None => params.push((k.to_owned(), v.to_owned())),
            }
        }
        Ok(Self {
            word: word.to_owned(),
            scheme,
            user,
            host,
            path,
            params,
        })
    }

    /// The word as written.
    pub fn as_str(&self) -> &str {
        &self.word
    }

    /// The scheme, lowercased: `file`, `git`, `https`...
    pub fn scheme(&self) -> &str {
        &self.scheme
    }

    /// `user` or `user:password` before `@`, if any.
    pub fn user(&self) -> Option<&str> {
        self.user.as_deref()
    }

    /// Host (with port), empty for `file://` and `git:///path`.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The path: relative or absolute for `file://`, starting with `/` otherwise.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The value of parameter `key`.
    pub fn param(&self, key: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// All parameters in the order written (a repeated key keeps its first place, last value).
    pub fn params(&self) -> impl Iterator<Item = (&str, &str)> {
        self.params.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// The `name=` parameter, or `default`.
    pub fn name(&self) -> UriName {
        self.param("name")
            .map_or_else(UriName::default_name, UriName::new)
    }

    /// The last component of the path (empty if the path ends with `/`).
    pub fn basename(&self) -> &str {
        self.path.rsplit('/').next().unwrap_or_default()
    }

    /// A boolean parameter read like `bb.utils.to_boolean`; `default` when absent.
    pub fn bool_param(&self, key: &str, default: bool) -> Result<bool> {
        let Some(value) = self.param(key) else {
            return Ok(default);
        };
        bb_util::to_boolean(Some(value), default)
            .map_err(|_| self.invalid_param(key, value, "expected a boolean (yes/no, 1/0)"))
    }

    /// A non-negative integer parameter; `default` when absent.
    pub fn uint_param(&self, key: &str, default: u32) -> Result<u32> {
        match self.param(key) {
            None => Ok(default),
            Some(v) => v
                .parse()
                .map_err(|_| self.invalid_param(key, v, "expected a non-negative integer")),
        }
    }

    pub(crate) fn invalid_param(&self, key: &str, value: &str, reason: &str) -> Error {
        Error::InvalidParam {
            uri: self.word.clone(),
            key: key.to_owned(),
            value: value.to_owned(),
            reason: reason.to_owned(),
        }
    }
}

impl FromStr for SrcUri {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        Self::parse(s)
    }
}

impl fmt::Display for SrcUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.word)
    }
}

/// Splits a SRC_URI value into words and parses each; the first bad word is the error.
pub fn parse_src_uri(value: &str) -> Result<Vec<SrcUri>> {
    value.split_whitespace().map(SrcUri::parse).collect()
}

/// Decodes `%XX` escapes, leaving malformed ones as written.
fn percent_decode(s: &str) -> String {
    if !s.contains('%') {
        return s.to_owned();
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = |b: u8| (b as char).to_digit(16);
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                // The digits are at most 15 each, so the value fits a byte.
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
