//! Replays every input kept in `testdata/fuzz-regressions/` through both readers.
//!
//! Each file there once crashed the `parse` fuzz target (or is a hand-picked input that
//! BitBake itself chokes on); parsing it must not panic and must print back to the
//! same text, exactly as the fuzz target asserts.

use bb_parse::{FileKind, parse};

#[test]
fn fuzz_regressions_round_trip() {
    let dir = crate::testdata().join("fuzz-regressions");
    let mut seen = 0;
    for entry in fs_err::read_dir(&dir).unwrap_or_else(|e| panic!("{e}")) {
        let path = entry.unwrap_or_else(|e| panic!("{e}")).path();
        if path.extension().is_some_and(|e| e == "md") {
            continue;
        }
        let bytes = fs_err::read(&path).unwrap_or_else(|e| panic!("{e}"));
        let src = String::from_utf8_lossy(&bytes);
        for kind in [FileKind::Conf, FileKind::Recipe] {
            let (file, _) = parse("regression", &src, kind);
            assert_eq!(
                file.print(),
                src,
                "{}: round trip ({kind:?})",
                path.display()
            );
        }
        seen += 1;
    }
    assert!(seen > 0, "no regression inputs found in {}", dir.display());
}
