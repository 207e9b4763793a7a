//! The URLs of the pages, in one place (Toaster's paths, under `/toastergui/`).

/// The prefix of every page.
pub(crate) const ROOT: &str = "/toastergui";

pub(crate) fn builds() -> String {
    format!("{ROOT}/builds/")
}
pub(crate) fn projects() -> String {
    format!("{ROOT}/projects/")
}
pub(crate) fn project(pid: i64) -> String {
    format!("{ROOT}/project/{pid}/")
}
pub(crate) fn project_builds(pid: i64) -> String {
    format!("{ROOT}/project/{pid}/builds/")
}
pub(crate) fn build(bid: i64) -> String {
    format!("{ROOT}/build/{bid}")
}
/// A page of a build: `build/<bid>/<rest>`.
pub(crate) fn build_page(bid: i64, rest: &str) -> String {
    format!("{ROOT}/build/{bid}/{rest}")
}
pub(crate) fn task(bid: i64, tid: i64) -> String {
    format!("{ROOT}/build/{bid}/task/{tid}")
}
pub(crate) fn recipe(bid: i64, rid: i64) -> String {
    format!("{ROOT}/build/{bid}/recipe/{rid}")
}
pub(crate) fn package(bid: i64, pid: i64) -> String {
    format!("{ROOT}/build/{bid}/package/{pid}")
}
pub(crate) fn target(bid: i64, tid: i64) -> String {
    format!("{ROOT}/build/{bid}/target/{tid}")
}
pub(crate) fn artifact(bid: i64, kind: &str, id: i64) -> String {
    format!("{ROOT}/build/{bid}/artifact/{kind}/id/{id}")
}
