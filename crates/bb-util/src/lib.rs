//! Small helpers shared by every crate of the workspace (rust-analyzer's `stdx`), and
//! the one home of each BitBake or Python helper that several crates need, each pinned
//! by a table test against BitBake's or CPython's results:
//!
//! | helper | BitBake / Python | module |
//! |---|---|---|
//! | [`to_boolean`] | `bb.utils.to_boolean` | [`boolean`] |
//! | [`version::vercmp_string`] and friends | `bb.utils.vercmp*` | [`version`] |
//! | [`deps::explode_deps`], [`deps::explode_dep_versions`] | `bb.utils.explode_deps`, `explode_dep_versions2` | [`deps`] |
//! | [`normpath`] | `os.path.normpath` | [`path`] |
//! | [`py_repr`], [`try_py_repr`] | `repr(str)` | [`repr`] |
//! | [`split_virtual`] | `bb.cache.virtualfn2realfn` | [`target`] |
//! | [`fs::atomic_write`] | (write to a temporary name, then rename) | [`fs`] |
//!
//! Also [`split_words`] and the calendar ([`days_from_civil`], [`civil_from_days`]).
//! Nothing here reads a datastore or knows recipes: plain text in, plain values out.

pub mod boolean;
pub mod deps;
pub mod fs;
pub mod path;
pub mod repr;
pub mod target;
#[cfg(feature = "test-http")]
pub mod test_http;
pub mod version;

pub use boolean::{InvalidBoolean, to_boolean};
pub use path::normpath;
pub use repr::{push_py_repr, py_repr, try_py_repr};
pub use target::split_virtual;

/// Splits text on ASCII and Unicode whitespace, like Python's `str.split()`: the
/// words of [`str::split_whitespace`], found byte by byte when the text is ASCII (the
/// usual case for metadata, where decoding each character costs more than the split).
pub fn split_words(s: &str) -> Words<'_> {
    if s.is_ascii() {
        Words::Ascii(s)
    } else {
        Words::Other(s.split_whitespace())
    }
}

/// The iterator of [`split_words`].
#[derive(Debug, Clone)]
pub enum Words<'a> {
    /// ASCII text not yet split.
    Ascii(&'a str),
    /// Any other text.
    Other(std::str::SplitWhitespace<'a>),
}

/// ASCII bytes that [`char::is_whitespace`] accepts: tab, line feed, vertical tab, form
/// feed, carriage return and space.
fn ascii_space(b: u8) -> bool {
    matches!(b, b'\t'..=b'\r' | b' ')
}

impl<'a> Iterator for Words<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        match self {
            Words::Ascii(rest) => {
                let bytes = rest.as_bytes();
                let start = bytes.iter().position(|&b| !ascii_space(b))?;
                let len = bytes[start..]
                    .iter()
                    .position(|&b| ascii_space(b))
                    .unwrap_or(bytes.len() - start);
                // Both ends are at ASCII bytes, so on character boundaries.
                let word = &rest[start..start + len];
                *rest = &rest[start + len..];
                Some(word)
            }
            Words::Other(it) => it.next(),
        }
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date (year, month, day) of a day count since 1970-01-01.
pub fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    #[test]
    fn civil_dates_round_trip() {
        assert_eq!(super::civil_from_days(0), (1970, 1, 1));
        assert_eq!(super::civil_from_days(20_414), (2025, 11, 22));
        for d in [-719_468, -1, 0, 59, 11_016, 2_932_896] {
            let (y, m, dd) = super::civil_from_days(d);
            assert_eq!(super::days_from_civil(y, m, dd), d);
        }
    }

    #[test]
    fn split_words_splits_like_split_whitespace() {
        for s in [
            "",
            " ",
            "a",
            "  a  b\tc\n\x0bd\x0ce\rf  ",
            "x\u{85}y\u{a0}z",
            "caf\u{e9} na\u{ef}ve\u{2003}words",
            "\x1c not \x1f space",
        ] {
            let got: Vec<&str> = super::split_words(s).collect();
            let want: Vec<&str> = s.split_whitespace().collect();
            assert_eq!(got, want, "{s:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn split_words_matches_split_whitespace(s in "[ \t\n\x0b\x0c\ra-z\u{85}\u{a0}\u{2003}\u{1c}-\u{1f}]{0,40}") {
            let got: Vec<&str> = super::split_words(&s).collect();
            let want: Vec<&str> = s.split_whitespace().collect();
            proptest::prop_assert_eq!(got, want);
        }
    }
}
