#!/usr/bin/env bash
# Side-by-side benchmark: contin (fake provider) vs terraform (terraform_data)
# on the same layered graph. See bench/README.md.
#
# usage: bench/run.sh N WIDTH [LATENCY_MS] [PARALLELISM]
# env:   SHAPE=count        `a` and `b` with count = N each, b[i] using
#                           a[count.index] (WIDTH ignored); default: layered
#        SKIP_TF=1          run contin only
#        TF_APPLY_MAX=2000  largest N for which terraform apply/replan run
#                           (terraform needs >10 min to apply 10,000)
#        CONTIN=PATH        use this binary instead of building target/release/contin
#        KEEP=1             keep the work directory (printed at the end)
set -euo pipefail

usage() { echo "usage: $0 N WIDTH [LATENCY_MS] [PARALLELISM]" >&2; exit 2; }
[[ $# -ge 2 && $# -le 4 ]] || usage
N=$1; W=$2; LAT=${3:-0}; P=${4:-10}
for v in "$N" "$W" "$LAT" "$P"; do [[ $v =~ ^[0-9]+$ ]] || usage; done
SKIP_TF=${SKIP_TF:-0}; TF_APPLY_MAX=${TF_APPLY_MAX:-2000}; SHAPE=${SHAPE:-layered}
[[ $SHAPE == layered || $SHAPE == count ]] || { echo "SHAPE must be layered or count" >&2; exit 2; }

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)

if [[ ! -x /usr/bin/time ]]; then
  echo "installing GNU time (needed for max RSS)…" >&2
  if [[ $(id -u) -eq 0 ]]; then apt-get install -y -q time >/dev/null; else sudo apt-get install -y -q time >/dev/null; fi
fi

if [[ -z ${CONTIN:-} ]]; then
  echo "building contin (release)…" >&2
  (cd "$root" && cargo build --release -q -p contin --no-default-features)
  CONTIN=$root/target/release/contin
fi
[[ -x $CONTIN ]] || { echo "no contin binary at $CONTIN" >&2; exit 1; }

if [[ $SKIP_TF != 1 ]] && ! command -v terraform >/dev/null; then
  echo "terraform not on PATH: running contin only (SKIP_TF=1)" >&2
  SKIP_TF=1
fi

D=$(mktemp -d "${TMPDIR:-/tmp}/contin-bench.XXXXXX")
if [[ ${KEEP:-0} == 1 ]]; then trap 'echo "work dir kept: $D" >&2' EXIT; else trap 'rm -rf "$D"' EXIT; fi

# measure NAME CMD...: runs CMD, records "seconds maxrss_kb" in $D/NAME.m, or
# "FAIL" (and shows the log) when it exits non-zero.
measure() {
  local name=$1; shift
  local t0 t1
  t0=$EPOCHREALTIME
  if /usr/bin/time -f '%M' -o "$D/$name.time" "$@" >"$D/$name.log" 2>&1; then
    t1=$EPOCHREALTIME
    # Wall time from bash's microsecond clock (GNU time's %e has 10 ms steps).
    echo "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }') $(tail -1 "$D/$name.time")" >"$D/$name.m"
  else
    echo "FAIL" >"$D/$name.m"
    echo "--- $name failed: $*" >&2
    tail -20 "$D/$name.log" >&2
  fi
}
skip() { echo "SKIP" >"$D/$1.m"; }

# --- contin -------------------------------------------------------------
python3 "$here/gen.py" --shape "$SHAPE" "$N" "$W" "$D/contin" "$LAT"
echo "contin:    plan…" >&2
measure c_plan "$CONTIN" -C "$D/contin" plan -out "$D/contin/plan.bin"
echo "contin:    apply…" >&2
measure c_apply "$CONTIN" -C "$D/contin" apply -auto-approve "-parallelism=$P"
echo "contin:    no-op replan…" >&2
measure c_replan "$CONTIN" -C "$D/contin" plan
echo "contin:    no-op replan, -refresh=false…" >&2
measure c_norefresh "$CONTIN" -C "$D/contin" plan -refresh=false
c_state=$(stat -c %s "$D/contin/contin.state.json" 2>/dev/null || echo "")
if [[ $(cat "$D/c_replan.m") != FAIL ]] && ! grep -q "No changes" "$D/c_replan.log"; then
  echo "warning: contin's replan was not a no-op:" >&2; tail -5 "$D/c_replan.log" >&2
fi

# --- terraform ----------------------------------------------------------
tf_note=""
if [[ $SKIP_TF == 1 ]]; then
  skip t_plan; skip t_apply; skip t_replan; skip t_norefresh; t_state=""
else
  export TF_CLI_CONFIG_FILE=/dev/null TF_IN_AUTOMATION=1 CHECKPOINT_DISABLE=1
  sleep_s=$(awk -v l="$LAT" 'BEGIN { printf "%g", l / 1000 }')
  python3 "$here/gen-tf.py" --shape "$SHAPE" "$N" "$W" "$D/tf" "$sleep_s"
  (cd "$D/tf" && terraform init -input=false >/dev/null)
  echo "terraform: plan…" >&2
  measure t_plan terraform "-chdir=$D/tf" plan -input=false -lock=false -out=plan.bin "-parallelism=$P"
  if (( N > TF_APPLY_MAX )); then
    skip t_apply; skip t_replan; skip t_norefresh; t_state=""
    tf_note="terraform apply and replan skipped (N too large; see RESULTS.md for the measured baseline)"
  else
    echo "terraform: apply…" >&2
    measure t_apply terraform "-chdir=$D/tf" apply -input=false -lock=false "-parallelism=$P" plan.bin
    echo "terraform: no-op replan…" >&2
    measure t_replan terraform "-chdir=$D/tf" plan -input=false -lock=false "-parallelism=$P"
    echo "terraform: no-op replan, -refresh=false…" >&2
    measure t_norefresh terraform "-chdir=$D/tf" plan -input=false -lock=false -refresh=false "-parallelism=$P"
    t_state=$(stat -c %s "$D/tf/terraform.tfstate" 2>/dev/null || echo "")
  fi
fi

# --- table --------------------------------------------------------------
awk -v n="$N" -v w="$W" -v shape="$SHAPE" -v lat="$LAT" -v p="$P" -v cs="$c_state" -v ts="$t_state" -v note="$tf_note" \
    -v cver="$("$CONTIN" version 2>/dev/null | head -1)" \
    -v tver="$( [[ $SKIP_TF == 1 ]] || terraform version 2>/dev/null | head -1)" \
    -v cp="$(cat "$D/c_plan.m")" -v ca="$(cat "$D/c_apply.m")" -v cr="$(cat "$D/c_replan.m")" -v cn="$(cat "$D/c_norefresh.m")" \
    -v tp="$(cat "$D/t_plan.m")" -v ta="$(cat "$D/t_apply.m")" -v tr="$(cat "$D/t_replan.m")" -v tn="$(cat "$D/t_norefresh.m")" '
function secs(m)  { split(m, a, " "); return (m == "FAIL" || m == "SKIP") ? m : sprintf("%.3f s", a[1]) }
function rss(m)   { split(m, a, " "); return (m == "FAIL" || m == "SKIP") ? "" : sprintf("%.0f MB", a[2] / 1024) }
function ratio(t, c,   x, y) {
  split(t, x, " "); split(c, y, " ")
  if (t == "FAIL" || t == "SKIP" || c == "FAIL" || c == "SKIP") return "-"
  if (y[1] + 0 == 0) return "-"
  return sprintf("%.1fx", x[1] / y[1])
}
function maxrss(a1, a2, a3, a4,   v, best, i, parts) {
  best = 0; v[1] = a1; v[2] = a2; v[3] = a3; v[4] = a4
  for (i = 1; i <= 4; i++) { if (v[i] == "FAIL" || v[i] == "SKIP") continue; split(v[i], parts, " "); if (parts[2] > best) best = parts[2] }
  return best
}
function row(label, c, t) { printf "%-22s %10s %8s   %10s %8s   %9s\n", label, secs(c), rss(c), secs(t), rss(t), ratio(t, c) }
function size(b) { return b == "" ? "-" : (b < 1048576 ? sprintf("%.0f KB", b / 1024) : sprintf("%.1f MB", b / 1048576)) }
BEGIN {
  if (shape == "count") printf "shape=count: a and b with count=%d each (b[i] uses a[count.index]) latency=%d ms parallelism=%d\n", n, lat, p
  else printf "N=%d width=%d latency=%d ms parallelism=%d\n", n, w, lat, p
  printf "contin: %s   terraform: %s\n\n", (cver == "" ? "?" : cver), (tver == "" ? "-" : tver)
  printf "%-22s %10s %8s   %10s %8s   %9s\n", "step", "contin", "max RSS", "terraform", "max RSS", "tf/contin"
  row("plan (empty state)", cp, tp)
  row("apply", ca, ta)
  row("replan (no changes)", cr, tr)
  row("replan -refresh=false", cn, tn)
  cm = maxrss(cp, ca, cr, cn); tm = maxrss(tp, ta, tr, tn)
  printf "%-22s %19s   %19s   %9s\n", "max RSS (all steps)", (cm ? sprintf("%.0f MB", cm / 1024) : "-"), (tm ? sprintf("%.0f MB", tm / 1024) : "-"), (cm && tm ? sprintf("%.1fx", tm / cm) : "-")
  printf "%-22s %19s   %19s\n", "state size", size(cs), size(ts)
  if (lat > 0 && shape != "count") printf "\ncritical path: %d layers x %d ms = %.2f s\n", int((n + w - 1) / w), lat, int((n + w - 1) / w) * lat / 1000
  if (note != "") printf "\n%s\n", note
}'
grep -q FAIL "$D"/c_*.m && exit 1 || true
