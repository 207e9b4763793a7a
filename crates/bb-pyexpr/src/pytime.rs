//! The parts of Python's `time` module that metadata uses: `time.time()`, `time.gmtime()`,
//! `time.strftime()` (C locale, as BitBake runs) and `time.struct_time`.
//!
//! Local time (`localtime`, `mktime`, `strftime` without a time, `%Z`/`%z` of a plain tuple)
//! depends on the host's time zone rules and needs Python.

use std::fmt::Write as _;
use std::rc::Rc;

use bb_util::{civil_from_days, days_from_civil};

use crate::error::{EvalError, Result};
use crate::eval::{Args, Interp};
use crate::value::{Value, as_index};

/// The fields of a `time.struct_time`, in Python's order and with Python's conventions
/// (month 1-12, Monday is weekday 0, day of the year from 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StructTime {
    /// `tm_year`, `tm_mon`, `tm_mday`, `tm_hour`, `tm_min`, `tm_sec`, `tm_wday`, `tm_yday`,
    /// `tm_isdst`.
    pub(crate) fields: [i64; 9],
    /// `tm_zone` and `tm_gmtoff`, when known (not for a struct_time built from a tuple).
    pub(crate) zone: Option<(&'static str, i64)>,
}

pub(crate) const FIELD_NAMES: [&str; 9] = [
    "tm_year", "tm_mon", "tm_mday", "tm_hour", "tm_min", "tm_sec", "tm_wday", "tm_yday", "tm_isdst",
];

/// Names of the `time` module's members: the ones we implement, then the others (which exist
/// but need Python).
pub(crate) const IMPLEMENTED: &[&str] = &["time", "gmtime", "strftime"];

impl StructTime {
    /// The struct_time as the tuple it is a subclass of.
    pub(crate) fn as_tuple(&self) -> Value {
        Value::tuple(self.fields.iter().map(|f| Value::Int(*f)).collect())
    }

    /// Attribute `tm_*` of the struct_time.
    pub(crate) fn attr(&self, name: &str) -> Option<Value> {
        if let Some(i) = FIELD_NAMES.iter().position(|n| *n == name) {
            return self.fields.get(i).map(|v| Value::Int(*v));
        }
        match (name, self.zone) {
            ("tm_zone", Some((z, _))) => Some(Value::str(z)),
            ("tm_gmtoff", Some((_, off))) => Some(Value::Int(off)),
            ("tm_zone" | "tm_gmtoff", None) => Some(Value::None),
            _ => None,
        }
    }

    /// `repr()`: `time.struct_time(tm_year=..., ...)`.
    pub(crate) fn repr(&self, out: &mut String) {
        out.push_str("time.struct_time(");
        for (i, (n, v)) in FIELD_NAMES.iter().zip(self.fields.iter()).enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            let _ = write!(out, "{n}={v}");
        }
        out.push(')');
    }
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

/// `time.gmtime(secs)` for whole seconds.
pub(crate) fn gmtime(secs: i64) -> Result<StructTime> {
    // CPython fails (OverflowError or "year is out of range") far outside this range.
    if !(-62_135_596_800..=253_402_300_799).contains(&secs) {
        return Err(EvalError::needs("`time.gmtime` of a year outside 1-9999"));
    }
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    let yday = days - days_from_civil(y, 1, 1) + 1;
    // 1970-01-01 was a Thursday (Python weekday 3).
    let wday = (days + 3).rem_euclid(7);
    Ok(StructTime {
        fields: [
            y,
            m,
            d,
            rem / 3600,
            rem % 3600 / 60,
            rem % 60,
            wday,
            yday,
            0,
        ],
        zone: Some(("GMT", 0)),
    })
}

/// The current time of the host, for `time.time()` and the default of `gmtime()`.
fn now(it: &Interp<'_>, what: &str) -> Result<f64> {
    match it.ctx.host() {
        Some(h) => Ok(h.now()),
        None => Err(EvalError::needs(format!(
            "`{what}` (the clock of the host)"
        ))),
    }
}

/// Seconds as `time.gmtime` takes them (`int`, or `float` rounded toward minus infinity).
fn seconds(v: &Value) -> Result<i64> {
    if let Some(i) = as_index(v) {
        return Ok(i);
    }
    match v {
        Value::Float(f) if f.is_nan() => {
            Err(EvalError::value_err("Invalid value NaN (not a number)"))
        }
        Value::Float(f) if f.is_finite() && f.abs() < 9.0e18 => Ok(f.floor() as i64),
        Value::Float(_) => Err(EvalError::exc(
            "OverflowError",
            "timestamp out of range for platform time_t",
        )),
        other => Err(EvalError::type_err(format!(
            "'{}' object cannot be interpreted as an integer",
            other.type_name()
        ))),
    }
}

