#!/usr/bin/env bash
# A real Kubernetes API server on loopback, for the apiserver tests and for local use.
#
#   tests/cluster/cluster.sh build          build etcd, kube-apiserver, kube-controller-manager and
#                                           kubectl with Go into target/cluster/bin (once: cached
#                                           until go.mod, go.sum or etcd/main.go change, and kept
#                                           in ~/.cache/hlc-cluster for other checkouts; Go's build
#                                           cache makes a rebuild quick) and collect the CRDs into
#                                           target/cluster/crds
#   tests/cluster/cluster.sh status         exit 0 when the binaries and CRDs are built and current
#   tests/cluster/cluster.sh serve [DIR]    start the cluster in DIR (default target/cluster/run):
#                                           certificates, etcd, kube-apiserver, the controllers hlc's
#                                           objects need, the CRDs; writes DIR/kubeconfig and
#                                           DIR/ready, then waits; Ctrl-C or SIGTERM stops it all
#
# Go code here is a test fixture only (tests/cluster/go.mod); hlc stays Rust. Needs Go (>= 1.26)
# with the module proxy, openssl and python3, and the shared CRD schemas (HLC_SHARED_DIR, default
# ../shared) for the CRDs no Go module ships.
#
# `serve` environment: HLC_CLUSTER_WATCH_PID (stop when that process is gone: the test harness
# sets its own pid, so a killed test run leaves nothing behind), HLC_CLUSTER_NO_BUILD=1 (never
# build: fail when the binaries are missing).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="$root/target/cluster"
bin="$out/bin"
crds="$out/crds"
programs=(etcd kube-apiserver kube-controller-manager kubectl)

# The CRD manifests taken from the projects' own Go modules (module@version, then files in it).
# Versions: the newest each project serves that Go 1.26 accepts.
real_crds=(
  "github.com/fluxcd/source-controller@v1.9.6 config/crd/bases/source.toolkit.fluxcd.io_gitrepositories.yaml config/crd/bases/source.toolkit.fluxcd.io_helmrepositories.yaml config/crd/bases/source.toolkit.fluxcd.io_ocirepositories.yaml"
  "github.com/fluxcd/kustomize-controller@v1.9.6 config/crd/bases/kustomize.toolkit.fluxcd.io_kustomizations.yaml"
  "github.com/fluxcd/helm-controller@v1.4.0 config/crd/bases/helm.toolkit.fluxcd.io_helmreleases.yaml"
  "github.com/external-secrets/external-secrets@v1.3.2 config/crds/bases/external-secrets.io_externalsecrets.yaml config/crds/bases/external-secrets.io_clustersecretstores.yaml config/crds/bases/external-secrets.io_secretstores.yaml"
  "github.com/kyverno/kyverno@v1.19.1 config/crds/kyverno/kyverno.io_clusterpolicies.yaml config/crds/kyverno/kyverno.io_policies.yaml"
  "go.universe.tf/metallb@v0.16.2 config/crd/bases/metallb.io_ipaddresspools.yaml config/crd/bases/metallb.io_l2advertisements.yaml"
  "github.com/cloudnative-pg/cloudnative-pg@v1.27.0 config/crd/bases/postgresql.cnpg.io_clusters.yaml config/crd/bases/postgresql.cnpg.io_databases.yaml config/crd/bases/postgresql.cnpg.io_poolers.yaml config/crd/bases/postgresql.cnpg.io_scheduledbackups.yaml"
  "github.com/traefik/traefik/v3@v3.7.13 docs/content/reference/dynamic-configuration/kubernetes-crd-definition-v1.yml"
  "github.com/cert-manager/cert-manager@v1.21.2 deploy/crds/cert-manager.io_certificates.yaml deploy/crds/cert-manager.io_clusterissuers.yaml deploy/crds/cert-manager.io_issuers.yaml"
  "github.com/prometheus-operator/prometheus-operator@v0.85.0 example/prometheus-operator-crd/monitoring.coreos.com_podmonitors.yaml example/prometheus-operator-crd/monitoring.coreos.com_prometheusrules.yaml example/prometheus-operator-crd/monitoring.coreos.com_servicemonitors.yaml"
)

stamp() {
  { cat "$here/go.mod" "$here/go.sum" "$here/etcd/main.go" "$here/crdgen.py"; go version; printf '%s\n' "${real_crds[@]}"; } |
    sha256sum | cut -d' ' -f1
}

