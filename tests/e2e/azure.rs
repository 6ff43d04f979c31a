//! End-to-end tests: azurerm (the real contin binary against the ARM fake,
//! `contin-fake-azure`). What exists in "Azure" is checked in the fake's
//! store, never through contin.

use contin_e2e::{contin_bin, repo_root, Output, Project};
use contin_fake_azure::{FakeAzure, Options};
use std::process::{Command, Stdio};
use std::time::Duration;

/// A client secret nothing may ever print or store in clear.
const MARKER: &str = "azure-MARKER-secret-7d41c9";

fn fake() -> FakeAzure {
    FakeAzure::start(Options { client_secret: MARKER.into(), polls: 2, ..Options::default() })
}

fn env(f: &FakeAzure) -> Vec<(&'static str, String)> {
    let o = f.options();
    vec![
        ("CONTIN_VAR_azure_endpoint", f.url().to_string()),
        ("CONTIN_VAR_azure_authority_host", f.url().to_string()),
        ("CONTIN_VAR_azure_subscription_id", o.subscription.clone()),
        ("CONTIN_VAR_azure_tenant_id", o.tenant.clone()),
        ("CONTIN_VAR_azure_client_id", o.client_id.clone()),
        ("CONTIN_VAR_azure_client_secret", o.client_secret.clone()),
        // Never the developer's own Azure login.
        ("AZURE_CONFIG_DIR", "/nonexistent/contin-test/azure".into()),
    ]
}

fn run(p: &Project, f: &FakeAzure, args: &[&str]) -> Output {
    let e = env(f);
    let all: Vec<(&str, &str)> = e.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let out = p.run_with(args, None, &all);
    assert!(!out.stdout.contains(MARKER) && !out.stderr.contains(MARKER), "the client secret leaked into the output of {args:?}:\n{}", out.all());
    out
}

fn example() -> Project {
    let p = Project::empty();
    let text = std::fs::read_to_string(repo_root().join("examples/multi-cloud/azure.tf")).expect("examples/multi-cloud/azure.tf");
    p.write("azure.tf", &text);
    p
}

const VM: &str = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/contin-multicloud/providers/Microsoft.Compute/virtualMachines/contin-vm";

/// The secret is in no state file, plan output or request the fake logged.
fn assert_no_secret(p: &Project, f: &FakeAzure) {
    for entry in std::fs::read_dir(p.path()).unwrap().flatten() {
        if entry.path().is_file() {
            let bytes = std::fs::read(entry.path()).unwrap();
            assert!(!String::from_utf8_lossy(&bytes).contains(MARKER), "{} holds the secret in clear", entry.path().display());
        }
    }
    for l in f.log() {
        assert!(!format!("{l:?}").contains(MARKER), "{l:?}");
    }
}

#[test]
fn example_applies_replans_clean_repairs_drift_and_destroys() {
    let f = fake();
    let p = example();
    let apply = run(&p, &f, &["apply", "-auto-approve"]);
    apply.expect_code(0);
    assert!(apply.stdout.contains("Apply complete! Resources: 7 added, 0 changed, 0 destroyed."), "{}", apply.all());
    assert_eq!(f.ids().len(), 7, "{:?}", f.ids());
    let vm = f.get(VM).expect("the VM exists in the fake");
    assert_eq!(vm["properties"]["hardwareProfile"]["vmSize"], "Standard_B1s");
    assert_eq!(vm["tags"]["contin-address"], "azurerm_linux_virtual_machine.azure_vm");
    let outputs = run(&p, &f, &["output", "-json"]);
    outputs.expect_code(0);
    let o: serde_json::Value = serde_json::from_str(&outputs.stdout).unwrap();
    assert_eq!(o["azure_vm_id"]["value"], VM);
    let pip = f.get("/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/contin-multicloud/providers/Microsoft.Network/publicIPAddresses/contin-vm-ip").unwrap();
    assert_eq!(o["azure_vm_public_ip"]["value"], pip["properties"]["ipAddress"]);
    assert_eq!(o["azure_vm_private_ip"]["value"], "10.20.1.4");
    // Every ARM request carried an api-version the SDK packages use.
    for l in f.log().iter().filter(|l| l.path.contains("/providers/Microsoft.")) {
        let v = l.api_version.as_deref().unwrap_or("");
        assert!(["2024-03-01", "2024-07-01"].contains(&v), "{l:?}");
    }

    // Unchanged: no-op.
    let replan = run(&p, &f, &["plan", "-detailed-exitcode"]);
    replan.expect_code(0);
    assert!(replan.stdout.contains("No changes."), "{}", replan.all());

    // A tag changed behind contin's back is drift; apply puts it back.
    assert!(f.set_tag(VM, "role", "tampered"));
    let drift = run(&p, &f, &["plan", "-detailed-exitcode"]);
    drift.expect_code(2);
    assert!(drift.stdout.contains("azurerm_linux_virtual_machine.azure_vm will be updated in-place"), "{}", drift.all());
    assert!(drift.stdout.contains("\"tampered\" -> \"web\""), "{}", drift.all());
    run(&p, &f, &["apply", "-auto-approve"]).expect_code(0);
    assert_eq!(f.get(VM).unwrap()["tags"]["role"], "web");
    assert_eq!(f.get(VM).unwrap()["tags"]["contin-lineage"], p.state()["lineage"], "ownership tags survive the update");
    run(&p, &f, &["plan", "-detailed-exitcode"]).expect_code(0);
    assert_no_secret(&p, &f);

    // Destroy leaves the fake empty (dependants first: no 409).
    let destroy = run(&p, &f, &["destroy", "-auto-approve"]);
    destroy.expect_code(0);
    assert!(f.ids().is_empty(), "{:?}", f.ids());
    assert!(f.log().iter().all(|l| l.status != 409), "a delete hit a conflict: {:?}", f.log().iter().filter(|l| l.status == 409).collect::<Vec<_>>());
    assert_no_secret(&p, &f);
}

