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
