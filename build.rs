//! The built-in locales and the prompt's stylesheet, as the wasm carries
//! them (see [`locales`]). The stylesheet: `src/shell/prompt.css`
//! without its comments and the white space a browser ignores (about 2 KB
//! raw, 0.8 KB brotli of the shipped wasm). Quoted strings are copied as
//! they are; a run of white space elsewhere becomes one space, or none next
//! to `{`, `}`, `;`, `,` and `>`, where CSS never needs it.

use std::{env, fs, path::Path};

fn main() {
    let source = "src/shell/prompt.css";
    println!("cargo:rerun-if-changed={source}");
    let css = fs::read_to_string(source).expect("src/shell/prompt.css is readable");
    let out_dir = env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    fs::write(Path::new(&out_dir).join("prompt.css"), minify(&css)).expect("OUT_DIR is writable");
    fs::write(Path::new(&out_dir).join("locales.rs"), locales()).expect("OUT_DIR is writable");
}

/// The built-in locales (`pkg-config/locales/<lang>.json`) as the wasm
/// carries them: the ids once (`LOCALE_KEYS`, sorted), then per language
/// its strings in that order, joined by U+001F. The JSON's keys, repeated
/// in every language, were 10 KB raw and about 1 KB brotli of the wasm.
fn locales() -> String {
    const LANGS: [&str; 8] = ["en", "de", "fr", "es", "it", "nl", "pt", "pl"];
    let read = |lang: &str| -> std::collections::BTreeMap<String, String> {
        let path = format!("pkg-config/locales/{lang}.json");
        println!("cargo:rerun-if-changed={path}");
        let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: an object of strings: {e}"))
    };
    let keys: Vec<String> = read("en").into_keys().collect();
    let mut out = format!("/// The ids of the built-in strings, in the order of [`BUILTIN`]'s.\npub const LOCALE_KEYS: &[&str] = &{keys:?};\n");
    out.push_str("/// Built-in locales: (language, its strings in [`LOCALE_KEYS`] order, joined by U+001F).\npub const BUILTIN: &[(&str, &str)] = &[\n");
    for lang in LANGS {
        let strings = read(lang);
        assert!(strings.keys().eq(keys.iter()), "pkg-config/locales/{lang}.json must have exactly en.json's keys");
        assert!(strings.values().all(|s| !s.contains('\u{1f}')), "pkg-config/locales/{lang}.json: no U+001F in a string");
        let joined: Vec<&str> = strings.values().map(String::as_str).collect();
        out.push_str(&format!("    ({lang:?}, {:?}),\n", joined.join("\u{1f}")));
    }
    out.push_str("];\n");
    out
}

fn minify(css: &str) -> String {
    let tight = |c: char| matches!(c, '{' | '}' | ';' | ',' | '>');
    let mut out = String::with_capacity(css.len());
    let mut chars = css.chars().peekable();
    let mut space = false;
    while let Some(c) = chars.next() {
        match c {
            '/' if chars.peek() == Some(&'*') => {
                chars.next();
                let mut last = ' ';
                for c in chars.by_ref() {
                    if last == '*' && c == '/' {
                        break;
                    }
                    last = c;
                }
                space = true;
            }
            c if c.is_whitespace() => space = true,
            c => {
                if space && !out.is_empty() && !tight(c) && !out.ends_with(tight) {
                    out.push(' ');
                }
                space = false;
                if c == '}' && out.ends_with(';') {
                    out.pop();
                }
                out.push(c);
                if c == '"' || c == '\'' {
                    for s in chars.by_ref() {
                        out.push(s);
                        if s == c {
                            break;
                        }
                    }
                }
            }
        }
    }
    out
}
