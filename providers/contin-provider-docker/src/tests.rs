//! Offline tests: schema, defaults, validation, request bodies, parsing.

use super::*;
use contin_types::ResourceAddr;

fn container_cfg() -> Value {
    Value::map([
        ("name", Value::string("tutorial")),
        ("image", Value::string("sha256:abc")),
        ("ports", Value::List(vec![Value::map([("internal", int(80)), ("external", int(8000))])])),
    ])
}

#[test]
fn schema_has_terraform_names() {
    let s = DockerProvider::new().schema();
    let c = &s.resources["docker_container"];
    for a in ["name", "image", "command", "entrypoint", "env", "restart", "must_run", "rm", "hostname", "attach", "logs", "exit_code", "network_data", "id"] {
        assert!(c.attributes.contains_key(a), "docker_container.{a}");
    }
    for b in ["ports", "labels", "volumes"] {
        assert!(c.blocks.contains_key(b), "docker_container {b}");
    }
    assert!(c.attributes["name"].force_new && c.attributes["image"].force_new && !c.attributes["restart"].force_new);
    let i = &s.resources["docker_image"];
    for a in ["name", "keep_locally", "pull_triggers", "force_remove", "id", "image_id", "repo_digest"] {
        assert!(i.attributes.contains_key(a), "docker_image.{a}");
    }
    assert!(s.data_sources.contains_key("docker_image"));
    assert!(s.config.attributes.contains_key("host"));
}

#[test]
fn plan_of_new_container_fills_defaults() {
    let p = DockerProvider::new();
    let plan = p.plan_change("docker_container", None, &container_cfg());
    assert!(!plan.diagnostics.has_errors());
    assert_eq!(plan.planned.attr_str("restart"), Some("no"));
    assert_eq!(get_bool(&plan.planned, "must_run"), Some(true));
    assert!(matches!(plan.planned.attr("id"), Some(Value::Unknown)));
    let port = &blocks(&plan.planned, "ports")[0];
    assert_eq!(port.attr_str("ip"), Some("0.0.0.0"));
    assert_eq!(port.attr_str("protocol"), Some("tcp"));
    assert_eq!(get_int(port, "external"), Some(8000));
}

