use candor::shell::storage;
use wasm_bindgen_test::wasm_bindgen_test;

#[wasm_bindgen_test]
fn values_round_trip_and_only_candor_keys_are_listed_and_cleared() {
    storage::clear();
    let ls = web_sys::window().unwrap().local_storage().unwrap().unwrap();
    ls.set_item("site.own", "keep me").unwrap();
    assert!(storage::set("candor.a", "{\"x\":1}"));
    assert!(storage::set("candor.b", "é"));
    assert_eq!(storage::get("candor.a").as_deref(), Some("{\"x\":1}"));
    let mut keys: Vec<(String, usize)> = storage::entries();
    keys.sort();
    assert_eq!(keys, vec![("candor.a".into(), 14), ("candor.b".into(), 2)]);
    storage::clear();
    assert!(storage::entries().is_empty());
    assert_eq!(ls.get_item("site.own").unwrap().as_deref(), Some("keep me"), "erase leaves the site's own keys");
    ls.remove_item("site.own").unwrap();
}
