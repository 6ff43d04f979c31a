//! End-to-end: examples/multi-cloud as published (AWS on moto, Azure on the
//! ARM fake, Google Cloud on the Compute fake, an edge site whose workload
//! is wired to the three instances): apply, no-op replan, drift on each
//! cloud detected and repaired, destroy leaving every cloud empty, and no
//! credential anywhere in clear.

use contin_e2e::moto::MotoServer;
use contin_e2e::{repo_root, Output, Project};
use contin_fake_azure::{FakeAzure, Options};
use contin_fake_gcp::{FakeGcp, FakeOptions};
use contin_provider_aws::testing::Ec2Probe;

const AZURE_SECRET: &str = "multi-cloud-MARKER-azure-5e1f";
const AZURE_VM: &str = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/contin-multicloud/providers/Microsoft.Compute/virtualMachines/contin-vm";
const GCP_VM: &str = "projects/fake-project/zones/us-central1-a/instances/gcp-vm";

struct Clouds {
    moto: MotoServer,
    azure: FakeAzure,
    gcp: FakeGcp,
    _rt: tokio::runtime::Runtime,
}

impl Clouds {
    fn start() -> Clouds {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap_or_else(|e| panic!("runtime: {e}"));
        let gcp = rt.block_on(FakeGcp::start(FakeOptions { op_polls: 2 })).unwrap_or_else(|e| panic!("{e}"));
        let azure = FakeAzure::start(Options { client_secret: AZURE_SECRET.into(), polls: 2, ..Options::default() });
        Clouds { moto: MotoServer::start(), azure, gcp, _rt: rt }
    }

    fn env(&self) -> Vec<(&'static str, String)> {
        let o = self.azure.options();
        let mut env = self.moto.client_env();
        env.extend([
            ("AWS_CONFIG_FILE", "/nonexistent/contin-test/config".to_string()),
            ("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/contin-test/credentials".to_string()),
            ("CONTIN_VAR_aws_endpoint", self.moto.endpoint()),
            ("CONTIN_VAR_azure_endpoint", self.azure.url().to_string()),
            ("CONTIN_VAR_azure_authority_host", self.azure.url().to_string()),
            ("CONTIN_VAR_azure_subscription_id", o.subscription.clone()),
            ("CONTIN_VAR_azure_tenant_id", o.tenant.clone()),
            ("CONTIN_VAR_azure_client_id", o.client_id.clone()),
            ("CONTIN_VAR_azure_client_secret", o.client_secret.clone()),
            ("AZURE_CONFIG_DIR", "/nonexistent/contin-test/azure".to_string()),
            ("CONTIN_VAR_gcp_endpoint", self.gcp.endpoint()),
            ("CONTIN_VAR_gcp_credentials", self.gcp.service_account_json().to_string()),
            ("CONTIN_VAR_gcp_project", "fake-project".to_string()),
            ("GOOGLE_APPLICATION_CREDENTIALS", "/nonexistent/contin-test/adc.json".to_string()),
        ]);
        env
    }

    /// Strings that must never appear in clear: the Azure client secret and
    /// the lines of the GCP service account's private key.
    fn secrets(&self) -> Vec<String> {
        let sa: serde_json::Value = serde_json::from_str(self.gcp.service_account_json()).unwrap_or_else(|e| panic!("{e}"));
        let mut out: Vec<String> = sa["private_key"].as_str().unwrap_or_default().lines().filter(|l| l.len() >= 40).map(str::to_string).collect();
        out.push(AZURE_SECRET.to_string());
        out
    }

    fn run(&self, p: &Project, args: &[&str]) -> Output {
        let env = self.env();
        let all: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let out = p.run_with(args, None, &all);
        for s in self.secrets() {
            assert!(!out.all().contains(&s), "a credential leaked into the output of {args:?}");
        }
        out
    }
}

