//! The words the prompt shows: built-in UI strings per language, config
//! overrides, and the choice of language.
//!
//! Built-in strings ship in `pkg-config/locales/<lang>.json` and are compiled
//! in. The language is picked once at boot from a fallback chain: the
//! config's `language` (or the browser's `navigator.languages` when it is
//! `"auto"`), each tag followed by its primary subtag, ending with the
//! config's `default_language` and finally `en`.

use serde::Serialize;

use crate::config::read::J;

use crate::config::{Config, Text};

/// Declares [`UiTexts`] once: [`KEYS`] and an accessor per string, in the
/// same order. The strings are one array rather than one field each: copying,
/// dropping, listing and looking one up by id are then one loop each in the
/// wasm, not ~60 copies of the same code.
macro_rules! ui_texts {
    ($($(#[$doc:meta])* $key:ident,)*) => {
        /// The ids of [`UiTexts`], which are the valid keys of config `texts`.
        pub const KEYS: &[&str] = &[$(stringify!($key)),*];

        /// Every built-in UI string, by id. Config `texts` may override any of them.
        #[derive(Debug, Clone, PartialEq)]
        pub struct UiTexts([String; KEYS.len()]);

        #[allow(missing_docs)]
        impl UiTexts {
            $($(#[$doc])* pub fn $key(&self) -> &str {
                &self.0[Key::$key as usize]
            })*
        }

        /// Positions in [`KEYS`].
        #[allow(non_camel_case_types)]
        enum Key {
            $($key,)*
        }
    };
}

impl Default for UiTexts {
    fn default() -> UiTexts {
        UiTexts(std::array::from_fn(|_| String::new()))
    }
}

impl UiTexts {
    /// The string with id `key` (one of [`KEYS`]).
    fn get_mut(&mut self, key: &str) -> Option<&mut String> {
        let i = KEYS.iter().position(|k| *k == key)?;
        self.0.get_mut(i)
    }

    /// Every string with its id, in [`KEYS`] order.
    pub fn entries(&self) -> impl Iterator<Item = (&'static str, &str)> {
        KEYS.iter().copied().zip(self.0.iter().map(String::as_str))
    }
}

impl Serialize for UiTexts {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.entries())
    }
}

ui_texts! {
    heading,
    intro,
    /// The first layer's list of what "Accept all" turns on: `{purposes}`.
    asks,
    accept_all,
    reject_all,
    customize,
    save,
    close,
    /// The close button's name once the visitor has decided (closing keeps it).
    close_decided,
    prefs_heading,
    prefs_intro,
    always_on,
    required_why,
    benefit_prefix,
    /// Contains `{days}`.
    retention,
    /// The same for a single day.
    retention_one,
    reopen,
    gpc,
    back,
    your_data,
    data_intro,
    data_waiting,
    data_sent,
    data_stored,
    data_nothing_waiting,
    /// With `collector: null` (nothing is sent): the heading over what is
    /// kept, in place of `data_waiting`, and its empty line.
    data_kept,
    data_nothing_kept,
    /// Contains `{days}`.
    data_nothing_sent,
    /// The same for `history_days: 1`.
    data_nothing_sent_one,
    data_nothing_stored,
    data_on,
    data_off,
    data_export,
    data_erase,
    /// What "Erase my data" asks before it erases.
    data_erase_confirm,
    /// Its confirming button.
    data_erase_yes,
    /// Said (a live region on the banner) once the erase is done.
    data_erased,
    /// Said to screen readers once a decision made in the prompt is saved.
    saved,
    /// Placeholder of a gated iframe; contains `{purpose}`.
    placeholder,
    /// Its button; contains `{purpose}`.
    allow,
    /// One event's count in the data view: `{count}` and `{event}` (the
    /// event's id in words; in English, made plural to match the count).
    data_event,
    /// `{fields}`: the event's category fields, listed.
    data_grouped,
    /// `{field}`: a histogram field.
    data_ranges,
    /// `{field}`: a sum field.
    data_added,
    /// Joins the last two items of a list.
    data_and,
    /// Between two events' counts in a sentence ("; ").
    data_separator,
    data_no_events,
    /// Counts still being added up: `{events}`, `{window}`.
    data_open,
    /// A report waiting to be sent: `{events}`, `{window}`.
    data_pending,
    /// With `collector: null`, counts kept in the browser (open or closed): `{events}`, `{window}`.
    data_kept_totals,
    /// A report sent: `{date}`, `{time}`, `{events}`, `{window}`.
    data_sent_on,
    /// Follows a report's sentence when noise was added to its counts.
    data_noise,
    /// The heading over the receipts of the visitor's decisions.
    data_receipts,
    /// One receipt the collector acknowledged: `{date}`, `{time}`, `{choices}`.
    data_receipt,
    /// One receipt not yet acknowledged: the same placeholders.
    data_receipt_waiting,
    /// With `collector: null`, a receipt kept in the browser: the same placeholders.
    data_receipt_local,
    /// One purpose's choice in a receipt's `{choices}`: `{purpose}` and `{state}` (`data_on`/`data_off`).
    data_choice,
    /// A stored value's size: `{bytes}`.
    data_bytes,
    /// The same for a single byte.
    data_bytes_one,
    /// A stored key's line: `{key}`, `{meaning}` (one of `data_key_*`), `{size}`.
    data_key,
    /// What each stored key holds, by the key's kind.
    data_key_consent,
    data_key_receipts,
    data_key_history,
    data_key_open,
    data_key_report,
    /// A report's key with `collector: null`.
    data_key_kept,
    data_key_dropped,
    data_key_lease,
    data_key_alive,
    data_key_tab,
    data_key_tab_live,
    data_key_gcm,
    data_key_forget,
    /// `candor.retry`: the end of a pause the collector asked for.
    data_key_retry,
    /// The decision's durable copy in IndexedDB.
    data_key_durable,
    data_key_other,
}

