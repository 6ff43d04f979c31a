//! The docker provider (kreuzwerker/docker names) through the binary:
//! HashiCorp's learn-terraform-docker-container main.tf, exactly as
//! published, validates and plans with no daemon (DOCKER_HOST points at a
//! socket that does not exist: configure and plan make no call); a tcp://
//! host is a clear error; and, when podman is installed here, apply /
//! re-plan / destroy of a busybox container against podman's Docker API.

use contin_e2e::Project;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const TUTORIAL: &str = r#"terraform {
  required_providers {
    docker = {
      source  = "kreuzwerker/docker"
      version = "~> 3.0.1"
    }
  }
}

provider "docker" {}

resource "docker_image" "nginx" {
  name         = "nginx"
  keep_locally = false
}

resource "docker_container" "nginx" {
  image = docker_image.nginx.image_id
  name  = "tutorial"

  ports {
    internal = 80
    external = 8000
  }
}
"#;

const NO_DAEMON: &str = "unix:///nonexistent/contin-e2e-docker.sock";

#[test]
fn tutorial_validates_and_plans_without_a_daemon() {
    let p = Project::empty();
    p.write("main.tf", TUTORIAL);
    let v = p.run_with(&["validate"], None, &[("DOCKER_HOST", NO_DAEMON)]);
    v.expect_code(0);
    let plan = p.run_with(&["plan"], None, &[("DOCKER_HOST", NO_DAEMON)]);
    plan.expect_code(0);
    let out = plan.all();
    assert!(out.contains("2 to add"), "{out}");
    assert!(out.contains("docker_image.nginx") && out.contains("docker_container.nginx"), "{out}");
    assert!(out.contains("tutorial") && out.contains("8000"), "{out}");
    assert!(!out.contains("nonexistent"), "plan must not contact the daemon: {out}");
}

#[test]
fn tcp_host_is_a_clear_error() {
    let p = Project::empty();
    p.write("main.tf", &TUTORIAL.replace("provider \"docker\" {}", "provider \"docker\" {\n  host = \"tcp://127.0.0.1:2376\"\n}"));
    let out = p.run_with(&["plan"], None, &[("DOCKER_HOST", NO_DAEMON)]);
    assert_ne!(out.code, 0, "{}", out.all());
    assert!(out.all().contains("only local unix sockets"), "{}", out.all());
}

#[test]
fn apply_without_daemon_names_the_socket() {
    let p = Project::empty();
    p.write("main.tf", TUTORIAL);
    let out = p.run_with(&["apply", "-auto-approve"], None, &[("DOCKER_HOST", NO_DAEMON)]);
    assert_ne!(out.code, 0, "{}", out.all());
    assert!(out.all().contains("/nonexistent/contin-e2e-docker.sock"), "{}", out.all());
}

/// podman's Docker API service on a private socket; killed on drop, with
/// the test's container force-removed.
struct Podman {
    child: Child,
    socket: PathBuf,
    conf: String,
    container: String,
}

impl Drop for Podman {
    fn drop(&mut self) {
        let _ = Command::new("podman")
            .env("CONTAINERS_CONF", &self.conf)
            .args(["--runtime", "/usr/sbin/runc", "rm", "-f", "-t", "0", &self.container])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.socket);
    }
}

fn podman(container: &str) -> Option<Podman> {
    let out = Command::new("/work/shared/tools/podman-local.sh").stderr(Stdio::null()).output().ok()?;
    let conf = String::from_utf8(out.stdout).ok()?.trim().lines().last()?.to_string();
    if !out.status.success() || conf.is_empty() {
        return None;
    }
    let socket = std::env::temp_dir().join(format!("contin-e2e-docker-{}.sock", std::process::id()));
    let _ = std::fs::remove_file(&socket);
    let child = Command::new("podman")
        .env("CONTAINERS_CONF", &conf)
        .args(["--runtime", "/usr/sbin/runc", "system", "service", "--time=0"])
        .arg(format!("unix://{}", socket.display()))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let svc = Podman { child, socket, conf, container: container.to_string() };
    for _ in 0..100 {
        if std::os::unix::net::UnixStream::connect(&svc.socket).is_ok() {
            return Some(svc);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("podman system service did not open {}", svc.socket.display());
}

#[test]
fn apply_replan_destroy_against_podman() {
    let name = format!("contin-e2e-{}", std::process::id());
    let Some(svc) = podman(&name) else {
        eprintln!("SKIP: podman or localhost/contin-busybox:1 not available");
        return;
    };
    let host = format!("unix://{}", svc.socket.display());
    let p = Project::empty();
    p.write(
        "main.tf",
        &format!(
            r#"terraform {{
  required_providers {{
    docker = {{ source = "kreuzwerker/docker", version = "~> 3.0.1" }}
  }}
}}

provider "docker" {{
  host = "{host}"
}}

resource "docker_image" "busybox" {{
  name         = "localhost/contin-busybox:1"
  keep_locally = true
}}

resource "docker_container" "sleeper" {{
  image   = docker_image.busybox.image_id
  name    = "{name}"
  command = ["sleep", "3600"]
  env     = ["GREETING=hello"]
  labels {{
    label = "app"
    value = "e2e"
  }}
}}

output "image_id" {{
  value = docker_image.busybox.image_id
}}
output "ip" {{
  value = docker_container.sleeper.network_data[0].ip_address
}}
"#
        ),
    );
    p.run(&["apply", "-auto-approve"]).expect_code(0);
    let ps = Command::new("podman").env("CONTAINERS_CONF", &svc.conf).args(["inspect", "-f", "{{.State.Running}}", &name]).output().expect("podman inspect");
    assert_eq!(String::from_utf8_lossy(&ps.stdout).trim(), "true", "{}", String::from_utf8_lossy(&ps.stderr));
    let out = p.run(&["output", "-json"]);
    out.expect_code(0);
    let o: serde_json::Value = serde_json::from_str(&out.stdout).expect("output JSON");
    assert!(o["image_id"]["value"].as_str().is_some_and(|s| s.starts_with("sha256:")), "{o}");
    assert!(o["ip"]["value"].as_str().is_some_and(|s| !s.is_empty()), "{o}");
    // Nothing to do on a re-plan (refresh reads the container back).
    p.run(&["plan", "-detailed-exitcode"]).expect_code(0);
    p.run(&["destroy", "-auto-approve"]).expect_code(0);
    let gone = Command::new("podman").env("CONTAINERS_CONF", &svc.conf).args(["container", "exists", &name]).status().expect("podman container exists");
    assert!(!gone.success(), "container {name} still exists after destroy");
    let img = Command::new("podman").env("CONTAINERS_CONF", &svc.conf).args(["image", "exists", "localhost/contin-busybox:1"]).status().expect("podman image exists");
    assert!(img.success(), "keep_locally = true keeps the image");
}
