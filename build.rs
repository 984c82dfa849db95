//! The prompt's stylesheet, as the wasm carries it: `src/shell/prompt.css`
//! without its comments and the white space a browser ignores (about 2 KB
//! raw, 0.8 KB brotli of the shipped wasm). Quoted strings are copied as
//! they are; a run of white space elsewhere becomes one space, or none next
//! to `{`, `}`, `;`, `,` and `>`, where CSS never needs it.

use std::{env, fs, path::Path};

fn main() {
    let source = "src/shell/prompt.css";
    println!("cargo:rerun-if-changed={source}");
    let css = fs::read_to_string(source).expect("src/shell/prompt.css is readable");
    let out = Path::new(&env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("prompt.css");
    fs::write(out, minify(&css)).expect("OUT_DIR is writable");
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
