//! The collector's HTTP API against real storage: SQLite in a temp file and
//! a throwaway PostgreSQL server. Each scenario runs on both.

mod common;

use common::{report, uuid, Collector, Postgres};

fn backends() -> Vec<(&'static str, String, Option<Postgres>)> {
    let mut v = vec![("sqlite", common::sqlite_db(), None)];
    if let Some(pg) = Postgres::start() {
        v.push(("postgres", pg.url.clone(), Some(pg)));
    }
    v
}

fn count(c: &Collector) -> serde_json::Value {
    let (status, body) = c.get("/v1/aggregates?site=shop.example&event=page_view");
    assert_eq!(status, 200, "{body}");
    serde_json::from_str(&body).unwrap()
}

#[test]
fn stored_then_duplicate_then_conflict() {
    for (name, db, _pg) in backends() {
        let c = Collector::start(&db, &[]);
        assert_eq!(c.post_json("/v1/reports", &report(&uuid(1), 3)).0, 202, "{name}");
        assert_eq!(c.post_json("/v1/reports", &report(&uuid(1), 3)).0, 200, "{name}: same id, same content");
        // Same content with keys in another order is still a duplicate.
        let mut v: serde_json::Value = serde_json::from_str(&report(&uuid(1), 3)).unwrap();
        let reordered = serde_json::to_string(&v).unwrap();
        assert_eq!(c.post_json("/v1/reports", &reordered).0, 200, "{name}");
        // 3.0 is the same number as 3.
        let respelled = report(&uuid(1), 3).replace("\"count\":3", "\"count\":3.0");
        assert_eq!(c.post_json("/v1/reports", &respelled).0, 200, "{name}");
        v["events"]["page_view"]["count"] = 4.into();
        let (status, body) = c.post_json("/v1/reports", &v.to_string());
        assert_eq!(status, 409, "{name}: {body}");
        assert!(body.contains("report_id"), "{body}");
        let agg = count(&c);
        assert_eq!(agg["reports"], 1, "{name}");
        assert_eq!(agg["count"], 3, "{name}");
    }
}

#[test]
fn a_key_given_twice_is_refused_and_nothing_is_stored() {
    let c = Collector::start(&common::sqlite_db(), &[]);
    let twice = report(&uuid(7), 3).replace("\"count\":3", "\"count\":3,\"count\":999");
    assert_ne!(twice, report(&uuid(7), 3), "the fixture has a count to repeat");
    let (status, body) = c.post_json("/v1/reports", &twice);
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("key \\\"count\\\" given twice in events.page_view"), "{body}");
    assert_eq!(count(&c)["reports"], 0);
}

#[test]
fn malformed_query_parameters_are_400_json() {
    let c = Collector::start(&common::sqlite_db(), &[]);
    for q in ["site=%ff&event=page_view", "site=%&event=x", "site=shop.example&event=%00", "site=%zz"] {
        let (status, body) = c.get(&format!("/v1/aggregates?{q}"));
        assert_eq!(status, 400, "{q}: {body}");
        assert!(body.starts_with("{\"error\":\"query: "), "{q}: {body}");
    }
    assert_eq!(c.get("/v1/aggregates?site=shop.example&event=page_view&_=%E2%9C%93").0, 200, "escaped UTF-8 is fine");
}

#[test]
fn concurrent_duplicates_store_exactly_one() {
    for (name, db, _pg) in backends() {
        let c = Collector::start(&db, &[]);
        let addr = c.addr.clone();
        let statuses: Vec<u16> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..40)
                .map(|_| {
                    let addr = addr.clone();
                    s.spawn(move || common::request(&addr, "POST", "/v1/reports", Some("application/json"), report(&uuid(7), 5).as_bytes()).0)
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert_eq!(statuses.iter().filter(|s| **s == 202).count(), 1, "{name}: {statuses:?}");
        assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 39, "{name}: {statuses:?}");
        let agg = count(&c);
        assert_eq!((agg["reports"].as_u64(), agg["count"].as_u64()), (Some(1), Some(5)), "{name}");
    }
}

#[test]
fn bad_bodies_get_the_right_status_and_name_the_field() {
    for (name, db, _pg) in backends() {
        let c = Collector::start(&db, &[]);
        let ok = report(&uuid(2), 1);
        let cases: Vec<(String, u16, &str)> = vec![
            ("{not json".into(), 400, "body"),
            (ok.replace("\"noise\":null", "\"noise\":null,\"user_agent\":\"x\""), 400, "user_agent: unknown field"),
            (ok.replace(&uuid(2), "not-a-uuid"), 400, "report_id"),
            (ok.replace("shop.example", "evil.example"), 400, "site"),
            (ok.replace("1763800020", "1763800021"), 400, "window.start"),
            (ok.replace("\"seconds\":60", "\"seconds\":60.5"), 400, "window.seconds"),
            (ok.replace("\"/shop\":1", "\"/shop\":\"many\""), 400, "events.page_view.fields.path./shop"),
            (ok.replace(",\"sdk\":\"candor/0.1.0\"", ""), 400, "sdk"),
        ];
        for (body, want, field) in cases {
            let (status, answer) = c.post_json("/v1/reports", &body);
            assert_eq!(status, want, "{name}: {answer} for {body}");
            let err: serde_json::Value = serde_json::from_str(&answer).unwrap_or_else(|_| panic!("JSON error body: {answer}"));
            assert!(err["error"].as_str().unwrap().starts_with(field), "{name}: {answer}");
        }
        let (status, _) = c.request("POST", "/v1/reports", Some("text/plain"), ok.as_bytes());
        assert_eq!(status, 400, "{name}: wrong content type");
        let big = format!("{{\"pad\":\"{}\"}}", "x".repeat(70 * 1024));
        let (status, answer) = c.post_json("/v1/reports", &big);
        assert_eq!(status, 413, "{name}: {answer}");
        assert!(answer.contains("error"));
        assert_eq!(count(&c)["reports"], 0, "{name}: nothing stored");
    }
}

#[test]
fn aggregates_sum_and_withhold_below_min_reports() {
    for (name, db, _pg) in backends() {
        let c = Collector::start(&db, &["--min-reports", "3"]);
        for i in 0..2 {
            assert_eq!(c.post_json("/v1/reports", &report(&uuid(100 + i), 2)).0, 202);
        }
        let agg = count(&c);
        assert_eq!(agg["count"], serde_json::Value::Null, "{name}: 2 reports < 3: withheld");
        assert_eq!(agg["fields"], serde_json::json!({}));
        assert_eq!(c.post_json("/v1/reports", &report(&uuid(102), 2)).0, 202);
        let agg = count(&c);
        assert_eq!(agg["count"], 6, "{name}");
        assert_eq!(agg["fields"]["path"]["/shop"], 6);
        assert_eq!(agg["fields"]["load_ms"], serde_json::json!([3, 6, 0]));
        let (_, list) = c.get("/v1/aggregates?site=shop.example");
        assert!(list.contains("page_view"), "{list}");
        assert_eq!(c.get("/v1/aggregates?event=page_view").0, 400);
    }
}

#[test]
fn data_survives_a_restart_and_sigterm_exits_cleanly() {
    for (name, db, _pg) in backends() {
        let c = Collector::start(&db, &[]);
        assert_eq!(c.post_json("/v1/reports", &report(&uuid(200), 9)).0, 202);
        assert_eq!(c.terminate(), Some(0), "{name}: SIGTERM exits 0");
        let c = Collector::start(&db, &[]);
        assert_eq!(count(&c)["count"], 9, "{name}");
        assert_eq!(c.post_json("/v1/reports", &report(&uuid(200), 9)).0, 200, "{name}: still a duplicate after restart");
        assert_eq!(c.get("/healthz").0, 200);
    }
}

