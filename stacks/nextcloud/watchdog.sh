set -e
# Find the nextcloud pod
POD=$(kubectl get pods -n nextcloud -l app.kubernetes.io/name=nextcloud -o jsonpath='{.items[0].metadata.name}' 2>/dev/null)
if [ -z "$POD" ]; then
  echo "No nextcloud pod found, skipping"
  exit 0
fi

# Count Apache worker processes (exclude grep itself and the parent apache2 process)
WORKERS=$(kubectl exec -n nextcloud "$POD" -c nextcloud -- pgrep -c apache2 2>/dev/null || echo "0")
echo "$(date): Apache worker count: $WORKERS"

# Normal operation: 5-15 workers. Runaway threshold: 40+
if [ "$WORKERS" -gt 40 ]; then
  echo "RUNAWAY DETECTED: $WORKERS Apache workers (threshold: 40)"
  echo "Restarting nextcloud deployment..."
  kubectl rollout restart deployment nextcloud -n nextcloud
  echo "Restart triggered at $(date)"
else
  echo "Apache workers within normal range ($WORKERS <= 40)"
fi

# F1 self-heal: a Keel image bump runs `occ upgrade` in the
# entrypoint, but if that's interrupted (e.g. a probe restart
# mid-upgrade) occ reports needsDbUpgrade=true and the app sits
# in maintenance mode (503). Re-run the upgrade and clear
# maintenance mode. Gated on needsDbUpgrade only, so a
# deliberate manual maintenance window is left untouched.
ST=$(kubectl exec -n nextcloud "$POD" -c nextcloud -- php occ status --output=json 2>/dev/null || true)
if echo "$ST" | grep -q '"needsDbUpgrade":true'; then
  echo "$(date): needsDbUpgrade=true → running occ upgrade"
  kubectl exec -n nextcloud "$POD" -c nextcloud -- php occ upgrade --no-interaction || true
  kubectl exec -n nextcloud "$POD" -c nextcloud -- php occ maintenance:mode --off || true
  echo "$(date): self-heal occ upgrade complete"
else
  echo "$(date): occ status healthy (no DB upgrade pending)"
fi

# F3 self-heal: maintenance mode stuck ON while the DB upgrade
# is already COMPLETE (maintenance=true + needsDbUpgrade=false).
# F1 above gates on needsDbUpgrade, so this quadrant had no
# cover: on 2026-08-15 a Keel bump finished its occ upgrade but
# never cleared maintenance mode, and every client 503'd for
# ~20.5h while this watchdog logged "healthy" every 5 min. The
# probes did not catch it either — all three hit /status.php,
# which answers 200 in maintenance mode, so the pod stayed
# Ready. Same class as the ~22h 2026-05-26 incident noted at the
# top of this file. (Do NOT "fix" this by pointing the probes at
# an endpoint that fails in maintenance mode: the liveness probe
# would then restart the pod mid-upgrade, which is exactly how
# F1 gets created.)
#
# A DELIBERATE maintenance window is protected by a grace
# period rather than a flag: `occ maintenance:mode --on`
# rewrites config.php, so its mtime is how long the mode has
# been on. For a planned window longer than the grace, suspend
# this CronJob:
#   kubectl -n nextcloud patch cronjob nextcloud-watchdog \
#     -p '{"spec":{"suspend":true}}'
MAINT_GRACE_MIN=30
if echo "$ST" | grep -q '"maintenance":true' && echo "$ST" | grep -q '"needsDbUpgrade":false'; then
  CFG_MTIME=$(kubectl exec -n nextcloud "$POD" -c nextcloud -- stat -c %Y /var/www/html/config/config.php 2>/dev/null || echo 0)
  MAINT_MIN=0
  if [ "$CFG_MTIME" -gt 0 ]; then
    MAINT_MIN=$(( ($(date +%s) - CFG_MTIME) / 60 ))
  fi
  if [ "$MAINT_MIN" -ge "$MAINT_GRACE_MIN" ]; then
    echo "$(date): maintenance mode ON ~$MAINT_MIN min with no pending DB upgrade -> clearing stuck flag"
    kubectl exec -n nextcloud "$POD" -c nextcloud -- php occ maintenance:mode --off || true
  else
    echo "$(date): maintenance mode ON ~$MAINT_MIN min (grace $MAINT_GRACE_MIN min) -> leaving alone"
  fi
fi