/// Calls `time.NAME(args)`.
pub(crate) fn call(it: &Interp<'_>, name: &str, args: Args) -> Result<Value> {
    if !args.kw.is_empty() {
        return Err(EvalError::type_err(format!(
            "{name}() takes no keyword arguments"
        )));
    }
    let n = args.pos.len();
    let too_many = |max: usize| {
        EvalError::type_err(format!(
            "{name}() takes at most {max} argument{} ({n} given)",
            if max == 1 { "" } else { "s" }
        ))
    };
    match name {
        "time" => {
            if n > 0 {
                return Err(EvalError::type_err(format!(
                    "time.time() takes no arguments ({n} given)"
                )));
            }
            now(it, "time.time").map(Value::Float)
        }
        "gmtime" => {
            let secs = match args.pos.first() {
                _ if n > 1 => return Err(too_many(1)),
                None | Some(Value::None) => now(it, "time.gmtime")?.floor() as i64,
                Some(v) => seconds(v)?,
            };
            Ok(Value::StructTime(Rc::new(gmtime(secs)?)))
        }
        "strftime" => {
            if n > 2 {
                return Err(too_many(2));
            }
            let Some(fmt) = args.pos.first() else {
                return Err(EvalError::type_err(
                    "strftime() takes at least 1 argument (0 given)",
                ));
            };
            let Value::Str(fmt) = fmt else {
                return Err(EvalError::type_err(format!(
                    "strftime() argument 1 must be str, not {}",
                    fmt.type_name()
                )));
            };
            let tm = match args.pos.get(1) {
                None => {
                    return Err(EvalError::needs(
                        "`time.strftime` of the local time (the host's time zone)",
                    ));
                }
                Some(v) => struct_arg(v)?,
            };
            strftime(fmt, &tm).map(Value::str)
        }
        _ => Err(EvalError::needs(format!("call to `time.{name}`"))),
    }
}

/// The time argument of `strftime`: a struct_time or a 9-tuple of ints in range.
fn struct_arg(v: &Value) -> Result<StructTime> {
    if let Value::StructTime(t) = v {
        return Ok((**t).clone());
    }
    let Value::Tuple(items) = v else {
        return Err(EvalError::type_err(
            "Tuple or struct_time argument required",
        ));
    };
    if items.len() != 9 {
        return Err(EvalError::type_err(format!(
            "time.struct_time() takes a 9-sequence ({}-sequence given)",
            items.len()
        )));
    }
    let mut fields = [0i64; 9];
    for (f, v) in fields.iter_mut().zip(items.iter()) {
        match v {
            Value::Int(i) => *f = *i,
            _ => {
                return Err(EvalError::needs(
                    "`time.strftime` of a tuple holding other values than int",
                ));
            }
        }
    }
    Ok(StructTime { fields, zone: None })
}

const DAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];
const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// The ISO 8601 week-based year and week of a date given by year, day of the year (1-based)
/// and Python weekday (Monday 0).
fn iso_week(year: i64, yday: i64, wday: i64) -> (i64, i64) {
    let days_in = |y: i64| if is_leap(y) { 366 } else { 365 };
    // Monday-based week containing the date; week 1 holds the year's first Thursday.
    let week = (yday - wday + 9) / 7;
    if week < 1 {
        let prev = year - 1;
        let pyday = yday + days_in(prev);
        return (prev, (pyday - wday + 9) / 7);
    }
    if week == 53 {
        // The week belongs to next year when its Thursday is there.
        let thursday = yday - wday + 3;
        if thursday > days_in(year) {
            return (year + 1, 1);
        }
    }
    (year, week)
}