#[test]
fn kill_between_the_create_request_and_the_state_write_then_the_rerun_adopts() {
    let f = fake();
    let p = example();
    // The VM's PUT reaches the fake (the VM exists), its answer is held, and
    // contin dies by SIGKILL before it can record anything.
    f.hold_put("virtualmachines/contin-vm");
    let mut cmd: Command = p.command(&["apply", "-auto-approve"]);
    for (k, v) in env(&f) {
        cmd.env(k, v);
    }
    let mut child = cmd.stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap_or_else(|e| panic!("starting {}: {e}", contin_bin().display()));
    let held = f.wait_for(Duration::from_secs(90), |f| f.held() == 1);
    let _ = child.kill(); // SIGKILL
    let status = child.wait().unwrap();
    assert!(held, "the VM create never reached the fake");
    assert!(status.code().is_none(), "killed by a signal: {status:?}");
    f.release();
    assert!(f.get(VM).is_some(), "the VM exists although contin never heard back");
    // The held request is logged once its handler ends (answered or dropped).
    let vm_puts = |f: &FakeAzure| f.log().iter().filter(|l| l.method == "PUT" && l.path.ends_with("/virtualMachines/contin-vm")).count();
    // The held counter and the log entry are updated by separate guards: wait for both.
    f.wait_for(Duration::from_secs(30), |f| f.held() == 0 && vm_puts(f) == 1);
    assert_eq!(vm_puts(&f), 1);

    // The re-run adopts the VM by its contin-lineage/contin-address tags.
    let again = run(&p, &f, &["apply", "-auto-approve"]);
    again.expect_code(0);
    assert!(!again.all().contains("AlreadyExists"), "{}", again.all());
    let vms: Vec<String> = f.ids().into_iter().filter(|i| i.contains("/virtualMachines/")).collect();
    assert_eq!(vms, vec![VM.to_string()], "exactly one VM");
    assert_eq!(vm_puts(&f), 2, "the adopted VM is converged by one PUT to the same id");
    let state = p.state().to_string();
    assert!(state.contains(VM), "the VM is in state now");
    run(&p, &f, &["plan", "-detailed-exitcode"]).expect_code(0);
    assert_no_secret(&p, &f);
    run(&p, &f, &["destroy", "-auto-approve"]).expect_code(0);
    assert!(f.ids().is_empty(), "{:?}", f.ids());
}

#[test]
fn a_wrong_secret_is_an_error_that_does_not_show_it() {
    let f = fake();
    let p = example();
    let e = env(&f);
    let mut all: Vec<(&str, &str)> = e.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let wrong = "azure-WRONG-secret-01b7";
    all.retain(|(k, _)| *k != "CONTIN_VAR_azure_client_secret");
    all.push(("CONTIN_VAR_azure_client_secret", wrong));
    let out = p.run_with(&["apply", "-auto-approve"], None, &all);
    assert_ne!(out.code, 0);
    assert!(!out.all().contains(wrong), "{}", out.all());
    assert!(out.all().contains("azurerm_resource_group.azure_main"), "the error names the resource: {}", out.all());
    assert!(f.ids().is_empty());
}