impl UiTexts {
    /// As a JSON object, keys in [`KEYS`] order.
    pub fn to_json_value(&self) -> J {
        J::O(self.entries().map(|(k, v)| (k.to_string(), J::from(v))).collect())
    }
}

// `BUILTIN` and `LOCALE_KEYS`, made by build.rs from pkg-config/locales/.
include!(concat!(env!("OUT_DIR"), "/locales.rs"));

/// Languages written right to left by default (`iw` and `ji` are the old
/// codes of Hebrew and Yiddish).
const RTL: &[&str] = &["ar", "he", "iw", "fa", "ur", "ps", "yi", "ji", "dv", "ckb", "sd", "ug", "syr", "nqo", "arc", "mzn", "lrc", "glk", "bqi", "ks"];
/// Scripts written right to left: a script subtag (`pa-Arab`, `sd-Deva`)
/// says more than the language.
const RTL_SCRIPTS: &[&str] = &["arab", "hebr", "syrc", "thaa", "nkoo", "adlm", "rohg", "mand", "samr", "mend", "yezi"];

/// Whether a language tag is written right to left.
pub fn is_rtl(tag: &str) -> bool {
    let script = tag.split(['-', '_']).skip(1).find(|s| s.len() == 4 && s.chars().all(|c| c.is_ascii_alphabetic()));
    match script {
        Some(s) => RTL_SCRIPTS.iter().any(|r| s.eq_ignore_ascii_case(r)),
        None => RTL.iter().any(|r| primary(tag).eq_ignore_ascii_case(r)),
    }
}

/// The built-in strings for `lang` (a primary language subtag).
pub fn builtin(lang: &str) -> Option<UiTexts> {
    let (_, strings) = BUILTIN.iter().find(|(l, _)| *l == lang)?;
    // build.rs checked that every file has every key; the tests below, that
    // they are the ids of `UiTexts`.
    let mut ui = UiTexts::default();
    for (key, s) in LOCALE_KEYS.iter().zip(strings.split('\u{1f}')) {
        if let Some(slot) = ui.get_mut(key) {
            *slot = s.to_string();
        }
    }
    Some(ui)
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
    config.purposes.iter().any(|p| has(&p.label) || has(&p.explain)) || config.texts.values().any(has)
}

/// `text` in `chain`'s first language (`[tag, primary]`), else in any
/// region of it: an "en-GB" override serves an "en-US" visitor.
fn same_language<'a>(text: &'a Text, chain: &[String; 2]) -> Option<&'a str> {
    text.resolve_in(chain).or_else(|| match text {
        Text::Localized(m) => m.iter().find(|(k, _)| primary(k).eq_ignore_ascii_case(&chain[1])).map(|(_, v)| v.as_str()),
        Text::Plain(s) => Some(s),
    })
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
    /// The built-in strings shown in another language than the prompt's
    /// (a language Candor has no strings for borrows another's), so the
    /// prompt can mark them with their own `lang` and `dir`.
    pub foreign: Option<Foreign>,
    /// The language of plain-string texts (one language, the site's): a
    /// fixed `language`, else `default_language` here, for which the shell
    /// puts the page's own `lang` when it has one.
    pub site_lang: String,
    /// The `texts` overrides shown that are plain strings: in the site's
    /// language, which may not be the prompt's (see [`Resolved::site_texts`]).
    pub plain: Vec<String>,
}

