//! QA presets: start a page in a known consent state without clicking.
//!
//! A preset comes from `window.candorPreset` (`{purposes: {id: bool},
//! decided?: bool, noise?: bool}`) or the URL parameter
//! `?candor=accept-all|reject-all|grant:a,b`. It is honoured only when the
//! config's `qa` allows this host, so it can never be active in production
//! by accident.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::config::Config;

/// A decision to apply at boot.
#[derive(Debug, Clone, PartialEq)]
pub struct Preset {
    /// `None`: forget any decision (ask again); `Some`: grant these, deny the rest.
    pub grant: Option<Vec<String>>,
    /// `Some(false)` switches noise off for exact assertions.
    pub noise: Option<bool>,
    /// Where it came from, for the console line.
    pub source: &'static str,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PresetObject {
    #[serde(default)]
    purposes: BTreeMap<String, bool>,
    #[serde(default = "yes")]
    decided: bool,
    #[serde(default)]
    noise: Option<bool>,
}

fn yes() -> bool {
    true
}

/// Reads the preset, the URL parameter winning over the object. Unknown
/// purpose ids or shapes are errors naming the problem.
pub fn read(config: &Config, object_json: Option<&str>, url_param: Option<&str>) -> Result<Option<Preset>, String> {
    let optional: Vec<String> = config.optional_purposes().map(|p| p.id.clone()).collect();
    let known = |id: &str| -> Result<(), String> {
        if optional.iter().any(|p| p == id) {
            Ok(())
        } else {
            Err(format!("unknown optional purpose {id:?}"))
        }
    };
    if let Some(param) = url_param.filter(|p| !p.is_empty()) {
        let grant = match param {
            "accept-all" => optional.clone(),
            "reject-all" => Vec::new(),
            other => {
                let ids = other.strip_prefix("grant:").ok_or_else(|| {
                    format!("?candor={other:?}: expected accept-all, reject-all or grant:<ids>")
                })?;
                let ids: Vec<String> = ids.split(',').map(str::trim).filter(|s| !s.is_empty()).map(String::from).collect();
                for id in &ids {
                    known(id).map_err(|e| format!("?candor=: {e}"))?;
                }
                ids
            }
        };
        return Ok(Some(Preset { grant: Some(grant), noise: None, source: "URL parameter ?candor=" }));
    }
    let Some(json) = object_json else { return Ok(None) };
    let obj: PresetObject = serde_json::from_str(json).map_err(|e| format!("window.candorPreset: {e}"))?;
    for id in obj.purposes.keys() {
        known(id).map_err(|e| format!("window.candorPreset.purposes: {e}"))?;
    }
    let grant = obj.decided.then(|| obj.purposes.iter().filter(|(_, on)| **on).map(|(id, _)| id.clone()).collect());
    Ok(Some(Preset { grant, noise: obj.noise, source: "window.candorPreset" }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gate::tests::config;

    #[test]
    fn url_forms() {
        let c = config();
        assert_eq!(read(&c, None, Some("accept-all")).unwrap().unwrap().grant, Some(vec!["stats".into(), "ads".into()]));
        assert_eq!(read(&c, None, Some("reject-all")).unwrap().unwrap().grant, Some(vec![]));
        assert_eq!(read(&c, None, Some("grant:ads")).unwrap().unwrap().grant, Some(vec!["ads".into()]));
        assert!(read(&c, None, Some("grant:nope")).unwrap_err().contains("unknown optional purpose \"nope\""));
        assert!(read(&c, None, Some("grant:necessary")).is_err(), "required purposes are not presets");
        assert!(read(&c, None, Some("yes")).is_err());
        assert_eq!(read(&c, None, None).unwrap(), None);
    }

    #[test]
    fn object_forms() {
        let c = config();
        let p = read(&c, Some(r#"{"purposes":{"stats":true,"ads":false},"noise":false}"#), None).unwrap().unwrap();
        assert_eq!(p.grant, Some(vec!["stats".into()]));
        assert_eq!(p.noise, Some(false));
        assert_eq!(read(&c, Some(r#"{"decided":false}"#), None).unwrap().unwrap().grant, None);
        assert!(read(&c, Some(r#"{"purposes":{"stats":"yes"}}"#), None).is_err());
        assert!(read(&c, Some(r#"{"granted":["stats"]}"#), None).is_err(), "unknown keys are errors");
        let url_wins = read(&c, Some(r#"{"purposes":{"stats":true}}"#), Some("reject-all")).unwrap().unwrap();
        assert_eq!(url_wins.grant, Some(vec![]));
    }
}
