//! The quickstart's whole life through the real binary: plan, apply, no-op
//! replan, outputs, out-of-band drift, repair, destroy.

use contin_e2e::{insta_settings, Project};
use insta::{assert_json_snapshot, assert_snapshot};

const TOKEN: &str = "not-a-real-token";

#[test]
fn quickstart_lifecycle() {
    let p = Project::quickstart();
    let settings = insta_settings(&p.filters());

    // Plan on an empty state.
    let plan = p.run(&["plan"]);
    plan.expect_code(0);
    assert!(!plan.all().contains(TOKEN), "sensitive variable leaked:\n{}", plan.all());
    settings.bind(|| assert_snapshot!("quickstart_initial_plan", plan.stdout));
    p.run(&["plan", "-detailed-exitcode"]).expect_code(2);

    let json = p.run(&["plan", "-json"]);
    json.expect_code(0);
    assert!(!json.stdout.contains(TOKEN), "sensitive variable leaked in JSON plan");
    let doc: serde_json::Value = serde_json::from_str(&json.stdout).expect("plan --json prints JSON");
    settings.bind(|| assert_json_snapshot!("quickstart_initial_plan_json", doc));

    // Apply.
    let apply = p.run(&["apply", "-auto-approve"]);
    apply.expect_code(0);
    assert!(apply.stdout.contains("local_file.readme: Creating..."), "{}", apply.stdout);
    assert!(apply.stdout.contains("local_file.readme: Creation complete after"), "{}", apply.stdout);
    assert!(apply.stdout.contains("Apply complete! Resources: 7 added, 0 changed, 0 destroyed."), "{}", apply.stdout);
    assert!(apply.stdout.contains("api_token = <sensitive>"), "{}", apply.stdout);
    assert!(!apply.all().contains(TOKEN), "sensitive variable leaked:\n{}", apply.all());
    assert_eq!(p.read("out/README.txt"), "QUICKSTART DEPLOYMENT\nenvironments: dev, staging\n");
    let dev: serde_json::Value = serde_json::from_str(&p.read("out/dev.json")).expect("dev.json is JSON");
    assert_eq!(dev, serde_json::json!({"environment": "dev", "labels": {"managed_by": "contin", "project": "quickstart"}}));
    assert!(p.exists("out/staging.json"));
    assert_eq!(p.read("out/announce.txt"), "deployed quickstart\n");
    assert!(!p.exists("contin.state.json.lock"), "lock released after apply");

    let list = p.run(&["state", "list"]);
    list.expect_code(0);
    settings.bind(|| assert_snapshot!("quickstart_state_list", list.stdout));
    let servers = p.run(&["state", "list", "fake_resource.server"]);
    assert_eq!(servers.stdout, "fake_resource.server[0]\nfake_resource.server[1]\n");

    // Second plan: nothing to do.
    let replan = p.run(&["plan", "-detailed-exitcode"]);
    replan.expect_code(0);
    assert!(replan.stdout.contains("No changes."), "{}", replan.stdout);

    // Outputs: the sensitive one only with NAME --raw.
    let outputs = p.run(&["output"]);
    outputs.expect_code(0);
    assert!(outputs.stdout.contains("api_token = <sensitive>"), "{}", outputs.stdout);
    assert!(outputs.stdout.contains("\"out/README.txt\","), "{}", outputs.stdout);
    assert!(!outputs.all().contains(TOKEN));
    assert_eq!(p.run(&["output", "-raw", "api_token"]).stdout, TOKEN);
    let names = p.run(&["output", "-json", "server_names"]);
    let names: serde_json::Value = serde_json::from_str(&names.stdout).expect("output -json is JSON");
    assert_eq!(names, serde_json::json!(["quickstart-server-0", "quickstart-server-1"]));
    let shown = p.run(&["state", "show", "fake_resource.server[0]"]);
    shown.expect_code(0);
    assert!(shown.stdout.contains("name            = \"quickstart-server-0\""), "{}", shown.stdout);
    assert!(shown.stdout.contains("sensitive_value = (sensitive value)") && !shown.stdout.contains(TOKEN), "{}", shown.stdout);

    // Out-of-band edit: drift is shown and the file is replaced.
    p.write("out/README.txt", "edited by hand\n");
    let drift = p.run(&["plan", "-detailed-exitcode"]);
    drift.expect_code(2);
    assert!(drift.stdout.contains("Objects have changed outside of contin"), "{}", drift.stdout);
    assert!(drift.stdout.contains("# local_file.readme must be replaced"), "{}", drift.stdout);
    p.run(&["apply", "-auto-approve"]).expect_code(0);
    assert_eq!(p.read("out/README.txt"), "QUICKSTART DEPLOYMENT\nenvironments: dev, staging\n");
    p.run(&["plan", "-detailed-exitcode"]).expect_code(0);

    // Destroy removes everything.
    let destroy = p.run(&["destroy", "-auto-approve"]);
    destroy.expect_code(0);
    assert!(destroy.stdout.contains("Destroy complete! Resources: 7 destroyed."), "{}", destroy.stdout);
    for f in ["out/README.txt", "out/dev.json", "out/staging.json", "out/announce.txt"] {
        assert!(!p.exists(f), "{f} still exists after destroy");
    }
    assert_eq!(p.run(&["state", "list"]).stdout, "");
    assert_eq!(p.state()["resources"], serde_json::json!([]));
}