impl Resolved {
    /// The language of the built-in strings the prompt shows (a primary
    /// subtag): its own, or the one it borrows them from.
    pub fn ui_language(&self) -> &str {
        self.foreign.as_ref().map_or_else(|| primary(&self.lang), |f| f.lang.as_str())
    }

    /// The plain-string `texts` overrides, as strings of the site's
    /// language when the prompt is in another (a German visitor of an
    /// English site, with built-in German buttons), so the prompt marks
    /// them with their own `lang` like plain purpose texts.
    pub fn site_texts(&self) -> Option<Foreign> {
        let site = primary(&self.site_lang);
        (!self.plain.is_empty() && !site.eq_ignore_ascii_case(primary(&self.lang)))
            .then(|| Foreign { lang: self.site_lang.clone(), rtl: is_rtl(&self.site_lang), texts: self.plain.clone() })
    }
}

/// Strings of one other language among the prompt's.
#[derive(Debug, Clone, PartialEq)]
pub struct Foreign {
    /// Their language (a primary subtag).
    pub lang: String,
    /// Whether it is written right to left.
    pub rtl: bool,
    /// The strings, as in [`UiTexts`] (templates keep their `{…}`).
    pub texts: Vec<String>,
}

impl Foreign {
    /// Whether `shown` (an element's own text) is one of these strings: the
    /// string itself, a template filled in, or `always_on` leading a sentence.
    pub fn has(&self, shown: &str) -> bool {
        let s = shown.trim();
        !s.is_empty() && self.texts.iter().any(|t| if t.contains('{') { fills(t, s) } else { s == t.trim() || s.starts_with(&format!("{}. ", t.trim().trim_end_matches('.'))) })
    }
}

/// Whether `s` is `template` with each `{…}` filled in (or left out, as the
/// labels a `{purposes}` stands for are elements of their own): its literal
/// parts, in order, the first leading and the last ending it.
fn fills(template: &str, s: &str) -> bool {
    let mut literals = vec![];
    let mut rest = template;
    while let Some((pre, after)) = rest.split_once('{') {
        literals.push(pre);
        rest = after.split_once('}').map_or("", |(_, p)| p);
    }
    literals.push(rest);
    let (first, last) = (literals[0], literals[literals.len() - 1]);
    if first.is_empty() || !s.starts_with(first) || s.len() < first.len() + last.len() || !s.ends_with(last) {
        return false;
    }
    let mut middle = &s[first.len()..s.len() - last.len()];
    for lit in &literals[1..literals.len() - 1] {
        match middle.find(lit) {
            Some(i) => middle = &middle[i + lit.len()..],
            None => return false,
        }
    }
    true
}

/// The language tag of a text picked from a config map, when it is another
/// language than the prompt's (`lang`): what its element's `lang` must say,
/// with whether that language is written right to left.
pub fn other_language<'a>(tag: Option<&'a str>, lang: &str) -> Option<(&'a str, bool)> {
    let tag = tag?;
    (!primary(tag).eq_ignore_ascii_case(primary(lang))).then(|| (tag, is_rtl(tag)))
}

