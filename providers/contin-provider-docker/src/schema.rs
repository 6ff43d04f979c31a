//! Schemas with the kreuzwerker/docker 3.x names.

use contin_provider::{AttrSchema, AttrType as T, BlockSchema, NestedBlockSchema, Nesting, ProviderSchema};

fn strs() -> T {
    T::List(Box::new(T::String))
}
fn str_set() -> T {
    T::Set(Box::new(T::String))
}
fn nested(nesting: Nesting, block: BlockSchema, force_new: bool) -> NestedBlockSchema {
    NestedBlockSchema { nesting, block, min_items: 0, max_items: None, force_new }
}

pub fn provider_schema() -> ProviderSchema {
    let config = BlockSchema::default()
        .attr("host", AttrSchema::optional(T::String).describe("the daemon's address; only unix:///path (default unix:///var/run/docker.sock, or DOCKER_HOST)"))
        .attr("context", AttrSchema::optional(T::String))
        .attr("ssh_opts", AttrSchema::optional(strs()))
        .attr("cert_path", AttrSchema::optional(T::String))
        .attr("ca_material", AttrSchema::optional(T::String))
        .attr("cert_material", AttrSchema::optional(T::String))
        .attr("key_material", AttrSchema::optional(T::String).sensitive())
        .attr("disable_docker_daemon_check", AttrSchema::optional(T::Bool))
        .block(
            "registry_auth",
            nested(
                Nesting::Set,
                BlockSchema::default()
                    .attr("address", AttrSchema::required(T::String))
                    .attr("username", AttrSchema::optional(T::String))
                    .attr("password", AttrSchema::optional(T::String).sensitive())
                    .attr("config_file", AttrSchema::optional(T::String))
                    .attr("config_file_content", AttrSchema::optional(T::String))
                    .attr("auth_disabled", AttrSchema::optional(T::Bool)),
                false,
            ),
        );
    let mut s = ProviderSchema { config, ..ProviderSchema::default() };
    s.resources.insert("docker_image".into(), image_schema());
    s.resources.insert("docker_container".into(), container_schema());
    s.data_sources.insert(
        "docker_image".into(),
        BlockSchema::default()
            .attr("name", AttrSchema::required(T::String))
            .attr("id", AttrSchema::computed(T::String))
            .attr("repo_digest", AttrSchema::computed(T::String)),
    );
    s
}

pub fn image_schema() -> BlockSchema {
    BlockSchema::default()
        .attr("name", AttrSchema::required(T::String).force_new().describe("the image reference (nginx, nginx:1.27, registry/repo@sha256:…)"))
        .attr("keep_locally", AttrSchema::optional(T::Bool).describe("keep the image on destroy"))
        .attr("force_remove", AttrSchema::optional(T::Bool).describe("remove the image on destroy even when in use"))
        .attr("pull_triggers", AttrSchema::optional(str_set()).force_new())
        .attr("triggers", AttrSchema::optional(T::Map(Box::new(T::String))).force_new())
        .attr("platform", AttrSchema::optional(T::String).force_new())
        .attr("id", AttrSchema::computed(T::String))
        .attr("image_id", AttrSchema::computed(T::String).describe("sha256:… of the local image"))
        .attr("repo_digest", AttrSchema::computed(T::String))
}

/// Arguments changeable in place: contin state only (`must_run`, `attach`…)
/// or the daemon's update call (`restart`, `memory`, `cpu_shares`…).
pub const UPDATABLE: &[&str] = &[
    "restart",
    "max_retry_count",
    "memory",
    "memory_swap",
    "cpu_shares",
    "must_run",
    "attach",
    "logs",
    "wait",
    "wait_timeout",
    "destroy_grace_seconds",
    "remove_volumes",
    "container_read_refresh_timeout_milliseconds",
];

