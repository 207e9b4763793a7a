//! BitBake events as handlers see them: `e` of `def HANDLER(e, d)`, the event classes of
//! `bb.event`, `bb.build` and `bb.runqueue` for `isinstance`, and `bb.event.getName`.

use std::rc::Rc;

use crate::value::Value;

/// An event handed to a handler by [`run_handler`](crate::run_handler).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    class: String,
    attrs: Vec<(String, EventAttr)>,
}

/// The value of one attribute of an [`Event`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventAttr {
    /// A `str` attribute.
    Str(String),
    /// A `list` of `str` attribute.
    List(Vec<String>),
    /// An attribute that is another object in BitBake (an int, a bool, the run
    /// queue's stats), handed to the embedded interpreter as text for the event class
    /// to convert (`_bake_conv` in bake's `bb` package). The native evaluator does not
    /// know the object: a handler reading it needs Python.
    Object(String),
}

impl Event {
    /// An event of class `class`, its full dotted name (`bb.event.RecipeParsed`).
    pub fn new(class: impl Into<String>) -> Event {
        Event {
            class: class.into(),
            attrs: Vec::new(),
        }
    }

    /// Adds attribute `name` (`e.inherits`, `e.tasklist`, `e.fn`...).
    #[must_use]
    pub fn with(mut self, name: impl Into<String>, value: EventAttr) -> Event {
        self.attrs.push((name.into(), value));
        self
    }

    /// The full dotted class name.
    pub fn class(&self) -> &str {
        &self.class
    }

    /// The class name without its module (`bb.event.getName(e)`).
    pub fn short_name(&self) -> &str {
        self.class.rsplit('.').next().unwrap_or(&self.class)
    }

    /// The attributes, in the order they were added (for an embedded interpreter).
    pub fn attrs(&self) -> &[(String, EventAttr)] {
        &self.attrs
    }

    pub(crate) fn attr(&self, name: &str) -> Option<Value> {
        let (_, v) = self.attrs.iter().find(|(n, _)| n == name)?;
        Some(match v {
            EventAttr::Str(s) => Value::str(s.as_str()),
            EventAttr::List(items) => {
                Value::list(items.iter().map(|s| Value::str(s.as_str())).collect())
            }
            EventAttr::Object(_) => return None,
        })
    }
}

/// `bb.__version__`: the version of the BitBake whose behaviour bake follows (what
/// `BB_VERSION` shows).
pub(crate) const BB_VERSION: &str = "2.19.0";