fn receipt(id: &str) -> serde_json::Value {
    use sha2_free::hex_sha256;
    let texts = serde_json::json!({"heading": "Your privacy, your choice", "purposes": {"analytics": {"label": "Count visits"}}});
    serde_json::json!({"receipt_id": id, "site": "shop.example", "revision": "r1", "language": "en",
        "texts_sha256": hex_sha256(&texts.to_string()), "choices": {"analytics": true}, "method": "button",
        "timestamp": 1763800000u64, "sdk": "candor/0.1.0", "texts": texts})
}

/// SHA-256 via the system's sha256sum, to keep the test independent of the collector's own code.
mod sha2_free {
    pub fn hex_sha256(s: &str) -> String {
        use std::io::Write;
        let mut child = std::process::Command::new("sha256sum")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(s.as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        String::from_utf8(out.stdout).unwrap().split_whitespace().next().unwrap().to_string()
    }
}

#[test]
fn receipts_are_stored_once_served_and_deleted() {
    for (name, db, _pg) in backends() {
        let c = Collector::start(&db, &[]);
        let id = uuid(300);
        let r = receipt(&id);
        assert_eq!(c.post_json("/v1/receipts", &r.to_string()).0, 202, "{name}");
        assert_eq!(c.post_json("/v1/receipts", &r.to_string()).0, 200, "{name}");
        let mut other = r.clone();
        other["choices"]["analytics"] = false.into();
        assert_eq!(c.post_json("/v1/receipts", &other.to_string()).0, 409, "{name}");
        // A refused receipt leaves nothing behind, not even its texts.
        let mut conflicting = r.clone();
        conflicting["texts"]["heading"] = "Other words".into();
        conflicting["texts_sha256"] = sha2_free::hex_sha256(&conflicting["texts"].to_string()).into();
        assert_eq!(c.post_json("/v1/receipts", &conflicting.to_string()).0, 409, "{name}");
        let mut forged = r.clone();
        forged["texts"]["heading"] = "Something else".into();
        let (status, body) = c.post_json("/v1/receipts", &forged.to_string());
        assert_eq!((status, body.contains("texts_sha256")), (400, true), "{name}: {body}");
        let mut bad = r.clone();
        bad["method"] = "scroll".into();
        assert_eq!(c.post_json("/v1/receipts", &bad.to_string()).0, 400, "{name}");

        let (status, body) = c.get(&format!("/v1/receipts/{id}"));
        assert_eq!(status, 200, "{name}");
        let got: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(got["choices"]["analytics"], true);
        assert!(got.get("texts").is_none(), "texts are kept per revision, not per receipt");

        let (status, body) = c.get("/v1/revisions/r1?site=shop.example");
        assert_eq!(status, 200, "{name}: {body}");
        let rev: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(rev["bundles"][0]["texts_sha256"], r["texts_sha256"]);
        assert_eq!(rev["bundles"][0]["texts"], r["texts"]);
        assert_eq!(rev["bundles"].as_array().map(Vec::len), Some(1), "{name}: only the bundle of the receipt taken: {body}");
        assert_eq!(c.get("/v1/revisions/r9?site=shop.example").0, 404);

        assert_eq!(c.request("DELETE", &format!("/v1/receipts/{id}"), None, b"").0, 204, "{name}");
        assert_eq!(c.get(&format!("/v1/receipts/{id}")).0, 404, "{name}");
        assert_eq!(c.request("DELETE", &format!("/v1/receipts/{id}"), None, b"").0, 404, "{name}");
        // An erase wins over a POST that lands after it: the id is kept, the POST refused.
        let (status, body) = c.post_json("/v1/receipts", &r.to_string());
        assert_eq!((status, body.contains("erased by the visitor")), (410, true), "{name}: {body}");
        assert_eq!(c.get(&format!("/v1/receipts/{id}")).0, 404, "{name}");
        let mut late = r.clone();
        late["receipt_id"] = "9b2f6a52-1d2e-4f3a-9b8c-7d6e5f4a3b2c".into();
        assert_eq!(c.request("DELETE", "/v1/receipts/9b2f6a52-1d2e-4f3a-9b8c-7d6e5f4a3b2c", None, b"").0, 404, "{name}");
        assert_eq!(c.post_json("/v1/receipts", &late.to_string()).0, 410, "{name}: deleted before it ever landed");
        assert_eq!(c.get("/v1/receipts/9b2f6a52-1d2e-4f3a-9b8c-7d6e5f4a3b2c").0, 404, "{name}");
    }
}

/// An erased id is kept a week, as documented: after that (here, its
/// erase back-dated 8 days) the id is free again.
#[test]
fn erased_ids_are_kept_a_week() {
    let db = common::sqlite_db();
    let c = Collector::start(&db, &[]);
    let r = receipt("7a1f6a52-1d2e-4f3a-9b8c-7d6e5f4a3b2c");
    assert_eq!(c.post_json("/v1/receipts", &r.to_string()).0, 202);
    assert_eq!(c.request("DELETE", "/v1/receipts/7a1f6a52-1d2e-4f3a-9b8c-7d6e5f4a3b2c", None, b"").0, 204);
    assert_eq!(c.post_json("/v1/receipts", &r.to_string()).0, 410, "within the week");
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute("UPDATE erased_receipts SET erased_at = erased_at - 8 * 86400", []).unwrap();
    assert_eq!(c.post_json("/v1/receipts", &r.to_string()).0, 202, "after the week");
}

#[test]
fn cors_only_for_listed_origins() {
    let c = Collector::start(&common::sqlite_db(), &["--cors-origin", "https://shop.example"]);
    let preflight = |origin: &str| {
        let mut s = std::net::TcpStream::connect(&c.addr).unwrap();
        use std::io::{Read, Write};
        write!(s, "OPTIONS /v1/reports HTTP/1.1\r\nHost: x\r\nOrigin: {origin}\r\nAccess-Control-Request-Method: POST\r\n\
                   Access-Control-Request-Headers: content-type\r\nConnection: close\r\n\r\n").unwrap();
        let mut out = String::new();
        let _ = s.read_to_string(&mut out);
        out.to_ascii_lowercase()
    };
    assert!(preflight("https://shop.example").contains("access-control-allow-origin: https://shop.example"));
    assert!(!preflight("https://evil.example").contains("access-control-allow-origin"));
}

#[test]
fn aggregates_filter_by_purpose() {
    for (name, db, _pg) in backends() {
        let c = Collector::start(&db, &[]);
        assert_eq!(c.post_json("/v1/reports", &report(&uuid(400), 2)).0, 202);
        let other = report(&uuid(401), 5).replace("\"purpose\":\"analytics\"", "\"purpose\":\"marketing\"");
        assert_eq!(c.post_json("/v1/reports", &other).0, 202);
        assert_eq!(count(&c)["count"], 7, "{name}: all purposes");
        let (_, body) = c.get("/v1/aggregates?site=shop.example&event=page_view&purpose=marketing");
        let agg: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!((agg["reports"].as_u64(), agg["count"].as_u64()), (Some(1), Some(5)), "{name}: {body}");
    }
}

#[test]
fn postgres_restart_is_survived() {
    let Some(pg) = Postgres::start() else { return };
    let c = Collector::start(&pg.url, &[]);
    assert_eq!(c.post_json("/v1/reports", &report(&uuid(500), 1)).0, 202);
    pg.restart();
    // A request may meet a connection that died with the old server (503); the next use of it reconnects.
    let mut statuses = Vec::new();
    for _ in 0..20 {
        let (status, _) = c.post_json("/v1/reports", &report(&uuid(501), 1));
        statuses.push(status);
        if status == 202 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    assert_eq!(statuses.last(), Some(&202), "{statuses:?}");
    assert_eq!(count(&c)["reports"], 2);
}

#[test]
fn serves_the_site_and_answers_json_under_v1() {
    let dir = common::temp_dir("static");
    std::fs::create_dir_all(dir.join("www/shop")).unwrap();
    std::fs::create_dir_all(dir.join("dist")).unwrap();
    std::fs::write(dir.join("www/shop/index.html"), "<h1>shop</h1>").unwrap();
    std::fs::write(dir.join("dist/candor_bg.wasm"), b"\0asm\x01\0\0\0").unwrap();
    std::fs::write(dir.join("dist/candor.js"), "window.x=1").unwrap();
    // Stand-ins for build.sh's precompressed copies: which one was sent shows in the body.
    std::fs::write(dir.join("dist/candor_bg.wasm.br"), "brotli-bytes").unwrap();
    std::fs::write(dir.join("dist/candor_bg.wasm.gz"), "gzip-bytes").unwrap();
    let www = dir.join("www").to_string_lossy().to_string();
    let dist = dir.join("dist").to_string_lossy().to_string();
    let c = Collector::start(&common::sqlite_db(), &["--www", &www, "--dist", &dist]);
    let get = |path: &str, accept: &str| {
        let mut s = std::net::TcpStream::connect(&c.addr).unwrap();
        use std::io::{Read, Write};
        write!(s, "GET {path} HTTP/1.1\r\nHost: x\r\n{accept}Connection: close\r\n\r\n").unwrap();
        let mut out = Vec::new();
        let _ = s.read_to_end(&mut out);
        String::from_utf8_lossy(&out).to_ascii_lowercase()
    };
    let head = |path: &str| get(path, "");
    let wasm = head("/candor/candor_bg.wasm");
    assert!(wasm.starts_with("http/1.1 200"), "{wasm}");
    assert!(wasm.contains("content-type: application/wasm"), "{wasm}");
    assert!(wasm.contains("cache-control: no-cache"), "{wasm}");
    assert!(!wasm.contains("content-encoding") && wasm.ends_with("\0asm\x01\0\0\0"), "plain when nothing is accepted: {wasm}");
    assert!(wasm.contains("vary: accept-encoding"), "{wasm}");
    // The precompressed copy the client accepts, brotli first, with the original's type.
    let br = get("/candor/candor_bg.wasm", "Accept-Encoding: gzip, deflate, br\r\n");
    assert!(br.contains("content-encoding: br") && br.ends_with("brotli-bytes"), "{br}");
    assert!(br.contains("content-type: application/wasm") && br.contains("vary: accept-encoding"), "{br}");
    let gz = get("/candor/candor_bg.wasm", "Accept-Encoding: gzip\r\n");
    assert!(gz.contains("content-encoding: gzip") && gz.ends_with("gzip-bytes"), "{gz}");
    // No copy: the file itself, whatever is accepted.
    let js = get("/candor/candor.js", "Accept-Encoding: br, gzip\r\n");
    assert!(!js.contains("content-encoding") && js.ends_with("window.x=1"), "{js}");
    assert!(head("/candor/candor.js").contains("javascript"));
    assert!(head("/shop/").contains("<h1>shop</h1>"), "index.html for a directory");
    assert!(head("/missing.html").starts_with("http/1.1 404"));
    // Names no file can have (too long for the file system): 404, not 500.
    let long = "a".repeat(253);
    for path in [format!("/{}", "a".repeat(256)), format!("/candor/{}.js", "a".repeat(256)), format!("/{}/x", "a".repeat(300)), "/a".repeat(2100)] {
        assert!(head(&path).starts_with("http/1.1 404"), "{}", &path[..40]);
    }
    assert!(get(&format!("/{long}"), "Accept-Encoding: br\r\n").starts_with("http/1.1 404"), "with room for .br");
    // A long file name in another script is measured in bytes, not in its %XX escapes.
    let name = "é".repeat(80);
    std::fs::write(dir.join("www").join(format!("{name}.html")), "<p>long").unwrap();
    let escaped: String = name.bytes().map(|b| format!("%{b:02X}")).collect();
    assert!(head(&format!("/{escaped}.html")).starts_with("http/1.1 200"), "160 bytes, 480 characters escaped");
    // Last-Modified only for a file not changed in the current second: a
    // change later in that second would have the same date (a 304 for a
    // changed config). A file dated ahead stands for one just written.
    let set_mtime = |name: &str, t: std::time::SystemTime| std::fs::File::options().write(true).open(dir.join("www").join(name)).unwrap().set_modified(t).unwrap();
    std::fs::write(dir.join("www/c.json"), "{}").unwrap();
    set_mtime("c.json", std::time::SystemTime::now() + std::time::Duration::from_secs(5));
    assert!(!head("/c.json").contains("last-modified"), "{}", head("/c.json"));
    set_mtime("c.json", std::time::SystemTime::now() - std::time::Duration::from_secs(60));
    let older = head("/c.json");
    assert!(older.contains("last-modified"), "{older}");
    // (`get` lowercases the answer: the date's words are capitalised back.)
    let date: Vec<String> = older.lines().find(|l| l.starts_with("last-modified:")).unwrap()["last-modified:".len()..]
        .split_whitespace()
        .map(|w| if w == "gmt" { "GMT".to_string() } else { w[..1].to_ascii_uppercase() + &w[1..] })
        .collect();
    let date = date.join(" ");
    assert!(get("/c.json", &format!("If-Modified-Since: {date}\r\n")).starts_with("http/1.1 304"));
    let (status, body) = c.get("/v1/nothing-here");
    assert_eq!((status, body.contains("\"error\"")), (404, true), "{body}");
    let (status, body) = c.get("/v1/reports");
    assert_eq!((status, body.contains("\"error\"")), (405, true), "{body}");
    let _ = std::fs::remove_dir_all(dir);
}

/// Posts `body` and expects a 400 whose JSON error starts with `field`.
fn rejected(c: &Collector, name: &str, body: &str, field: &str) {
    let (status, answer) = c.post_json("/v1/reports", body);
    assert_eq!(status, 400, "{name}: {answer} for {body}");
    let err: serde_json::Value = serde_json::from_str(&answer).unwrap_or_else(|_| panic!("{name}: JSON error body: {answer}"));
    let msg = err["error"].as_str().unwrap_or_default();
    assert!(msg.starts_with(field), "{name}: {msg:?} should start with {field:?}");
}

#[test]
fn huge_or_fractional_numbers_are_rejected_and_sums_stay_finite() {
    for (name, db, _pg) in backends() {
        let c = Collector::start(&db, &[]);
        let ok = report(&uuid(600), 1);
        // Two of these would overflow the sum to infinity, answered as `"count": null` ("withheld").
        rejected(&c, name, &ok.replace("\"count\":1", "\"count\":1e308"), "events.page_view.count: must be an integer between 0 and 1e9");
        rejected(&c, name, &ok.replace("\"count\":1", "\"count\":1000000001"), "events.page_view.count:");
        rejected(&c, name, &ok.replace("\"count\":1", "\"count\":1.5"), "events.page_view.count:");
        rejected(&c, name, &ok.replace("\"count\":1", "\"count\":-1"), "events.page_view.count:");
        rejected(&c, name, &ok.replace("\"/shop\":1", "\"/shop\":1e308"), "events.page_view.fields.path./shop:");
        rejected(&c, name, &ok.replace("[1,1,0]", "[1,1e308,0]"), "events.page_view.fields.load_ms[1]:");
        let with_sum = ok.replace("\"load_ms\":[1,1,0]", "\"load_ms\":[1,1,0],\"amount\":1e13");
        rejected(&c, name, &with_sum, "events.page_view.fields.amount: must be a number between -1e12 and 1e12");
        // With noise, negative whole numbers are fine; fractions and huge values are not.
        let noisy = ok.replace("\"noise\":null", "\"noise\":{\"mechanism\":\"geometric\",\"epsilon\":1}");
        rejected(&c, name, &noisy.replace("\"count\":1", "\"count\":-1e10"), "events.page_view.count: must be an integer between -1e9 and 1e9");
        rejected(&c, name, &noisy.replace("\"/shop\":1", "\"/shop\":-0.5"), "events.page_view.fields.path./shop:");
        let noisy_ok = noisy.replace("\"count\":1", "\"count\":-3").replace("\"load_ms\":[1,1,0]", "\"load_ms\":[1,-2,0],\"amount\":-12.5");
        assert_eq!(c.post_json("/v1/reports", &noisy_ok).0, 202, "{name}: noisy negatives");
        let max = report(&uuid(601), 1_000_000_000);
        assert_eq!(c.post_json("/v1/reports", &max).0, 202, "{name}: 1e9 is allowed");
        assert_eq!(c.post_json("/v1/reports", &report(&uuid(602), 1_000_000_000)).0, 202, "{name}");
        let agg = count(&c);
        assert_eq!(agg["reports"], 3, "{name}");
        assert_eq!(agg["count"], 1_999_999_997i64, "{name}: {agg}");
    }
}

#[test]
fn category_keys_are_checked() {
    for (name, db, _pg) in backends() {
        let c = Collector::start(&db, &[]);
        let ok = report(&uuid(610), 1);
        rejected(&c, name, &ok.replace("\"/shop\":1", "\"\\u0000<script>\":1"), "events.page_view.fields.path: category values must be");
        rejected(&c, name, &ok.replace("\"/shop\":1", "\"/a\\nb\":1"), "events.page_view.fields.path:");
        rejected(&c, name, &ok.replace("\"/shop\":1", "\"/\\u0085\":1"), "events.page_view.fields.path:");
        let long = format!("\"{}\":1", "x".repeat(129));
        rejected(&c, name, &ok.replace("\"/shop\":1", &long), "events.page_view.fields.path:");
        let many: Vec<String> = (0..66).map(|i| format!("\"/p{i}\":1")).collect();
        rejected(&c, name, &ok.replace("\"/shop\":1", &many.join(",")), "events.page_view.fields.path: must hold at most 65");
        let fine = format!("\"{}\":1,\"/caf\u{e9}\":1", "x".repeat(128));
        assert_eq!(c.post_json("/v1/reports", &ok.replace("\"/shop\":1", &fine)).0, 202, "{name}");
        assert_eq!(count(&c)["reports"], 1, "{name}: only the valid report is stored");
    }
}

#[test]
fn windows_from_the_future_are_rejected() {
    for (name, db, _pg) in backends() {
        let c = Collector::start(&db, &[]);
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
        let at = |start: u64| report(&uuid(620), 1).replace("1763800020", &(start - start % 60).to_string());
        rejected(&c, name, &at(now + 3 * 86_400), "window.start:");
        rejected(&c, name, &at(u64::MAX / 2 - 60), "window.start:");
        assert_eq!(c.post_json("/v1/reports", &at(now + 600)).0, 202, "{name}: some clock skew is tolerated");
    }
}

/// `(status, error message)` of an answer that must be JSON `{"error": "..."}`.
fn json_error(c: &Collector, method: &str, path: &str) -> (u16, String) {
    let (status, body) = c.request(method, path, None, b"");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap_or_else(|_| panic!("{method} {path}: JSON error body: {body:?}"));
    (status, v["error"].as_str().unwrap_or_else(|| panic!("{method} {path}: {body}")).to_string())
}

#[test]
fn extractor_rejections_and_unknown_routes_answer_json() {
    let c = Collector::start(&common::sqlite_db(), &[]);
    // A path is checked before its segments are decoded for the route.
    for (method, path, why) in [
        ("GET", "/v1/receipts/%FF", "must be valid UTF-8"),
        ("DELETE", "/v1/receipts/%FF", "must be valid UTF-8"),
        ("GET", "/v1/revisions/%FF?site=shop.example", "must be valid UTF-8"),
        ("GET", "/v1/revisions/%00x?site=shop.example", "must not contain control characters"),
        ("GET", "/v1/revisions/%zz?site=shop.example", "every % must start an escape"),
        ("GET", "/v1/revisions/%2?site=shop.example", "every % must start an escape"),
    ] {
        let (status, msg) = json_error(&c, method, path);
        assert_eq!((status, msg.starts_with("path: ") && msg.contains(why)), (400, true), "{method} {path}: {msg}");
    }
    let (status, msg) = json_error(&c, "GET", "/v1/receipts/not-a-uuid");
    assert_eq!((status, msg.starts_with("receipt_id:")), (400, true), "{msg}");
    // A repeated parameter is ambiguous: which site?
    let (status, msg) = json_error(&c, "GET", "/v1/aggregates?site=shop.example&site=blog.example&event=page_view");
    assert_eq!((status, msg.starts_with("query:")), (400, true), "{msg}");
    let (status, msg) = json_error(&c, "GET", "/v1/revisions/r1?site=a&site=b");
    assert_eq!((status, msg.starts_with("query:")), (400, true), "{msg}");
    // A site no report could name (`--sites` is split at commas; configs have no white space).
    for site in ["has%20space", "a,b", "a%2Cb", "x+y"] {
        let (status, msg) = json_error(&c, "GET", &format!("/v1/aggregates?site={site}&event=page_view"));
        assert_eq!((status, msg.starts_with("site: not a site name")), (400, true), "{site}: {msg}");
    }
    // Unknown parameters (cache busters) are still fine.
    assert_eq!(c.get("/v1/aggregates?site=shop.example&event=page_view&t=123").0, 200);
    for path in ["/v1", "/v1/", "/v1/nothing/here"] {
        assert_eq!(json_error(&c, "GET", path).0, 404, "{path}");
    }
    assert_eq!(json_error(&c, "DELETE", "/v1/aggregates?site=shop.example").0, 405);
    assert_eq!(json_error(&c, "PUT", "/v1/receipts/0b7c6a52-1d2e-4f3a-9b8c-7d6e5f4a3b2c").0, 405);
    assert_eq!(json_error(&c, "GET", "/v1/reports").0, 405);
    assert_eq!(json_error(&c, "POST", "/healthz").0, 405);
    assert_eq!(json_error(&c, "DELETE", "/healthz").0, 405);
}

#[test]
fn bodies_that_are_not_objects_name_the_body() {
    let c = Collector::start(&common::sqlite_db(), &[]);
    for body in ["[]", "1", "null", "\"x\""] {
        rejected(&c, "sqlite", body, "body: must be an object");
        let (status, answer) = c.post_json("/v1/receipts", body);
        assert_eq!((status, answer.contains("\"body: must be an object\"")), (400, true), "{answer}");
    }
    // Nesting beyond the JSON parser's depth limit is a 400, not a crash.
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    rejected(&c, "sqlite", &deep, "body: not valid JSON");
    assert_eq!(c.get("/healthz").0, 200);
}

#[test]
fn receipts_from_the_future_are_rejected() {
    let c = Collector::start(&common::sqlite_db(), &[]);
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let mut r = receipt(&uuid(700));
    r["timestamp"] = (now + 3 * 86_400).into();
    let (status, body) = c.post_json("/v1/receipts", &r.to_string());
    assert_eq!((status, body.contains("\"timestamp:")), (400, true), "{body}");
    r["timestamp"] = (now + 60).into();
    assert_eq!(c.post_json("/v1/receipts", &r.to_string()).0, 202, "a little clock skew is fine");
}

#[test]
fn content_type_is_case_insensitive() {
    let c = Collector::start(&common::sqlite_db(), &[]);
    let (status, body) = c.request("POST", "/v1/reports", Some("Application/JSON; charset=UTF-8"), report(&uuid(710), 1).as_bytes());
    assert_eq!(status, 202, "{body}");
    // `utf8` is a label of UTF-8 too (WHATWG Encoding); before, it was refused with 415.
    let (status, body) = c.request("POST", "/v1/reports", Some("application/json; charset=\"utf8\""), report(&uuid(711), 1).as_bytes());
    assert_eq!(status, 202, "{body}");
}

/// Clients that stall (headers or body half sent) are cut off: the body one
/// with a 408, the headers one by closing the connection; then SIGTERM
/// exits at once. Before, both held their connection (and a file
/// descriptor) for ever, and SIGTERM waited for them.
#[test]
fn stalled_clients_are_cut_off_and_do_not_hold_shutdown() {
    use std::io::{Read, Write};
    let c = Collector::start(&common::sqlite_db(), &[]);
    let mut headers = std::net::TcpStream::connect(&c.addr).unwrap();
    headers.write_all(b"POST /v1/reports HTTP/1.1\r\nHost: x\r\nContent-Ty").unwrap();
    let mut body = std::net::TcpStream::connect(&c.addr).unwrap();
    body.write_all(b"POST /v1/reports HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"report").unwrap();
    for s in [&headers, &body] {
        s.set_read_timeout(Some(std::time::Duration::from_secs(30))).unwrap();
    }
    let mut answer = String::new();
    body.read_to_string(&mut answer).ok();
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains(r#""error":"body: not received within 10 s""#), "{answer}");
    let mut rest = Vec::new();
    let n = headers.read_to_end(&mut rest).unwrap_or(0);
    assert!(n == 0 || String::from_utf8_lossy(&rest).starts_with("HTTP/1.1 408"), "the half-sent headers' connection is closed: {rest:?}");
    assert_eq!(c.get("/healthz").0, 200, "others were served meanwhile");
    let _hold = std::net::TcpStream::connect(&c.addr).unwrap();
    assert_eq!(c.terminate(), Some(0), "SIGTERM exits (an idle connection does not hold it)");
}

#[test]
fn broken_bodies_are_400_not_413() {
    let c = Collector::start(&common::sqlite_db(), &[]);
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(&c.addr).unwrap();
    s.write_all(b"POST /v1/reports HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\nzz\r\n{}\r\n0\r\n\r\n").unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).ok();
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(answer.contains("body: could not be read"), "{answer}");
}

#[test]
fn flags_that_cannot_work_are_refused_at_start() {
    let run = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_candor-collector"))
            .args(["--listen", "127.0.0.1:0", "--sites", "shop.example"])
            .args(args)
            .output()
            .unwrap();
        (out.status.code(), String::from_utf8_lossy(&out.stderr).to_string())
    };
    let (code, err) = run(&["--db", ""]);
    assert_eq!(code, Some(1));
    assert!(err.contains("--db (CANDOR_DB): must be a file path"), "{err}");
    let (code, err) = run(&["--db", &common::sqlite_db(), "--cors-origin", "https://shop.example/"]);
    assert_eq!(code, Some(1));
    assert!(err.contains("--cors-origin (CANDOR_CORS_ORIGIN): \"https://shop.example/\" is not an origin"), "{err}");
    // Spellings a browser never sends: they would never match.
    let (code, err) = run(&["--db", &common::sqlite_db(), "--cors-origin", "https://shop.example:443"]);
    assert_eq!(code, Some(1));
    assert!(err.contains("is not spelt as browsers send it"), "{err}");
    // A site no report can be read back for.
    let (code, err) = run(&["--db", &common::sqlite_db(), "--sites", "shop example"]);
    assert_eq!(code, Some(1));
    assert!(err.contains("--sites (CANDOR_SITES): \"shop example\" is not a site name"), "{err}");
    // "*" is any origin (it made tower-http panic before).
    let c = Collector::start(&common::sqlite_db(), &["--cors-origin", "*"]);
    assert_eq!(c.get("/healthz").0, 200);
}

/// The sum kept between requests adds what was stored since, also by
/// another process on the same SQLite file or PostgreSQL database.
#[test]
fn kept_sums_see_reports_stored_since_by_any_process() {
    for (name, db, _pg) in backends() {
        let (a, b) = (Collector::start(&db, &[]), Collector::start(&db, &[]));
        assert_eq!(a.post_json("/v1/reports", &report(&uuid(300), 2)).0, 202);
        assert_eq!(count(&a)["count"], 2, "{name}");
        assert_eq!(b.post_json("/v1/reports", &report(&uuid(301), 5)).0, 202);
        assert_eq!(count(&a)["count"], 7, "{name}: a report the other process stored");
        assert_eq!(a.post_json("/v1/reports", &report(&uuid(302), 1)).0, 202);
        assert_eq!(count(&a)["count"], 8, "{name}");
        assert_eq!(count(&b)["count"], 8, "{name}");
    }
}

/// PostgreSQL hands out transaction ids before commit, so a row with a
/// lower id can become visible after one with a higher id. A kept sum that
/// moved past the higher one must still count the lower one once it lands.
#[test]
fn postgres_sums_count_a_row_committed_after_a_newer_one() {
    let Some(pg) = Postgres::start() else { return };
    let c = Collector::start(&pg.url, &[]);
    assert_eq!(c.post_json("/v1/reports", &report(&uuid(400), 1)).0, 202);
    assert_eq!(count(&c)["count"], 1);
    // Another writer's transaction takes its id and stays open.
    let mut late = pg.psql();
    let mut input = late.stdin.take().unwrap();
    let mut output = std::io::BufReader::new(late.stdout.take().unwrap());
    let body = report(&uuid(401), 10).replace('\'', "''");
    use std::io::{BufRead, Write};
    writeln!(
        input,
        "BEGIN; INSERT INTO reports (report_id, site, purpose, window_start, body) \
         VALUES ('{}', 'shop.example', 'analytics', 1763800020, '{body}'); SELECT 'inserted';",
        uuid(401)
    )
    .unwrap();
    let mut line = String::new();
    output.read_line(&mut line).unwrap();
    assert_eq!(line.trim(), "inserted");
    // Newer reports commit and are summed (and the sum is kept) meanwhile.
    for i in 0..3 {
        assert_eq!(c.post_json("/v1/reports", &report(&uuid(402 + i), 100)).0, 202);
        assert_eq!(count(&c)["count"], 1 + 100 * (i + 1), "the open transaction's row is not visible yet");
    }
    writeln!(input, "COMMIT;").unwrap();
    drop(input);
    assert!(late.wait().unwrap().success());
    assert_eq!(count(&c)["count"], 311, "the older row, committed last, is counted");
    assert_eq!(count(&c)["count"], 311, "once");
    assert_eq!(count(&c)["reports"], 5);
}

/// A PostgreSQL database made by an earlier version (no transaction-id
/// column) is upgraded at start, and the reports already in it are summed.
#[test]
fn postgres_reports_stored_before_the_upgrade_are_summed() {
    let Some(pg) = Postgres::start() else { return };
    let mut old = pg.psql();
    let mut input = old.stdin.take().unwrap();
    use std::io::Write;
    writeln!(
        input,
        "CREATE TABLE reports (report_id TEXT PRIMARY KEY, site TEXT NOT NULL, purpose TEXT NOT NULL, \
         window_start BIGINT NOT NULL, body TEXT NOT NULL); \
         INSERT INTO reports VALUES ('{}', 'shop.example', 'analytics', 1763800020, '{}');",
        uuid(500),
        report(&uuid(500), 4)
    )
    .unwrap();
    drop(input);
    assert!(old.wait().unwrap().success());
    let c = Collector::start(&pg.url, &[]);
    assert_eq!(count(&c)["count"], 4);
    assert_eq!(c.post_json("/v1/reports", &report(&uuid(501), 3)).0, 202);
    assert_eq!(count(&c)["count"], 7);
    drop(c);
    let c = Collector::start(&pg.url, &[]);
    assert_eq!(count(&c)["count"], 7, "after a restart too");
}

/// Two processes on one SQLite file: a receipt is posted to one while the
/// other erases its id. Whichever lands first, once both have answered the
/// erase has won: the receipt is not stored. (Before the erased-id check and
/// the insert ran in one write transaction, about 1 in 100 such pairs left
/// the receipt stored.)
#[test]
fn an_erase_through_another_process_always_wins() {
    let db = common::sqlite_db();
    let (a, b) = (Collector::start(&db, &[]), Collector::start(&db, &[]));
    let base = receipt(&uuid(0));
    let stored: Vec<String> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..8u32)
            .map(|t| {
                let (a, b, base) = (&a.addr, &b.addr, &base);
                s.spawn(move || {
                    let mut stored = Vec::new();
                    for i in 0..250 {
                        let id = uuid(10_000 + t * 1_000 + i);
                        let mut r = base.clone();
                        r["receipt_id"] = id.clone().into();
                        let body = r.to_string();
                        let (post, erase) = std::thread::scope(|s| {
                            let post = s.spawn(|| common::request(a, "POST", "/v1/receipts", Some("application/json"), body.as_bytes()).0);
                            let erase = s.spawn(|| common::request(b, "DELETE", &format!("/v1/receipts/{id}"), None, b"").0);
                            (post.join().unwrap(), erase.join().unwrap())
                        });
                        assert!(matches!(post, 202 | 410) && matches!(erase, 204 | 404), "{id}: POST {post}, DELETE {erase}");
                        if common::request(a, "GET", &format!("/v1/receipts/{id}"), None, b"").0 != 404 {
                            stored.push(format!("{id} (POST {post}, DELETE {erase})"));
                        }
                    }
                    stored
                })
            })
            .collect();
        workers.into_iter().flat_map(|w| w.join().unwrap()).collect()
    });
    assert!(stored.is_empty(), "{} of 2000 erased receipts still stored: {:?}", stored.len(), &stored[..stored.len().min(5)]);
}

