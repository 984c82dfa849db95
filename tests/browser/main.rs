//! In-browser tests of the shell, run by `wasm-bindgen-test` in headless
//! Chromium (`make test-wasm`). The loader and full pages are covered by the
//! end-to-end tests in `tests/e2e/`.
#![cfg(target_arch = "wasm32")]

use wasm_bindgen_test::wasm_bindgen_test_configure;

wasm_bindgen_test_configure!(run_in_browser);

mod boot;
mod storage;