/// BitBake's event classes we know, with their base classes (`Event` is the root).
const CLASSES: &[(&str, &[&str])] = &[
    ("bb.event.Event", &[]),
    ("bb.event.HeartbeatEvent", &["bb.event.Event"]),
    ("bb.event.OperationStarted", &["bb.event.Event"]),
    ("bb.event.OperationCompleted", &["bb.event.Event"]),
    ("bb.event.OperationProgress", &["bb.event.Event"]),
    ("bb.event.ConfigParsed", &["bb.event.Event"]),
    ("bb.event.MultiConfigParsed", &["bb.event.Event"]),
    ("bb.event.RecipeEvent", &["bb.event.Event"]),
    (
        "bb.event.RecipePreDeferredInherits",
        &["bb.event.RecipeEvent"],
    ),
    ("bb.event.RecipePreFinalise", &["bb.event.RecipeEvent"]),
    ("bb.event.RecipePostKeyExpansion", &["bb.event.RecipeEvent"]),
    ("bb.event.RecipeTaskPreProcess", &["bb.event.RecipeEvent"]),
    ("bb.event.RecipeParsed", &["bb.event.RecipeEvent"]),
    ("bb.event.BuildBase", &["bb.event.Event"]),
    ("bb.event.BuildInit", &["bb.event.BuildBase"]),
    (
        "bb.event.BuildStarted",
        &["bb.event.BuildBase", "bb.event.OperationStarted"],
    ),
    (
        "bb.event.BuildCompleted",
        &["bb.event.BuildBase", "bb.event.OperationCompleted"],
    ),
    ("bb.event.DiskFull", &["bb.event.Event"]),
    ("bb.event.MonitorDiskEvent", &["bb.event.Event"]),
    ("bb.event.NoProvider", &["bb.event.Event"]),
    ("bb.event.MultipleProviders", &["bb.event.Event"]),
    ("bb.event.ParseStarted", &["bb.event.OperationStarted"]),
    ("bb.event.ParseCompleted", &["bb.event.OperationCompleted"]),
    ("bb.event.ParseProgress", &["bb.event.OperationProgress"]),
    ("bb.event.CacheLoadStarted", &["bb.event.OperationStarted"]),
    (
        "bb.event.CacheLoadProgress",
        &["bb.event.OperationProgress"],
    ),
    (
        "bb.event.CacheLoadCompleted",
        &["bb.event.OperationCompleted"],
    ),
    (
        "bb.event.TreeDataPreparationStarted",
        &["bb.event.OperationStarted"],
    ),
    (
        "bb.event.TreeDataPreparationProgress",
        &["bb.event.OperationProgress"],
    ),
    (
        "bb.event.TreeDataPreparationCompleted",
        &["bb.event.OperationCompleted"],
    ),
    ("bb.event.DepTreeGenerated", &["bb.event.Event"]),
    ("bb.event.TargetsTreeGenerated", &["bb.event.Event"]),
    ("bb.event.ReachableStamps", &["bb.event.Event"]),
    ("bb.event.StaleSetSceneTasks", &["bb.event.Event"]),
    ("bb.event.FilesMatchingFound", &["bb.event.Event"]),
    ("bb.event.ConfigFilesFound", &["bb.event.Event"]),
    ("bb.event.ConfigFilePathFound", &["bb.event.Event"]),
    ("bb.event.MetadataEvent", &["bb.event.Event"]),
    ("bb.event.ProcessStarted", &["bb.event.Event"]),
    ("bb.event.ProcessProgress", &["bb.event.Event"]),
    ("bb.event.ProcessFinished", &["bb.event.Event"]),
    ("bb.event.SanityCheck", &["bb.event.Event"]),
    ("bb.event.SanityCheckPassed", &["bb.event.Event"]),
    ("bb.event.SanityCheckFailed", &["bb.event.Event"]),
    ("bb.event.NetworkTest", &["bb.event.Event"]),
    ("bb.event.NetworkTestPassed", &["bb.event.Event"]),
    ("bb.event.NetworkTestFailed", &["bb.event.Event"]),
    ("bb.event.ParseError", &["bb.event.Event"]),
    ("bb.build.TaskBase", &["bb.event.Event"]),
    ("bb.build.TaskStarted", &["bb.build.TaskBase"]),
    ("bb.build.TaskSucceeded", &["bb.build.TaskBase"]),
    ("bb.build.TaskFailed", &["bb.build.TaskBase"]),
    ("bb.build.TaskFailedSilent", &["bb.build.TaskBase"]),
    ("bb.build.TaskInvalid", &["bb.build.TaskBase"]),
    ("bb.build.TaskProgress", &["bb.event.Event"]),
    ("bb.runqueue.runQueueExitWait", &["bb.event.Event"]),
    ("bb.runqueue.runQueueEvent", &["bb.event.Event"]),
    (
        "bb.runqueue.sceneQueueEvent",
        &["bb.runqueue.runQueueEvent"],
    ),
    (
        "bb.runqueue.runQueueTaskStarted",
        &["bb.runqueue.runQueueEvent"],
    ),
    (
        "bb.runqueue.sceneQueueTaskStarted",
        &["bb.runqueue.runQueueEvent"],
    ),
    (
        "bb.runqueue.runQueueTaskFailed",
        &["bb.runqueue.runQueueEvent"],
    ),
    (
        "bb.runqueue.sceneQueueTaskFailed",
        &["bb.runqueue.sceneQueueEvent"],
    ),
    (
        "bb.runqueue.sceneQueueComplete",
        &["bb.runqueue.sceneQueueEvent"],
    ),
    (
        "bb.runqueue.runQueueTaskCompleted",
        &["bb.runqueue.runQueueEvent"],
    ),
    (
        "bb.runqueue.sceneQueueTaskCompleted",
        &["bb.runqueue.sceneQueueEvent"],
    ),
    (
        "bb.runqueue.runQueueTaskSkipped",
        &["bb.runqueue.runQueueEvent"],
    ),
];

/// `module.name` when it is an event class we know.
pub(crate) fn class(module: &str, name: &str) -> Option<&'static str> {
    // Class names are capitalised: most attribute lookups (`bb.utils.contains`) are not.
    if !name.starts_with(|c: char| c.is_ascii_uppercase()) {
        return None;
    }
    CLASSES
        .iter()
        .map(|(c, _)| *c)
        .find(|c| c.strip_prefix(module).and_then(|r| r.strip_prefix('.')) == Some(name))
}

/// Whether class `class` is `of` or derives from it.
pub(crate) fn is_subclass(class: &str, of: &str) -> bool {
    if class == of {
        return true;
    }
    CLASSES
        .iter()
        .find(|(c, _)| *c == class)
        .is_some_and(|(_, parents)| parents.iter().any(|p| is_subclass(p, of)))
}

/// The class's name without its module.
pub(crate) fn short(class: &str) -> &str {
    class.rsplit('.').next().unwrap_or(class)
}

/// [`short`] of a known class as a `'static` str; "Event" for a class we do not know.
pub(crate) fn static_short(class: &str) -> &'static str {
    CLASSES
        .iter()
        .find(|(c, _)| *c == class)
        .map_or("Event", |(c, _)| short(c))
}

pub(crate) fn value(e: Event) -> Value {
    Value::Event(Rc::new(e))
}
