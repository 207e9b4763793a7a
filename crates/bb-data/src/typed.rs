//! Values that Python code stored in the datastore without making them strings (an
//! int, a list, a dict, any object), kept as the objects themselves, as BitBake's
//! datastore keeps them.
//!
//! This crate never looks inside such an object: it holds it behind `dyn Any` (the
//! Python host puts its own object handle there) together with its `str()`, which is
//! what everything that reads text sees (expansion of `${VAR}`, signatures, `bake -e`,
//! run scripts). Only the host that stored the object can give it back as what it was.

use std::any::Any;
use std::fmt;
use std::sync::Arc;

/// An object stored by Python code, with its `str()`.
#[derive(Clone)]
pub struct TypedValue {
    text: Arc<str>,
    kind: Arc<str>,
    object: Arc<dyn Any + Send + Sync>,
}

impl TypedValue {
    /// Wraps `object` (opaque here) whose `str()` is `text` and whose Python type is
    /// named `kind` (`int`, `list`, ...: for messages).
    pub fn new(text: &str, kind: &str, object: Arc<dyn Any + Send + Sync>) -> TypedValue {
        TypedValue {
            text: text.into(),
            kind: kind.into(),
            object,
        }
    }

    /// Python's `None` stored as a flag's value (`d.setVarFlag(v, f, None)`): its text is
    /// "None", but BitBake's readers (a signature's `vardeps`, `getVarFlag`) see no value.
    pub fn none() -> TypedValue {
        TypedValue::new("None", "NoneType", Arc::new(()))
    }

    /// Whether this is Python's `None` (see [`TypedValue::none`]).
    pub fn is_none(&self) -> bool {
        &*self.kind == "NoneType"
    }

    /// `str()` of the object: the value everything but Python code sees.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The name of the object's type.
    pub fn kind(&self) -> &str {
        &self.kind
    }

    /// The object, for the host that stored it to downcast.
    pub fn object(&self) -> &(dyn Any + Send + Sync) {
        &*self.object
    }
}

impl fmt::Debug for TypedValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<{} {:?}>", self.kind, self.text)
    }
}

/// Two typed values are equal when they hold the same object.
impl PartialEq for TypedValue {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.object, &other.object)
    }
}

impl Eq for TypedValue {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{DataStore, SetOpts};

    fn five() -> TypedValue {
        TypedValue::new("5", "int", Arc::new(5_i64))
    }

    fn int_of(t: Option<&TypedValue>) -> Option<i64> {
        t.and_then(|t| t.object().downcast_ref::<i64>().copied())
    }

    #[test]
    fn an_object_stays_until_the_value_changes() {
        let mut d = DataStore::new();
        d.set_var_typed("N", five(), SetOpts::API);
        assert_eq!(d.get_var("N").ok().flatten().as_deref(), Some("5"));
        assert_eq!(int_of(d.typed_var("N")), Some(5));
        // Copies share it.
        let copy = d.clone();
        assert_eq!(int_of(copy.typed_var("N")), Some(5));
        // The same text written as a string is a string.
        d.set_var("N", "5");
        assert_eq!(d.typed_var("N"), None);
        // An append makes reads give text.
        d.set_var_typed("N", five(), SetOpts::API);
        d.append_var("N", "1", None);
        assert_eq!(d.typed_var("N"), None);
        // A rename moves the object.
        d.set_var_typed("M", five(), SetOpts::API);
        d.rename_var("M", "R", None);
        assert_eq!(int_of(d.typed_var("R")), Some(5));
        assert_eq!(d.typed_var("M"), None);
        // A keyword name stores only the text.
        d.set_var_typed("K:append", five(), SetOpts::API);
        assert_eq!(d.typed_var("K"), None);
    }

    #[test]
    fn flags_keep_their_objects() {
        let mut d = DataStore::new();
        d.set_var_flag_typed("V", "f", five(), None);
        assert_eq!(int_of(d.typed_flag("V", "f")), Some(5));
        assert!(d.has_typed_flags("V"));
        d.append_var_flag("V", "f", "x", None);
        assert_eq!(d.typed_flag("V", "f"), None);
        assert!(!d.has_typed_flags("V"));
        d.set_var_flag_typed("V", "g", five(), None);
        d.del_var_flag("V", "g", None);
        assert_eq!(d.typed_flag("V", "g"), None);
    }
}
