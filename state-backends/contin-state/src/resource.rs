//! Conversions between a resource's stored form (plain JSON + sensitive
//! paths) and the marked `Value` the planner and executor work with.

use crate::{ResourceState, ResourceStatus, StateError};
use contin_types::value::{path_to_string, PathStep, ValuePath};
use contin_types::{ResourceAddr, Value};

/// A value still holding `Unknown` somewhere was about to be stored. State
/// after apply must be wholly known: the provider returned an incomplete
/// object, or the caller passed a planned (not applied) value.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{addr}: {} is still unknown after apply; state can only record known values (the provider returned an incomplete object)", describe_path(.path))]
pub struct UnknownInState {
    pub addr: ResourceAddr,
    /// Where the first unknown sits (empty: the whole object).
    pub path: ValuePath,
}

fn describe_path(path: &[PathStep]) -> String {
    if path.is_empty() {
        "the whole object".to_string()
    } else {
        format!("attribute {}", path_to_string(path))
    }
}

impl From<UnknownInState> for StateError {
    fn from(e: UnknownInState) -> Self {
        StateError::Other(e.to_string())
    }
}

impl ResourceState {
    /// The attributes as a `Value`, with `Sensitive` marks re-applied at
    /// `sensitive_paths`. JSON arrays come back as `Value::List` (state does
    /// not remember whether a collection was a set; sets are stored in their
    /// canonical order, so element indexes and marks still line up).
    pub fn value(&self) -> Value {
        Value::from_json(&self.attributes).mark_paths(&self.sensitive_paths)
    }

    /// Builds the stored form of an applied object: marks are stripped into
    /// `sensitive_paths` (sorted, de-duplicated). Other fields take their
    /// defaults (`schema_version` 0, `Ready`, generation 0); set them after.
    /// Fails when `value` contains `Unknown` anywhere, naming the first path.
    pub fn from_value(
        addr: ResourceAddr,
        provider: &str,
        value: &Value,
        dependencies: Vec<ResourceAddr>,
    ) -> Result<Self, UnknownInState> {
        if let Some(path) = first_unknown(value, &mut Vec::new()) {
            return Err(UnknownInState { addr, path });
        }
        let (plain, mut sensitive_paths) = value.unmark_deep();
        sensitive_paths.sort();
        sensitive_paths.dedup();
        Ok(ResourceState {
            addr,
            provider: provider.to_string(),
            schema_version: 0,
            attributes: plain.to_json_lossy(),
            sensitive_paths,
            dependencies,
            status: ResourceStatus::Ready,
            create_before_destroy: false,
            generation: 0,
            deposed: Vec::new(),
        })
    }
}

fn first_unknown(v: &Value, path: &mut ValuePath) -> Option<ValuePath> {
    match v {
        Value::Unknown => Some(path.clone()),
        Value::Sensitive(inner) => first_unknown(inner, path),
        Value::List(items) | Value::Set(items) => items.iter().enumerate().find_map(|(i, item)| {
            path.push(PathStep::Index(i));
            let found = first_unknown(item, path);
            path.pop();
            found
        }),
        Value::Map(m) => m.iter().find_map(|(k, item)| {
            path.push(PathStep::Key(k.clone()));
            let found = first_unknown(item, path);
            path.pop();
            found
        }),
        Value::Null | Value::Bool(_) | Value::Number(_) | Value::String(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use contin_types::InstanceKey;

    fn addr() -> ResourceAddr {
        ResourceAddr::managed("aws_instance", "web").with_key(InstanceKey::Int(0))
    }

    #[test]
    fn round_trips_marks_through_stored_form() {
        let v = Value::map([
            ("id", Value::string("i-123")),
            ("password", Value::string("hunter2").mark_sensitive()),
            ("tags", Value::map([("env", Value::string("prod")), ("key", Value::string("k").mark_sensitive())])),
            ("ports", Value::List(vec![Value::int(22), Value::int(443).mark_sensitive()])),
        ]);
        let deps = vec![ResourceAddr::managed("aws_subnet", "a")];
        let rs = ResourceState::from_value(addr(), "aws", &v, deps.clone()).expect("all known");
        assert_eq!(rs.provider, "aws");
        assert_eq!(rs.dependencies, deps);
        assert_eq!(
            rs.attributes,
            serde_json::json!({"id": "i-123", "password": "hunter2", "ports": [22, 443], "tags": {"env": "prod", "key": "k"}})
        );
        assert_eq!(
            rs.sensitive_paths,
            vec![
                vec![PathStep::Key("password".into())],
                vec![PathStep::Key("ports".into()), PathStep::Index(1)],
                vec![PathStep::Key("tags".into()), PathStep::Key("key".into())],
            ]
        );
        assert_eq!(rs.value(), v);
    }

    #[test]
    fn whole_object_sensitive() {
        let v = Value::map([("a", Value::int(1))]).mark_sensitive();
        let rs = ResourceState::from_value(addr(), "aws", &v, vec![]).expect("known");
        assert_eq!(rs.sensitive_paths, vec![Vec::<PathStep>::new()]);
        assert_eq!(rs.value(), v);
    }

    #[test]
    fn unknowns_are_refused_with_their_path() {
        let v = Value::map([
            ("id", Value::string("x")),
            ("nested", Value::map([("list", Value::List(vec![Value::Null, Value::Unknown.mark_sensitive()]))])),
        ]);
        let err = ResourceState::from_value(addr(), "aws", &v, vec![]).expect_err("unknown inside");
        assert_eq!(err.path, vec![PathStep::Key("nested".into()), PathStep::Key("list".into()), PathStep::Index(1)]);
        assert_eq!(
            err.to_string(),
            "aws_instance.web[0]: attribute nested.list[1] is still unknown after apply; state can only record known values (the provider returned an incomplete object)"
        );
        let whole = ResourceState::from_value(addr(), "aws", &Value::Unknown, vec![]).expect_err("unknown");
        assert!(whole.to_string().contains("the whole object"), "{whole}");
        assert!(matches!(StateError::from(whole), StateError::Other(m) if m.contains("aws_instance.web[0]")));
    }

    #[test]
    fn sets_come_back_as_lists_in_canonical_order() {
        let v = Value::map([("s", Value::set(vec![Value::string("b"), Value::string("a").mark_sensitive()]))]);
        let rs = ResourceState::from_value(addr(), "aws", &v, vec![]).expect("known");
        let back = rs.value();
        let s = back.get_path(&[PathStep::Key("s".into())]).expect("s present");
        assert!(matches!(s, Value::List(items) if items.len() == 2 && items.iter().filter(|i| i.is_sensitive()).count() == 1));
    }
}
