//! Deterministic data for snapshot tests and the frame bench: fleets of any
//! size, a plan with every kind of change (and a marker secret), a live
//! apply with a failure. Not used by the binary.

use crate::fleet::{overlay_status, FleetNode, Health, NodeKind, SiteStatus, WorkloadStatus};
use contin_executor::ApplyEvent;
use contin_planner::{Action, ChangeReason, Plan, PlanMode, ResourceChange};
use contin_types::value::PathStep;
use contin_types::{ResourceAddr, SourceMap, Value};
use std::collections::BTreeMap;
use std::time::Duration;

/// The fixed "now" of every fixture (2027-01-15T08:00:00Z).
pub const NOW_MS: u64 = 1_800_000_000_000;
/// A secret that must never appear on screen.
pub const MARKER_SECRET: &str = "MARKER-S3CR3T-7f3a";

/// `n` sites: every 100th a region, the others sites under it, every 10th of
/// those with a subsite; each with a host and every 7th with a cluster.
/// Agent status is deterministic: mostly healthy, a few disconnected or
/// behind on generations, with gaps in the samples.
pub fn fleet(n: usize, now_ms: u64) -> Vec<FleetNode> {
    let mut nodes = Vec::with_capacity(n * 2);
    let mut statuses = Vec::with_capacity(n);
    for i in 0..n {
        let name = format!("s{i:05}");
        let (kind, parent) = if i % 100 == 0 {
            (NodeKind::Region, None)
        } else if i % 10 == 5 {
            (NodeKind::Subsite, Some(format!("site/s{:05}", i - 1)))
        } else {
            (NodeKind::Site, Some(format!("site/s{:05}", i / 100 * 100)))
        };
        let id = format!("site/{name}");
        let mut site = FleetNode::new(&id, &name, kind, parent);
        site.health = Health::Healthy;
        site.detail = format!("edge_site.{name}");
        nodes.push(site);
        let mut host = FleetNode::new(format!("host/{name}/h1"), format!("{name}-h1"), NodeKind::Host, Some(id.clone()));
        host.health = Health::Healthy;
        nodes.push(host);
        if i % 7 == 3 {
            let mut c = FleetNode::new(format!("cluster/{name}/k"), format!("{name}-k3s"), NodeKind::Cluster, Some(id.clone()));
            c.health = Health::Healthy;
            c.detail = "k3s 3 node(s)".into();
            nodes.push(c);
        }
        let ago_ms = if i % 997 == 13 {
            300_000 + i as u64 * 1_000
        } else {
            ((i as u64 * 7919) % 60) * 1_000
        };
        let samples = |seed: u64| {
            (0..24u64)
                .map(|k| {
                    if (k + seed) % 6 == 5 {
                        None
                    } else {
                        Some(((k * 13 + seed * 7) % 100) as f64)
                    }
                })
                .collect::<Vec<_>>()
        };
        statuses.push(SiteStatus {
            site: name,
            last_heartbeat_ms: Some(now_ms.saturating_sub(ago_ms)),
            acked_generation: Some(if i % 501 == 7 { 4 } else { 5 }),
            desired_generation: Some(5),
            cpu: samples(i as u64),
            mem: samples(i as u64 + 3),
            workloads: if i % 50 == 1 {
                vec![WorkloadStatus {
                    name: "web".into(),
                    state: "running".into(),
                    healthy: true,
                }]
            } else {
                Vec::new()
            },
            ..SiteStatus::default()
        });
    }
    overlay_status(&mut nodes, &statuses, now_ms);
    nodes
}

/// A small fleet with one disconnected site (last heartbeat 7m30s ago).
pub fn fleet_with_disconnected(now_ms: u64) -> Vec<FleetNode> {
    let mk = |name: &str, kind, parent: Option<&str>| {
        let mut n = FleetNode::new(format!("site/{name}"), name, kind, parent.map(|p| format!("site/{p}")));
        n.health = Health::Healthy;
        n
    };
    let mut nodes = vec![
        mk("eu", NodeKind::Region, None),
        mk("fra", NodeKind::Site, Some("eu")),
        mk("fra-line1", NodeKind::Subsite, Some("fra")),
        mk("ber", NodeKind::Site, Some("eu")),
        mk("us", NodeKind::Region, None),
    ];
    let mut h = FleetNode::new("host/fra-line1/plc-gw", "plc-gw", NodeKind::Host, Some("site/fra-line1".into()));
    h.health = Health::Healthy;
    nodes.push(h);
    let gaps = vec![Some(10.0), Some(20.0), None, None, Some(80.0), Some(40.0)];
    let statuses = vec![
        SiteStatus {
            site: "fra".into(),
            last_heartbeat_ms: Some(now_ms - 4_000),
            acked_generation: Some(7),
            desired_generation: Some(7),
            cpu: gaps.clone(),
            mem: gaps.clone(),
            workloads: vec![],
            ..SiteStatus::default()
        },
        SiteStatus {
            site: "fra-line1".into(),
            last_heartbeat_ms: Some(now_ms - 450_000),
            acked_generation: Some(6),
            desired_generation: Some(7),
            cpu: gaps.clone(),
            mem: vec![],
            workloads: vec![],
            ..SiteStatus::default()
        },
        SiteStatus {
            site: "ber".into(),
            last_heartbeat_ms: Some(now_ms - 12_000),
            acked_generation: Some(7),
            desired_generation: Some(7),
            cpu: vec![],
            mem: vec![],
            workloads: vec![WorkloadStatus {
                name: "mqtt".into(),
                state: "crashloop".into(),
                healthy: false,
            }],
            ..SiteStatus::default()
        },
    ];
    overlay_status(&mut nodes, &statuses, now_ms);
    nodes
}