/// `time.strftime(fmt, tm)` in the C locale, as glibc formats it.
pub(crate) fn strftime(fmt: &str, tm: &StructTime) -> Result<String> {
    let [year, mon, mday, hour, min, sec, wday, yday, _isdst] = tm.fields;
    // CPython adjusts some zeros and rejects out-of-range values; only plain dates are ours.
    let in_range = (1000..=9999).contains(&year)
        && (1..=12).contains(&mon)
        && (1..=31).contains(&mday)
        && (0..=23).contains(&hour)
        && (0..=59).contains(&min)
        && (0..=61).contains(&sec)
        && (0..=6).contains(&wday)
        && (1..=366).contains(&yday);
    if !in_range {
        return Err(EvalError::needs(
            "`time.strftime` of a time with fields outside their usual ranges",
        ));
    }
    let day = DAYS.get(wday as usize).copied().unwrap_or("");
    let month = MONTHS.get((mon - 1) as usize).copied().unwrap_or("");
    let hour12 = if hour % 12 == 0 { 12 } else { hour % 12 };
    let yday0 = yday - 1;
    let sunday0 = (wday + 1) % 7;
    let mut out = String::with_capacity(fmt.len() + 16);
    let mut chars = fmt.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let Some(d) = chars.next() else {
            return Err(EvalError::needs("`time.strftime` with a trailing `%`"));
        };
        let _ = match d {
            '%' => write!(out, "%"),
            'Y' => write!(out, "{year}"),
            'y' => write!(out, "{:02}", year % 100),
            'C' => write!(out, "{:02}", year / 100),
            'm' => write!(out, "{mon:02}"),
            'd' => write!(out, "{mday:02}"),
            'e' => write!(out, "{mday:2}"),
            'H' => write!(out, "{hour:02}"),
            'k' => write!(out, "{hour:2}"),
            'I' => write!(out, "{hour12:02}"),
            'l' => write!(out, "{hour12:2}"),
            'M' => write!(out, "{min:02}"),
            'S' => write!(out, "{sec:02}"),
            'j' => write!(out, "{yday:03}"),
            'p' => write!(out, "{}", if hour < 12 { "AM" } else { "PM" }),
            'P' => write!(out, "{}", if hour < 12 { "am" } else { "pm" }),
            'a' => write!(out, "{}", day.get(..3).unwrap_or(day)),
            'A' => write!(out, "{day}"),
            'b' | 'h' => write!(out, "{}", month.get(..3).unwrap_or(month)),
            'B' => write!(out, "{month}"),
            'u' => write!(out, "{}", wday + 1),
            'w' => write!(out, "{sunday0}"),
            'U' => write!(out, "{:02}", (yday0 + 7 - sunday0) / 7),
            'W' => write!(out, "{:02}", (yday0 + 7 - wday) / 7),
            'V' => write!(out, "{:02}", iso_week(year, yday, wday).1),
            'G' => write!(out, "{}", iso_week(year, yday, wday).0),
            'g' => write!(out, "{:02}", iso_week(year, yday, wday).0 % 100),
            'D' | 'x' => write!(out, "{mon:02}/{mday:02}/{:02}", year % 100),
            'F' => write!(out, "{year}-{mon:02}-{mday:02}"),
            'T' | 'X' => write!(out, "{hour:02}:{min:02}:{sec:02}"),
            'R' => write!(out, "{hour:02}:{min:02}"),
            'r' => write!(
                out,
                "{hour12:02}:{min:02}:{sec:02} {}",
                if hour < 12 { "AM" } else { "PM" }
            ),
            'c' => write!(
                out,
                "{} {} {mday:2} {hour:02}:{min:02}:{sec:02} {year}",
                day.get(..3).unwrap_or(day),
                month.get(..3).unwrap_or(month)
            ),
            'n' => writeln!(out),
            't' => write!(out, "\t"),
            'Z' => match tm.zone {
                Some((z, _)) => write!(out, "{z}"),
                None => return Err(EvalError::needs("`%Z` of a plain tuple (local time zone)")),
            },
            'z' => match tm.zone {
                Some((_, off)) => {
                    let sign = if off < 0 { '-' } else { '+' };
                    let a = off.abs();
                    write!(out, "{sign}{:02}{:02}", a / 3600, a % 3600 / 60)
                }
                None => return Err(EvalError::needs("`%z` of a plain tuple (local time zone)")),
            },
            other => {
                return Err(EvalError::needs(format!(
                    "`time.strftime` directive `%{other}`"
                )));
            }
        };
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gmtime_matches_known_dates() {
        let t = gmtime(0).map(|t| t.fields).ok();
        assert_eq!(t, Some([1970, 1, 1, 0, 0, 0, 3, 1, 0]));
        // 2024-02-29 12:34:56 UTC, a Thursday, day 60.
        let t = gmtime(1_709_210_096).map(|t| t.fields).ok();
        assert_eq!(t, Some([2024, 2, 29, 12, 34, 56, 3, 60, 0]));
        // 1969-12-31 23:59:59, a Wednesday.
        let t = gmtime(-1).map(|t| t.fields).ok();
        assert_eq!(t, Some([1969, 12, 31, 23, 59, 59, 2, 365, 0]));
    }

    #[test]
    fn iso_weeks_at_year_boundaries() {
        // 2021-01-01 (Friday) is in week 53 of 2020; 2024-12-30 (Monday) in week 1 of 2025.
        assert_eq!(iso_week(2021, 1, 4), (2020, 53));
        assert_eq!(iso_week(2024, 365, 0), (2025, 1));
        assert_eq!(iso_week(2024, 1, 0), (2024, 1));
    }

    #[test]
    fn formats_common_directives() {
        let Ok(t) = gmtime(1_709_210_096) else {
            panic!("in range")
        };
        assert_eq!(
            strftime("%Y%m%d %H%M%S %a %b %j %Z %z %%", &t)
                .ok()
                .as_deref(),
            Some("20240229 123456 Thu Feb 060 GMT +0000 %")
        );
        assert!(matches!(
            strftime("%Q", &t),
            Err(EvalError::NeedsPython { .. })
        ));
    }
}
