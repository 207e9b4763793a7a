//! Toaster's enumerations, with the integer values Toaster stores (section 1 of the
//! Toaster reference), and the timestamp format. No queries here.

use serde::Serialize;

/// The project command-line builds belong to.
pub const CLI_PROJECT: &str = "Command line builds";

/// The layer Toaster files recipes under when no layer of the build contains them.
pub const UNIDENTIFIED_LAYER: &str = "Unidentified layer";

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

impl TaskOutcome {
    /// From the stored value.
    pub fn from_i64(v: i64) -> Option<TaskOutcome> {
        Some(match v {
            -1 => TaskOutcome::NotAvailable,
            0 => TaskOutcome::Succeeded,
            1 => TaskOutcome::Covered,
            2 => TaskOutcome::Cached,
            3 => TaskOutcome::Prebuilt,
            4 => TaskOutcome::Failed,
            5 => TaskOutcome::Empty,
            _ => return None,
        })
    }

    /// Toaster's label.
    pub fn label(self) -> &'static str {
        match self {
            TaskOutcome::NotAvailable => "Not Available",
            TaskOutcome::Succeeded => "Succeeded",
            TaskOutcome::Covered => "Covered",
            TaskOutcome::Cached => "Cached",
            TaskOutcome::Prebuilt => "Prebuilt",
            TaskOutcome::Failed => "Failed",
            TaskOutcome::Empty => "Empty",
        }
    }
}

/// `Task.sstate_result`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum SstateResult {
    /// 0 Not Applicable (a task without shared state)
    NotApplicable = 0,
    /// 1 File not in cache
    Miss = 1,
    /// 2 Failed
    Failed = 2,
    /// 3 Succeeded (restored)
    Restored = 3,
}

/// `Task.script_type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ScriptType {
    /// 0 N/A (nothing ran: noexec, skipped)
    NotApplicable = 0,
    /// 2 Python
    Python = 2,
    /// 3 Shell
    Shell = 3,
}

/// `Layer_Version.layer_source`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum LayerSource {
    /// 0 local
    Local = 0,
    /// 1 layer index
    LayerIndex = 1,
    /// 2 imported
    Imported = 2,
    /// 3 build (a snapshot recorded with a build)
    Build = 3,
}

/// `Package_Dependency.dep_type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum PackageDependencyType {
    /// 0 RDEPENDS
    Rdepends = 0,
    /// 1 TRDEPENDS (a depends edge inside an image)
    Trdepends = 1,
    /// 2 RRECOMMENDS
    Rrecommends = 2,
    /// 3 TRECOMMENDS
    Trecommends = 3,
    /// 4 RSUGGESTS
    Rsuggests = 4,
    /// 5 RPROVIDES
    Rprovides = 5,
    /// 6 RREPLACES
    Rreplaces = 6,
    /// 7 RCONFLICTS
    Rconflicts = 7,
}

/// `Target_File.inodetype`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum InodeType {
    /// 1
    Regular = 1,
    /// 2
    Directory = 2,
    /// 3
    Symlink = 3,
    /// 4
    Socket = 4,
    /// 5
    Fifo = 5,
    /// 6
    CharDevice = 6,
    /// 7
    BlockDevice = 7,
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
    let (year, month, day) = bb_util::civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}.{:06}",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60,
        d.subsec_micros()
    )
}
