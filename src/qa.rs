//! QA presets: start a page in a known consent state without clicking.
//!
//! A preset comes from `window.candorPreset` (`{purposes: {id: bool},
//! decided?: bool, noise?: bool}`) or the URL parameter
//! `?candor=accept-all|reject-all|grant:a,b`. It is honoured only when the
//! config's `qa` allows this host, so it can never be active in production
//! by accident.

use crate::config::Config;
use crate::json::{self, J};

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

/// Reads the preset, the URL parameter winning over the object. Unknown
/// purpose ids or shapes are errors naming the problem.
pub fn read(config: &Config, object_json: Option<&str>, url_param: Option<&str>) -> Result<Option<Preset>, String> {
    let optional: Vec<String> = config.optional_purposes().map(|p| p.id.clone()).collect();
    // `Ok(true)`: an optional purpose; `Ok(false)`: a required one, granted
    // anyway (named in a preset, as in `grant()`, it changes nothing).
    let known = |id: &str| -> Result<bool, String> {
        if optional.iter().any(|p| p == id) {
            Ok(true)
        } else if config.purposes.iter().any(|p| p.id == id) {
            Ok(false)
        } else {
            Err(format!("unknown purpose {}", json::quote(id)))
        }
    };
    if let Some(param) = url_param.filter(|p| !p.is_empty()) {
        // The loader joins every `candor` parameter of the URL with NUL.
        if param.contains('\0') {
            let all: Vec<String> = param.split('\0').map(json::quote_short).collect();
            return Err(format!("?candor= is given {} times ({}): give it once", all.len(), all.join(", ")));
        }
        let grant = match param {
            "accept-all" => optional.clone(),
            "reject-all" => Vec::new(),
            other => {
                let ids = other.strip_prefix("grant:").ok_or_else(|| {
                    format!("?candor={}: expected accept-all, reject-all or grant:<ids>", json::quote(other))
                })?;
                let mut grant = Vec::new();
                for id in ids.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                    if known(id).map_err(|e| format!("?candor={}: {e}", json::quote(other)))? {
                        grant.push(id.to_string());
                    }
                }
                grant
            }
        };
        return Ok(Some(Preset { grant: Some(grant), noise: None, source: "URL parameter ?candor=" }));
    }
    let Some(json) = object_json else { return Ok(None) };
    const AT: &str = "window.candorPreset";
    let v = json::parse(json).map_err(|e| format!("{AT}: {e}"))?;
    let J::O(entries) = v else { return Err(format!("{AT}: expected an object {{purposes, decided?, noise?}}")) };
    let (mut purposes, mut decided, mut noise) = (Vec::new(), true, None);
    for (k, x) in &entries {
        let bool_of = |x: &J| x.as_bool().ok_or_else(|| format!("{AT}.{k}: expected true or false"));
        match k.as_str() {
            "purposes" => {
                let J::O(ps) = x else { return Err(format!("{AT}.purposes: expected an object of purpose id to true or false")) };
                for (id, on) in ps {
                    let optional = known(id).map_err(|e| format!("{AT}.purposes: {e}"))?;
                    let on = on.as_bool().ok_or_else(|| format!("{AT}.purposes.{id}: expected true or false"))?;
                    if !optional && !on {
                        return Err(format!("{AT}.purposes.{id}: a required purpose cannot be denied"));
                    }
                    purposes.retain(|(p, _): &(String, bool)| p != id);
                    purposes.push((id.clone(), on));
                }
            }
            "decided" => decided = bool_of(x)?,
            "noise" => noise = if *x == J::Null { None } else { Some(bool_of(x)?) },
            other => return Err(format!("{AT}: unknown key {}, expected purposes, decided or noise", json::quote(other))),
        }
    }
    // Grants in config order, whatever the object's order.
    let grant = decided.then(|| optional.iter().filter(|id| purposes.iter().any(|(p, on)| p == *id && *on)).cloned().collect());
    Ok(Some(Preset { grant, noise, source: AT }))
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
        assert_eq!(read(&c, None, Some("grant:nope")).unwrap_err(), "?candor=\"grant:nope\": unknown purpose \"nope\"");
        // Given twice (the loader joins them with NUL): an error, not the first one silently.
        assert_eq!(read(&c, None, Some("accept-all\0reject-all")).unwrap_err(), "?candor= is given 2 times (\"accept-all\", \"reject-all\"): give it once");
        // A required purpose is granted anyway: named, it changes nothing (as in grant()).
        assert_eq!(read(&c, None, Some("grant:necessary,ads")).unwrap().unwrap().grant, Some(vec!["ads".into()]));
        assert_eq!(read(&c, None, Some("grant:necessary")).unwrap().unwrap().grant, Some(vec![]));
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
        assert!(read(&c, Some(r#"{"purposes":{"stats":"yes"}}"#), None).unwrap_err().contains("purposes.stats: expected true or false"));
        assert!(read(&c, Some(r#"{"granted":["stats"]}"#), None).unwrap_err().contains("unknown key \"granted\""), "unknown keys are errors");
        assert!(read(&c, Some("[1]"), None).is_err());
        assert!(read(&c, Some("{"), None).unwrap_err().starts_with("window.candorPreset: EOF"));
        let p = read(&c, Some(r#"{"purposes":{"necessary":true,"ads":true}}"#), None).unwrap().unwrap();
        assert_eq!(p.grant, Some(vec!["ads".into()]));
        let denied = read(&c, Some(r#"{"purposes":{"necessary":false}}"#), None).unwrap_err();
        assert!(denied.contains("purposes.necessary: a required purpose cannot be denied"), "{denied}");
        let url_wins = read(&c, Some(r#"{"purposes":{"stats":true}}"#), Some("reject-all")).unwrap().unwrap();
        assert_eq!(url_wins.grant, Some(vec![]));
    }
}
