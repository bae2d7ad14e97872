//! The version constants in the report header must match what Cargo resolved.

// Linux only, for now: the Windows suite is tests/windows.rs (docs/windows.md).
#![cfg(target_os = "linux")]

use memlab_engine::alloc::{LIBMIMALLOC_SYS_VERSION, TALC_VERSION};

fn locked_version(name: &str) -> String {
    let lock = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.lock"))
        .expect("Cargo.lock");
    let mut lines = lock.lines();
    while let Some(l) = lines.next() {
        if l == format!("name = \"{name}\"") {
            let v = lines.next().unwrap();
            return v
                .trim_start_matches("version = ")
                .trim_matches('"')
                .to_owned();
        }
    }
    panic!("{name} not in Cargo.lock");
}

#[test]
fn constants_match_cargo_lock() {
    assert_eq!(TALC_VERSION, locked_version("talc"));
    assert_eq!(LIBMIMALLOC_SYS_VERSION, locked_version("libmimalloc-sys"));
}