/// A PostgreSQL server that refuses the database: the collector stops and
/// says why (the server's own words, which tokio-postgres keeps in the
/// error's cause), without the password it was given.
#[test]
fn a_postgres_refusal_is_named_at_start() {
    let Some(pg) = Postgres::start() else { return };
    let server = pg.url.rsplit_once('/').unwrap().0.replace("postgres@", "postgres:hunter2@");
    let url = format!("{server}/no_such_db");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_candor-collector"))
        .args(["--listen", "127.0.0.1:0", "--sites", "shop.example", "--db", &url])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("database \"no_such_db\" does not exist"), "{err}");
    assert!(!err.contains("hunter2"), "{err}");
}

/// Sends `head` (request line and headers, without the blank line) and `body` as they are.
fn raw(c: &Collector, head: &str, body: &[u8]) -> (u16, String) {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(&c.addr).unwrap();
    s.write_all(format!("{head}\r\nHost: {}\r\nConnection: close\r\n\r\n", c.addr).as_bytes()).unwrap();
    let _ = s.write_all(body);
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    let text = String::from_utf8_lossy(&out).to_string();
    let status = text.split_whitespace().nth(1).and_then(|x| x.parse().ok()).unwrap_or(0);
    (status, text.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default())
}

#[test]
fn a_body_it_would_misread_is_refused_with_what_to_change() {
    let c = Collector::start(&common::sqlite_db(), &[]);
    let ok = report(&uuid(9), 1);
    let len = ok.len();
    let cases = [
        (format!("POST /v1/reports HTTP/1.1\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\nContent-Length: {len}"), 415, "Content-Encoding: "),
        (format!("POST /v1/reports HTTP/1.1\r\nContent-Type: application/json; charset=iso-8859-1\r\nContent-Length: {len}"), 415, "Content-Type: charset"),
        (format!("POST /v1/reports?key=%zz HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: {len}"), 400, "query: "),
    ];
    for (head, want, error) in cases {
        let (status, body) = raw(&c, &head, ok.as_bytes());
        assert_eq!(status, want, "{head}: {body}");
        assert!(body.starts_with(&format!("{{\"error\":\"{error}")), "{head}: {body}");
    }
    assert_eq!(count(&c)["reports"], 0, "nothing stored");
    // Declared too large: refused at once, before any of it is read.
    let (status, body) = raw(&c, "POST /v1/reports HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 10000000000", b"");
    assert_eq!(status, 413, "{body}");
    // The same body, plainly: stored.
    let (status, body) = raw(&c, &format!("POST /v1/reports HTTP/1.1\r\nContent-Type: application/json; charset=UTF-8\r\nContent-Length: {len}"), ok.as_bytes());
    assert_eq!(status, 202, "{body}");
}

