set -euo pipefail
trap 'echo "[bootstrap] FAIL at line $LINENO — exit $?"' ERR

MANIFEST=/manifest/manifest.json
NC_NS=nextcloud
NC_LABEL="app.kubernetes.io/name=nextcloud"

# ── 1. Wait for NC pod to be Ready ──────────────────────────────
echo "[bootstrap] Waiting for NC pod Ready (timeout 10m)..."
kubectl wait -n "$NC_NS" pod \
  -l "$NC_LABEL" \
  --for=condition=Ready \
  --timeout=600s
echo "[bootstrap] Pod is Ready."

# ── 2. Resolve pod name ─────────────────────────────────────────
NC_POD=$(kubectl get pods -n "$NC_NS" -l "$NC_LABEL" \
  -o jsonpath='{.items[0].metadata.name}')
echo "[bootstrap] Target pod: $NC_POD"

# ── 3. occ helper — must run as www-data ────────────────────────
nc_occ() {
  kubectl exec -n "$NC_NS" "$NC_POD" -c nextcloud -- \
    runuser -u www-data -- php /var/www/html/occ "$@"
}

# ── 4. Enable files_external (idempotent) ───────────────────────
nc_occ app:enable files_external || true
# NO files_accesscontrol — that app is not used in this model.

# ── 5. Helpers ──────────────────────────────────────────────────

# get_mount_id <mountPoint>
# Reads files_external:list --output=json (array of mount objects).
# Each object has a numeric "mount_id" and a string "mount_point".
get_mount_id() {
  local MP="$1"
  nc_occ files_external:list --output=json 2>/dev/null \
    | jq -r --arg mp "$MP" \
        '.[] | select(.mount_point == $mp) | .mount_id' \
    | head -1
}

# ensure_mount <mountPoint> <dataDir> → echoes the numeric mount id
ensure_mount() {
  local MP="$1" DIR="$2"
  local MID
  MID=$(get_mount_id "$MP")
  if [ -z "$MID" ]; then
    echo "[bootstrap] Creating mount '$MP' -> $DIR" >&2
    nc_occ files_external:create "$MP" local null::null \
      --config "datadir=$DIR"
    MID=$(get_mount_id "$MP")
  else
    echo "[bootstrap] Mount '$MP' already exists (id=$MID)" >&2
  fi
  echo "$MID"
}

# sync_applicable <mountId> <desiredUsersJSON> <desiredGroupsJSON>
# Reads current applicable state from files_external:list --output=json
# (fields: applicable_users [], applicable_groups []).
# Diffs against desired sets; adds missing, removes extras.
# When no applicable users + no groups are set, NC treats the mount
# as visible to ALL — so desired sets must always be non-empty.
#
# Process substitution `< <(jq ...)` feeds the loops directly: when
# jq emits no rows (already-synced state), the body never runs and
# the loop returns 0 — avoiding a set -e exit on a no-op re-run.
sync_applicable() {
  local MID="$1" DESIRED_USERS_JSON="$2" DESIRED_GROUPS_JSON="$3"

  # Read current state from files_external:list --output=json
  local MOUNT_JSON
  MOUNT_JSON=$(nc_occ files_external:list --output=json 2>/dev/null \
    | jq -c --argjson mid "$MID" '.[] | select(.mount_id == $mid)')

  local CURRENT_USERS_JSON CURRENT_GROUPS_JSON
  CURRENT_USERS_JSON=$(echo "$MOUNT_JSON" \
    | jq -c '.applicable_users // []')
  CURRENT_GROUPS_JSON=$(echo "$MOUNT_JSON" \
    | jq -c '.applicable_groups // []')

  while IFS= read -r U; do
    nc_occ files_external:applicable "$MID" --add-user="$U"
  done < <(jq -rn \
    --argjson d "$DESIRED_USERS_JSON" \
    --argjson c "$CURRENT_USERS_JSON" \
    '($d - $c)[]')

  while IFS= read -r U; do
    nc_occ files_external:applicable "$MID" --remove-user="$U"
  done < <(jq -rn \
    --argjson d "$DESIRED_USERS_JSON" \
    --argjson c "$CURRENT_USERS_JSON" \
    '($c - $d)[]')

  while IFS= read -r G; do
    nc_occ files_external:applicable "$MID" --add-group="$G"
  done < <(jq -rn \
    --argjson d "$DESIRED_GROUPS_JSON" \
    --argjson c "$CURRENT_GROUPS_JSON" \
    '($d - $c)[]')

  while IFS= read -r G; do
    nc_occ files_external:applicable "$MID" --remove-group="$G"
  done < <(jq -rn \
    --argjson d "$DESIRED_GROUPS_JSON" \
    --argjson c "$CURRENT_GROUPS_JSON" \
    '($c - $d)[]')
}

# sync_option <mountId> <key> <value>
# Reconciles a single mount option. occ files_external:option is
# idempotent (no error on setting same value), so we always write.
sync_option() {
  nc_occ files_external:option "$1" "$2" "$3" >/dev/null
}

# ── 6. Process root mounts (admin group only) ───────────────────
ROOT_COUNT=$(jq '.rootMounts | length' "$MANIFEST")
for i in $(seq 0 $((ROOT_COUNT - 1))); do
  MP=$(jq -r ".rootMounts[$i].mountPoint" "$MANIFEST")
  DIR=$(jq -r ".rootMounts[$i].dataDir" "$MANIFEST")
  GROUP=$(jq -r ".rootMounts[$i].applicableGroup" "$MANIFEST")
  ENABLE_SHARING=$(jq -r ".rootMounts[$i].enableSharing // false" "$MANIFEST")
  MID=$(ensure_mount "$MP" "$DIR")
  sync_applicable "$MID" '[]' "[\"$GROUP\"]"
  sync_option "$MID" enable_sharing "$ENABLE_SHARING"
done

# ── 7. Process archive mounts (per-user / per-group) ───────────
ARCH_COUNT=$(jq '.archiveMounts | length' "$MANIFEST")
for i in $(seq 0 $((ARCH_COUNT - 1))); do
  MP=$(jq -r ".archiveMounts[$i].mountPoint" "$MANIFEST")
  DIR=$(jq -r ".archiveMounts[$i].dataDir" "$MANIFEST")
  USERS_JSON=$(jq -c ".archiveMounts[$i].applicableUsers // []" "$MANIFEST")
  GROUPS_JSON=$(jq -c ".archiveMounts[$i].applicableGroups // []" "$MANIFEST")
  ENABLE_SHARING=$(jq -r ".archiveMounts[$i].enableSharing // false" "$MANIFEST")
  MID=$(ensure_mount "$MP" "$DIR")
  sync_applicable "$MID" "$USERS_JSON" "$GROUPS_JSON"
  sync_option "$MID" enable_sharing "$ENABLE_SHARING"
done

echo "[bootstrap] Bootstrap complete."