status() {
  command -v go >/dev/null 2>&1 || return 1
  [[ -f "$out/stamp" && "$(cat "$out/stamp")" == "$(stamp)" ]] || return 1
  for p in "${programs[@]}"; do [[ -x "$bin/$p" ]] || return 1; done
  [[ -n "$(ls "$crds" 2>/dev/null)" ]]
}

build() {
  if status; then
    echo "$bin"
    return 0
  fi
  command -v go >/dev/null 2>&1 || { echo "cluster.sh: go is not installed" >&2; return 1; }
  local shared="${HLC_SHARED_DIR:-$root/../shared}"
  [[ -d "$shared/schemas/crds" ]] || {
    echo "cluster.sh: no CRD schemas at $shared/schemas/crds (set HLC_SHARED_DIR)" >&2
    return 1
  }
  mkdir -p "$bin"
  local t0=$SECONDS
  # Binaries of the same sources built by another checkout on this machine (CI's fresh clone
  # of the repository) are copied from the cache, keyed by the stamp (HLC_CLUSTER_CACHE, default
  # ~/.cache/hlc-cluster); there is one entry per version of the sources.
  local key cached p
  key="$(stamp)"
  cached="${HLC_CLUSTER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/hlc-cluster}/$key"
  if [[ -f "$cached/complete" ]]; then
    for p in "${programs[@]}"; do cp "$cached/$p" "$bin/$p"; done
    echo "cluster.sh: binaries of these sources taken from $cached" >&2
  else
    echo "cluster.sh: building ${programs[*]} into $bin (Go, the first time takes minutes)" >&2
    (
      cd "$here"
      # The version the binaries report (/version, `--version`): k8s.io/kubernetes's in go.mod.
      local v major minor pkg=k8s.io/component-base/version
      v="$(go list -m -f '{{.Version}}' k8s.io/kubernetes)"
      major="${v#v}" && major="${major%%.*}"
      minor="${v#v*.}" && minor="${minor%%.*}"
      local ldflags="-s -w -X $pkg.gitVersion=$v -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor"
      ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
      nice go build -o "$bin/etcd" ./etcd
      for p in kube-apiserver kube-controller-manager kubectl; do
        nice go build -ldflags "$ldflags" -o "$bin/$p" "k8s.io/kubernetes/cmd/$p"
      done
    ) >&2
    mkdir -p "$cached"
    for p in "${programs[@]}"; do cp "$bin/$p" "$cached/$p"; done
    touch "$cached/complete"
  fi
  echo "cluster.sh: built in $((SECONDS - t0)) s; collecting CRDs into $crds" >&2
  rm -rf "$crds.tmp" && mkdir -p "$crds.tmp/real" "$crds.tmp/generated"
  local entry mod dir f
  for entry in "${real_crds[@]}"; do
    read -r mod files <<<"$entry"
    dir="$(cd "$here" && GOFLAGS=-mod=mod go mod download -json "$mod" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])')"
    for f in $files; do
      cp "$dir/$f" "$crds.tmp/real/"
    done
  done
  chmod -R u+w "$crds.tmp"
  # The kinds no module above ships, from the shared JSON schemas (never copied into the project).
  python3 "$here/crdgen.py" "$shared/schemas/crds" "$crds.tmp/real" "$crds.tmp/generated" >&2
  rm -rf "$crds" && mv "$crds.tmp" "$crds"
  stamp >"$out/stamp"
  echo "$bin"
}