#[test]
fn aggregates_refuse_names_no_report_can_hold() {
    let c = Collector::start(&common::sqlite_db(), &[]);
    let long_event = format!("e{}", "x".repeat(64));
    let long_site = "s".repeat(254);
    for (q, field) in [
        (format!("site=shop.example&event={long_event}"), "event: "),
        ("site=shop.example&event=1st".to_string(), "event: "),
        ("site=shop.example&purpose=Stats&event=page_view".to_string(), "purpose: "),
        (format!("site={long_site}&event=page_view"), "site: "),
    ] {
        let (status, body) = c.get(&format!("/v1/aggregates?{q}"));
        assert_eq!(status, 400, "{q}: {body}");
        assert!(body.starts_with(&format!("{{\"error\":\"{field}")), "{q}: {body}");
    }
    assert_eq!(c.get("/v1/aggregates?site=shop.example&event=page_view").0, 200);
}

#[test]
fn a_database_file_it_may_only_read_is_refused_at_start() {
    let db = common::sqlite_db();
    drop(Collector::start(&db, &[]));
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_candor-collector"))
        .args(["--listen", "127.0.0.1:0", "--sites", "shop.example", "--db", &format!("file:{db}?mode=ro")])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("the database file is read-only"), "{err}");
}

/// A report of event `mix` whose one field, the sum `s`, holds `s`.
fn mix(id: &str, s: f64) -> String {
    format!(
        r#"{{"report_id":"{id}","site":"shop.example","revision":"r1","purpose":"analytics","window":{{"start":1763800020,"seconds":60}},
        "events":{{"mix":{{"count":1,"fields":{{"s":{s:?}}}}}}},"noise":null,"sdk":"candor/0.1.0"}}"#
    )
}

