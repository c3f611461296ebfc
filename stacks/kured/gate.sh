# Self-restart guard (added 2026-05-31): a node stuck in
# pending-reboot keeps THIS pod on the kubectl-heavy hot path
# every cycle. The long-lived bash loop slowly leaks (repeated
# kubectl forks + the Check-4 process substitution) until the
# cgroup OOM-kills child processes — PID 1 bash survives, so the
# pod never restarts, it just racks up silent oom_events
# (149 in 7d / accelerating on k8s-master, 2026-05-30..31).
# Exit 0 every MAX_ITER cycles so kubelet restarts the pod fresh
# and memory can never accumulate. Tightened 72->12 (~6h->~1h) on
# 2026-07-27: on a node stuck pending-reboot for days (the kured
# deadlock, also fixed via the KernelOOMKiller ignore above) the
# leak still crossed the 256Mi ceiling within 6h and OOM-killed
# ~139 child kubectls/6h. A ~1h reset keeps the cgroup well under
# the (now 512Mi) limit so it never OOMs.
ITER=0
MAX_ITER=12
while true; do
  ITER=$((ITER + 1))
  if [ "$ITER" -gt "$MAX_ITER" ]; then
    echo "  Iteration cap ($MAX_ITER) reached — exit 0 for a clean restart (leak guard)"
    exit 0
  fi
  echo "[$(date)] Checking reboot gate conditions... (iter $ITER/$MAX_ITER)"

  # Check 1: Does the host need a reboot?
  if [ ! -f /host/var-run/reboot-required ]; then
    echo "  No reboot required on this host"
    rm -f /host/var-run/gated-reboot-required
    sleep 300
    continue
  fi
  echo "  Host has /var/run/reboot-required"

  # Check 2: Are ALL nodes Ready?
  NOT_READY=$(kubectl get nodes --no-headers | grep -v ' Ready' | wc -l | tr -d ' ')
  if [ "$NOT_READY" -gt 0 ]; then
    echo "  BLOCKED: $NOT_READY node(s) not Ready"
    rm -f /host/var-run/gated-reboot-required
    sleep 300
    continue
  fi
  echo "  All nodes Ready"

  # Check 3: Are ALL calico-node pods Running?
  CALICO_NOT_RUNNING=$(kubectl get pods -n calico-system -l k8s-app=calico-node --no-headers 2>/dev/null | grep -v Running | wc -l | tr -d ' ')
  if [ "$CALICO_NOT_RUNNING" -gt 0 ]; then
    echo "  BLOCKED: $CALICO_NOT_RUNNING calico-node pod(s) not Running"
    rm -f /host/var-run/gated-reboot-required
    sleep 300
    continue
  fi
  echo "  All calico-node pods Running"

  # Check 4: No node rebooted in last 24 hours (soak window).
  # Stretched from 30m to 24h on 2026-05-10 so the de-facto canary
  # node has a full day of observation before the next node drains.
  RECENT_REBOOT=0
  while IFS= read -r transition_time; do
    if [ -n "$transition_time" ]; then
      transition_epoch=$(date -d "$transition_time" +%s 2>/dev/null || date -j -f "%Y-%m-%dT%H:%M:%SZ" "$transition_time" +%s 2>/dev/null)
      now_epoch=$(date +%s)
      diff=$(( now_epoch - transition_epoch ))
      if [ "$diff" -lt 86400 ]; then
        RECENT_REBOOT=1
        break
      fi
    fi
  done < <(kubectl get nodes -o jsonpath='{range .items[*]}{range .status.conditions[?(@.type=="Ready")]}{.lastTransitionTime}{"\n"}{end}{end}')

  if [ "$RECENT_REBOOT" -eq 1 ]; then
    echo "  BLOCKED: A node transitioned Ready within the last 24 hours (soak window)"
    rm -f /host/var-run/gated-reboot-required
    sleep 300
    continue
  fi
  echo "  No recent node reboots (24h soak window clear)"

  # All checks passed — create gated sentinel
  echo "  ALL CHECKS PASSED — creating /var/run/gated-reboot-required"
  touch /host/var-run/gated-reboot-required
  sleep 300
done
