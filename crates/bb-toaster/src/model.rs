//! Toaster's enumerations, with Toaster's values, and small helpers.

use serde::Serialize;

/// The project command-line builds belong to.
pub const CLI_PROJECT: &str = "Command line builds";

/// `Build.outcome`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum BuildOutcome {
    /// 0
    Succeeded = 0,
    /// 1
    Failed = 1,
    /// 2 (the default while recording)
    InProgress = 2,
    /// 3
    Cancelled = 3,
}

impl BuildOutcome {
    /// From the stored value.
    pub fn from_i64(v: i64) -> Option<BuildOutcome> {
        Some(match v {
            0 => BuildOutcome::Succeeded,
            1 => BuildOutcome::Failed,
            2 => BuildOutcome::InProgress,
            3 => BuildOutcome::Cancelled,
            _ => return None,
        })
    }

    /// Toaster's label.
    pub fn label(self) -> &'static str {
        match self {
            BuildOutcome::Succeeded => "Succeeded",
            BuildOutcome::Failed => "Failed",
            BuildOutcome::InProgress => "In Progress",
            BuildOutcome::Cancelled => "Cancelled",
        }
    }
}

/// `Task.outcome`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum TaskOutcome {
    /// -1 Not Available
    NotAvailable = -1,
    /// 0
    Succeeded = 0,
    /// 1 output provided by another task
    Covered = 1,
    /// 2 restored from sstate
    Cached = 2,
    /// 3 reused from a previous build
    Prebuilt = 3,
    /// 4
    Failed = 4,
    /// 5 no executable content
    Empty = 5,
}

/// `LogMessage.level`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum LogLevel {
    /// -1 toaster exception
    Exception = -1,
    /// 0
    Info = 0,
    /// 1
    Warn = 1,
    /// 2
    Error = 2,
    /// 3
    Critical = 3,
}

/// A UTC timestamp as Django stores it (`YYYY-MM-DD HH:MM:SS.ffffff`).
pub fn timestamp(t: std::time::SystemTime) -> String {
    let d = t.duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    let secs = d.as_secs() as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = if month <= 2 { y + 1 } else { y };
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}.{:06}",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60,
        d.subsec_micros()
    )
}