/// Stores `n` reports of `mix` with `s` = `x`, ids `uuid(first..)`, straight
/// into the database in one transaction (18,000 POSTs would take long).
fn store_mixes(db: &str, pg: Option<&Postgres>, first: u32, n: u32, x: f64) {
    match pg {
        None => {
            let mut conn = rusqlite::Connection::open(db).unwrap();
            conn.busy_timeout(std::time::Duration::from_secs(10)).unwrap();
            let tx = conn.transaction().unwrap();
            for i in first..first + n {
                tx.execute(
                    "INSERT INTO reports (report_id, site, purpose, window_start, body) VALUES (?1, 'shop.example', 'analytics', 1763800020, ?2)",
                    [&uuid(i), &mix(&uuid(i), x)],
                )
                .unwrap();
            }
            tx.commit().unwrap();
        }
        Some(pg) => {
            use std::io::Write;
            let mut psql = pg.psql();
            let id = "lpad(to_hex(g), 8, '0') || '-1d2e-4f3a-9b8c-7d6e5f4a3b2c'";
            writeln!(
                psql.stdin.take().unwrap(),
                "INSERT INTO reports (report_id, site, purpose, window_start, body) \
                 SELECT {id}, 'shop.example', 'analytics', 1763800020, replace('{}', 'ID', {id}) FROM generate_series({first}, {}) g;",
                mix("ID", x),
                first + n - 1
            )
            .unwrap();
            assert!(psql.wait().unwrap().success());
        }
    }
}

