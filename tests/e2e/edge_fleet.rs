//! End-to-end: `examples/edge-fleet` against real `sshd`s in network
//! namespaces (one per machine), with the stand-in installers of
//! `tests/fixtures/installers/` as the offline artifacts. Drives the real
//! binary: apply, no-op replan, add a machine (only it joins), failures
//! (wrong host key, an install that fails, an unreachable host), destroy
//! (uninstalls), and checks that no secret reaches any output.

use contin_e2e::netns::SshHost;
use contin_e2e::{repo_root, Output, Project};

struct Fleet {
    hosts: Vec<(String, String, SshHost)>, // (name, site, host)
    key_file: std::path::PathBuf,
}

impl Fleet {
    /// Machines `(name, site)`; every one accepts the first machine's client key.
    fn start(machines: &[(&str, &str)]) -> Fleet {
        let hosts: Vec<(String, String, SshHost)> =
            machines.iter().map(|(n, s)| (n.to_string(), s.to_string(), SshHost::start(n))).collect();
        let key_file = hosts[0].2.client_key_path();
        let public = std::fs::read_to_string(format!("{}.pub", key_file.display())).expect("client public key");
        for (_, _, h) in &hosts[1..] {
            h.authorize(&public);
        }
        Fleet { hosts, key_file }
    }

    fn host(&self, name: &str) -> &SshHost {
        &self.hosts.iter().find(|(n, _, _)| n == name).expect("machine").2
    }

    /// contin.tfvars for the first `n` machines; `host_key_of` overrides whose key is pinned.
    fn tfvars(&self, names: &[&str], host_key_of: &[(&str, &str)]) -> String {
        let mut out = format!(
            "ssh_private_key_file = \"{}\"\nartifacts_dir = \"{}\"\nhosts = {{\n",
            self.key_file.display(),
            repo_root().join("tests/fixtures/installers").display()
        );
        for (name, site, h) in self.hosts.iter().filter(|(n, _, _)| names.contains(&n.as_str())) {
            let key_owner = host_key_of.iter().find(|(n, _)| n == name).map_or(name.as_str(), |(_, o)| *o);
            out.push_str(&format!(
                "  {name} = {{ address = \"{}\", port = {}, site = \"{site}\", host_key = \"{}\" }}\n",
                h.address(),
                h.port(),
                self.host(key_owner).host_public_key()
            ));
        }
        out.push_str("}\n");
        out
    }

    fn installs(&self, name: &str) -> String {
        self.host(name).exec_in("cat /var/lib/contin-test/installs.log 2>/dev/null || true").stdout
    }
}

fn example() -> Project {
    let p = Project::empty();
    std::fs::copy(repo_root().join("examples/edge-fleet/main.hcl"), p.file("main.hcl")).expect("copying the example");
    p
}

/// Every secret of the run: join token, kubeconfig credentials, private key.
fn secrets(fleet: &Fleet) -> Vec<String> {
    let mut s = Vec::new();
    let token = fleet.host("a1").exec_in("cat /var/lib/rancher/k3s/server/node-token 2>/dev/null || true").stdout;
    if !token.trim().is_empty() {
        s.push(token.trim().to_string());
    }
    let key = std::fs::read_to_string(&fleet.key_file).expect("private key");
    // The base64 body lines of the key: none may leak.
    s.extend(key.lines().filter(|l| !l.starts_with("-----") && l.len() > 20).map(str::to_string));
    s
}

fn assert_no_secrets(what: &str, text: &str, secrets: &[String]) {
    for s in secrets {
        assert!(!text.contains(s.as_str()), "{what} leaks a secret ({}…):\n{text}", &s[..s.len().min(8)]);
    }
}