fn example() -> Project {
    let p = Project::empty();
    let dir = repo_root().join("examples/multi-cloud");
    for f in ["main.tf", "azure.tf", "gcp.tf", "README.md"] {
        p.write(f, &std::fs::read_to_string(dir.join(f)).unwrap_or_else(|e| panic!("examples/multi-cloud/{f}: {e}")));
    }
    p
}

#[test]
fn multi_cloud_example_applies_replans_clean_repairs_drift_and_destroys() {
    let c = Clouds::start();
    let ec2 = Ec2Probe::new(&c.moto.endpoint());
    let p = example();

    let apply = c.run(&p, &["apply", "-auto-approve"]);
    apply.expect_code(0);
    // AWS 4 + Azure 7 + GCP 5 + edge site + workload.
    assert!(apply.stdout.contains("Apply complete! Resources: 18 added, 0 changed, 0 destroyed."), "{}", apply.all());
    assert!(apply.stdout.contains("desired state generation 1 written"), "{}", apply.all());
    assert_eq!(ec2.live_instances().len(), 1);
    assert!(c.azure.get(AZURE_VM).is_some());
    assert!(c.gcp.object(GCP_VM).is_some());

    // The edge workload got the three clouds' addresses through the outputs.
    let out = c.run(&p, &["output", "-json"]);
    out.expect_code(0);
    let o: serde_json::Value = serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", out.stdout));
    let ips = &o["cloud_private_ips"]["value"];
    let gcp_vm = c.gcp.object(GCP_VM).unwrap_or_default();
    assert_eq!(ips["gcp"], gcp_vm["networkInterfaces"][0]["networkIP"]);
    assert_eq!(ips["azure"], "10.20.1.4");
    assert!(ips["aws"].as_str().is_some_and(|s| s.starts_with("10.10.1.")), "{ips}");
    let state = p.read("contin.state.json");
    assert!(state.contains(ips["aws"].as_str().unwrap_or("?")), "the workload's env holds the AWS address");

    c.run(&p, &["plan", "-detailed-exitcode"]).expect_code(0);

    // Drift on every cloud at once: a tag on AWS and Azure, a label on GCP.
    let aws_id = o["aws_instance_id"]["value"].as_str().unwrap_or_default().to_string();
    ec2.set_tag(&aws_id, "role", "tampered");
    assert!(c.azure.set_tag(AZURE_VM, "role", "tampered"));
    assert!(c.gcp.set_label(GCP_VM, "role", Some("tampered")));
    let drift = c.run(&p, &["plan", "-detailed-exitcode"]);
    drift.expect_code(2);
    for addr in ["aws_instance.aws_vm", "azurerm_linux_virtual_machine.azure_vm", "google_compute_instance.gcp_vm"] {
        assert!(drift.stdout.contains(&format!("{addr} will be updated in-place")), "{addr}:\n{}", drift.all());
    }
    assert!(drift.stdout.contains("3 to change"), "{}", drift.stdout);
    c.run(&p, &["apply", "-auto-approve"]).expect_code(0);
    c.run(&p, &["plan", "-detailed-exitcode"]).expect_code(0);
    assert_eq!(c.azure.get(AZURE_VM).unwrap_or_default()["tags"]["role"], "web");
    assert_eq!(c.gcp.object(GCP_VM).unwrap_or_default()["labels"]["role"], "web");

    for entry in std::fs::read_dir(p.path()).into_iter().flatten().flatten() {
        if entry.path().is_file() {
            let text = String::from_utf8_lossy(&std::fs::read(entry.path()).unwrap_or_default()).into_owned();
            for s in c.secrets() {
                assert!(!text.contains(&s), "{} holds a credential in clear", entry.path().display());
            }
        }
    }

    c.run(&p, &["destroy", "-auto-approve"]).expect_code(0);
    assert!(ec2.live_instances().is_empty() && ec2.vpcs().is_empty());
    assert!(c.azure.ids().is_empty(), "{:?}", c.azure.ids());
    assert!(c.gcp.objects().is_empty(), "{:?}", c.gcp.objects());
}
