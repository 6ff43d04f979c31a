//! Golden tests of the Terraform language blocks handled by the planner:
//! `precondition` / `postcondition` (resources, data sources, outputs),
//! `check` assertions, `moved`, `removed` and `replace_triggered_by`.

use super::*;

#[test]
fn preconditions_fail_with_their_error_message_at_the_condition() {
    let hcl = r#"
resource "fake_resource" "a" {
  count = 2
  name  = "a${count.index}"
  lifecycle {
    precondition {
      condition     = count.index < 1
      error_message = "only one a allowed, got index ${count.index}"
    }
  }
}

output "o" {
  value = "x"
  precondition {
    condition     = length(fake_resource.a) > 5
    error_message = "need more than five"
  }
}
"#;
    insta::assert_snapshot!(Case::new(hcl).summary());
}

#[test]
fn postconditions_see_self_and_wait_for_unknown_values() {
    // `self.name` is known at plan: checked now; `self.id` is known after
    // apply: not decided at plan time (no error).
    let hcl = r#"
resource "fake_resource" "a" {
  name = "short"
  lifecycle {
    postcondition {
      condition     = length(self.name) > 10
      error_message = "name ${self.name} is too short"
    }
    postcondition {
      condition     = self.id != ""
      error_message = "no id"
    }
  }
}
"#;
    insta::assert_snapshot!(Case::new(hcl).summary());
    let ok = r#"
resource "fake_resource" "a" {
  name = "long enough name"
  lifecycle {
    postcondition {
      condition     = length(self.name) > 10 && self.id != ""
      error_message = "bad"
    }
  }
}
"#;
    assert!(Case::new(ok).run().is_ok());
}

#[test]
fn sensitive_error_messages_are_not_shown() {
    let hcl = r#"
resource "fake_resource" "a" {
  name            = "a"
  sensitive_value = "hunter2"
  lifecycle {
    postcondition {
      condition     = self.name == "b"
      error_message = "secret is ${self.sensitive_value}"
    }
  }
}
"#;
    let out = Case::new(hcl).summary();
    assert!(!out.contains("hunter2"), "{out}");
    insta::assert_snapshot!(out);
}

#[test]
fn non_bool_conditions_are_errors() {
    let hcl = r#"
resource "fake_resource" "a" {
  lifecycle {
    precondition {
      condition     = null
      error_message = "x"
    }
    precondition {
      condition     = "maybe"
      error_message = "x"
    }
  }
}
"#;
    insta::assert_snapshot!(Case::new(hcl).summary());
}

/// `CHAIN`'s state with `a` renamed `x` and `c` renamed `old_c`.
const MOVED: &str = r#"
resource "fake_resource" "x" {
  count = 2
  name  = "a${count.index}"
}

resource "fake_resource" "b" {
  count = 2
  name  = "b${count.index}"
  value = fake_resource.x[count.index].id
}

resource "fake_resource" "c" {
  name = "c"
}

moved {
  from = fake_resource.a
  to   = fake_resource.x
}

moved {
  from = fake_resource.old_c
  to   = fake_resource.mid_c
}

moved {
  from = fake_resource.mid_c
  to   = fake_resource.c
}
"#;

fn moved_state() -> serde_json::Value {
    let mut s = chain_state();
    s[4] = rs("fake_resource.old_c", serde_json::json!({"id": "ic", "name": "c"}), &[]);
    s
}

#[test]
fn moved_blocks_rename_state_instances_and_follow_chains() {
    let case = Case::new(MOVED).state(moved_state()).refreshed_as_recorded();
    let p = case.run().unwrap_or_else(|d| panic!("{d}"));
    let moved: Vec<String> = p.language.moved.iter().map(|(f, t)| format!("{f} -> {t}")).collect();
    assert_eq!(moved, ["fake_resource.a[0] -> fake_resource.x[0]", "fake_resource.a[1] -> fake_resource.x[1]", "fake_resource.old_c -> fake_resource.c"]);
    // Nothing is created or destroyed: the moved objects are the configured ones.
    assert!(p.changes.iter().all(|c| c.action == crate::plan::Action::NoOp), "{}", summarize(&p));
    assert!(p.has_changes(), "a move alone is something to apply");
    insta::assert_snapshot!(crate::render::render_plan(&p, false));
}

#[test]
fn moved_and_changed_says_moved_from() {
    let hcl = r#"
resource "fake_resource" "n" {
  name = "new name"
}
moved {
  from = fake_resource.c
  to   = fake_resource.n
}
"#;
    let state = serde_json::json!([rs("fake_resource.c", serde_json::json!({"id": "ic", "name": "c"}), &[])]);
    let p = Case::new(hcl).state(state).refreshed_as_recorded().run().unwrap_or_else(|d| panic!("{d}"));
    let out = crate::render::render_plan(&p, false);
    assert!(out.contains("  # fake_resource.n will be updated in-place\n  # (moved from fake_resource.c)\n"), "{out}");
}

