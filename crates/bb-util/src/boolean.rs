//! `bb.utils.to_boolean`: the one reading of a yes/no value in metadata.

/// A value that `bb.utils.to_boolean` refuses (it raises `ValueError`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Invalid value for to_boolean: {0}")]
pub struct InvalidBoolean(pub String);

/// BitBake's `bb.utils.to_boolean(value, default)`: unset or empty gives `default`;
/// `y`/`yes`/`1`/`true` and `n`/`no`/`0`/`false` in any case give true and false;
/// any other text is an error carrying BitBake's message.
pub fn to_boolean(value: Option<&str>, default: bool) -> Result<bool, InvalidBoolean> {
    match value {
        None | Some("") => Ok(default),
        Some(s) => match s.to_lowercase().as_str() {
            "y" | "yes" | "1" | "true" => Ok(true),
            "n" | "no" | "0" | "false" => Ok(false),
            _ => Err(InvalidBoolean(s.to_owned())),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::{InvalidBoolean, to_boolean};

    /// BitBake's `bb.utils.to_boolean` on each input (c251833d).
    #[test]
    fn matches_bitbake() {
        let table: &[(Option<&str>, bool, Result<bool, &str>)] = &[
            (None, false, Ok(false)),
            (None, true, Ok(true)),
            (Some(""), true, Ok(true)),
            (Some("1"), false, Ok(true)),
            (Some("Yes"), false, Ok(true)),
            (Some("Y"), false, Ok(true)),
            (Some("TRUE"), false, Ok(true)),
            (Some("0"), true, Ok(false)),
            (Some("no"), true, Ok(false)),
            (Some("N"), true, Ok(false)),
            (Some("False"), true, Ok(false)),
            (Some("on"), false, Err("on")),
            (Some("t"), false, Err("t")),
            (Some(" 1"), false, Err(" 1")),
        ];
        for (v, default, want) in table {
            let got = to_boolean(*v, *default);
            let want = want.map_err(|s| InvalidBoolean(s.to_owned()));
            assert_eq!(got, want, "to_boolean({v:?}, {default})");
        }
        assert_eq!(
            to_boolean(Some("maybe"), false).map_err(|e| e.to_string()),
            Err("Invalid value for to_boolean: maybe".to_owned())
        );
    }
}
