//! The Rust validator on the shared fixtures (`tests/fixtures/config`):
//! valid → Ok; invalid and sdk-only → an error whose text starts with the
//! expected JSON path. `tests/schema/config-schema.test.js` runs the JSON
//! Schema over the same files.
#![cfg(not(target_arch = "wasm32"))]

use std::path::Path;

use candor::config::Config;

fn fixtures(folder: &str) -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/config").join(folder);
    let mut out: Vec<(String, String)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .map(|p| (format!("{folder}/{}", p.file_name().unwrap().to_string_lossy()), std::fs::read_to_string(&p).unwrap()))
        .collect();
    out.sort();
    out
}

#[test]
fn valid_fixtures_parse() {
    let all = fixtures("valid");
    assert!(all.len() >= 10);
    for (name, text) in all {
        if let Err(e) = Config::from_json(&text) {
            panic!("{name}: {e}");
        }
    }
}

#[test]
fn invalid_and_sdk_only_fixtures_fail_naming_the_path() {
    let expected: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/config/expected-errors.json")).unwrap(),
    )
    .unwrap();
    for folder in ["invalid", "sdk-only"] {
        for (name, text) in fixtures(folder) {
            let want = expected[&name].as_str().unwrap_or_else(|| panic!("{name} has no expected path"));
            match Config::from_json(&text) {
                Ok(_) => panic!("{name}: accepted"),
                Err(e) => assert!(e.to_string().starts_with(want), "{name}: {e:?} should start with {want:?}"),
            }
        }
    }
}