#[test]
fn move_conflicts_are_located_errors() {
    let hcl = r#"
resource "fake_resource" "a" {
  name = "a"
}
resource "fake_resource" "b" {
  name = "b"
}
moved {
  from = fake_resource.a
  to   = fake_resource.b
}
moved {
  from = fake_resource.p
  to   = fake_resource.q
}
moved {
  from = fake_resource.p
  to   = fake_resource.r
}
moved {
  from = fake_resource.s
  to   = fake_resource.t
}
moved {
  from = fake_resource.t
  to   = fake_resource.s
}
moved {
  from = fake_resource.u
  to   = fake_thing.u
}
"#;
    insta::assert_snapshot!(Case::new(hcl).summary());
}

#[test]
fn move_onto_an_existing_object_is_left_with_a_warning() {
    let hcl = r#"
resource "fake_resource" "b" {
  name = "b"
}
moved {
  from = fake_resource.a
  to   = fake_resource.b
}
"#;
    let state = serde_json::json!([
        rs("fake_resource.a", serde_json::json!({"id": "ia", "name": "a"}), &[]),
        rs("fake_resource.b", serde_json::json!({"id": "ib", "name": "b"}), &[]),
    ]);
    let p = Case::new(hcl).state(state).refreshed_as_recorded().run().unwrap_or_else(|d| panic!("{d}"));
    assert!(p.language.moved.is_empty());
    assert_eq!(p.language.warnings[0].summary, "Unresolved resource instance address changes");
    // a is not configured (and did not move): destroyed, as Terraform does.
    insta::assert_snapshot!(summarize(&p));
}

#[test]
fn removed_with_destroy_false_forgets_and_destroy_true_deletes() {
    let hcl = r#"
resource "fake_resource" "c" {
  name = "c"
}
removed {
  from = fake_resource.a
  lifecycle {
    destroy = false
  }
}
removed {
  from = fake_resource.b
}
"#;
    let p = Case::new(hcl).state(chain_state()).refreshed_as_recorded().run().unwrap_or_else(|d| panic!("{d}"));
    let forgotten: Vec<String> = p.language.forgotten.iter().map(ToString::to_string).collect();
    assert_eq!(forgotten, ["fake_resource.a[0]", "fake_resource.a[1]"]);
    insta::assert_snapshot!(crate::render::render_plan(&p, false));
}

#[test]
fn removed_still_declared_is_an_error() {
    let hcl = r#"
resource "fake_resource" "a" {
  name = "a"
}
removed {
  from = fake_resource.a
  lifecycle {
    destroy = false
  }
}
"#;
    insta::assert_snapshot!(Case::new(hcl).summary());
}

#[test]
fn failed_check_assertions_are_warnings() {
    let hcl = r#"
resource "fake_resource" "a" {
  name = "a"
}
check "names" {
  assert {
    condition     = fake_resource.a.name == "b"
    error_message = "a is not named b"
  }
  assert {
    condition     = fake_resource.a.id != ""
    error_message = "unknown until apply: not checked"
  }
}
"#;
    let p = Case::new(hcl).run().unwrap_or_else(|d| panic!("{d}"));
    let w: Vec<String> = p.language.warnings.iter().map(|d| format!("{} [{}]: {}", d.summary, d.severity_name(), d.detail)).collect();
    assert_eq!(w, ["Check block assertion failed [warning]: a is not named b"]);
}

#[test]
fn replace_triggered_by_replaces_when_the_reference_changes() {
    // b[i] follows a[i] as a whole instance; c follows a[0].name only.
    let hcl = r#"
resource "fake_resource" "a" {
  count = 2
  name  = count.index == 0 ? "a0-renamed" : "a1"
}

resource "fake_resource" "b" {
  count = 2
  name  = "b${count.index}"
  value = "ia${count.index}"
  lifecycle {
    replace_triggered_by = [fake_resource.a[count.index]]
  }
}

resource "fake_resource" "c" {
  name = "c"
  lifecycle {
    replace_triggered_by = [fake_resource.a[1].name, fake_resource.a[0].id]
  }
}
"#;
    let p = Case::new(hcl).state(chain_state()).refreshed_as_recorded().run().unwrap_or_else(|d| panic!("{d}"));
    let actions: Vec<String> = p.changes.iter().map(|c| format!("{} {:?} {:?}", c.addr, c.action, c.reason)).collect();
    assert_eq!(
        actions,
        [
            "fake_resource.a[0] Update None",
            "fake_resource.a[1] NoOp None",
            "fake_resource.b[0] Replace Some(ReplaceTriggered)",
            "fake_resource.b[1] NoOp None",
            // a[0].id is not changed by an in-place update, a[1].name did not change.
            "fake_resource.c NoOp None",
        ]
    );
    let out = crate::render::render_plan(&p, false);
    assert!(out.contains("  # fake_resource.b[0] will be replaced due to changes in replace_triggered_by\n"), "{out}");
}

#[test]
fn dynamic_blocks_and_references_to_their_iterators_plan() {
    // The fake resource has no nested blocks: the generated `rule` block is
    // refused by the schema (a located error naming it), and the iterator
    // `rule.value` is not taken for a reference to an undeclared resource.
    let hcl = r#"
resource "fake_resource" "a" {
  name = "a"
  dynamic "rule" {
    for_each = ["x"]
    content {
      n = rule.value
    }
  }
}
"#;
    let out = Case::new(hcl).summary();
    assert!(out.contains("rule"), "{out}");
    assert!(!out.contains("undeclared"), "the iterator is not a resource reference: {out}");
}
