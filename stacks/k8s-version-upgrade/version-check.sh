set -euo pipefail
echo "==> k8s-version-check ($(date -u +%FT%TZ))"

SLACK=$(cat /secrets/k8s-upgrade/slack_webhook)
install -m 0400 /secrets/k8s-upgrade/ssh_key /tmp/ssh_key
SSH="ssh -i /tmp/ssh_key -o StrictHostKeyChecking=accept-new -o UserKnownHostsFile=/tmp/known_hosts -o ConnectTimeout=10"

slack() {
  curl -sS -X POST -H 'Content-Type: application/json' \
    --data "$(jq -nc --arg t "[k8s-version-check] $1" '{text: $t}')" \
    "$SLACK" || true
}

# Kill-switch — see scripts/upgrade-step.sh for full docs.
# ConfigMap existence halts the chain (any phase).
if /usr/local/bin/kubectl -n k8s-upgrade get configmap k8s-upgrade-killswitch >/dev/null 2>&1; then
  reason=$(/usr/local/bin/kubectl -n k8s-upgrade get configmap k8s-upgrade-killswitch \
    -o jsonpath='{.data.reason}' 2>/dev/null || echo "(no reason set)")
  slack "version-check HALTED by kill-switch: $reason"
  echo "HALTED. Resume: kubectl -n k8s-upgrade delete cm k8s-upgrade-killswitch"
  exit 0
fi

# --- Reconcile a leaked in_flight latch (RC1, 2026-07-25) ------------
# in_flight is set in the preflight pod and cleared ONLY in the postflight
# pod, N Jobs away, on a never-expiring Pushgateway gauge. ANY interruption
# between the two (killswitch, set -e abort, hung drain, SIGKILL on a node
# reboot/eviction, spawn_next failure, or a manual off-schedule partial run)
# freezes in_flight=1 forever -> a false K8sUpgradeStalled that also blocks
# kured. kubectl (not the metric) is the ground truth for Job presence, so
# this reconcile survives every leak path INCLUDING SIGKILL, which a shell
# EXIT trap cannot. Guard: clear only when NO chain Job is Active AND the
# latch is set AND its start is >12h stale -> a live or mid-chain run
# (fresh start, or a phase Job Active) is NEVER touched. DELETE of the whole
# job=k8s-version-upgrade group also drops the orphan target_minor; blocked/
# held get re-pushed by the next preflight. Deleting terminal chain Jobs
# stops the "chain advanced" skip below from stranding a fresh spawn (the
# memory-10190 manual-resume wedge). Runs BEFORE version detection so a
# leaked latch is cleared even when the cluster is already up to date.
PGMETRICS='http://prometheus-prometheus-pushgateway.monitoring:9091/metrics'
PGUP='http://prometheus-prometheus-pushgateway.monitoring:9091/metrics/job/k8s-version-upgrade'
ACTIVE_CHAIN=$(/usr/local/bin/kubectl -n k8s-upgrade get jobs -l app=k8s-upgrade-chain \
  -o jsonpath='{range .items[*]}{.status.active}{"\n"}{end}' 2>/dev/null \
  | grep -E '^[1-9]' | head -1 || true)
PGDATA=$(curl -sf "$PGMETRICS" 2>/dev/null || true)
INFLIGHT=$(echo "$PGDATA" | awk '/^k8s_upgrade_in_flight\{/ {printf "%d\n", ($2+0)}' | head -1)
STARTED=$(echo "$PGDATA" | awk '/^k8s_upgrade_started_timestamp\{/ {printf "%d\n", ($2+0)}' | head -1)
NOW=$(date +%s)
if [ -z "$ACTIVE_CHAIN" ] && [ "$INFLIGHT" = "1" ] && [ -n "$STARTED" ] && [ "$STARTED" != "0" ] && [ "$(( NOW - STARTED ))" -gt 43200 ]; then
  AGE_H=$(( (NOW - STARTED) / 3600 ))
  slack "reconcile: leaked in_flight latch (no active chain Job, started ${AGE_H}h ago) — clearing stale gauge + annotations + terminal Jobs"
  echo "reconcile: clearing leaked in_flight latch (stale ${AGE_H}h, no active chain Job)"
  curl -sf -X DELETE "$PGUP" >/dev/null 2>&1 || echo "warn: pushgateway group delete failed"
  /usr/local/bin/kubectl annotate ns k8s-upgrade \
    'viktorbarzin.me/k8s-upgrade-in-flight-' \
    'viktorbarzin.me/k8s-upgrade-target-' \
    'viktorbarzin.me/k8s-upgrade-snapshot-path-' >/dev/null 2>&1 || true
  /usr/local/bin/kubectl -n k8s-upgrade delete job -l app=k8s-upgrade-chain >/dev/null 2>&1 || true
