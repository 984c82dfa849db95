//! The words the prompt shows: built-in UI strings per language, config
//! overrides, and the choice of language.
//!
//! Built-in strings ship in `pkg-config/locales/<lang>.json` and are compiled
//! in. The language is picked once at boot from a fallback chain: the
//! config's `language` (or the browser's `navigator.languages` when it is
//! `"auto"`), each tag followed by its primary subtag, ending with the
//! config's `default_language` and finally `en`.

use serde::{Deserialize, Serialize};

use crate::config::{Config, Text};

/// Every built-in UI string, by id. Config `texts` may override any of them.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct UiTexts {
    pub heading: String,
    pub intro: String,
    pub accept_all: String,
    pub reject_all: String,
    pub customize: String,
    pub save: String,
    pub close: String,
    pub prefs_heading: String,
    pub prefs_intro: String,
    pub always_on: String,
    pub required_why: String,
    pub benefit_prefix: String,
    /// Contains `{days}`.
    pub retention: String,
    pub reopen: String,
    pub gpc: String,
    pub back: String,
    pub your_data: String,
    /// Placeholder of a gated iframe; contains `{purpose}`.
    pub placeholder: String,
    /// Its button; contains `{purpose}`.
    pub allow: String,
}

/// The ids of [`UiTexts`], which are the valid keys of config `texts`.
pub const KEYS: &[&str] = &[
    "heading", "intro", "accept_all", "reject_all", "customize", "save", "close", "prefs_heading",
    "prefs_intro", "always_on", "required_why", "benefit_prefix", "retention", "reopen", "gpc", "back",
    "your_data", "placeholder", "allow",
];

/// Built-in locales: (language, JSON).
pub const BUILTIN: &[(&str, &str)] = &[
    ("en", include_str!("../pkg-config/locales/en.json")),
    ("de", include_str!("../pkg-config/locales/de.json")),
    ("fr", include_str!("../pkg-config/locales/fr.json")),
    ("es", include_str!("../pkg-config/locales/es.json")),
    ("it", include_str!("../pkg-config/locales/it.json")),
    ("nl", include_str!("../pkg-config/locales/nl.json")),
    ("pt", include_str!("../pkg-config/locales/pt.json")),
    ("pl", include_str!("../pkg-config/locales/pl.json")),
];

const RTL: &[&str] = &["ar", "he", "fa", "ur", "ps", "yi", "dv", "ckb"];

/// The built-in strings for `lang` (a primary language subtag).
pub fn builtin(lang: &str) -> Option<UiTexts> {
    BUILTIN
        .iter()
        .find(|(l, _)| *l == lang)
        .map(|(_, json)| serde_json::from_str(json).expect("built-in locale files are valid"))
}

/// The language fallback chain, most preferred first, lower-cased, without duplicates.
pub fn language_chain(config: &Config, navigator_languages: &[String]) -> Vec<String> {
    let wanted: Vec<String> = if config.language == "auto" {
        navigator_languages.to_vec()
    } else {
        vec![config.language.clone()]
    };
    let mut chain: Vec<String> = Vec::new();
    let mut push = |tag: &str| {
        let tag = tag.to_ascii_lowercase();
        if !tag.is_empty() && !chain.contains(&tag) {
            chain.push(tag);
        }
    };
    for tag in wanted.iter().chain([&config.default_language, &"en".to_string()]) {
        push(tag);
        push(primary(tag));
    }
    chain
}

fn primary(tag: &str) -> &str {
    tag.split('-').next().unwrap_or(tag)
}

/// Whether the config's texts have a version in `lang`.
fn config_speaks(config: &Config, lang: &str) -> bool {
    let has = |t: &Text| matches!(t, Text::Localized(m) if m.keys().any(|k| k.eq_ignore_ascii_case(lang)));
    config.purposes.iter().any(|p| has(&p.label) || has(&p.explain))
}

/// The prompt's language, its direction, and its UI strings.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolved {
    /// The chosen language tag.
    pub lang: String,
    /// `true` for right-to-left scripts.
    pub rtl: bool,
    /// The fallback chain used for config texts.
    pub chain: Vec<String>,
    /// UI strings, config overrides applied.
    pub ui: UiTexts,
}

/// Picks the language and resolves every UI string.
pub fn resolve(config: &Config, navigator_languages: &[String]) -> Resolved {
    let chain = language_chain(config, navigator_languages);
    let lang = chain
        .iter()
        .find(|l| builtin(l).is_some() || config_speaks(config, l))
        .cloned()
        .unwrap_or_else(|| "en".into());
    // Config texts resolve along a chain that starts at the chosen language.
    let mut text_chain = vec![lang.clone()];
    text_chain.extend(chain.iter().filter(|l| **l != lang).cloned());
    let base = chain.iter().find_map(|l| builtin(primary(l))).unwrap_or_else(|| builtin("en").unwrap());
    let mut ui = base;
    if !config.texts.is_empty() {
        let mut map = serde_json::to_value(&ui).expect("UiTexts serialises");
        for (key, text) in &config.texts {
            map[key.as_str()] = serde_json::Value::String(text.resolve(&text_chain).to_string());
        }
        ui = serde_json::from_value(map).unwrap_or(ui);
    }
    Resolved { rtl: RTL.contains(&primary(&lang)), lang, chain: text_chain, ui }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(extra: &str) -> Config {
        Config::from_json(&format!(
            r#"{{"site":"s","revision":"1",{extra}"purposes":[
              {{"id":"stats","label":{{"en":"Stats","ar":"إحصاءات"}},"explain":"x","benefit":"y"}}]}}"#
        ))
        .unwrap()
    }

    #[test]
    fn every_locale_has_every_key() {
        for (lang, _) in BUILTIN {
            let t = builtin(lang).unwrap();
            let v = serde_json::to_value(&t).unwrap();
            assert_eq!(v.as_object().unwrap().len(), KEYS.len(), "{lang}");
            assert!(t.retention.contains("{days}"), "{lang}");
        }
    }

    #[test]
    fn auto_follows_the_browser_with_fallbacks() {
        let r = resolve(&config(""), &["de-AT".into(), "en-US".into()]);
        assert_eq!(r.lang, "de");
        assert_eq!(r.ui.accept_all, "Alle akzeptieren");
        let r = resolve(&config(""), &["ja".into()]);
        assert_eq!(r.lang, "en");
    }

    #[test]
    fn fixed_language_and_rtl() {
        let r = resolve(&config(r#""language":"fr","#), &["de".into()]);
        assert_eq!(r.ui.reject_all, "Tout refuser");
        let r = resolve(&config(""), &["ar-EG".into()]);
        assert_eq!(r.lang, "ar");
        assert!(r.rtl);
        assert_eq!(config("").purposes[0].label.resolve(&r.chain), "إحصاءات");
    }

    #[test]
    fn config_overrides_ui_strings() {
        let r = resolve(&config(r#""texts":{"heading":{"en":"Hello","de":"Hallo"}},"#), &["de".into()]);
        assert_eq!(r.ui.heading, "Hallo");
    }
}