fn addr(s: &str) -> ResourceAddr {
    s.parse().unwrap_or_else(|e| panic!("fixture address {s}: {e}"))
}

fn change(a: &str, action: Action, before: Option<Value>, after: Option<Value>, deps: &[&str]) -> ResourceChange {
    ResourceChange {
        addr: addr(a),
        provider: "fake".into(),
        action,
        before,
        after,
        replace_paths: Vec::new(),
        reason: None,
        depends_on: deps.iter().map(|d| addr(d)).collect(),
        create_before_destroy: false,
        prevent_destroy: false,
    }
}

fn empty_plan(changes: Vec<ResourceChange>) -> Plan {
    Plan {
        format_version: contin_planner::PLAN_FORMAT_VERSION,
        mode: PlanMode::Normal,
        lineage: Some("fixture".into()),
        base_serial: Some(1),
        config_hash: String::new(),
        sources: SourceMap::default(),
        variables: BTreeMap::new(),
        targets: Vec::new(),
        changes,
        drift: Vec::new(),
        outputs: BTreeMap::new(),
        unreachable: Vec::new(),
        deposed: Vec::new(),
        language: Default::default(),
    }
}

/// A plan with a create (unknown id, sensitive password), an update of a
/// sensitive and a plain attribute, a forced replace, a delete and a no-op.
pub fn plan() -> Plan {
    let secret = || Value::string(MARKER_SECRET).mark_sensitive();
    let mut changes = vec![
        change(
            "fake_resource.db",
            Action::Create,
            None,
            Some(Value::map([
                ("id", Value::Unknown),
                ("name", Value::string("orders")),
                ("password", secret()),
                ("size", Value::int(20)),
            ])),
            &["fake_resource.net"],
        ),
        change(
            "fake_resource.app",
            Action::Update,
            Some(Value::map([
                ("id", Value::string("app-1")),
                ("replicas", Value::int(2)),
                ("token", secret()),
                ("tags", Value::map([("env", Value::string("prod"))])),
            ])),
            Some(Value::map([
                ("id", Value::string("app-1")),
                ("replicas", Value::int(3)),
                ("token", Value::string("other").mark_sensitive()),
                ("tags", Value::map([("env", Value::string("prod")), ("team", Value::string("edge"))])),
            ])),
            &["fake_resource.db"],
        ),
        change(
            "fake_resource.net",
            Action::NoOp,
            Some(Value::map([("id", Value::string("n-1"))])),
            Some(Value::map([("id", Value::string("n-1"))])),
            &[],
        ),
        change(
            "fake_resource.old",
            Action::Delete,
            Some(Value::map([("id", Value::string("o-9")), ("note", Value::string("legacy"))])),
            None,
            &[],
        ),
    ];
    let mut vm = change(
        "fake_resource.vm[\"edge-1\"]",
        Action::Replace,
        Some(Value::map([
            ("id", Value::string("vm-1")),
            ("image", Value::string("ubuntu-22.04")),
            ("key", secret()),
        ])),
        Some(Value::map([
            ("id", Value::Unknown),
            ("image", Value::string("ubuntu-24.04")),
            ("key", secret()),
        ])),
        &["fake_resource.net"],
    );
    vm.replace_paths = vec![vec![PathStep::Key("image".into())]];
    vm.reason = Some(ChangeReason::CannotUpdate);
    changes.push(vm);
    changes.sort_by(|a, b| a.addr.cmp(&b.addr));
    empty_plan(changes)
}

/// A plan creating `n` resources in a chain of width 10.
pub fn big_plan(n: usize) -> Plan {
    let mut changes: Vec<ResourceChange> = (0..n)
        .map(|i| {
            let deps: Vec<String> = if i >= 10 { vec![format!("fake_resource.r[{}]", i - 10)] } else { Vec::new() };
            let deps: Vec<&str> = deps.iter().map(String::as_str).collect();
            change(
                &format!("fake_resource.r[{i}]"),
                Action::Create,
                None,
                Some(Value::map([("id", Value::Unknown), ("n", Value::int(i as i64))])),
                &deps,
            )
        })
        .collect();
    changes.sort_by(|a, b| a.addr.cmp(&b.addr));
    empty_plan(changes)
}

/// Apply events for [`plan`]: the delete and the create finished, the
/// update is running for 42 s, the replace failed with a long provider
/// error (mentioning no secret), `t0` is when the apply started.
pub fn failed_apply_events(t0: u64) -> Vec<(u64, ApplyEvent)> {
    vec![
        (t0, ApplyEvent::Started { addr: addr("fake_resource.old"), action: Action::Delete }),
        (t0 + 1_200, ApplyEvent::Finished { addr: addr("fake_resource.old"), action: Action::Delete, took: Duration::from_millis(1_200) }),
        (t0 + 1_300, ApplyEvent::Started { addr: addr("fake_resource.db"), action: Action::Create }),
        (t0 + 1_300, ApplyEvent::Started { addr: addr("fake_resource.vm[\"edge-1\"]"), action: Action::Replace }),
        (t0 + 9_300, ApplyEvent::Finished { addr: addr("fake_resource.db"), action: Action::Create, took: Duration::from_millis(8_000) }),
        (t0 + 9_400, ApplyEvent::Started { addr: addr("fake_resource.app"), action: Action::Update }),
        (
            t0 + 15_000,
            ApplyEvent::Failed {
                addr: addr("fake_resource.vm[\"edge-1\"]"),
                action: Action::Replace,
                error: "fake_resource.vm[\"edge-1\"]: creating the replacement failed: provider fake: quota exceeded for image ubuntu-24.04 in zone edge-1 (limit 4 instances, 4 in use); delete an instance or raise the quota, then apply again".into(),
            },
        ),
    ]
}
