//! Crash matrix (issue 9 acceptance): 50 SIGKILLs at random moments of a
//! 200-resource apply that creates, updates and deletes at once. After every
//! kill the next command needs no `force-unlock`, the state parses, the next
//! apply converges, and the fake cloud (the provider's JSON store) holds no
//! object twice and none that state does not record, with state attributes
//! equal to the real objects.
//!
//! The fake provider adopts an object by name after a crash (as the aws
//! provider adopts by its `contin:*` tags), so a kill between "created" and
//! "recorded" must end with exactly one object.

use contin_e2e::Project;
use serde_json::Value as Json;
use std::collections::{BTreeMap, BTreeSet};
use std::process::Stdio;
use std::time::{Duration, Instant};

const RESOURCES: usize = 200;
const WIDTH: usize = 20;
const SHIFT: usize = 20;
const ROUNDS: usize = 50;

/// Names `r{first}..r{first+RESOURCES}`; each depends on the resource WIDTH
/// names before it (when that one is in the window), so the graph is layered.
fn config(first: usize, generation: usize) -> String {
    let mut hcl = String::from("provider \"fake\" {\n  store      = \"cloud.json\"\n  latency_ms = 8\n}\n\n");
    for j in first..first + RESOURCES {
        hcl.push_str(&format!("resource \"fake_resource\" \"r{j}\" {{\n  name = \"r{j}\"\n  tags = {{ gen = \"g{generation}\" }}\n"));
        if j >= first + WIDTH {
            hcl.push_str(&format!("  value = fake_resource.r{}.id\n", j - WIDTH));
        }
        hcl.push_str("}\n\n");
    }
    hcl
}

/// xorshift64*: deterministic kill moments without a rand dependency.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

/// The fake cloud: id → attributes of every stored fake_resource.
fn cloud(p: &Project) -> BTreeMap<String, Json> {
    if !p.exists("cloud.json") {
        return BTreeMap::new();
    }
    let doc: Json = serde_json::from_str(&p.read("cloud.json")).expect("the fake cloud is valid JSON");
    let mut out = BTreeMap::new();
    for (id, obj) in doc["objects"].as_object().expect("objects map") {
        if obj["type"] == "fake_resource" {
            out.insert(id.clone(), obj["attributes"].clone());
        }
    }
    out
}

/// Starts an apply and SIGKILLs it after `after`; returns whether it was
/// still running when killed.
fn apply_and_kill(p: &Project, after: Duration) -> bool {
    let mut child = p
        .command(&["apply", "-auto-approve", "-parallelism=10"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("starting contin");
    let deadline = Instant::now() + after;
    while Instant::now() < deadline {
        if child.try_wait().expect("polling contin").is_some() {
            return false;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    let _ = child.kill(); // SIGKILL
    let _ = child.wait();
    true
}

/// Every acceptance property that must hold once the recovery apply converged.
fn check_converged(p: &Project, first: usize, generation: usize, round: usize) {
    let objects = cloud(p);
    let mut by_name: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (id, attrs) in &objects {
        let name = attrs["name"].as_str().unwrap_or_default().to_string();
        by_name.entry(name).or_default().push(id.clone());
    }
    let dupes: Vec<_> = by_name.iter().filter(|(_, ids)| ids.len() > 1).collect();
    assert!(dupes.is_empty(), "round {round}: objects created twice: {dupes:?}");
    let want: BTreeSet<String> = (first..first + RESOURCES).map(|j| format!("r{j}")).collect();
    let have: BTreeSet<String> = by_name.keys().cloned().collect();
    assert_eq!(have, want, "round {round}: the cloud does not hold exactly the configured objects");

    let state = p.state();
    let mut recorded = BTreeMap::new();
    for r in state["resources"].as_array().expect("resources array") {
        let addr = r["addr"].as_str().unwrap_or_default();
        if !addr.starts_with("fake_resource.") {
            continue;
        }
        assert!(r.get("deposed").is_none_or(|d| d.as_array().is_none_or(|d| d.is_empty())), "round {round}: {addr} keeps deposed objects");
        let attrs = &r["attributes"];
        let id = attrs["id"].as_str().unwrap_or_else(|| panic!("round {round}: {addr} has no id")).to_string();
        let real = objects.get(&id).unwrap_or_else(|| panic!("round {round}: {addr} records {id}, which does not exist"));
        for (k, v) in real.as_object().expect("attributes object") {
            assert_eq!(&attrs[k], v, "round {round}: {addr}.{k} in state differs from the real object");
        }
        assert_eq!(real["tags"]["gen"], format!("g{generation}"), "round {round}: {addr} not updated");
        recorded.insert(id, addr.to_string());
    }
    let unrecorded: Vec<_> = objects.keys().filter(|id| !recorded.contains_key(*id)).collect();
    assert!(unrecorded.is_empty(), "round {round}: objects recorded nowhere: {unrecorded:?}");
}

#[test]
fn fifty_sigkills_mid_apply_lose_nothing_and_duplicate_nothing() {
    let p = Project::empty();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut killed_running = 0;
    for round in 0..ROUNDS {
        // Each round shifts the window: SHIFT creates, SHIFT deletes, the rest updates (new tag).
        let first = round * SHIFT;
        p.write("main.hcl", &config(first, round));
        let after = Duration::from_millis(20 + rng.next() % 600);
        if apply_and_kill(&p, after) {
            killed_running += 1;
        }

        // No force-unlock needed, and the state parses.
        let listed = p.run(&["state", "list"]);
        listed.expect_code(0);

        let again = p.run(&["apply", "-auto-approve", "-parallelism=10"]);
        again.expect_code(0);
        p.run(&["plan", "-detailed-exitcode"]).expect_code(0);
        check_converged(&p, first, round, round);
    }
    assert!(killed_running >= ROUNDS * 3 / 4, "only {killed_running} of {ROUNDS} kills landed while apply was running");
    eprintln!("{killed_running} of {ROUNDS} SIGKILLs landed mid-apply");
}
