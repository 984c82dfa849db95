//! Candor: a consent SDK that asks in plain language, enforces purposes, and
//! sends only aggregates.
//!
//! The crate has two halves. The **core** (`config`, `consent`, and the
//! modules that follow them) is plain Rust with no browser in it, so its
//! rules are tested natively with `cargo test`. The **shell** (`shell`,
//! compiled only for `wasm32`) translates between the browser and the core:
//! it reads storage, draws the prompt, activates gated content and talks to
//! the network, and decides nothing on its own.
#![deny(missing_docs)]

pub mod aggregate;
pub mod config;
pub mod conform;
pub mod consent;
pub mod gate;
pub mod json;
pub mod map;
pub mod noise;
pub mod order;
pub mod qa;
pub mod readability;
pub mod receipt;
pub mod report;
pub mod tcf;
pub mod gcm;
pub mod consent_cookie;
pub mod texts;
pub mod transparency;

#[cfg(target_arch = "wasm32")]
pub mod shell;

/// The SDK version, as reported in `sdk` fields.
pub const SDK: &str = concat!("candor/", env!("CARGO_PKG_VERSION"));

/// The wasm's allocator: talc instead of Rust's default dlmalloc (smaller
/// in the module, and faster).
#[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();