#[test]
fn replan_of_created_value_is_a_noop_and_image_change_replaces() {
    let p = DockerProvider::new();
    let planned = p.plan_change("docker_container", None, &container_cfg()).planned;
    let inspect = serde_json::json!({
        "Id": "c0ffee", "Image": "sha256:abc",
        "State": {"Running": true, "ExitCode": 0},
        "Config": {"Cmd": ["nginx", "-g", "daemon off;"], "Entrypoint": ["/docker-entrypoint.sh"], "Hostname": "c0ffee", "User": "", "WorkingDir": "", "StopSignal": "SIGQUIT"},
        "HostConfig": {"NetworkMode": "bridge", "LogConfig": {"Type": "json-file"}, "Memory": 0, "CpuShares": 0},
        "NetworkSettings": {"Ports": {"80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "8000"}]}, "Networks": {"bridge": {"IPAddress": "172.17.0.2", "IPPrefixLen": 16, "Gateway": "172.17.0.1"}}}
    });
    let mut state = planned.clone();
    container::fill(&mut state, &inspect, true);
    assert!(state.is_wholly_known(), "{state:?}");
    assert_eq!(state.attr_str("id"), Some("c0ffee"));
    let nd = match state.attr("network_data") {
        Some(Value::List(l)) => l.clone(),
        other => panic!("network_data {other:?}"),
    };
    assert_eq!(nd[0].attr_str("ip_address"), Some("172.17.0.2"));
    // As state stores it (JSON: sets become lists).
    let state = Value::from_json(&state.to_json_lossy());
    let again = p.plan_change("docker_container", Some(&state), &container_cfg());
    assert!(again.requires_replace.is_empty());
    assert!(again.planned.is_wholly_known(), "{:?}", again.planned);
    let mut other = container_cfg();
    set(&mut other, "image", Value::string("sha256:def"));
    assert!(!p.plan_change("docker_container", Some(&state), &other).requires_replace.is_empty());
    let mut restart = container_cfg();
    set(&mut restart, "restart", Value::string("always"));
    let r = p.plan_change("docker_container", Some(&state), &restart);
    assert!(r.requires_replace.is_empty() && r.planned != state);
}

#[test]
fn create_body_is_the_engine_api_shape() {
    let mut cfg = container_cfg();
    set(&mut cfg, "command", Value::List(vec![Value::string("sleep"), Value::string("3600")]));
    set(&mut cfg, "env", Value::set(vec![Value::string("A=1")]));
    set(&mut cfg, "labels", Value::set(vec![Value::map([("label", Value::string("app")), ("value", Value::string("web"))])]));
    set(&mut cfg, "volumes", Value::set(vec![Value::map([("container_path", Value::string("/data")), ("host_path", Value::string("/srv")), ("read_only", Value::Bool(true))])]));
    set(&mut cfg, "memory", int(64));
    let planned = DockerProvider::new().plan_change("docker_container", None, &cfg).planned;
    let ctx = OpContext { address: "docker_container.web".parse::<ResourceAddr>().unwrap(), lineage: "L1".into(), generation: 1 };
    let b = container::create_body(&planned, Some(&ctx));
    assert_eq!(b["Image"], "sha256:abc");
    assert_eq!(b["Cmd"], serde_json::json!(["sleep", "3600"]));
    assert_eq!(b["Env"], serde_json::json!(["A=1"]));
    assert_eq!(b["Labels"]["app"], "web");
    assert_eq!(b["Labels"][container::LABEL_LINEAGE], "L1");
    assert_eq!(b["Labels"][container::LABEL_ADDRESS], "docker_container.web");
    assert_eq!(b["ExposedPorts"], serde_json::json!({"80/tcp": {}}));
    assert_eq!(b["HostConfig"]["PortBindings"]["80/tcp"], serde_json::json!([{"HostIp": "0.0.0.0", "HostPort": "8000"}]));
    assert_eq!(b["HostConfig"]["Binds"], serde_json::json!(["/srv:/data:ro"]));
    assert_eq!(b["HostConfig"]["RestartPolicy"], serde_json::json!({"Name": "no", "MaximumRetryCount": 0}));
    assert_eq!(b["HostConfig"]["Memory"], 64 * 1024 * 1024);
    assert_eq!(b["HostConfig"]["AutoRemove"], false);
}

#[test]
fn validation_names_the_argument() {
    let p = DockerProvider::new();
    let mut cfg = container_cfg();
    set(&mut cfg, "restart", Value::string("sometimes"));
    set(&mut cfg, "env", Value::set(vec![Value::string("NOEQUALS")]));
    set(&mut cfg, "ports", Value::List(vec![Value::map([("internal", int(70000)), ("protocol", Value::string("icmp"))])]));
    let d = p.validate("docker_container", &cfg);
    let text: String = d.iter().map(|x| x.summary.clone()).collect::<Vec<_>>().join("\n");
    for s in ["restart: \"sometimes\"", "env: \"NOEQUALS\"", "ports[0].internal: 70000", "ports[0].protocol: \"icmp\""] {
        assert!(text.contains(s), "{s} missing in {text}");
    }
    assert!(!p.validate("docker_container", &container_cfg()).has_errors());
    assert!(p.validate("docker_image", &Value::map([("name", Value::string("bad name"))])).has_errors());
}

#[tokio::test]
async fn configure_checks_the_scheme_without_contacting_a_daemon() {
    let p = DockerProvider::new();
    let e = p.configure(Value::map([("host", Value::string("tcp://127.0.0.1:2375"))])).await.unwrap_err();
    assert!(format!("{e:?}").contains("only local unix sockets"));
    // A socket that does not exist: configure succeeds, the first call names it.
    p.configure(Value::map([("host", Value::string("unix:///nonexistent/contin-docker.sock"))])).await.unwrap();
    let err = p.read("docker_image", &Value::map([("name", Value::string("x")), ("image_id", Value::string("sha256:1"))])).await.unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, ProviderError::Unreachable(_)) && text.contains("unix:///nonexistent/contin-docker.sock"), "{text}");
}

#[test]
fn image_helpers() {
    assert_eq!(image::path_ref("localhost/contin-busybox:1"), "localhost/contin-busybox:1");
    assert_eq!(image::path_ref("a b"), "a%20b");
    assert_eq!(image::pull_path("nginx", None), "/images/create?fromImage=nginx&tag=latest");
    assert_eq!(image::pull_path("ghcr.io/o/app:2", Some("linux/arm64")), "/images/create?fromImage=ghcr.io%2Fo%2Fapp&tag=2&platform=linux%2Farm64");
    let j = serde_json::json!({"RepoDigests": ["other@sha256:1", "nginx@sha256:2"]});
    assert_eq!(image::repo_digest(&j, "nginx:latest"), "nginx@sha256:2");
    assert_eq!(image::repo_digest(&serde_json::json!({}), "nginx"), "");
}
