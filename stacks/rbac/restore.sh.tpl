MANIFEST=/etc/kubernetes/manifests/kube-apiserver.yaml
AUTHCFG=/etc/kubernetes/pki/auth-config.yaml
TS=$(date +%s)
# Manifest backups MUST live OUTSIDE /etc/kubernetes/manifests/ — the kubelet
# treats EVERY file in that dir as a static pod, so a kube-apiserver.yaml.bak
# there becomes a SECOND apiserver static pod. On a kubeadm upgrade (when the
# real manifest's image changes) the two conflict, the kubelet flip-flops, the
# new apiserver never stabilises → kubeadm "static Pod hash did not change" →
# rollback. This stalled the 1.34->1.35 upgrade for days (root cause found
# 2026-06-26; the old `cp "$MANIFEST" "$MANIFEST.bak"` planted it on 2026-06-18).
BAKDIR=/etc/kubernetes/apiserver-oidc-bak
sudo install -d -m 700 "$BAKDIR"

# 1. Write the structured AuthenticationConfiguration (hot-reloaded by the
#    apiserver on change; mounted into the pod via the existing pki hostPath).
echo '${auth_config_b64}' | base64 -d | sudo tee "$AUTHCFG" >/dev/null
sudo chmod 600 "$AUTHCFG"

# 2. Ensure the apiserver references it. Only touch the manifest (→ restart)
#    when the flag is missing; otherwise the file write above hot-reloads.
if ! sudo grep -q -- '--authentication-config=' "$MANIFEST"; then
  sudo cp "$MANIFEST" "$BAKDIR/kube-apiserver.yaml.$TS"
  sudo sed -i '/--oidc-issuer-url/d;/--oidc-client-id/d;/--oidc-username-claim/d;/--oidc-groups-claim/d' "$MANIFEST"
  echo '${flag_insert_b64}' | base64 -d | sudo python3 - "$MANIFEST"
fi

# 3. Fail loudly if the flag still isn't present (e.g. anchor not found).
if ! sudo grep -q -- '--authentication-config=' "$MANIFEST"; then
  echo "ERROR: --authentication-config absent after edit"; exit 1
fi

# 4. Health-gate on /livez; auto-rollback the manifest if it never recovers.
echo "Waiting for kube-apiserver /livez ..."
ok=0
for i in $(seq 1 60); do
  sleep 2
  if curl -sk https://localhost:6443/livez 2>/dev/null | grep -q '^ok'; then ok=1; break; fi
done
if [ "$ok" != "1" ]; then
  echo "kube-apiserver UNHEALTHY after change — rolling back"
  BAK=$(ls -t "$BAKDIR"/kube-apiserver.yaml.* 2>/dev/null | head -1)
  if [ -n "$BAK" ]; then sudo cp "$BAK" "$MANIFEST"; fi
  for i in $(seq 1 60); do sleep 2; if curl -sk https://localhost:6443/livez 2>/dev/null | grep -q '^ok'; then break; fi; done
  echo "rolled back to previous manifest"; exit 1
fi
echo "kube-apiserver healthy with multi-issuer --authentication-config"

# 5. Reconcile kubeadm-config so a FUTURE `kubeadm upgrade` regenerates the
#    apiserver manifest WITH --authentication-config instead of reverting to
#    the stale single-issuer --oidc-* flags. Without this, kubeadm rewrote the
#    manifest from kubeadm-config on every control-plane upgrade and the
#    regenerated apiserver crash-looped (the 2026-06-24 v1.35 upgrade stall).
#    Zero live impact (the CM is only read at upgrade time); idempotent;
#    best-effort (the chain's `kubeadm upgrade diff` preflight gate is the
#    backstop if this cannot run).
KC="sudo kubectl --kubeconfig /etc/kubernetes/admin.conf"
CC=$($KC -n kube-system get cm kubeadm-config -o jsonpath='{.data.ClusterConfiguration}' 2>/dev/null || true)
if [ -n "$CC" ] && { echo "$CC" | grep -q 'oidc-issuer-url' || ! echo "$CC" | grep -q 'authentication-config'; }; then
  echo "Reconciling kubeadm-config (oidc-* -> authentication-config) so kubeadm upgrade keeps structured auth"
  echo '${reconcile_b64}' | base64 -d > /tmp/reconcile_kubeadm_oidc.py
  if printf '%s' "$CC" | python3 /tmp/reconcile_kubeadm_oidc.py > /tmp/kubeadm-cc-new.yaml \
     && sudo kubeadm init phase upload-config kubeadm --config /tmp/kubeadm-cc-new.yaml; then
    echo "kubeadm-config reconciled: future control-plane upgrades keep --authentication-config"
  else
    echo "WARN: kubeadm-config reconcile failed; the upgrade-chain preflight gate will block the next upgrade"
  fi
  rm -f /tmp/reconcile_kubeadm_oidc.py /tmp/kubeadm-cc-new.yaml
else
  echo "kubeadm-config already uses --authentication-config (no oidc drift)"
fi
