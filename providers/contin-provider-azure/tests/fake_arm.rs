//! The azurerm provider against the stateful ARM fake (`contin-fake-azure`):
//! the conformance suite for every type, long-running operations, 429/5xx
//! retries, 404 after delete, adoption by ownership tags, credentials.

use contin_fake_azure::{FakeAzure, Logged, Options};
use contin_provider::conformance::{self, LifecycleCase};
use contin_provider::{OpContext, Provider, ProviderError};
use contin_provider_azure::AzureProvider;
use contin_types::{ResourceAddr, Value};

const SUB: &str = "00000000-0000-0000-0000-000000000001";

fn s(v: &str) -> Value {
    Value::string(v)
}

fn config(f: &FakeAzure, secret: &str) -> Value {
    let o = f.options();
    Value::map([
        ("subscription_id", s(&o.subscription)),
        ("tenant_id", s(&o.tenant)),
        ("client_id", s(&o.client_id)),
        ("client_secret", s(secret)),
        ("endpoint", s(f.url())),
        ("authority_host", s(f.url())),
        ("features", Value::map::<&str>([])),
    ])
}

async fn provider(f: &FakeAzure) -> AzureProvider {
    let p = AzureProvider::new();
    p.configure(config(f, &f.options().client_secret)).await.unwrap_or_else(|d| panic!("configure: {d}"));
    p
}

fn ctx(ty: &str, name: &str, lineage: &str) -> OpContext {
    OpContext { address: ResourceAddr::managed(ty, name), lineage: lineage.into(), generation: 1 }
}

fn rg(name: &str) -> Value {
    Value::map([("name", s(name)), ("location", s("westeurope"))])
}

fn strs(items: &[&str]) -> Value {
    Value::List(items.iter().map(|i| s(i)).collect())
}

fn id_of(v: &Value) -> String {
    v.attr_str("id").unwrap_or_default().to_string()
}

/// Creates through the provider (plan first, the way the planner does).
async fn create(p: &AzureProvider, ty: &str, name: &str, cfg: Value) -> Value {
    let schema = p.schema();
    let block = &schema.resources[ty];
    let cfg = contin_provider::coerce_to_schema(block, &cfg).unwrap_or_else(|e| panic!("{ty}: {e:?}"));
    let planned = p.plan_change(ty, None, &cfg).planned;
    p.create(ty, &planned, &ctx(ty, name, "setup")).await.unwrap_or_else(|e| panic!("create {ty}.{name}: {e}"))
}