pub fn container_schema() -> BlockSchema {
    let fnew = |a: AttrSchema, name: &str| if UPDATABLE.contains(&name) { a } else { a.force_new() };
    let mut b = BlockSchema::default();
    let attrs: Vec<(&str, AttrSchema)> = vec![
        ("name", AttrSchema::required(T::String)),
        ("image", AttrSchema::required(T::String)),
        ("command", AttrSchema::optional_computed(strs())),
        ("entrypoint", AttrSchema::optional_computed(strs())),
        ("env", AttrSchema::optional(str_set())),
        ("hostname", AttrSchema::optional_computed(T::String)),
        ("domainname", AttrSchema::optional(T::String)),
        ("user", AttrSchema::optional_computed(T::String)),
        ("working_dir", AttrSchema::optional_computed(T::String)),
        ("restart", AttrSchema::optional(T::String)),
        ("max_retry_count", AttrSchema::optional(T::Number)),
        ("must_run", AttrSchema::optional(T::Bool)),
        ("rm", AttrSchema::optional(T::Bool)),
        ("start", AttrSchema::optional(T::Bool)),
        ("attach", AttrSchema::optional(T::Bool)),
        ("logs", AttrSchema::optional(T::Bool)),
        ("wait", AttrSchema::optional(T::Bool)),
        ("wait_timeout", AttrSchema::optional(T::Number)),
        ("destroy_grace_seconds", AttrSchema::optional(T::Number)),
        ("remove_volumes", AttrSchema::optional(T::Bool)),
        ("container_read_refresh_timeout_milliseconds", AttrSchema::optional(T::Number)),
        ("privileged", AttrSchema::optional(T::Bool)),
        ("read_only", AttrSchema::optional(T::Bool)),
        ("tty", AttrSchema::optional(T::Bool)),
        ("stdin_open", AttrSchema::optional(T::Bool)),
        ("init", AttrSchema::optional_computed(T::Bool)),
        ("publish_all_ports", AttrSchema::optional(T::Bool)),
        ("network_mode", AttrSchema::optional_computed(T::String)),
        ("dns", AttrSchema::optional(str_set())),
        ("dns_opts", AttrSchema::optional(str_set())),
        ("dns_search", AttrSchema::optional(str_set())),
        ("group_add", AttrSchema::optional(str_set())),
        ("memory", AttrSchema::optional_computed(T::Number).describe("MB")),
        ("memory_swap", AttrSchema::optional_computed(T::Number).describe("MB")),
        ("cpu_shares", AttrSchema::optional_computed(T::Number)),
        ("shm_size", AttrSchema::optional_computed(T::Number).describe("MB")),
        ("stop_signal", AttrSchema::optional_computed(T::String)),
        ("stop_timeout", AttrSchema::optional_computed(T::Number)),
        ("log_driver", AttrSchema::optional_computed(T::String)),
        ("log_opts", AttrSchema::optional(T::Map(Box::new(T::String)))),
        ("sysctls", AttrSchema::optional(T::Map(Box::new(T::String)))),
        ("id", AttrSchema::computed(T::String)),
        ("exit_code", AttrSchema::computed(T::Number)),
        ("container_logs", AttrSchema::computed(T::String)),
        ("network_data", AttrSchema::computed(T::List(Box::new(T::Any)))),
    ];
    for (name, a) in attrs {
        let a = if a.is_computed_only() { a } else { fnew(a, name) };
        b = b.attr(name, a);
    }
    b.block(
        "ports",
        nested(
            Nesting::List,
            BlockSchema::default()
                .attr("internal", AttrSchema::required(T::Number))
                .attr("external", AttrSchema::optional_computed(T::Number))
                .attr("ip", AttrSchema::optional(T::String))
                .attr("protocol", AttrSchema::optional(T::String)),
            true,
        ),
    )
    .block("labels", nested(Nesting::Set, BlockSchema::default().attr("label", AttrSchema::required(T::String)).attr("value", AttrSchema::required(T::String)), true))
    .block(
        "volumes",
        nested(
            Nesting::Set,
            BlockSchema::default()
                .attr("container_path", AttrSchema::optional(T::String))
                .attr("host_path", AttrSchema::optional(T::String))
                .attr("volume_name", AttrSchema::optional(T::String))
                .attr("from_container", AttrSchema::optional(T::String))
                .attr("read_only", AttrSchema::optional(T::Bool)),
            true,
        ),
    )
    .block("host", nested(Nesting::Set, BlockSchema::default().attr("host", AttrSchema::required(T::String)).attr("ip", AttrSchema::required(T::String)), true))
    .block(
        "capabilities",
        nested(Nesting::Single, BlockSchema::default().attr("add", AttrSchema::optional(str_set())).attr("drop", AttrSchema::optional(str_set())), true),
    )
}
