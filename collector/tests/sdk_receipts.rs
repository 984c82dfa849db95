//! The SDK and the collector agree on receipts: a receipt and text bundle
//! built by the SDK's own core (`candor::receipt`) are accepted as sent,
//! served back without the texts, and the bundle the collector keeps for the
//! revision hashes to the receipt's `texts_sha256`. On SQLite and PostgreSQL.

mod common;

use candor::config::Config;
use candor::consent::{Consent, Method};
use candor::{receipt, texts};
use common::{uuid, Collector, Postgres};

fn backends() -> Vec<(&'static str, String, Option<Postgres>)> {
    let mut v = vec![("sqlite", common::sqlite_db(), None)];
    if let Some(pg) = Postgres::start() {
        v.push(("postgres", pg.url.clone(), Some(pg)));
    }
    v
}

const CONFIG: &str = r#"{"site":"shop.example","revision":"2026-11-01","purposes":[
  {"id":"necessary","required":true,"label":"Keep the site working","explain":"We store your choice.","benefit":"The site works."},
  {"id":"analytics","label":{"en":"Count visits","de":"Besuche zählen"},"explain":"We count page views, “grouped”.","benefit":"We fix slow pages.","retention_days":30}]}"#;

#[test]
fn receipts_built_by_the_sdk_are_stored_and_their_texts_audited() {
    let config = Config::from_json(CONFIG).unwrap();
    for (name, db, _pg) in backends() {
        let c = Collector::start(&db, &[]);
        for (n, lang) in [(400, "en"), (401, "de")] {
            let shown = texts::resolve(&config, &[lang.to_string()]);
            let bundle = receipt::text_bundle(&config, &shown);
            let hash = receipt::sha256_hex(&bundle);
            let mut consent = Consent::undecided(&config);
            consent.decide(&config, &["analytics"], &[], Method::Button, 1_763_800_000).unwrap();
            let r = receipt::build(&config, &shown, &consent, uuid(n), &hash).unwrap();
            let body = receipt::body(&r, Some(&bundle));
            assert_eq!(c.post_json("/v1/receipts", &body).0, 202, "{name} {lang}");
            assert_eq!(c.post_json("/v1/receipts", &body).0, 200, "{name} {lang}: idempotent");

            let (status, stored) = c.get(&format!("/v1/receipts/{}", r.receipt_id));
            assert_eq!(status, 200, "{name}");
            let stored: receipt::Receipt = serde_json::from_str(&stored).expect("served as the SDK's receipt shape");
            assert_eq!(stored, r, "{name}");

            let (status, rev) = c.get("/v1/revisions/2026-11-01?site=shop.example");
            assert_eq!(status, 200, "{name}");
            let rev: serde_json::Value = serde_json::from_str(&rev).unwrap();
            let kept = rev["bundles"].as_array().unwrap().iter().find(|b| b["texts_sha256"] == hash.as_str()).expect("bundle kept");
            assert_eq!(candor_collector_canonical(&kept["texts"]), bundle, "{name}: the exact texts shown");
            assert_eq!(receipt::sha256_hex(&candor_collector_canonical(&kept["texts"])), hash);
        }
        let (_, rev) = c.get("/v1/revisions/2026-11-01?site=shop.example");
        let rev: serde_json::Value = serde_json::from_str(&rev).unwrap();
        assert_eq!(rev["bundles"].as_array().unwrap().len(), 2, "{name}: one bundle per language shown");
    }
}

/// The collector's canonical form of a stored value (src/canonical.rs does the same).
fn candor_collector_canonical(v: &serde_json::Value) -> String {
    candor::json::canonical(&candor::json::parse(&v.to_string()).unwrap())
}
