//! Golden tests of every rendered script per flavor and role, with a fixed
//! context (the token is a placeholder), plus a `sh -n` syntax check of each.

use contin_provider_onprem::cluster::script::{render, Flavor, Role, Script, ScriptContext, BIN_DIR};

fn context(flavor: Flavor, role: Role, script: Script) -> ScriptContext {
    let joins = script == Script::JoinAgent;
    ScriptContext {
        cluster_name: "edge".into(),
        flavor: flavor.as_str(),
        node_name: if role == Role::Server { "f7-n1".into() } else { "f7-n2".into() },
        role,
        server_address: "10.0.0.11".into(),
        token: if joins { "<JOIN-TOKEN>".into() } else { String::new() },
        artifacts_dir: flavor.remote_artifacts_dir(),
        bin_dir: BIN_DIR.into(),
        script_dir: "/opt/contin/clusters/edge".into(),
        version: "v1.30.2".into(),
        extra_args: if flavor == Flavor::K3s { "--disable traefik".into() } else { String::new() },
        ha: false,
    }
}

fn cases() -> Vec<(Flavor, Script, Role)> {
    let mut out = Vec::new();
    for flavor in [Flavor::K3s, Flavor::Microk8s, Flavor::Kubeedge] {
        out.push((flavor, Script::InstallServer, Role::Server));
        out.push((flavor, Script::JoinAgent, Role::Agent));
        if flavor != Flavor::Kubeedge {
            out.push((flavor, Script::JoinAgent, Role::Server));
        }
        for role in [Role::Server, Role::Agent] {
            out.push((flavor, Script::Uninstall, role));
            out.push((flavor, Script::Status, role));
        }
    }
    out
}

fn role_name(r: Role) -> &'static str {
    match r {
        Role::Server => "server",
        Role::Agent => "agent",
    }
}

#[test]
fn rendered_scripts() {
    for (flavor, script, role) in cases() {
        let text = render(flavor, script, &context(flavor, role, script)).unwrap();
        let name = format!("{}__{}__{}", flavor.as_str(), script.file_name().trim_end_matches(".sh"), role_name(role));
        insta::assert_snapshot!(name, text);
    }
}

#[test]
fn k3s_ha_first_server_initializes_etcd() {
    let mut ctx = context(Flavor::K3s, Role::Server, Script::InstallServer);
    ctx.ha = true;
    let text = render(Flavor::K3s, Script::InstallServer, &ctx).unwrap();
    assert!(text.contains(r#"INSTALL_K3S_EXEC="server --cluster-init --node-name"#), "{text}");
}

#[test]
fn rendered_scripts_are_valid_posix_sh() {
    for (flavor, script, role) in cases() {
        let text = render(flavor, script, &context(flavor, role, script)).unwrap();
        let out = std::process::Command::new("sh").args(["-n", "-c", &text]).output().unwrap();
        assert!(out.status.success(), "{flavor:?} {script:?} {role:?}: {}\n{text}", String::from_utf8_lossy(&out.stderr));
        assert!(text.starts_with("#!/bin/sh\n") && text.contains("\nset -eu\n"), "{flavor:?} {script:?}");
    }
}

#[test]
fn values_reaching_the_shell_are_quoted() {
    let mut ctx = context(Flavor::K3s, Role::Agent, Script::JoinAgent);
    ctx.node_name = "n1'; touch /tmp/pwned; '".into();
    ctx.token = "tok$(reboot)".into();
    let text = render(Flavor::K3s, Script::JoinAgent, &ctx).unwrap();
    assert!(text.contains(r"NODE_NAME='n1'\''; touch /tmp/pwned; '\'''"), "{text}");
    assert!(text.contains("K3S_TOKEN='tok$(reboot)'"), "{text}");
}

#[test]
fn only_join_scripts_carry_the_token() {
    for (flavor, script, role) in cases() {
        let mut ctx = context(flavor, role, script);
        ctx.token = "<JOIN-TOKEN>".into();
        let text = render(flavor, script, &ctx).unwrap();
        assert_eq!(text.contains("<JOIN-TOKEN>"), script == Script::JoinAgent, "{flavor:?} {script:?}");
    }
}
