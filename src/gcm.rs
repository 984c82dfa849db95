//! Google Consent Mode v2: which consent types a decision grants.
//!
//! The site maps each consent type (`ad_storage`, `analytics_storage`, …) to
//! Candor purposes; a type is `granted` only when **all** of its purposes are
//! granted, so a mapping can never widen a visitor's choice. The loader pushes
//! the `default` before the wasm exists, so the shell leaves it a small cache
//! (`candor.gcm` in localStorage, see [`cache_record`]) that the loader trusts
//! only for the same revision and mapping and before it expires.

use crate::map::StrMap;

use crate::config::Config;
use crate::consent::Consent;
use crate::json::{obj, J};

/// Consent type → granted, or `None` when the config has no mapping.
pub fn state(config: &Config, consent: &Consent) -> Option<StrMap<bool>> {
    let map = config.google_consent_mode.as_ref()?;
    Some(crate::map::build(map.iter().map(|(kind, ids)| (kind.clone(), !ids.is_empty() && ids.iter().all(|id| consent.granted(id))))))
}

/// The mapping as one canonical string (`type=a,b;type=c`, types sorted), so
/// the loader can tell whether a cached state was made under the same mapping.
pub fn map_key(config: &Config) -> Option<String> {
    let map = config.google_consent_mode.as_ref()?;
    Some(map.iter().map(|(k, ids)| format!("{k}={}", ids.join(","))).collect::<Vec<_>>().join(";"))
}

/// The JSON the shell stores for the loader's synchronous `default`, or
/// `None` when there is nothing to remember (no mapping, or undecided).
pub fn cache_record(config: &Config, consent: &Consent) -> Option<String> {
    if !consent.decided {
        return None;
    }
    let state = state(config, consent)?;
    let until = consent.updated_at.unwrap_or(0) + u64::from(config.expires_days) * 86_400;
    let record = obj([
        ("v", 1u64.into()),
        ("revision", config.revision.as_str().into()),
        ("map", map_key(config).into()),
        ("until", until.into()),
        ("state", J::from(&state)),
        // The required purposes, which the consent record does not list:
        // the loader grants a mapped id missing from the record only if it
        // is one of these (a config by URL is not there to ask).
        ("required", J::A(config.purposes.iter().filter(|p| p.required).map(|p| J::from(p.id.as_str())).collect())),
    ]);
    Some(record.to_text())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::consent::Method;

    const CONFIG: &str = r#"{"site":"s","revision":"r7","expires_days":10,
        "purposes":[{"id":"necessary","required":true,"label":"a","explain":"b","benefit":"c"},
                    {"id":"stats","label":"a","explain":"b","benefit":"c"},
                    {"id":"ads","label":"a","explain":"b","benefit":"c"}],
        "google_consent_mode":{"analytics_storage":["stats"],"ad_storage":["ads"],
                               "ad_user_data":["ads","stats"],"functionality_storage":["necessary"]}}"#;

    #[test]
    fn a_type_is_granted_only_when_all_its_purposes_are() {
        let config = Config::from_json(CONFIG).unwrap();
        let mut c = Consent::undecided(&config);
        let s = state(&config, &c).unwrap();
        assert!(!s["analytics_storage"] && !s["ad_storage"] && !s["ad_user_data"]);
        assert!(s["functionality_storage"], "a required purpose is always granted");
        c.decide(&config, &["ads"], &["stats"], Method::Button, 1000).unwrap();
        let s = state(&config, &c).unwrap();
        assert!(s["ad_storage"] && !s["ad_user_data"] && !s["analytics_storage"]);
        assert_eq!(map_key(&config).unwrap(), "ad_storage=ads;ad_user_data=ads,stats;analytics_storage=stats;functionality_storage=necessary");
    }

    #[test]
    fn the_cache_is_written_only_for_a_decision() {
        let config = Config::from_json(CONFIG).unwrap();
        let mut c = Consent::undecided(&config);
        assert_eq!(cache_record(&config, &c), None);
        c.decide(&config, &["stats"], &[], Method::Button, 1000).unwrap();
        let v: serde_json::Value = serde_json::from_str(&cache_record(&config, &c).unwrap()).unwrap();
        assert_eq!(v["revision"], "r7");
        assert_eq!(v["until"], 1000 + 10 * 86_400);
        assert_eq!(v["state"]["analytics_storage"], true);
        assert_eq!(v["required"], serde_json::json!(["necessary"]), "what the record leaves out");
        assert_eq!(v["state"]["ad_storage"], false);
        let none = Config::from_json(&CONFIG.replace("google_consent_mode", "vendors").replace(r#"{"analytics_storage":["stats"],"ad_storage":["ads"],
                               "ad_user_data":["ads","stats"],"functionality_storage":["necessary"]}"#, "[]")).unwrap();
        assert_eq!(state(&none, &c), None);
    }
}