fi
# --- end reconcile ---------------------------------------------------

# 1. Detect running version — use the OLDEST kubelet across
# all nodes so partial chains (e.g. master upgraded but
# workers still pending) don't trick the chain into
# thinking the upgrade is complete. Was `.items[0]` (master
# only) which made the chain skip when workers were behind.
# Fixed 2026-05-23 after node4-only chain failure.
RUNNING=$(/usr/local/bin/kubectl get nodes \
  -o jsonpath='{range .items[*]}{.status.nodeInfo.kubeletVersion}{"\n"}{end}' \
  | tr -d v | sort -V | head -1)
RUNNING_MINOR=$(echo "$RUNNING" | awk -F. '{print $1"."$2}')
echo "Running version (oldest kubelet): v$RUNNING (minor $RUNNING_MINOR)"

# 2. Latest patch within current minor (refresh master's apt cache)
LATEST_PATCH=$($SSH wizard@k8s-master.viktorbarzin.lan \
  "sudo apt-get update -qq -o Dir::Etc::sourcelist='sources.list.d/kubernetes.list' -o Dir::Etc::sourceparts='-' -o APT::Get::List-Cleanup='0' >/dev/null 2>&1 ; \
   apt-cache madison kubeadm 2>/dev/null \
    | awk '{print \$3}' \
    | sed 's/-.*//' \
    | grep '^$RUNNING_MINOR\\.' \
    | sort -V | tail -1" || echo "")
echo "Latest patch: v$LATEST_PATCH"

# 3. Next-minor probe
NEXT_MINOR_NUM=$(( $(echo "$RUNNING_MINOR" | cut -d. -f2) + 1 ))
NEXT_MINOR="1.$NEXT_MINOR_NUM"
NEXT_MINOR_AVAILABLE="no"
if curl -sILo /dev/null -w '%{http_code}' \
    "https://pkgs.k8s.io/core:/stable:/v$NEXT_MINOR/deb/Release" \
    | grep -q '^200$'; then
  NEXT_MINOR_AVAILABLE="yes"
fi
echo "Next minor v$NEXT_MINOR available: $NEXT_MINOR_AVAILABLE"

# 4. Choose target
TARGET=""
KIND=""
if [ -n "$LATEST_PATCH" ] && [ "$LATEST_PATCH" != "$RUNNING" ]; then
  TARGET="$LATEST_PATCH"
  KIND="patch"
elif [ "$NEXT_MINOR_AVAILABLE" = "yes" ]; then
  NEXT_MINOR_PATCH=$($SSH wizard@k8s-master.viktorbarzin.lan \
    "curl -sfL 'https://pkgs.k8s.io/core:/stable:/v$NEXT_MINOR/deb/Packages' \
      | grep -oE 'Version: [0-9.-]+' \
      | awk '{print \$2}' | sed 's/-.*//' \
      | sort -V | tail -1" || echo "")
  if [ -n "$NEXT_MINOR_PATCH" ]; then
    TARGET="$NEXT_MINOR_PATCH"
    KIND="minor"
  fi
fi

# 5. Pushgateway discovery metric
PG='http://prometheus-prometheus-pushgateway.monitoring:9091/metrics/job/k8s-version-check'
{
  echo "# TYPE k8s_upgrade_available gauge"
  if [ -n "$TARGET" ]; then
    echo "k8s_upgrade_available{kind=\"$KIND\",running=\"$RUNNING\",target=\"$TARGET\"} 1"
  else
    echo "k8s_upgrade_available{kind=\"none\",running=\"$RUNNING\",target=\"$RUNNING\"} 0"
  fi
  echo "# TYPE k8s_version_check_last_run_timestamp gauge"
  echo "k8s_version_check_last_run_timestamp $(date +%s)"
} | curl -sS --data-binary @- "$PG" || echo "warn: pushgateway push failed"

# 6. Decide whether to spawn Job 0
if [ -z "$TARGET" ]; then
  echo "No upgrade needed"
  exit 0
fi

echo "K8s upgrade available: v$RUNNING -> v$TARGET ($KIND)"