free_port() {
  local p
  for _ in $(seq 1 200); do
    p=$((20000 + RANDOM % 20000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      echo "$p"
      return 0
    fi
  done
  echo "cluster.sh: no free port found" >&2
  return 1
}

certs() {
  local d="$1"
  cd "$d"
  ossl() { openssl "$@" 2>/dev/null; }
  ossl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 2 -subj "/CN=hlc-test-ca"
  ossl req -x509 -newkey rsa:2048 -nodes -keyout other-ca.key -out other-ca.crt -days 2 -subj "/CN=hlc-test-other-ca"
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' >server.ext
  ossl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj "/CN=kube-apiserver"
  ossl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out server.crt -days 2 -extfile server.ext
  printf 'extendedKeyUsage=clientAuth\n' >client.ext
  # The admin user: a client certificate in the group system:masters.
  ossl req -newkey rsa:2048 -nodes -keyout admin.key -out admin.csr -subj "/O=system:masters/CN=hlc-admin"
  ossl x509 -req -in admin.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out admin.crt -days 2 -extfile client.ext
  # The controller manager's user (system:masters: its controllers delete whatever a namespace holds).
  ossl req -newkey rsa:2048 -nodes -keyout kcm.key -out kcm.csr -subj "/O=system:masters/CN=system:kube-controller-manager"
  ossl x509 -req -in kcm.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out kcm.crt -days 2 -extfile client.ext
  ossl genrsa -out sa.key 2048
  ossl rsa -in sa.key -pubout -out sa.pub
  # Token users: `viewer` has no RBAC grant at all (every write is a 403).
  printf '%s,viewer,viewer-uid\n' "$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')" >tokens.csv
}

# kubeconfig FILE SERVER CA USER-LINES...
kubeconfig() {
  local file="$1" server="$2" ca="$3"
  shift 3
  {
    echo "apiVersion: v1"
    echo "kind: Config"
    echo "clusters:"
    echo "- name: hlc-test"
    echo "  cluster:"
    echo "    server: $server"
    echo "    certificate-authority-data: $(base64 -w0 <"$ca")"
    echo "users:"
    echo "- name: user"
    echo "  user:"
    printf '    %s\n' "$@"
    echo "contexts:"
    echo "- name: hlc-test"
    echo "  context: {cluster: hlc-test, user: user}"
    echo "current-context: hlc-test"
  } >"$file"
}

serve() {
  local d="${1:-$out/run}"
  if [[ "${HLC_CLUSTER_NO_BUILD:-}" == 1 ]]; then
    status || { echo "cluster.sh: not built (run tests/cluster/cluster.sh build)" >&2; return 1; }
  else
    build >/dev/null
  fi
  rm -rf "$d" && mkdir -p "$d/etcd-data"
  d="$(cd "$d" && pwd)"
  (certs "$d")
  local etcd_port peer_port port
  etcd_port="$(free_port)"
  peer_port="$(free_port)"
  port="$(free_port)"
  # Global: the EXIT trap runs after this function has returned.
  pids=()
  watcher=""
  run_dir="$d"
  stop() {
    trap - EXIT INT TERM
    local p
    [[ -z "$watcher" ]] || kill -TERM "$watcher" 2>/dev/null || true
    # The controllers and the API server first, etcd last; whatever has not ended 10 s after
    # its SIGTERM gets a SIGKILL.
    local i
    for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
      p="${pids[i]}"
      kill -TERM "$p" 2>/dev/null || continue
      for _ in $(seq 1 100); do
        kill -0 "$p" 2>/dev/null || break
        sleep 0.1
      done
      kill -KILL "$p" 2>/dev/null || true
      wait "$p" 2>/dev/null || true
    done
    rm -f "$run_dir/ready"
  }
  trap stop EXIT
  trap 'exit 143' TERM
  trap 'exit 130' INT
  if [[ -n "${HLC_CLUSTER_WATCH_PID:-}" ]]; then
    local me=$$ watched="$HLC_CLUSTER_WATCH_PID"
    (while kill -0 "$watched" 2>/dev/null; do sleep 1; done; kill -TERM "$me" 2>/dev/null) &
    watcher=$!
  fi

  "$bin/etcd" -data-dir "$d/etcd-data" -listen-client-url "http://127.0.0.1:$etcd_port" \
    -listen-peer-url "http://127.0.0.1:$peer_port" >"$d/etcd.log" 2>&1 &
  pids+=($!)
  echo $! >"$d/etcd.pid"

  "$bin/kube-apiserver" \
    --etcd-servers="http://127.0.0.1:$etcd_port" \
    --bind-address=127.0.0.1 --secure-port="$port" --advertise-address=127.0.0.1 \
    --cert-dir="$d" --tls-cert-file="$d/server.crt" --tls-private-key-file="$d/server.key" \
    --client-ca-file="$d/ca.crt" --token-auth-file="$d/tokens.csv" \
    --authorization-mode=Node,RBAC \
    --service-account-issuer=https://kubernetes.default.svc.cluster.local \
    --service-account-key-file="$d/sa.pub" --service-account-signing-key-file="$d/sa.key" \
    --service-cluster-ip-range=10.96.0.0/12 \
    --service-node-port-range=30000-32767 \
    --allow-privileged=true \
    --enable-priority-and-fairness=false \
    --profiling=false \
    --endpoint-reconciler-type=none \
    >"$d/apiserver.log" 2>&1 &
  pids+=($!)
  echo $! >"$d/apiserver.pid"
  echo "$port" >"$d/port"

  local server="https://127.0.0.1:$port"
  kubeconfig "$d/kubeconfig" "$server" "$d/ca.crt" \
    "client-certificate-data: $(base64 -w0 <"$d/admin.crt")" "client-key-data: $(base64 -w0 <"$d/admin.key")"
  kubeconfig "$d/kcm.kubeconfig" "$server" "$d/ca.crt" \
    "client-certificate-data: $(base64 -w0 <"$d/kcm.crt")" "client-key-data: $(base64 -w0 <"$d/kcm.key")"
  # For the tests: a token the server does not know, a user without RBAC, and the wrong CA.
  kubeconfig "$d/bad-token.kubeconfig" "$server" "$d/ca.crt" "token: not-a-token-of-this-server"
  kubeconfig "$d/viewer.kubeconfig" "$server" "$d/ca.crt" "token: $(cut -d, -f1 "$d/tokens.csv")"
  kubeconfig "$d/wrong-ca.kubeconfig" "$server" "$d/other-ca.crt" \
    "client-certificate-data: $(base64 -w0 <"$d/admin.crt")" "client-key-data: $(base64 -w0 <"$d/admin.key")"

  local kc=(--kubeconfig "$d/kubeconfig")
  local t0=$SECONDS
  until "$bin/kubectl" "${kc[@]}" get --raw /readyz >/dev/null 2>&1; do
    if ((SECONDS - t0 > 120)); then
      echo "cluster.sh: kube-apiserver not ready after 120 s; the end of $d/apiserver.log:" >&2
      tail -20 "$d/apiserver.log" >&2
      return 1
    fi
    for p in "${pids[@]}"; do
      kill -0 "$p" 2>/dev/null || {
        echo "cluster.sh: a process died; the end of $d/etcd.log and $d/apiserver.log:" >&2
        tail -5 "$d/etcd.log" "$d/apiserver.log" >&2
        return 1
      }
    done
    sleep 0.5
  done

  # The controllers whose work a Kubernetes user relies on when objects come and go: namespace
  # deletion, garbage collection, quota usage, the protection finalizers of claims and volumes.
  # No scheduler and no kubelet: nothing runs, so no workload controllers either.
  "$bin/kube-controller-manager" \
    --kubeconfig="$d/kcm.kubeconfig" --authentication-kubeconfig="$d/kcm.kubeconfig" \
    --authorization-kubeconfig="$d/kcm.kubeconfig" \
    --bind-address=127.0.0.1 --secure-port=0 \
    --controllers=namespace-controller,garbage-collector-controller,resourcequota-controller,persistentvolumeclaim-protection-controller,persistentvolume-protection-controller,serviceaccount-controller \
    --leader-elect=false --use-service-account-credentials=false \
    --service-account-private-key-file="$d/sa.key" --root-ca-file="$d/ca.crt" \
    >"$d/controller-manager.log" 2>&1 &
  pids+=($!)
  echo $! >"$d/controller-manager.pid"

  "$bin/kubectl" "${kc[@]}" apply --server-side --field-manager=hlc-test-crds -f "$crds/real" -f "$crds/generated" >"$d/crds.log"
  "$bin/kubectl" "${kc[@]}" wait --for condition=established --timeout=120s crd --all >>"$d/crds.log"
  echo "$server" >"$d/server"
  touch "$d/ready"
  echo "cluster.sh: ready in $((SECONDS - t0)) s: $server (Kubernetes $("$bin/kube-apiserver" --version | cut -d' ' -f2))" >&2
  echo "  export KUBECONFIG=$d/kubeconfig    # Ctrl-C here stops the cluster" >&2
  # Until a signal, or until a server process ends.
  wait -n "${pids[@]}" || true
  echo "cluster.sh: a cluster process ended; stopping" >&2
}

case "${1:-}" in
  build) build ;;
  status) status ;;
  serve) serve "${2:-}" ;;
  *)
    echo "usage: $0 build|status|serve [DIR]" >&2
    exit 2
    ;;
esac
