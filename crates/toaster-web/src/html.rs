//! Text into HTML, URLs and inline JSON, and the value formats the pages share (sizes,
//! durations, Django's timestamps). Every value from the database reaches a page through
//! [`esc`] (or minijinja's auto-escaping) and every inline JSON through [`json_script`]:
//! a recipe called `<script>`, quotes, `</script>` or U+2028 stays text.

use std::fmt::Write as _;

/// `s` escaped for HTML text and attribute values (`&<>"'` and the backquote).
pub(crate) fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            '`' => out.push_str("&#x60;"),
            c => out.push(c),
        }
    }
    out
}

/// JSON to embed inside `<script type="application/json">`: `<`, `>`, `&`, `'`, U+2028
/// and U+2029 as `\u` escapes, so that no `</script>` (or comment opener) can end the
/// element and the text is also a valid JavaScript literal.
pub(crate) fn json_script(v: &serde_json::Value) -> String {
    let s = v.to_string();
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\'' => out.push_str("\\u0027"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

/// `s` as a JSON string appended to `out`, escaped as [`json_script`] escapes it.
pub(crate) fn json_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\'' => out.push_str("\\u0027"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// `s` percent-encoded for a query string value (everything but unreserved characters).
pub(crate) fn urlenc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// A query string (`?a=1&b=x`) from pairs, skipping empty values.
pub(crate) fn query(pairs: &[(&str, &str)]) -> String {
    let mut out = String::new();
    for (k, v) in pairs {
        if v.is_empty() {
            continue;
        }
        out.push(if out.is_empty() { '?' } else { '&' });
        out.push_str(k);
        out.push('=');
        out.push_str(&urlenc(v));
    }
    out
}

/// A link: `<a href="URL">text</a>`, both escaped.
pub(crate) fn link(url: &str, text: &str) -> String {
    format!("<a href=\"{}\">{}</a>", esc(url), esc(text))
}

/// Bytes as Toaster shows sizes (`filesizeformat`: `1.2 KB`, `3.0 MB`).
pub(crate) fn size(bytes: i64) -> String {
    let b = bytes.max(0) as f64;
    const UNITS: [&str; 5] = ["KB", "MB", "GB", "TB", "PB"];
    if b < 1024.0 {
        return format!("{bytes} bytes");
    }
    let mut v = b / 1024.0;
    let mut unit = UNITS[0];
    for u in UNITS.iter().skip(1) {
        if v < 1024.0 {
            break;
        }
        v /= 1024.0;
        unit = u;
    }
    format!("{v:.1} {unit}")
}

/// Seconds as `H:MM:SS` (Toaster's build time).
pub(crate) fn hms(secs: f64) -> String {
    let s = secs.max(0.0).round() as i64;
    format!("{}:{:02}:{:02}", s / 3600, (s % 3600) / 60, s % 60)
}

/// Seconds since the epoch of a Django timestamp (`YYYY-MM-DD HH:MM:SS[.ffffff]`, UTC).
pub(crate) fn epoch(ts: &str) -> Option<f64> {
    let ts = ts.trim();
    let (date, time) = ts.split_once([' ', 'T'])?;
    let mut d = date.splitn(3, '-');
    let y: i64 = d.next()?.parse().ok()?;
    let m: i64 = d.next()?.parse().ok()?;
    let day: i64 = d.next()?.parse().ok()?;
    let time = time.trim_end_matches('Z');
    let mut t = time.splitn(3, ':');
    let h: f64 = t.next()?.parse().ok()?;
    let min: f64 = t.next()?.parse().ok()?;
    let sec: f64 = t.next().unwrap_or("0").parse().ok()?;
    if !(1..=12).contains(&m) || !(1..=31).contains(&day) {
        return None;
    }
    let days = bb_util::days_from_civil(y, m, day);
    Some(days as f64 * 86_400.0 + h * 3600.0 + min * 60.0 + sec)
}

/// A Django timestamp as ISO 8601 the way Django's JSON encoder writes it
/// (`2026-12-07T11:55:52.123Z`: milliseconds, `Z` for UTC).
pub(crate) fn iso(ts: &str) -> String {
    let ts = ts.trim();
    let Some((date, time)) = ts.split_once([' ', 'T']) else {
        return ts.to_owned();
    };
    let time = time.trim_end_matches('Z');
    let time = match time.split_once('.') {
        Some((hms, frac)) => format!("{hms}.{:0<3}", &frac[..frac.len().min(3)]),
        None => time.to_owned(),
    };
    format!("{date}T{time}Z")
}

/// A Django timestamp as the tables show it: `YYYY-MM-DD HH:MM` (UTC).
pub(crate) fn short_time(ts: &str) -> String {
    ts.get(..16).unwrap_or(ts).to_owned()
}

#[cfg(test)]
mod tests;