/// Totals are exact; only the value shown saturates at 2^53 - 1. 9,104
/// reports of +1e12, then 9,104 of -1e12, total 0: before, each addition
/// saturated, so the total depended on the order (-96800745259009 on
/// SQLite), and a kept sum saturated for good.
#[test]
fn totals_are_exact_and_only_the_shown_value_saturates() {
    for (name, db, pg) in backends() {
        let c = Collector::start(&db, &[]);
        let s = |c: &Collector| {
            let (status, body) = c.get("/v1/aggregates?site=shop.example&event=mix");
            assert_eq!(status, 200, "{name}: {body}");
            let agg: serde_json::Value = serde_json::from_str(&body).unwrap();
            (agg["reports"].as_u64().unwrap_or(0), agg["fields"]["s"].clone())
        };
        store_mixes(&db, pg.as_ref(), 100_000, 9_104, 1e12);
        assert_eq!(s(&c), (9_104, serde_json::json!(9_007_199_254_740_991i64)), "{name}: 9.104e15 is shown as 2^53 - 1");
        // The sum kept from that answer goes on from 9.104e15, not from 2^53 - 1.
        store_mixes(&db, pg.as_ref(), 200_000, 9_104, -1e12);
        assert_eq!(s(&c), (18_208, serde_json::json!(0)), "{name}");
        assert_eq!(c.post_json("/v1/reports", &mix(&uuid(300_000), 2.5)).0, 202, "{name}");
        assert_eq!(s(&c), (18_209, serde_json::json!(2.5)), "{name}");
        // Summed afresh, in the order stored.
        drop(c);
        assert_eq!(s(&Collector::start(&db, &[])), (18_209, serde_json::json!(2.5)), "{name}: after a restart");
    }
}

