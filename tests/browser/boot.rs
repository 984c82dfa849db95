use candor::shell::{boot, storage};
use wasm_bindgen::JsValue;
use wasm_bindgen_test::wasm_bindgen_test;

const CONFIG: &str = r#"{"site":"t","revision":"r1","purposes":[
  {"id":"necessary","required":true,"label":"Needed","explain":"We store your choice.","benefit":"It works."},
  {"id":"stats","label":"<b>Stats</b>","explain":"We count visits.","benefit":"Faster pages."}]}"#;

fn doc() -> web_sys::Document {
    web_sys::window().unwrap().document().unwrap()
}

fn reset() {
    storage::clear();
    while let Some(e) = doc().query_selector("candor-consent").unwrap() {
        e.remove();
    }
}

fn get(v: &JsValue, path: &[&str]) -> JsValue {
    path.iter().fold(v.clone(), |v, k| js_sys::Reflect::get(&v, &(*k).into()).unwrap())
}

fn shadow_query(sel: &str) -> Option<web_sys::Element> {
    let host = doc().query_selector("candor-consent").unwrap()?;
    host.shadow_root().unwrap().query_selector(sel).unwrap()
}

#[wasm_bindgen_test]
fn boot_renders_the_prompt_with_every_contract_selector_and_text_only_labels() {
    reset();
    let sdk = boot(CONFIG, None, None).unwrap();
    assert_eq!(get(&sdk.consent(), &["decided"]), JsValue::FALSE);
    for id in ["candor-prompt", "candor-accept-all", "candor-reject-all", "candor-customize", "candor-save", "candor-close",
               "candor-toggle-stats", "candor-toggle-necessary"] {
        assert!(shadow_query(&format!("[data-testid=\"{id}\"]")).is_some(), "{id} missing");
    }
    let accept = shadow_query("[data-testid=candor-accept-all]").unwrap();
    let reject = shadow_query("[data-testid=candor-reject-all]").unwrap();
    assert_eq!(accept.tag_name(), reject.tag_name());
    assert_eq!(accept.class_name(), reject.class_name());
    let label = shadow_query("label[for=candor-t-stats]").unwrap();
    assert_eq!(label.text_content().unwrap(), "<b>Stats</b>");
    assert!(label.query_selector("b").unwrap().is_none(), "config text must never become markup");
    let toggle: web_sys::HtmlInputElement = wasm_bindgen::JsCast::unchecked_into(shadow_query("[data-testid=candor-toggle-stats]").unwrap());
    assert!(!toggle.checked(), "nothing is pre-ticked");
    reset();
}

#[wasm_bindgen_test]
fn grant_persists_one_record_and_a_second_boot_reads_it() {
    reset();
    let sdk = boot(CONFIG, None, None).unwrap();
    let ids = js_sys::Array::of1(&"stats".into());
    sdk.grant(ids.into()).map_err(JsValue::from).unwrap();
    let stored = storage::get(storage::CONSENT).expect("decision stored");
    assert!(stored.contains("\"stats\":true"), "{stored}");
    // The decision is one key written as one value; its consent receipt is kept beside it.
    let mut keys: Vec<String> = storage::entries().into_iter().map(|(k, _)| k).collect();
    keys.sort();
    assert_eq!(keys, ["candor.consent", "candor.receipts"]);
    drop(sdk);
    reset_dom_only();
    let again = boot(CONFIG, None, None).unwrap();
    assert_eq!(get(&again.consent(), &["purposes", "stats"]), JsValue::TRUE);
    reset();
}

#[wasm_bindgen_test]
fn unknown_purpose_ids_are_refused_and_nothing_changes() {
    reset();
    let sdk = boot(CONFIG, None, None).unwrap();
    let err = sdk.grant(js_sys::Array::of1(&"ads".into()).into()).map_err(JsValue::from).unwrap_err();
    let message = js_sys::Reflect::get(&err, &"message".into()).unwrap().as_string().unwrap();
    assert!(message.contains("unknown purpose \"ads\""), "{message}");
    assert!(sdk.grant(JsValue::from_str("stats")).is_err(), "a string is not an array");
    assert_eq!(get(&sdk.consent(), &["decided"]), JsValue::FALSE);
    assert!(storage::get(storage::CONSENT).is_none());
    reset();
}

#[wasm_bindgen_test]
fn an_invalid_config_fails_without_a_prompt() {
    reset();
    let bad = CONFIG.replace("\"stats\"", "\"Stats\"");
    assert!(boot(&bad, None, None).is_err());
    assert!(doc().query_selector("candor-consent").unwrap().is_none());
    reset();
}

fn reset_dom_only() {
    while let Some(e) = doc().query_selector("candor-consent").unwrap() {
        e.remove();
    }
}