if [ "$DRY_RUN" = "true" ]; then
  slack "DRY_RUN — target v$TARGET detected, not spawning preflight Job"
  exit 0
fi

# 7. Spawn Job 0 (preflight) via envsubst on the job-template
#    Idempotency: deterministic name reconciles via `apply`.
JOB_NAME="k8s-upgrade-preflight-${TARGET//./-}"
MASTER_JOB="k8s-upgrade-master-${TARGET//./-}"
ANNOUNCE=yes   # Slack the spawn? Suppressed for silent per-run re-evaluations of a standing gate refusal.

# Idempotency + per-run re-evaluation:
#   - FAILED preflight (transient gate abort, e.g. a spurious
#     critical alert / unhealthy node) -> delete + re-spawn, announced.
#   - COMPLETE preflight but NO master Job spawned -> the compat
#     gate REFUSED the target (blocked/held now Complete cleanly
#     rather than Failing). Re-spawn SILENTLY so the gate re-checks
#     each scheduled run (the refusal may have cleared: addon
#     upgraded / matrix updated / upstream shipped) WITHOUT per-run Slack noise for a
#     standing refusal — the morning report (+ K8sUpgradeBlocked for
#     actionable) is the signal.
#   - Otherwise (Active, or Complete with the chain advanced) -> skip.
# The old "Failed-only re-spawn" left a refused-but-Complete preflight
# skipped until its 7d TTL — too slow now that refusals Complete
# instead of Failing (2026-06-28). Deterministic names; `apply`
# reconciles. (Stuck-pipeline history: a transient critical alert
# wedged 1.34.9 for 5 days, 2026-06-17 — hence Failed always re-spawns.)
if /usr/local/bin/kubectl -n k8s-upgrade get job "$JOB_NAME" >/dev/null 2>&1; then
  JOB_FAILED=$(/usr/local/bin/kubectl -n k8s-upgrade get job "$JOB_NAME" \
    -o jsonpath='{.status.conditions[?(@.type=="Failed")].status}' 2>/dev/null || true)
  JOB_COMPLETE=$(/usr/local/bin/kubectl -n k8s-upgrade get job "$JOB_NAME" \
    -o jsonpath='{.status.conditions[?(@.type=="Complete")].status}' 2>/dev/null || true)
  if [ "$JOB_FAILED" = "True" ]; then
    slack "Preflight Job $JOB_NAME exists but FAILED — deleting and re-spawning"
    /usr/local/bin/kubectl -n k8s-upgrade delete job "$JOB_NAME" --wait=true >/dev/null 2>&1 || true
  elif [ "$JOB_COMPLETE" = "True" ] && ! /usr/local/bin/kubectl -n k8s-upgrade get job "$MASTER_JOB" >/dev/null 2>&1; then
    echo "Preflight $JOB_NAME Complete + no master Job (gate refused) — silent per-run re-evaluate"
    /usr/local/bin/kubectl -n k8s-upgrade delete job "$JOB_NAME" --wait=true >/dev/null 2>&1 || true
    ANNOUNCE=no
  else
    echo "Preflight Job $JOB_NAME already exists (active / chain advanced) — skipping"
    exit 0
  fi
fi

# Preflight pins to node1 (the "first worker"). Since node1's
# nvidia.com/gpu taint was flipped PreferNoSchedule->NoSchedule on
# 2026-07-19 (code-j3tx reboot-self-heal), the Job also needs the GPU
# toleration or it hangs Pending forever (PodStuckPending, healthcheck
# 2026-07-21). Harmless no-op should node1 ever lose the taint.
export JOB_NAME PHASE_NEXT=preflight TARGET_NODE_NEXT="" \
       TARGET_VERSION="$TARGET" TARGET_VERSION_LABEL="${TARGET//./-}" \
       KIND="$KIND" IMAGE="${IMAGE}" \
       SCHEDULING_BLOCK=$'      nodeSelector:\n        kubernetes.io/hostname: k8s-node1\n      tolerations:\n        - key: nvidia.com/gpu\n          operator: Exists\n          effect: NoSchedule'

python3 -c 'import os,sys;sys.stdout.write(os.path.expandvars(sys.stdin.read()))' \
  < /template/job-template.yaml \
  | /usr/local/bin/kubectl apply -f -

if [ "$ANNOUNCE" = "yes" ]; then
  slack "Spawned $JOB_NAME (target=v$TARGET kind=$KIND)"
fi