#[test]
fn edge_fleet_lifecycle() {
    let fleet = Fleet::start(&[("a1", "a"), ("a2", "a"), ("b1", "b"), ("a3", "a")]);
    let p = example();
    p.write("contin.tfvars", &fleet.tfvars(&["a1", "a2", "b1"], &[]));
    let mut outputs: Vec<(String, Output)> = Vec::new();

    // Apply: 3 sites, 3 hosts, 2 clusters.
    let out = p.run(&["apply", "-auto-approve"]);
    out.expect_code(0);
    assert!(out.stdout.contains("Resources: 8 added, 0 changed, 0 destroyed."), "{}", out.stdout);
    outputs.push(("apply".into(), out));
    let state = p.state();
    let assembly = &state["sites"]["site_a"]["clusters"]["assembly"];
    assert_eq!(assembly["flavor"], "k3s");
    assert_eq!(assembly["node_count"], 2, "{assembly}");
    assert_eq!(state["sites"]["site_b"]["clusters"]["packaging"]["node_count"], 1);
    assert_eq!(state["sites"]["site_a"]["hosts"], serde_json::json!(["m-a1", "m-a2"]));
    assert!(fleet.installs("a1").contains("server"), "{}", fleet.installs("a1"));
    assert!(fleet.installs("a2").contains("agent"), "{}", fleet.installs("a2"));
    assert!(fleet.installs("b1").contains("microk8s"), "{}", fleet.installs("b1"));
    assert!(fleet.installs("a3").is_empty());

    // Facts are in state.
    let show = p.run(&["state", "show", "host.m[\"a1\"]"]);
    show.expect_code(0);
    assert!(show.stdout.contains("arch") && show.stdout.contains("cpus"), "{}", show.stdout);
    outputs.push(("state show".into(), show));

    // No-op replan.
    let plan = p.run(&["plan", "-detailed-exitcode"]);
    plan.expect_code(0);
    outputs.push(("replan".into(), plan));

    // Add a machine: only it joins.
    let before: Vec<String> = ["a1", "a2", "b1"].iter().map(|n| fleet.installs(n)).collect();
    p.write("contin.tfvars", &fleet.tfvars(&["a1", "a2", "b1", "a3"], &[]));
    let out = p.run(&["apply", "-auto-approve"]);
    out.expect_code(0);
    assert!(out.stdout.contains("Resources: 1 added, 1 changed, 0 destroyed."), "{}", out.stdout);
    outputs.push(("add host".into(), out));
    let after: Vec<String> = ["a1", "a2", "b1"].iter().map(|n| fleet.installs(n)).collect();
    assert_eq!(before, after, "existing machines ran no installer again");
    assert!(fleet.installs("a3").contains("agent"), "{}", fleet.installs("a3"));
    assert_eq!(p.state()["sites"]["site_a"]["clusters"]["assembly"]["node_count"], 3);
    p.run(&["plan", "-detailed-exitcode"]).expect_code(0);

    // Unreachable machine on plan: a warning, not a deletion.
    fleet.host("b1").make_unreachable();
    let plan = p.run(&["plan", "-detailed-exitcode"]);
    fleet.host("b1").make_reachable();
    plan.expect_code(0);
    assert!(plan.stdout.contains("Warning: host.m[\"b1\"] is unreachable"), "{}", plan.all());
    assert!(!plan.stdout.contains("destroy"), "{}", plan.stdout);
    outputs.push(("unreachable plan".into(), plan));

    // JSON views.
    outputs.push(("show -json".into(), p.run(&["show", "-json"])));
    outputs.push(("plan -json".into(), p.run(&["plan", "-json"])));

    // Destroy uninstalls everywhere.
    let out = p.run(&["destroy", "-auto-approve"]);
    out.expect_code(0);
    outputs.push(("destroy".into(), out));
    for n in ["a1", "a2", "a3"] {
        let k3s = fleet.host(n).exec_in("ls /var/lib/rancher/k3s 2>/dev/null | wc -l").stdout;
        assert_eq!(k3s.trim(), "0", "{n} still has k3s data");
    }
    assert_eq!(p.state()["resources"], serde_json::json!([]));

    // Secrets: nowhere in any output, nor in the step logs.
    let secrets = secrets(&fleet);
    assert!(!secrets.is_empty());
    for (what, o) in &outputs {
        assert_no_secrets(what, &o.all(), &secrets);
    }
    let logs = std::process::Command::new("sh").arg("-c").arg(format!("cat -- $(find {} -name '*.log')", p.file(".contin/logs").display())).output().expect("reading logs");
    assert!(!logs.stdout.is_empty(), "per-step logs are written under .contin/logs");
    assert_no_secrets("step logs", &String::from_utf8_lossy(&logs.stdout), &secrets);
}

#[test]
fn edge_fleet_failures() {
    let fleet = Fleet::start(&[("a1", "a"), ("a2", "a"), ("b1", "b")]);

    // Wrong pinned host key: refused, nothing recorded for that host.
    let p = example();
    p.write("contin.tfvars", &fleet.tfvars(&["a1", "a2", "b1"], &[("b1", "a1")]));
    let out = p.run(&["apply", "-auto-approve"]);
    out.expect_code(1);
    assert!(out.stderr.contains("host key verification failed"), "{}", out.all());
    assert!(out.stderr.contains("host.m[\"b1\"]"), "{}", out.all());
    let addrs: Vec<String> = p.state()["resources"].as_array().expect("list").iter().map(|r| r["addr"].as_str().unwrap_or("").to_string()).collect();
    assert!(!addrs.contains(&"host.m[\"b1\"]".to_string()), "{addrs:?}");
    // The other machines were still connected and recorded (the clusters
    // wait: they depend on host.m as a whole, like Terraform's resource-level edges).
    assert!(addrs.contains(&"host.m[\"a1\"]".to_string()) && addrs.contains(&"host.m[\"a2\"]".to_string()), "{addrs:?}");
    p.run(&["destroy", "-auto-approve"]).expect_code(0);

    // An agent whose install fails: error with the script's last lines,
    // the rest is done and recorded, tainted (a create that failed part-way,
    // as in Terraform); fixing it and re-applying replaces the cluster.
    fleet.host("a2").exec_in("touch /var/lib/contin-test/fail-install").expect_code(0);
    let p = example();
    p.write("contin.tfvars", &fleet.tfvars(&["a1", "a2", "b1"], &[]));
    let out = p.run(&["apply", "-auto-approve"]);
    out.expect_code(1);
    assert!(out.stderr.contains("cluster.assembly"), "{}", out.all());
    assert!(out.stderr.contains("last lines"), "{}", out.all());
    let state = p.state();
    assert_eq!(state["sites"]["site_a"]["clusters"]["assembly"]["node_count"], 1, "the server is recorded");
    assert_eq!(state["sites"]["site_b"]["clusters"]["packaging"]["node_count"], 1, "the other site finished");
    fleet.host("a2").exec_in("rm /var/lib/contin-test/fail-install").expect_code(0);
    let plan = p.run(&["plan"]);
    assert!(plan.stdout.contains("cluster.assembly is tainted, so must be replaced"), "{}", plan.stdout);
    p.run(&["apply", "-auto-approve"]).expect_code(0);
    assert_eq!(p.state()["sites"]["site_a"]["clusters"]["assembly"]["node_count"], 2);
    p.run(&["destroy", "-auto-approve"]).expect_code(0);
}