/// `(status, Retry-After, error message)` of an answer that must be a 503
/// with a JSON `{error}` body.
fn unavailable(a: &common::Answer) -> (u16, Option<String>, String) {
    let err: serde_json::Value = serde_json::from_str(&a.body).unwrap_or_else(|_| panic!("JSON error body: {}\n{}", a.head, a.body));
    (a.status, a.header("retry-after").map(str::to_string), err["error"].as_str().unwrap_or_default().to_string())
}

/// The database file removed (with its -wal and -shm), replaced, or its
/// -wal alone removed while the collector runs: SQLite goes on with the
/// files it has open, which no path names any more. Before, every POST was
/// still answered 202 (and lost). Now nothing is answered as stored, or
/// served from them: 503 naming the problem, with Retry-After, and the
/// log names the file.
#[test]
fn a_removed_or_replaced_sqlite_file_is_never_answered_as_stored() {
    let json = [("Content-Type", "application/json")];
    for how in ["removed", "replaced", "wal removed"] {
        let db = common::sqlite_db();
        let log = std::path::PathBuf::from(format!("{db}.log"));
        let c = Collector::start_logging_to(&db, &[], &log);
        let r = receipt(&uuid(900));
        assert_eq!(c.post_json("/v1/reports", &report(&uuid(900), 1)).0, 202, "{how}");
        assert_eq!(c.post_json("/v1/receipts", &r.to_string()).0, 202, "{how}");
        match how {
            "removed" => {
                for f in ["", "-wal", "-shm"] {
                    std::fs::remove_file(format!("{db}{f}")).unwrap();
                }
            }
            // A copy (a backup restored, say) put in its place.
            "replaced" => {
                std::fs::copy(&db, format!("{db}.copy")).unwrap();
                std::fs::rename(format!("{db}.copy"), &db).unwrap();
            }
            _ => std::fs::remove_file(format!("{db}-wal")).unwrap(),
        }
        let mut other = r.clone();
        other["receipt_id"] = uuid(901).into();
        let requests = [
            ("POST", "/v1/reports".to_string(), report(&uuid(901), 1)),
            ("POST", "/v1/reports".to_string(), report(&uuid(900), 1)),
            ("POST", "/v1/receipts".to_string(), other.to_string()),
            ("POST", "/v1/receipts".to_string(), r.to_string()),
            ("DELETE", format!("/v1/receipts/{}", uuid(900)), String::new()),
            ("GET", format!("/v1/receipts/{}", uuid(900)), String::new()),
            ("GET", "/v1/aggregates?site=shop.example&event=page_view".to_string(), String::new()),
        ];
        for (method, path, body) in &requests {
            let headers: &[(&str, &str)] = if body.is_empty() { &[] } else { &json };
            let (status, retry, error) = unavailable(&common::send(&c.addr, method, path, headers, body.as_bytes()));
            assert_eq!((status, retry.as_deref()), (503, Some("10")), "{how}: {method} {path}: {error}");
            assert!(error.contains("the database file was removed or replaced"), "{how}: {method} {path}: {error}");
        }
        // Health says so too: a load balancer takes the instance out.
        let (status, retry, _) = unavailable(&common::send(&c.addr, "GET", "/healthz", &[], b""));
        assert_eq!((status, retry.as_deref()), (503, Some("10")), "{how}: /healthz");
        let logged = std::fs::read_to_string(&log).unwrap();
        let named = if how == "wal removed" { format!("{db}-wal was removed") } else { format!("{db} was {how}") };
        assert!(logged.contains(&named), "{how}: the log names the file: {logged}");
        assert_eq!(c.terminate(), Some(0), "{how}");
        let _ = std::fs::remove_file(&log);
    }
}

/// Every 503 carries Retry-After (which the SDK honours and `--cors-origin`
/// exposes), here with PostgreSQL stopped, on every route that uses it.
#[test]
fn storage_trouble_is_a_503_with_retry_after() {
    let Some(pg) = Postgres::start() else { return };
    let c = Collector::start(&pg.url, &["--cors-origin", "https://shop.example"]);
    assert_eq!(c.post_json("/v1/reports", &report(&uuid(950), 1)).0, 202);
    pg.stop();
    let id = uuid(951);
    let requests = [
        ("POST", "/v1/reports".to_string(), report(&id, 1)),
        ("POST", "/v1/receipts".to_string(), receipt(&id).to_string()),
        ("GET", format!("/v1/receipts/{id}"), String::new()),
        ("DELETE", format!("/v1/receipts/{id}"), String::new()),
        ("GET", "/v1/revisions/r1?site=shop.example".to_string(), String::new()),
        ("GET", "/v1/aggregates?site=shop.example&event=page_view".to_string(), String::new()),
        ("GET", "/v1/aggregates?site=shop.example".to_string(), String::new()),
    ];
    for (method, path, body) in &requests {
        let a = common::send(&c.addr, method, path, &[("Content-Type", "application/json"), ("Origin", "https://shop.example")], body.as_bytes());
        let (status, retry, error) = unavailable(&a);
        assert_eq!((status, retry.as_deref()), (503, Some("10")), "{method} {path}: {}", a.head);
        assert_eq!(error, "storage unavailable; try again later", "{method} {path}");
        let exposed = a.header("access-control-expose-headers").unwrap_or_default().to_ascii_lowercase();
        assert!(exposed.contains("retry-after"), "{method} {path}: {}", a.head);
    }
}

