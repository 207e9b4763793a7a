//! Fuzz target `fixtures`: arbitrary bytes (lossy UTF-8) through the Toaster fixture
//! reader (`toaster-manage loaddata`). It must never panic; an error names the file and,
//! for bad XML, a line and column inside the input.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let lines = text.matches('\n').count() + 1;
    match bb_toaster::fixtures::parse(std::path::Path::new("fuzz.xml"), &text) {
        Ok(objects) => {
            for o in &objects {
                assert!(!o.model.is_empty(), "an object without a model was accepted");
            }
        }
        Err(e) => {
            let msg = e.to_string();
            assert!(msg.contains("fuzz.xml"), "error without the file: {msg}");
            if let Some(rest) = msg.split("line ").nth(1) {
                let n: usize = rest
                    .split(',')
                    .next()
                    .and_then(|n| n.trim().parse().ok())
                    .unwrap_or(0);
                assert!(n >= 1 && n <= lines, "line {n} outside the input: {msg}");
            }
        }
    }
});
