//! Against a real Docker-compatible API: podman's service (runc runtime) on
//! a private unix socket, with the local image `localhost/contin-busybox:1`
//! (/work/shared/tools/podman-local.sh; no registry, nothing is pulled).
//! Skips (passing, with a note) when podman or the image is not installed.

use contin_provider::{OpContext, Provider};
use contin_provider_docker::DockerProvider;
use contin_types::{ResourceAddr, Value};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const IMAGE: &str = "localhost/contin-busybox:1";

/// Kills the podman service (and removes its socket) on drop, also on failure.
struct Service {
    child: Child,
    socket: PathBuf,
    conf: String,
    /// Containers to force-remove at the end, whatever happened.
    cleanup: Vec<String>,
}

impl Drop for Service {
    fn drop(&mut self) {
        for name in &self.cleanup {
            let _ = Command::new("podman")
                .env("CONTAINERS_CONF", &self.conf)
                .args(["--runtime", "/usr/sbin/runc", "rm", "-f", "-t", "0", name])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.socket);
    }
}

fn containers_conf() -> Option<String> {
    let out = Command::new("/work/shared/tools/podman-local.sh").stderr(Stdio::null()).output().ok()?;
    let conf = String::from_utf8(out.stdout).ok()?.trim().lines().last()?.to_string();
    (out.status.success() && !conf.is_empty()).then_some(conf)
}

fn start_service() -> Option<Service> {
    let conf = containers_conf()?;
    let socket = std::env::temp_dir().join(format!("contin-docker-test-{}.sock", std::process::id()));
    let _ = std::fs::remove_file(&socket);
    let child = Command::new("podman")
        .env("CONTAINERS_CONF", &conf)
        .args(["--runtime", "/usr/sbin/runc", "system", "service", "--time=0"])
        .arg(format!("unix://{}", socket.display()))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let svc = Service { child, socket, conf, cleanup: Vec::new() };
    for _ in 0..100 {
        if std::os::unix::net::UnixStream::connect(&svc.socket).is_ok() {
            return Some(svc);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("podman system service did not open {} within 10s", svc.socket.display());
}

fn ctx(addr: &str) -> OpContext {
    OpContext { address: addr.parse::<ResourceAddr>().unwrap(), lineage: format!("test-{}", std::process::id()), generation: 1 }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn image_and_container_lifecycle_against_podman() {
    let Some(mut svc) = start_service() else {
        eprintln!("SKIP: podman or {IMAGE} not available (see /work/shared/tools/podman-local.sh)");
        return;
    };
    let p = DockerProvider::new();
    p.configure(Value::map([("host", Value::string(format!("unix://{}", svc.socket.display())))])).await.unwrap();

    // docker_image: present locally, so no pull; keep_locally keeps it on destroy.
    let img_cfg = Value::map([("name", Value::string(IMAGE)), ("keep_locally", Value::Bool(true))]);
    let planned = p.plan_change("docker_image", None, &img_cfg).planned;
    let img = p.create("docker_image", &planned, &ctx("docker_image.busybox")).await.unwrap();
    let image_id = img.attr_str("image_id").unwrap().to_string();
    assert!(image_id.starts_with("sha256:") && image_id.len() == 71, "{image_id}");
    assert_eq!(img.attr_str("id"), Some(format!("{image_id}{IMAGE}").as_str()));
    let read = p.read("docker_image", &img).await.unwrap().expect("image readable");
    let replan = p.plan_change("docker_image", Some(&read), &img_cfg);
    assert!(replan.requires_replace.is_empty());
    assert_eq!(replan.planned, read, "no-op replan of docker_image");
    // The data source sees the same image.
    let data = p.read_data("docker_image", &Value::map([("name", Value::string(IMAGE))])).await.unwrap();
    assert_eq!(data.attr_str("id"), Some(image_id.as_str()));

    // docker_container running `sleep 3600` from the image id.
    let name = format!("contin-test-{}", std::process::id());
    svc.cleanup.push(name.clone());
    let cfg = Value::map([
        ("name", Value::string(name.clone())),
        ("image", Value::string(image_id.clone())),
        ("command", Value::List(vec![Value::string("sleep"), Value::string("3600")])),
        ("env", Value::set(vec![Value::string("GREETING=hello")])),
        ("labels", Value::set(vec![Value::map([("label", Value::string("app")), ("value", Value::string("contin-test"))])])),
    ]);
    assert!(!p.validate("docker_container", &cfg).has_errors());
    let planned = p.plan_change("docker_container", None, &cfg).planned;
    let c = ctx("docker_container.sleeper");
    let created = p.create("docker_container", &planned, &c).await.unwrap();
    let deleter = || async {
        let _ = p.delete("docker_container", &created, &c).await;
    };
    let id = created.attr_str("id").unwrap_or_default().to_string();
    assert!(!id.is_empty());
    assert!(created.is_wholly_known(), "{created:?}");
    let read = match p.read("docker_container", &created).await {
        Ok(Some(v)) => v,
        other => {
            deleter().await;
            panic!("read after create: {other:?}");
        }
    };
    assert_eq!(read.attr_str("id"), Some(id.as_str()));
    let cmd = read.attr("command").cloned();
    let nd = read.attr("network_data").cloned();
    let replan = p.plan_change("docker_container", Some(&read), &cfg);
    // `terraform import docker_container.x ID` (learn-terraform-import).
    let imported = p.import("docker_container", &id).await;
    // A second create of the same resource (state lost) adopts by labels: removes and recreates.
    let again = p.create("docker_container", &planned, &c).await;
    let created = match again {
        Ok(v) => v,
        Err(e) => {
            deleter().await;
            panic!("re-create by bookkeeping labels: {e}");
        }
    };
    let foreign = p.create("docker_container", &planned, &ctx("docker_container.other")).await;
    p.delete("docker_container", &created, &c).await.unwrap();
    assert_eq!(cmd, Some(Value::List(vec![Value::string("sleep"), Value::string("3600")])));
    assert!(matches!(nd, Some(Value::List(_))), "{nd:?}");
    assert!(replan.requires_replace.is_empty(), "{:?}", replan.requires_replace);
    assert_eq!(replan.planned, read, "no-op replan of docker_container");
    assert_ne!(created.attr_str("id"), Some(id.as_str()), "re-created");
    let imported = imported.expect("import by id");
    assert_eq!(imported.attr_str("name"), Some(name.as_str()));
    assert_eq!(imported.attr_str("image"), Some(image_id.as_str()));
    assert_eq!(imported.attr_str("id"), Some(id.as_str()));
    assert_eq!(imported.attr("labels"), cfg.attr("labels"), "user labels only");
    let again = p.plan_change("docker_container", Some(&imported), &cfg);
    // Like the provider, import reads the whole environment (the image's PATH too): only env differs.
    assert_eq!(again.requires_replace, vec![vec![contin_types::value::PathStep::Key("env".into())]], "imported container vs its configuration");
    let err = foreign.expect_err("a same-named container of another resource is a conflict").to_string();
    assert!(err.contains("not created by this resource"), "{err}");
    assert_eq!(p.read("docker_container", &created).await.unwrap(), None, "gone after delete");
    // Deleting again is fine (already gone).
    p.delete("docker_container", &created, &c).await.unwrap();
    // keep_locally: destroy leaves the image.
    p.delete("docker_image", &img, &ctx("docker_image.busybox")).await.unwrap();
    assert!(p.read("docker_image", &img).await.unwrap().is_some(), "keep_locally keeps the image");
    drop(svc);
}