fn subnet_id(rg: &str, vnet: &str, subnet: &str) -> String {
    format!("/subscriptions/{SUB}/resourceGroups/{rg}/providers/Microsoft.Network/virtualNetworks/{vnet}/subnets/{subnet}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conformance_every_type() {
    let f = FakeAzure::start(Options::default());
    let p = provider(&f).await;
    let tags = |v: &str| Value::map([("env", s(v))]);

    let rg_case = LifecycleCase::new(
        "azurerm_resource_group",
        Value::map([("name", s("conf-rg")), ("location", s("westeurope")), ("tags", tags("a"))]),
        Value::map([("name", s("conf-rg")), ("location", s("westeurope")), ("tags", tags("b"))]),
    );
    conformance::run(&p, &rg_case).await.unwrap_or_else(|e| panic!("{e}"));

    create(&p, "azurerm_resource_group", "base", rg("base")).await;
    let vnet = |space: &str| {
        Value::map([("name", s("v")), ("resource_group_name", s("base")), ("location", s("westeurope")), ("address_space", strs(&[space]))])
    };
    conformance::run(&p, &LifecycleCase::new("azurerm_virtual_network", vnet("10.0.0.0/16"), vnet("10.0.0.0/15"))).await.unwrap_or_else(|e| panic!("{e}"));

    create(&p, "azurerm_virtual_network", "net", vnet("10.0.0.0/16")).await;
    let subnet = |prefix: &str| {
        Value::map([("name", s("sn")), ("resource_group_name", s("base")), ("virtual_network_name", s("v")), ("address_prefixes", strs(&[prefix]))])
    };
    conformance::run(&p, &LifecycleCase::new("azurerm_subnet", subnet("10.0.1.0/24"), subnet("10.0.2.0/24"))).await.unwrap_or_else(|e| panic!("{e}"));

    let rule = |port: &str| {
        Value::map([
            ("name", s("ssh")),
            ("priority", Value::int(100)),
            ("direction", s("Inbound")),
            ("access", s("Allow")),
            ("protocol", s("Tcp")),
            ("source_port_range", s("*")),
            ("destination_port_range", s(port)),
            ("source_address_prefix", s("*")),
            ("destination_address_prefix", s("*")),
        ])
    };
    let nsg = |port: &str| {
        Value::map([
            ("name", s("nsg")),
            ("resource_group_name", s("base")),
            ("location", s("westeurope")),
            ("security_rule", Value::List(vec![rule(port)])),
        ])
    };
    conformance::run(&p, &LifecycleCase::new("azurerm_network_security_group", nsg("22"), nsg("2222"))).await.unwrap_or_else(|e| panic!("{e}"));

    let pip = |t: &str| {
        Value::map([
            ("name", s("pip")),
            ("resource_group_name", s("base")),
            ("location", s("westeurope")),
            ("allocation_method", s("Static")),
            ("tags", tags(t)),
        ])
    };
    conformance::run(&p, &LifecycleCase::new("azurerm_public_ip", pip("a"), pip("b"))).await.unwrap_or_else(|e| panic!("{e}"));

    let sn = create(&p, "azurerm_subnet", "sn", subnet("10.0.1.0/24")).await;
    assert_eq!(id_of(&sn), subnet_id("base", "v", "sn"));
    let ip = create(&p, "azurerm_public_ip", "ip", pip("a")).await;
    let nic = |t: &str| {
        Value::map([
            ("name", s("nic")),
            ("resource_group_name", s("base")),
            ("location", s("westeurope")),
            ("tags", tags(t)),
            (
                "ip_configuration",
                Value::List(vec![Value::map([
                    ("name", s("internal")),
                    ("subnet_id", s(&id_of(&sn))),
                    ("private_ip_address_allocation", s("Dynamic")),
                    ("public_ip_address_id", s(&id_of(&ip))),
                ])]),
            ),
        ])
    };
    conformance::run(&p, &LifecycleCase::new("azurerm_network_interface", nic("a"), nic("b"))).await.unwrap_or_else(|e| panic!("{e}"));

    let n = create(&p, "azurerm_network_interface", "nic", nic("a")).await;
    let vm = |size: &str| {
        Value::map([
            ("name", s("vm")),
            ("resource_group_name", s("base")),
            ("location", s("westeurope")),
            ("size", s(size)),
            ("admin_username", s("azureuser")),
            ("network_interface_ids", strs(&[&id_of(&n)])),
            ("admin_ssh_key", Value::List(vec![Value::map([("username", s("azureuser")), ("public_key", s("ssh-ed25519 AAAAC3Nza test"))])])),
            ("os_disk", Value::List(vec![Value::map([("caching", s("ReadWrite")), ("storage_account_type", s("Standard_LRS"))])])),
            (
                "source_image_reference",
                Value::List(vec![Value::map([("publisher", s("Canonical")), ("offer", s("ubuntu-24_04-lts")), ("sku", s("server")), ("version", s("latest"))])]),
            ),
        ])
    };
    conformance::run(&p, &LifecycleCase::new("azurerm_linux_virtual_machine", vm("Standard_B1s"), vm("Standard_B2s"))).await.unwrap_or_else(|e| panic!("{e}"));

    // Computed addresses come from the NIC and its public IP.
    let v = create(&p, "azurerm_linux_virtual_machine", "vm", vm("Standard_B1s")).await;
    assert_eq!(v.attr_str("private_ip_address"), Some("10.0.1.4"));
    assert_eq!(v.attr_str("public_ip_address"), ip.attr_str("ip_address"));
    assert!(v.attr_str("virtual_machine_id").is_some_and(|x| !x.is_empty()));

    // What the SDK sent: method, path, api-version, body fields.
    let log = f.log();
    let vm_put = log.iter().rev().find(|l| l.method == "PUT" && l.path.ends_with("/providers/Microsoft.Compute/virtualMachines/vm")).unwrap();
    assert_eq!(vm_put.api_version.as_deref(), Some("2024-07-01"));
    let b = vm_put.body.as_ref().unwrap();
    assert_eq!(b["properties"]["hardwareProfile"]["vmSize"], "Standard_B1s");
    assert_eq!(b["properties"]["osProfile"]["linuxConfiguration"]["ssh"]["publicKeys"][0]["path"], "/home/azureuser/.ssh/authorized_keys");
    assert_eq!(b["properties"]["storageProfile"]["imageReference"]["publisher"], "Canonical");
    assert_eq!(b["tags"]["contin-lineage"], "setup");
    assert_eq!(b["tags"]["contin-address"], "azurerm_linux_virtual_machine.vm");
    let vnet_put = log.iter().find(|l| l.method == "PUT" && l.path.ends_with("/virtualNetworks/v")).unwrap();
    assert_eq!(vnet_put.api_version.as_deref(), Some("2024-03-01"));
    assert_eq!(vnet_put.body.as_ref().unwrap()["properties"]["addressSpace"]["addressPrefixes"][0], "10.0.0.0/16");
    let rg_put = log.iter().find(|l| l.method == "PUT" && l.path.to_ascii_lowercase().ends_with("/resourcegroups/conf-rg")).unwrap();
    assert_eq!(rg_put.api_version.as_deref(), Some("2021-04-01"));

    // Deleting a network whose subnet a NIC uses: Azure's 409, named.
    let err = p.delete("azurerm_virtual_network", &create_shape_vnet(), &ctx("azurerm_virtual_network", "net", "setup")).await.unwrap_err();
    assert!(matches!(&err, ProviderError::Api { code, .. } if code == "InUseSubnetCannotBeDeleted"), "{err}");
}

fn create_shape_vnet() -> Value {
    Value::map([("name", s("v")), ("resource_group_name", s("base")), ("location", s("westeurope"))])
}

fn polls(log: &[Logged]) -> usize {
    log.iter().filter(|l| l.method == "GET" && l.path.contains("/operations/")).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn long_running_operations_are_polled_to_completion() {
    let f = FakeAzure::start(Options { polls: 3, ..Options::default() });
    let p = provider(&f).await;
    create(&p, "azurerm_resource_group", "rg", rg("lro")).await;
    f.clear_log();
    let v = create(
        &p,
        "azurerm_virtual_network",
        "v",
        Value::map([("name", s("v")), ("resource_group_name", s("lro")), ("location", s("westeurope")), ("address_space", strs(&["10.5.0.0/16"]))]),
    )
    .await;
    // 3 InProgress answers, then Succeeded: 4 polls; the read-back sees Succeeded.
    assert_eq!(polls(&f.log()), 4, "{:#?}", f.log());
    let live = f.get(&id_of(&v)).unwrap();
    assert_eq!(live["properties"]["provisioningState"], "Succeeded");
    // Delete goes through Azure-AsyncOperation too; then the object is gone (404).
    f.clear_log();
    p.delete("azurerm_virtual_network", &v, &ctx("azurerm_virtual_network", "v", "setup")).await.unwrap();
    assert_eq!(polls(&f.log()), 4);
    assert!(f.get(&id_of(&v)).is_none());
    assert_eq!(p.read("azurerm_virtual_network", &v).await.unwrap(), None);
    // Resource groups delete through the Location header (202 until done).
    let g = p.read("azurerm_resource_group", &rg("lro")).await.unwrap().unwrap();
    f.clear_log();
    p.delete("azurerm_resource_group", &g, &ctx("azurerm_resource_group", "rg", "setup")).await.unwrap();
    let results: Vec<u16> = f.log().iter().filter(|l| l.path.contains("/operationResults/")).map(|l| l.status).collect();
    assert_eq!(results, vec![202, 202, 202, 200]);
    assert!(f.ids().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn too_many_requests_and_one_server_error_are_retried() {
    let f = FakeAzure::start(Options { polls: 0, ..Options::default() });
    let p = provider(&f).await;
    f.inject(429, Some(1));
    let started = std::time::Instant::now();
    create(&p, "azurerm_resource_group", "a", rg("retry-a")).await;
    assert!(started.elapsed() >= std::time::Duration::from_millis(900), "Retry-After: 1 was not honoured");
    let first: Vec<u16> = f.log().iter().filter(|l| l.path.to_ascii_lowercase().ends_with("/resourcegroups/retry-a")).map(|l| l.status).collect();
    assert_eq!(first[0], 429, "{first:?}");
    // Then the same GET again (404: not there yet), the PUT (201) and the read-back (200).
    assert_eq!(&first[1..], &[404, 201, 200], "{first:?}");
    f.clear_log();
    f.inject(500, None);
    create(&p, "azurerm_resource_group", "b", rg("retry-b")).await;
    let second: Vec<u16> = f.log().iter().filter(|l| l.path.to_ascii_lowercase().ends_with("/resourcegroups/retry-b")).map(|l| l.status).collect();
    assert_eq!(second, vec![500, 404, 201, 200], "{second:?}");
    assert!(f.get(&format!("/subscriptions/{SUB}/resourceGroups/retry-b")).is_some());
    // A persistent failure is reported, naming the address.
    for _ in 0..6 {
        f.inject(503, Some(0));
    }
    let cfg = contin_provider::coerce_to_schema(&p.schema().resources["azurerm_resource_group"], &rg("retry-c")).unwrap();
    let err = p.create("azurerm_resource_group", &cfg, &ctx("azurerm_resource_group", "c", "l")).await.unwrap_err();
    assert!(err.to_string().contains("azurerm_resource_group.c"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_object_with_this_lineage_and_address_is_adopted_others_are_refused() {
    let f = FakeAzure::start(Options::default());
    let p = provider(&f).await;
    let schema = p.schema();
    let cfg = contin_provider::coerce_to_schema(&schema.resources["azurerm_resource_group"], &rg("adopt")).unwrap();
    let planned = p.plan_change("azurerm_resource_group", None, &cfg).planned;
    let c = ctx("azurerm_resource_group", "g", "lineage-1");
    let first = p.create("azurerm_resource_group", &planned, &c).await.unwrap();
    // The crash: state never recorded `first`; the re-run creates again.
    let second = p.create("azurerm_resource_group", &planned, &c).await.unwrap();
    assert_eq!(first, second);
    assert_eq!(f.ids().len(), 1);
    assert_eq!(f.get(&id_of(&first)).unwrap()["tags"]["contin-lineage"], "lineage-1");
    // Another state (lineage) or address: refused, with the import command.
    let err = p.create("azurerm_resource_group", &planned, &ctx("azurerm_resource_group", "g", "lineage-2")).await.unwrap_err();
    assert!(matches!(&err, ProviderError::Api { code, message } if code == "AlreadyExists" && message.contains("contin import azurerm_resource_group.g")), "{err}");
    let err = p.create("azurerm_resource_group", &planned, &ctx("azurerm_resource_group", "other", "lineage-1")).await.unwrap_err();
    assert!(matches!(&err, ProviderError::Api { code, .. } if code == "AlreadyExists"), "{err}");
    // Import by id reads the same object (ownership tags hidden from `tags`).
    let imported = p.import("azurerm_resource_group", &id_of(&first)).await.unwrap();
    assert_eq!(imported.attr_str("name"), Some("adopt"));
    assert!(imported.attr("tags").is_none_or(Value::is_null), "{imported:?}");
    assert!(p.import("azurerm_resource_group", "/subscriptions/x/nope").await.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_secret_fails_without_showing_it() {
    let f = FakeAzure::start(Options::default());
    let p = AzureProvider::new();
    let marker = "MARKER-not-the-secret-5f2e";
    p.configure(config(&f, marker)).await.unwrap();
    let cfg = contin_provider::coerce_to_schema(&p.schema().resources["azurerm_resource_group"], &rg("x")).unwrap();
    let err = p.create("azurerm_resource_group", &cfg, &ctx("azurerm_resource_group", "x", "l")).await.unwrap_err();
    let text = format!("{err} {err:?}");
    assert!(!text.contains(marker), "{text}");
    assert!(text.contains("token"), "{text}");
    assert!(f.ids().is_empty());
    // Without any credential source and the CLI disallowed: a configuration error.
    let q = AzureProvider::new();
    let bare = Value::map([("subscription_id", s(SUB)), ("endpoint", s(f.url())), ("use_cli", Value::Bool(false))]);
    for k in ["ARM_CLIENT_ID", "ARM_CLIENT_SECRET", "ARM_TENANT_ID"] {
        assert!(std::env::var_os(k).is_none(), "{k} is set in the test environment");
    }
    let d = q.configure(bare).await.unwrap_err();
    assert!(format!("{d:?}").contains("no credentials"), "{d:?}");
}

#[test]
fn validate_names_the_argument() {
    let d = contin_provider_azure::validate(
        "azurerm_public_ip",
        &Value::map([("name", s("a/b")), ("allocation_method", s("Sometimes")), ("tags", Value::map([("contin-lineage", s("x"))]))]),
    );
    let text = d.to_string();
    assert!(text.contains("name:"), "{text}");
    assert!(text.contains("allocation_method: \"Sometimes\""), "{text}");
    assert!(text.contains("reserved prefix"), "{text}");
}
