#!/usr/bin/env bash
# Edge fleet benchmark (issue 10): N in-process agents against one moto S3
# bucket (apply-to-applied / all-acked p50/p99, mailbox requests per second,
# reconvergence after a cut) and the idle RSS of the standalone agent.
#
#   bench/edge-agents.sh [AGENTS=1000] [POLL=5s] [CUT=10s]
#
# Needs moto_server ($CONTIN_TEST_MOTO_SERVER, ./.venv/bin/moto_server or on PATH).
# Results: bench/RESULTS.md ("Edge agents").
set -euo pipefail
N=${1:-1000}
POLL=${2:-5s}
CUT=${3:-10s}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
moto=${CONTIN_TEST_MOTO_SERVER:-}
[ -n "$moto" ] || { [ -x .venv/bin/moto_server ] && moto=.venv/bin/moto_server; } || true
[ -n "$moto" ] || moto=$(command -v moto_server || true)
[ -n "$moto" ] || { echo "moto_server not found: run ./scripts/test once or set CONTIN_TEST_MOTO_SERVER" >&2; exit 1; }

# CONTIN_BENCH_PROFILE=dev: a debug build (when a release build is too slow to make).
profile=${CONTIN_BENCH_PROFILE:-release}
if [ "$profile" = release ]; then
    cargo build --release -q -p contin-agent --bin contin-agent --example fleet_bench
    out=release
else
    cargo build -q -p contin-agent --bin contin-agent --example fleet_bench
    out=debug
fi
target=${CARGO_TARGET_DIR:-$root/target}
bench_bin=$target/$out/examples/fleet_bench
agent_bin=$target/$out/contin-agent

work=$(mktemp -d)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

# Idle RSS of the standalone agent (file mailbox, one site, no workloads).
token=$("$bench_bin" --idle-mailbox "$work/idle")
CONTIN_AGENT_TOKEN=$token "$agent_bin" --data-dir "$work/idle/agent" --poll "$POLL" 2>"$work/idle/agent.log" &
agent_pid=$!
pids+=("$agent_pid")
sleep 30
rss=$(awk '/VmRSS/ {print $2}' "/proc/$agent_pid/status")
hwm=$(awk '/VmHWM/ {print $2}' "/proc/$agent_pid/status")
echo "standalone agent idle after 30 s: RSS $((rss / 1024)) MB ($rss kB), peak $((hwm / 1024)) MB ($hwm kB)"
kill "$agent_pid"

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$moto" -H 127.0.0.1 -p "$port" >"$work/moto.log" 2>&1 &
moto_pid=$!
pids+=("$moto_pid")
for _ in $(seq 1 100); do
    python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/moto-api/')" 2>/dev/null && break
    sleep 0.2
done
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true
export AWS_CONFIG_FILE=/nonexistent AWS_SHARED_CREDENTIALS_FILE=/nonexistent
/usr/bin/time -f "fleet_bench: %e s wall, %U s user, %S s sys, max RSS %M kB" \
    "$bench_bin" --moto "http://127.0.0.1:$port" --moto-pid "$moto_pid" --agents "$N" --poll "$POLL" --cut "$CUT"
