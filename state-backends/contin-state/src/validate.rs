//! Structural checks on a `State` run after every load and before every write.

use crate::{State, StateError, STATE_VERSION};

impl State {
    /// Checks what the type system cannot: the format version is one this
    /// build understands (`TooNew` otherwise), the lineage is set, and each
    /// resource is filed under its own address. `location` names the state
    /// in messages (file path, S3 URL). Other problems → `Corrupt`.
    pub fn validate(&self, location: &str) -> Result<(), StateError> {
        let corrupt = |reason: String| StateError::Corrupt { location: location.to_string(), reason };
        if self.version > STATE_VERSION {
            return Err(StateError::TooNew {
                location: location.to_string(),
                found: self.version,
                supported: STATE_VERSION,
            });
        }
        if self.version == 0 {
            return Err(corrupt("format version 0 does not exist (versions start at 1)".to_string()));
        }
        if self.lineage.trim().is_empty() {
            return Err(corrupt("lineage is empty".to_string()));
        }
        for (key, r) in &self.resources {
            if *key != r.addr {
                return Err(corrupt(format!("resource filed under {key} has address {}", r.addr)));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ResourceState;
    use contin_types::ResourceAddr;

    fn rs(addr: ResourceAddr) -> ResourceState {
        ResourceState {
            addr,
            provider: "fake".into(),
            schema_version: 0,
            attributes: serde_json::json!({}),
            sensitive_paths: vec![],
            dependencies: vec![],
            status: Default::default(),
            create_before_destroy: false,
            generation: 0,
            deposed: Vec::new(),
        }
    }

    #[test]
    fn fresh_state_is_valid() {
        State::new().validate("s.json").expect("valid");
    }

    #[test]
    fn refuses_newer_version() {
        let mut s = State::new();
        s.version = STATE_VERSION + 1;
        match s.validate("s.json") {
            Err(StateError::TooNew { location, found, supported }) => {
                assert_eq!((location.as_str(), found, supported), ("s.json", STATE_VERSION + 1, STATE_VERSION));
            }
            other => panic!("expected TooNew, got {other:?}"),
        }
    }

    #[test]
    fn refuses_misfiled_resource_and_bad_header() {
        let mut s = State::new();
        let a = ResourceAddr::managed("fake_thing", "a");
        s.resources.insert(a.clone(), rs(ResourceAddr::managed("fake_thing", "b")));
        let err = s.validate("s.json").expect_err("misfiled");
        assert_eq!(
            err.to_string(),
            "state at s.json is corrupted: resource filed under fake_thing.a has address fake_thing.b; the file was left untouched"
        );
        s.resources.insert(a.clone(), rs(a));
        s.validate("s.json").expect("fixed");
        s.lineage = " ".into();
        assert!(matches!(s.validate("s.json"), Err(StateError::Corrupt { reason, .. }) if reason.contains("lineage")));
        s.lineage = "x".into();
        s.version = 0;
        assert!(matches!(s.validate("s.json"), Err(StateError::Corrupt { reason, .. }) if reason.contains("version 0")));
    }
}