/// A PostgreSQL server that hangs (or a network that cut it off) answers
/// nothing: requests are answered 503 with Retry-After within the SDK's
/// 10 s, `/healthz` says so, and both recover once it answers again,
/// counting each report once.
#[test]
fn a_frozen_postgres_is_a_503_within_10_s_and_healthz_says_so() {
    let Some(pg) = Postgres::start() else { return };
    let c = Collector::start(&pg.url, &[]);
    assert_eq!(c.post_json("/v1/reports", &report(&uuid(960), 1)).0, 202);
    assert_eq!(c.get("/healthz"), (200, "ok".to_string()));
    pg.freeze(true);
    // Asked before any request failed: health asks the database itself (at most once a second).
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let (status, _, _) = unavailable(&common::send(&c.addr, "GET", "/healthz", &[], b""));
    assert_eq!(status, 503, "/healthz before any failed request");
    let started = std::time::Instant::now();
    let a = common::send(&c.addr, "POST", "/v1/reports", &[("Content-Type", "application/json")], report(&uuid(961), 1).as_bytes());
    let waited = started.elapsed();
    let (status, retry, error) = unavailable(&a);
    assert_eq!((status, retry.as_deref(), error.as_str()), (503, Some("10"), "storage unavailable; try again later"));
    assert!(waited < std::time::Duration::from_secs(10), "answered after {waited:?}");
    let (status, retry, _) = unavailable(&common::send(&c.addr, "GET", "/healthz", &[], b""));
    assert_eq!((status, retry.as_deref()), (503, Some("10")), "/healthz");
    pg.freeze(false);
    let mut statuses = Vec::new();
    for _ in 0..40 {
        let (status, _) = c.post_json("/v1/reports", &report(&uuid(961), 1));
        statuses.push(status);
        if status == 202 || status == 200 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(250));
    }
    assert!(matches!(statuses.last(), Some(200 | 202)), "{statuses:?}");
    assert_eq!(c.get("/healthz"), (200, "ok".to_string()));
    assert_eq!(count(&c)["reports"], 2, "each report once");
}

/// A report of one `purchase` of `amount`, for `purpose`.
fn purchase(id: &str, purpose: &str, amount: f64) -> String {
    serde_json::json!({"report_id": id, "site": "shop.example", "revision": "r1", "purpose": purpose,
        "window": {"start": 1763800020, "seconds": 60}, "events": {"purchase": {"count": 1, "fields": {"amount": amount}}},
        "noise": null, "sdk": "candor/0.1.0"})
    .to_string()
}

/// The answer over every purpose withholds what the answer for one purpose
/// withholds, kept sums included: before, with `--min-reports 3`, three
/// analytics purchases of 1 and one marketing purchase of 123 showed an
/// amount of 126 over all purposes and 3 for analytics: 126 - 3 was the
/// one marketing visitor's 123, withheld under `&purpose=marketing`.
#[test]
fn the_answer_over_all_purposes_withholds_what_one_purpose_withholds() {
    for (name, db, _pg) in backends() {
        let c = Collector::start(&db, &["--min-reports", "3"]);
        let get = |extra: &str| -> serde_json::Value {
            let (status, body) = c.get(&format!("/v1/aggregates?site=shop.example&event=purchase{extra}"));
            assert_eq!(status, 200, "{name}: {body}");
            serde_json::from_str(&body).unwrap()
        };
        let shown = |a: &serde_json::Value| (a["reports"].clone(), a["count"].clone(), a["fields"].clone());
        use serde_json::{json, Value::Null};
        for i in 0..3 {
            assert_eq!(c.post_json("/v1/reports", &purchase(&uuid(700 + i), "analytics", 1.0)).0, 202, "{name}");
        }
        assert_eq!(shown(&get("")), (json!(3), json!(3), json!({"amount": 3})), "{name}: one purpose so far (and a sum kept)");
        assert_eq!(c.post_json("/v1/reports", &purchase(&uuid(703), "marketing", 123.0)).0, 202, "{name}");
        assert_eq!(shown(&get("&purpose=marketing")), (json!(1), Null, json!({})), "{name}");
        assert_eq!(shown(&get("&purpose=analytics")), (json!(3), json!(3), json!({"amount": 3})), "{name}");
        assert_eq!(shown(&get("")), (json!(4), Null, json!({})), "{name}: the marketing count is one report's");
        // Two more marketing purchases of 0: marketing's count is backed
        // three times now, its amount still once.
        for i in 4..6 {
            assert_eq!(c.post_json("/v1/reports", &purchase(&uuid(700 + i), "marketing", 0.0)).0, 202, "{name}");
        }
        assert_eq!(shown(&get("&purpose=marketing")), (json!(3), json!(3), json!({})), "{name}");
        assert_eq!(shown(&get("")), (json!(6), json!(6), json!({})), "{name}: the amount holds one marketing report");
        drop(c);
        let c = Collector::start(&db, &["--min-reports", "3"]);
        let (_, body) = c.get("/v1/aggregates?site=shop.example&event=purchase");
        let a: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(shown(&a), (json!(6), json!(6), json!({})), "{name}: summed afresh");
    }
}

/// A report of event `wide` with `fields`.
fn wide(id: &str, fields: serde_json::Value) -> String {
    serde_json::json!({"report_id": id, "site": "shop.example", "revision": "r1", "purpose": "analytics",
        "window": {"start": 1763800020, "seconds": 60}, "events": {"wide": {"count": 1, "fields": fields}},
        "noise": null, "sdk": "candor/0.1.0"})
    .to_string()
}

/// What one sum holds is bounded: a category field past 1,024 distinct
/// values is withheld whole (before, every new value was kept and
/// answered: 8,000 reports of new values took 2.4 GB and answered 61 MB),
/// and an event keeps at most 64 field names.
#[test]
fn category_values_and_field_names_past_the_bounds_are_not_kept() {
    for (name, db, _pg) in backends() {
        let c = Collector::start(&db, &[]);
        let get = || -> (usize, serde_json::Value) {
            let (status, body) = c.get("/v1/aggregates?site=shop.example&event=wide");
            assert_eq!(status, 200, "{name}: {body}");
            (body.len(), serde_json::from_str(&body).unwrap())
        };
        // 65 new values a report (the most one may hold): 15 reports hold 975.
        let tags = |r: u32| -> serde_json::Value { (0..65).map(|j| (format!("r{r}v{j}"), serde_json::json!(1))).collect() };
        for r in 0..15 {
            assert_eq!(c.post_json("/v1/reports", &wide(&uuid(800 + r), serde_json::json!({"tag": tags(r), "path": {"/": 1}}))).0, 202, "{name}");
        }
        let (_, a) = get();
        assert_eq!(a["fields"]["tag"].as_object().map(|m| m.len()), Some(975), "{name}");
        for r in 15..20 {
            assert_eq!(c.post_json("/v1/reports", &wide(&uuid(800 + r), serde_json::json!({"tag": tags(r), "path": {"/": 1}}))).0, 202, "{name}");
        }
        let (size, a) = get();
        let names: Vec<&String> = a["fields"].as_object().unwrap().keys().collect();
        assert_eq!(names, ["path"], "{name}: 1,300 values, past 1,024: tag is withheld whole");
        assert_eq!((a["fields"]["path"].clone(), size < 200), (serde_json::json!({"/": 20}), true), "{name}: {size} bytes");
        // 16 new sum fields a report (the most one may hold): 5 reports name 80.
        for r in 0..5u32 {
            let fields: serde_json::Value = (0..16).map(|j| (format!("f{:03}", r * 16 + j), serde_json::json!(1))).collect();
            assert_eq!(c.post_json("/v1/reports", &wide(&uuid(900 + r), fields)).0, 202, "{name}");
        }
        // 64 names kept: tag (withheld), path and 62 of the others.
        let (_, a) = get();
        let fields = a["fields"].as_object().unwrap();
        assert_eq!((fields.len(), fields.contains_key("path"), fields.contains_key("tag")), (63, true, false), "{name}");
    }
}