/// Picks the language and resolves every UI string.
pub fn resolve(config: &Config, navigator_languages: &[String]) -> Resolved {
    let chain = language_chain(config, navigator_languages);
    // When the site wrote its purposes per language and lets the browser
    // choose, the prompt is in one of the languages it wrote them in: an
    // Italian visitor of a site in English, German and French reads it in
    // English, not Italian buttons around English purposes labelled "it".
    let localized = config.purposes.iter().any(|p| matches!(p.label, Text::Localized(_)) || matches!(p.explain, Text::Localized(_)));
    let written = |l: &String| {
        config.purposes.iter().any(|p| {
            [&p.label, &p.explain].into_iter().any(|t| {
                matches!(t, Text::Localized(m) if m.keys().any(|k| k.eq_ignore_ascii_case(l) || primary(k).eq_ignore_ascii_case(l)))
            })
        })
    };
    // A fixed `language` is always the prompt's (its lang, direction and
    // receipts), with or without built-in strings for it.
    let fixed = (config.language != "auto").then(|| chain.first()).flatten();
    let lang = fixed
        .or_else(|| chain.iter().find(|l| localized && config.language == "auto" && written(l)))
        .or_else(|| chain.iter().find(|l| builtin(l).is_some() || config_speaks(config, l)))
        .cloned()
        .unwrap_or_else(|| "en".into());
    // Config texts resolve along a chain that starts at the chosen language.
    let mut text_chain = vec![lang.clone()];
    text_chain.extend(chain.iter().filter(|l| **l != lang).cloned());
    let own = builtin(primary(&lang)).map(|ui| (primary(&lang), ui));
    let has_own = own.is_some();
    // Without built-in strings of its own, the prompt borrows those of the
    // first language of the chain that has them, else English.
    let (ui_lang, mut ui) = own
        .or_else(|| chain.iter().find_map(|l| builtin(primary(l)).map(|ui| (primary(l), ui))))
        .unwrap_or_else(|| ("en", builtin("en").unwrap()));
    let mut overridden: Vec<&str> = Vec::new();
    let mut plain = Vec::new();
    // Config validation admits only keys of KEYS. In a language Candor has
    // built-in strings for, an override counts only if it is in that
    // language (or plain): a French prompt keeps its own French heading
    // rather than show a German or English override. Otherwise the override
    // is the best there is, in the chain's order.
    let own_chain = [lang.clone(), primary(&lang).to_string()];
    for (key, text) in &config.texts {
        let Some(slot) = ui.get_mut(key) else { continue };
        let pick = if has_own { same_language(text, &own_chain) } else { Some(text.resolve(&text_chain)) };
        if let Some(t) = pick {
            *slot = t.to_string();
            overridden.push(key.as_str());
            if matches!(text, Text::Plain(_)) {
                plain.push(t.to_string());
            }
        }
    }
    let foreign = (!ui_lang.eq_ignore_ascii_case(primary(&lang))).then(|| Foreign {
        lang: ui_lang.to_string(),
        rtl: is_rtl(ui_lang),
        texts: ui.entries().filter(|(k, _)| !overridden.contains(k)).map(|(_, v)| v.to_string()).collect(),
    });
    // A fixed `language` is what the site writes in; with "auto", its
    // `default_language` (the shell puts the page's `lang` first).
    let site_lang = if config.language == "auto" { config.default_language.clone() } else { config.language.clone() };
    Resolved { rtl: is_rtl(&lang), lang, chain: text_chain, ui, foreign, site_lang, plain }
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

    /// The same with texts in one language only (plain strings): the prompt
    /// follows the browser wherever Candor has built-in strings.
    fn plain(extra: &str) -> Config {
        Config::from_json(&format!(
            r#"{{"site":"s","revision":"1",{extra}"purposes":[{{"id":"stats","label":"Stats","explain":"x","benefit":"y"}}]}}"#
        ))
        .unwrap()
    }

    #[test]
    fn plain_strings_are_in_a_fixed_language_else_the_default_one() {
        let langs = |extra: &str| resolve(&plain(extra), &["de-DE".to_string()]).site_lang;
        assert_eq!(langs(r#""language":"ar","#), "ar");
        assert_eq!(langs(""), "en");
        assert_eq!(langs(r#""default_language":"fr","#), "fr");
    }

    #[test]
    fn borrowed_strings_are_named_with_their_language() {
        // Arabic has no built-in strings: English ones are borrowed, but not
        // the heading the site wrote in Arabic.
        let c = config(r#""language":"ar","texts":{"heading":{"ar":"بياناتك"}},"#);
        let t = resolve(&c, &[]);
        assert_eq!((t.lang.as_str(), t.rtl), ("ar", true));
        let f = t.foreign.as_ref().unwrap();
        assert_eq!((f.lang.as_str(), f.rtl), ("en", false));
        assert!(f.has(&t.ui.accept_all()) && f.has(" Choose what to allow "));
        assert!(!f.has(&t.ui.heading()), "the site's own heading is Arabic");
        assert!(f.has("Kept for 30 days."), "a template filled in");
        assert!(f.has(&format!("{}. {}", t.ui.always_on().trim_end_matches('.'), t.ui.required_why())));
        assert!(!f.has("Statistics") && !f.has(""));
        // A language with strings of its own borrows none.
        assert_eq!(resolve(&plain(r#""language":"de","#), &[]).foreign, None);
        assert_eq!(resolve(&plain(""), &["fr-CA".into()]).foreign, None);
        // A purpose text the site wrote in English only, in a German prompt.
        assert_eq!(crate::texts::other_language(Some("en"), "de"), Some(("en", false)));
        assert_eq!(crate::texts::other_language(Some("ar"), "en-GB"), Some(("ar", true)));
        assert_eq!(crate::texts::other_language(Some("de-AT"), "de"), None);
        assert_eq!(crate::texts::other_language(None, "de"), None);
    }

    #[test]
    fn every_locale_has_every_key() {
        let mut ids = KEYS.to_vec();
        ids.sort_unstable();
        assert_eq!(LOCALE_KEYS, ids.as_slice(), "the locale files have exactly the ids of UiTexts");
        for (lang, _) in BUILTIN {
            let json = std::fs::read_to_string(format!("{}/pkg-config/locales/{lang}.json", env!("CARGO_MANIFEST_DIR"))).unwrap();
            let json = json.as_str();
            let t = builtin(lang).unwrap();
            let v: serde_json::Value = serde_json::from_str(&t.to_json_value().to_text()).unwrap();
            assert_eq!(v, serde_json::to_value(&t).unwrap());
            assert_eq!(v.as_object().unwrap().len(), KEYS.len(), "{lang}");
            // The file holds exactly these strings, no more and none missing.
            let file: serde_json::Value = serde_json::from_str(json).unwrap();
            assert_eq!(file, v, "{lang}");
            assert!(KEYS.iter().all(|k| !v[k].as_str().unwrap().trim().is_empty()), "{lang}");
            assert!(t.retention().contains("{days}"), "{lang}");
            assert!(t.gpc().ends_with(": {purposes}."), "{lang}: the GPC note names the purposes it turns off");
            assert!(t.asks().ends_with(": {purposes}."), "{lang}: the first layer names what accepting turns on");
        }
    }

    #[test]
    fn auto_follows_the_browser_with_fallbacks() {
        let r = resolve(&plain(""), &["de-AT".into(), "en-US".into()]);
        assert_eq!(r.lang, "de");
        assert_eq!(r.ui.accept_all(), "Alle akzeptieren");
        let r = resolve(&plain(""), &["ja".into()]);
        assert_eq!(r.lang, "en");
    }

    #[test]
    fn purposes_written_per_language_choose_among_those_languages() {
        // Purposes in English and Arabic, an Austrian visitor who also reads
        // English: all English, not German buttons around English purposes.
        let r = resolve(&config(""), &["de-AT".into(), "en-US".into()]);
        assert_eq!((r.lang.as_str(), r.ui.accept_all()), ("en", "Accept all"));
        // A regional key serves the language: "en-GB" purposes for "en".
        let cfg = Config::from_json(
            r#"{"site":"s","revision":"1","purposes":[{"id":"stats","label":{"en-GB":"Statistics","fr":"Statistiques"},"explain":"x","benefit":"y"}]}"#,
        )
        .unwrap();
        assert_eq!(resolve(&cfg, &["it".into(), "fr-CA".into()]).lang, "fr");
        assert_eq!(resolve(&cfg, &["it".into()]).lang, "en");
        // A language the site fixed is kept.
        assert_eq!(resolve(&config(r#""language":"de","#), &[]).lang, "de");
        // Purposes in "pt-BR" for a "pt-PT" visitor: Portuguese buttons and Portuguese purposes.
        let cfg = Config::from_json(
            r#"{"site":"s","revision":"1","purposes":[{"id":"stats","label":{"en":"Statistics","pt-BR":"Estatísticas"},"explain":"x","benefit":"y"}]}"#,
        )
        .unwrap();
        let r = resolve(&cfg, &["pt-PT".into()]);
        assert_eq!((r.lang.as_str(), r.ui.accept_all()), ("pt", builtin("pt").unwrap().accept_all()));
        assert_eq!(cfg.purposes[0].label.resolve(&r.chain), "Estatísticas");
    }

    #[test]
    fn fixed_language_and_rtl() {
        let r = resolve(&config(r#""language":"fr","#), &["de".into()]);
        assert_eq!(r.ui.reject_all(), "Tout refuser");
        let r = resolve(&config(""), &["ar-EG".into()]);
        assert_eq!(r.lang, "ar");
        assert!(r.rtl);
        assert_eq!(config("").purposes[0].label.resolve(&r.chain), "إحصاءات");
    }

    #[test]
    fn a_fixed_language_without_built_in_strings_is_still_the_prompts() {
        for (lang, rtl) in [("ar", true), ("he", true), ("sv", false)] {
            let r = resolve(&plain(&format!(r#""language":"{lang}","#)), &["fr".into()]);
            assert_eq!((r.lang.as_str(), r.rtl), (lang, rtl));
            assert_eq!(r.ui.reject_all(), "Reject all", "{lang}: the buttons fall back along the chain (default_language, en)");
        }
    }

    #[test]
    fn config_overrides_ui_strings() {
        let r = resolve(&plain(r#""texts":{"heading":{"en":"Hello","de":"Hallo"}},"#), &["de".into()]);
        assert_eq!(r.ui.heading(), "Hallo");
        let r = resolve(&plain(r#""texts":{"heading":"Hi there"},"#), &["fr".into()]);
        assert_eq!(r.ui.heading(), "Hi there", "a plain override is for every language");
    }

    #[test]
    fn an_override_in_another_language_does_not_replace_the_built_in_one() {
        // A French prompt keeps its French heading over a German or English override.
        let r = resolve(&config(r#""language":"fr","texts":{"heading":{"de":"Hallo","en":"Hello"}},"#), &[]);
        assert_eq!((r.lang.as_str(), r.ui.heading()), ("fr", builtin("fr").unwrap().heading()));
    }

    #[test]
    fn texts_in_a_language_without_built_in_strings_choose_it_and_its_direction() {
        // Arabic only in the UI overrides (not in the purposes): the prompt is Arabic, right to left.
        let cfg = Config::from_json(
            r#"{"site":"s","revision":"1","language":"ar","purposes":[{"id":"stats","label":"Stats","explain":"x","benefit":"y"}],
                "texts":{"heading":{"ar":"خصوصيتك","en":"Your privacy"},"accept_all":{"ar":"قبول الكل"}}}"#,
        )
        .unwrap();
        let r = resolve(&cfg, &[]);
        assert_eq!((r.lang.as_str(), r.rtl), ("ar", true));
        assert_eq!((r.ui.heading(), r.ui.accept_all()), ("خصوصيتك", "قبول الكل"));
        assert_eq!(r.ui.reject_all(), "Reject all", "what the site did not translate stays in the built-in fallback");
    }

    #[test]
    fn an_override_for_another_region_of_the_language_counts() {
        for (key, browser) in [("en-GB", "en-US"), ("en-US", "en-GB"), ("pt-BR", "pt"), ("de-DE", "de")] {
            let cfg = plain(&format!(r#""texts":{{"heading":{{"{key}":"Override"}}}},"#));
            assert_eq!(resolve(&cfg, &[browser.into()]).ui.heading(), "Override", "{key} for {browser}");
        }
    }

    #[test]
    fn language_tags_match_without_case() {
        let cfg = plain(r#""texts":{"heading":{"pt-BR":"Sua privacidade","en":"Privacy"}},"#);
        let r = resolve(&cfg, &["pt-BR".into()]);
        assert_eq!(r.ui.heading(), "Sua privacidade");
    }

    #[test]
    fn a_filled_template_is_recognised_whatever_its_placeholders() {
        use super::fills;
        assert!(fills("Kept for {days} days.", "Kept for 30 days."));
        assert!(fills("You can allow {purposes}. Again: {purposes}.", "You can allow , . Again: , ."));
        assert!(!fills("You can allow {purposes}. Again: {purposes}.", "You can allow , ."));
        assert!(!fills("{purposes} are on", "Stats are on"), "a template leading with a placeholder is not matched");
        assert!(!fills("Kept for {days} days.", "Kept for days."[..9].trim()));
    }

    #[test]
    fn right_to_left_by_language_or_script() {
        for t in ["ar", "he", "iw", "sd", "ug", "syr", "nqo", "pa-Arab", "az-Arab", "ku-Arab", "ar-EG", "fa-IR"] {
            assert!(super::is_rtl(t), "{t}");
        }
        for t in ["en", "de", "sd-Deva", "pa", "pa-Guru", "az", "tr", "ar-Latn"] {
            assert!(!super::is_rtl(t), "{t}");
        }
    }
}