#[test]
fn variables_from_flags_files_and_env() {
    let p = Project::quickstart();
    p.write("prod.tfvars", "environments = [\"prod\"]\nreplicas = 1\n");
    p.run_with(
        &["apply", "-auto-approve", "-var-file=prod.tfvars", "-var", "project=demo"],
        None,
        &[("CONTIN_VAR_api_token", "from-env")],
    )
    .expect_code(0);
    assert_eq!(p.read("out/README.txt"), "DEMO DEPLOYMENT\nenvironments: prod\n");
    assert!(p.exists("out/prod.json") && !p.exists("out/dev.json"));
    assert_eq!(p.run(&["state", "list", "fake_resource.server"]).stdout, "fake_resource.server[0]\n");
    assert_eq!(p.run(&["output", "-raw", "api_token"]).stdout, "from-env");
}

#[test]
fn saved_plan_applies_without_prompt() {
    let p = Project::quickstart();
    let plan = p.run(&["plan", "-out=tf.bin"]);
    plan.expect_code(0);
    assert!(plan.stdout.contains("Saved the plan to: tf.bin"), "{}", plan.stdout);
    let show = p.run(&["show", "tf.bin"]);
    show.expect_code(0);
    assert_eq!(show.stdout, plan.stdout.split("\nSaved the plan to").next().unwrap_or_default());
    // No TTY and no -auto-approve: a saved plan is applied anyway (it was reviewed).
    let apply = p.run(&["apply", "tf.bin"]);
    apply.expect_code(0);
    assert!(apply.stdout.contains("Apply complete! Resources: 7 added"), "{}", apply.stdout);
    let shown = p.run(&["show"]);
    shown.expect_code(0);
    assert!(shown.stdout.contains("# local_file.readme:") && !shown.stdout.contains(TOKEN), "{}", shown.stdout);
}

#[test]
fn saved_plan_keeps_its_variables() {
    // A required variable given only at plan time: applying the file needs no -var.
    let p = Project::with_main(
        "variable \"name\" {\n  type = string\n}\n\nvariable \"sizes\" {\n  type    = map(number)\n  default = {}\n}\n\n\
         resource \"fake_resource\" \"a\" {\n  name  = var.name\n  value = var.sizes\n}\n\n\
         output \"n\" {\n  value = fake_resource.a.name\n}\n",
    );
    p.run(&["plan", "-var", "name=x ${literally}", "-var", "sizes={ small = 1 }", "-out=p.bin"]).expect_code(0);
    p.run(&["apply", "p.bin"]).expect_code(0);
    assert_eq!(p.state()["outputs"]["n"]["value"], "x ${literally}");
    assert_eq!(p.state()["resources"][0]["attributes"]["value"], serde_json::json!({"small": 1}));
    // A saved plan cannot be combined with new variables.
    p.run(&["apply", "p.bin", "-var", "name=y"]).expect_code(1);
}

#[test]
fn state_commands_need_no_variables() {
    // Like Terraform: reading the state does not need the inputs of the configuration.
    let p = Project::with_main("variable \"name\" {\n  type = string\n}\n\nresource \"fake_resource\" \"a\" {\n  name = var.name\n}\n\noutput \"n\" {\n  value = fake_resource.a.name\n}\n");
    p.run(&["apply", "-auto-approve", "-var", "name=x"]).expect_code(0);
    assert_eq!(p.run(&["state", "list"]).expect_code(0).stdout, "fake_resource.a\n");
    assert_eq!(p.run(&["output", "-raw", "n"]).expect_code(0).stdout, "x");
    p.run(&["show"]).expect_code(0);
    p.run(&["state", "show", "fake_resource.a"]).expect_code(0);
}
