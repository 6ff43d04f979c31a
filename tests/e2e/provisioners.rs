//! End-to-end tests: provisioners through the real binary. local-exec
//! (environment, working_dir, output prefixed with the address, when =
//! destroy, on_failure continue vs fail → tainted, then replaced),
//! remote-exec and file against a real sshd in a network namespace, and
//! sensitive values: output suppressed, the secret printed nowhere.

use contin_e2e::netns::SshHost;
use contin_e2e::Project;

fn tf(text: &str) -> Project {
    let p = Project::empty();
    p.write("main.tf", text);
    p
}

/// The recorded `status` of `addr` in the state file.
fn status(p: &Project, addr: &str) -> String {
    let state = p.state();
    let r = state["resources"].as_array().expect("resources").iter().find(|r| r["addr"] == addr).cloned();
    let r = r.unwrap_or_else(|| panic!("{addr} not in state: {state}"));
    r["status"].as_str().unwrap_or("ready").to_string()
}

#[test]
fn local_exec_runs_after_create_with_environment_and_working_dir_and_destroy_time_before_delete() {
    let p = tf(r#"
resource "terraform_data" "a" {
  input = "alpha"

  provisioner "local-exec" {
    command     = "echo created ${self.input} $GREETING; pwd; echo to-stderr >&2; echo ${self.input} > made.txt"
    working_dir = "sub"
    environment = {
      GREETING = "hello-env"
    }
  }

  provisioner "local-exec" {
    when    = destroy
    command = "echo destroyed ${self.output} >> destroyed.txt"
  }
}
"#);
    std::fs::create_dir(p.file("sub")).unwrap();
    let out = p.run(&["apply", "-auto-approve"]);
    out.expect_code(0);
    let o = &out.stdout;
    assert!(o.contains("terraform_data.a (local-exec): Executing: [\"/bin/sh\" \"-c\" \"echo created alpha $GREETING;"), "{o}");
    assert!(o.contains("terraform_data.a (local-exec): created alpha hello-env\n"), "{o}");
    assert!(o.contains("terraform_data.a (local-exec): to-stderr\n"), "stderr is streamed too: {o}");
    let pwd_line = o.lines().find(|l| l.ends_with("/sub") && l.starts_with("terraform_data.a (local-exec): /")).unwrap_or_else(|| panic!("{o}"));
    assert!(pwd_line.contains("contin-e2e-"), "{pwd_line}");
    assert_eq!(p.read("sub/made.txt"), "alpha\n");
    // Output comes after the create started and before it is reported done.
    let started = o.find("terraform_data.a: Creating...").expect("creating line");
    let line = o.find("created alpha").expect("output line");
    let done = o.find("terraform_data.a: Creation complete").expect("complete line");
    assert!(started < line && line < done, "{o}");
    assert_eq!(status(&p, "terraform_data.a"), "ready");
    assert!(!p.exists("destroyed.txt"), "destroy-time provisioners do not run on create");

    // Nothing to do: no provisioner runs again.
    let again = p.run(&["apply", "-auto-approve"]);
    again.expect_code(0);
    assert!(!again.stdout.contains("(local-exec)"), "{}", again.stdout);

    let out = p.run(&["destroy", "-auto-approve"]);
    out.expect_code(0);
    assert_eq!(p.read("destroyed.txt"), "destroyed alpha\n", "self is the object being destroyed");
    assert!(out.stdout.contains("terraform_data.a (local-exec): Executing:"), "{}", out.stdout);
}

#[test]
fn on_failure_fail_taints_names_the_place_and_the_next_apply_replaces() {
    let p = tf(r#"
variable "fail" {
  default = true
}

resource "terraform_data" "ok" {
  input = "x"
  provisioner "local-exec" {
    command    = "echo ignoring this failure; exit 4"
    on_failure = continue
  }
}

resource "terraform_data" "web" {
  input = "v1"
  provisioner "local-exec" {
    command = var.fail ? "echo about to fail; exit 3" : "echo fine"
  }
}

resource "terraform_data" "after" {
  input = terraform_data.web.output
}
"#);
    let out = p.run(&["apply", "-auto-approve"]);
    out.expect_code(1);
    let all = out.all();
    assert!(all.contains("terraform_data.ok (local-exec): ignoring this failure"), "{all}");
    assert!(all.contains("continuing (on_failure = continue): running the command failed: exit status 4"), "{all}");
    assert!(all.contains("terraform_data.web (local-exec): about to fail"), "{all}");
    assert!(
        all.contains("terraform_data.web: local-exec provisioner error (main.tf:16:3): running the command failed: exit status 3; the object is tainted and will be replaced by the next apply"),
        "{all}"
    );
    assert!(all.contains("terraform_data.after: Skipped"), "{all}");
    assert_eq!(status(&p, "terraform_data.ok"), "ready");
    assert_eq!(status(&p, "terraform_data.web"), "tainted");

    let plan = p.run(&["plan", "-var", "fail=false"]);
    plan.expect_code(0);
    assert!(plan.stdout.contains("terraform_data.web is tainted, so must be replaced"), "{}", plan.stdout);

    let out = p.run(&["apply", "-auto-approve", "-var", "fail=false"]);
    out.expect_code(0);
    assert!(out.stdout.contains("terraform_data.web (local-exec): fine"), "{}", out.stdout);
    assert!(!out.stdout.contains("terraform_data.ok (local-exec)"), "an untouched object's provisioners do not run: {}", out.stdout);
    assert_eq!(status(&p, "terraform_data.web"), "ready");
    assert_eq!(status(&p, "terraform_data.after"), "ready");
}

#[test]
fn sensitive_values_suppress_command_and_output_everywhere() {
    let p = tf(r#"
variable "token" {
  type      = string
  sensitive = true
  default   = "MARKER-SECRET-7f3a"
}

resource "terraform_data" "s" {
  input = "plain"
  provisioner "local-exec" {
    command = "echo ${var.token}; echo again ${var.token} >&2"
  }
}

resource "terraform_data" "bad" {
  input = "plain"
  provisioner "local-exec" {
    command = "echo ${var.token}; exit 9"
  }
}
"#);
    let out = p.run(&["apply", "-auto-approve"]);
    out.expect_code(1);
    let all = out.all();
    assert!(!all.contains("MARKER-SECRET-7f3a"), "{all}");
    assert!(all.contains("terraform_data.s (local-exec): (output suppressed due to sensitive value in config)"), "{all}");
    assert!(all.contains("terraform_data.bad (local-exec): (output suppressed due to sensitive value in config)"), "{all}");
    assert!(all.contains("terraform_data.bad: local-exec provisioner error (main.tf:17:3): running the command failed: exit status 9"), "{all}");
    assert!(!p.read("contin.state.json").contains("MARKER-SECRET-7f3a"));
    let json = p.run(&["apply", "-auto-approve", "-json"]);
    assert!(!json.all().contains("MARKER-SECRET-7f3a"), "{}", json.all());
}

#[test]
fn remote_exec_and_file_run_over_ssh_with_a_pinned_host_key() {
    let host = SshHost::start("prov");
    let p = Project::empty();
    p.write("payload.txt", "from-a-local-file\n");
    p.write("scripts/check.sh", "#!/bin/sh\necho script-sees $(cat /var/lib/contin-test/content.txt)\n");
    p.write(
        "main.tf",
        &format!(
            r#"
resource "terraform_data" "r" {{
  input = "remote-v1"

  connection {{
    type        = "ssh"
    host        = "{addr}"
    user        = "root"
    private_key = file("{key}")
    host_key    = "{host_key}"
    timeout     = "30s"
  }}

  provisioner "file" {{
    content     = "content-${{self.input}}"
    destination = "/var/lib/contin-test/content.txt"
  }}

  provisioner "file" {{
    source      = "payload.txt"
    destination = "/var/lib/contin-test/payload.txt"
  }}

  provisioner "remote-exec" {{
    inline = [
      "echo remote-hello $(hostname)",
      "cat /var/lib/contin-test/payload.txt",
    ]
  }}

  provisioner "remote-exec" {{
    script = "scripts/check.sh"
  }}

  provisioner "remote-exec" {{
    when   = destroy
    inline = ["echo bye-${{self.input}} > /var/lib/contin-test/bye.txt"]
  }}
}}
"#,
            addr = host.address(),
            key = host.client_key_path().display(),
            host_key = host.host_public_key(),
        ),
    );
    let out = p.run(&["apply", "-auto-approve"]);
    out.expect_code(0);
    let o = &out.stdout;
    assert!(o.contains(&format!("terraform_data.r (remote-exec): remote-hello {}", host.name())), "{o}");
    assert!(o.contains("terraform_data.r (remote-exec): from-a-local-file"), "{o}");
    assert!(o.contains("terraform_data.r (remote-exec): script-sees content-remote-v1"), "{o}");
    assert!(o.contains(&format!("terraform_data.r (file):   Host: {}", host.address())), "{o}");
    assert!(o.contains("terraform_data.r (remote-exec): Connected!"), "{o}");
    let local = |path: &str| std::fs::read_to_string(host.local_path(path).expect("private dir")).unwrap_or_default();
    assert_eq!(local("/var/lib/contin-test/content.txt"), "content-remote-v1");
    assert_eq!(local("/var/lib/contin-test/payload.txt"), "from-a-local-file\n");
    assert!(!o.contains("BEGIN OPENSSH PRIVATE KEY"), "{o}");
    assert_eq!(status(&p, "terraform_data.r"), "ready");

    p.run(&["destroy", "-auto-approve"]).expect_code(0);
    assert_eq!(local("/var/lib/contin-test/bye.txt"), "bye-remote-v1\n");
}

#[test]
fn a_wrong_host_key_fails_the_provisioner_and_taints() {
    let host = SshHost::start("provbad");
    let p = tf(&format!(
        r#"
resource "terraform_data" "r" {{
  provisioner "remote-exec" {{
    inline = ["true"]
    connection {{
      host        = "{addr}"
      private_key = file("{key}")
      host_key    = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILn7V+/OckgVFcwV7v9KOJ4egvtPplYnxIfPFzrEVKvo"
    }}
  }}
}}
"#,
        addr = host.address(),
        key = host.client_key_path().display(),
    ));
    let out = p.run(&["apply", "-auto-approve"]);
    out.expect_code(1);
    let all = out.all();
    assert!(all.contains("terraform_data.r: remote-exec provisioner error (main.tf:3:3): connecting over SSH failed: host key verification failed"), "{all}");
    assert_eq!(status(&p, "terraform_data.r"), "tainted");
}
