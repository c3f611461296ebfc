//! An in-process stand-in for a Kubernetes API server, enough for `hlc apply` and `hlc diff
//! --live`: discovery (`/api`, `/api/v1`, `/apis`, `/apis/<group>/<version>`) for the kinds hlc
//! emits, GET, server-side apply PATCH (`application/apply-patch+yaml`, honouring `dryRun` and
//! `fieldManager`, storing objects, tracking which manager owns which field and answering 409
//! on a field another manager owns unless `force=true`), LIST with `labelSelector`, DELETE.
//! Every request is recorded. It is plain HTTP/1.1 over a loopback socket, one thread per
//! connection.
//!
//! What it does not do: admission, schema validation, defaulting, the real structured-merge
//! rules (lists are atomic here), watch, authentication.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use serde_json::{Value, json};

/// `(group, version, kind, plural, namespaced)` of every kind served.
pub const RESOURCES: &[(&str, &str, &str, &str, bool)] = &[
    ("", "v1", "Namespace", "namespaces", false),
    ("", "v1", "Secret", "secrets", true),
    ("", "v1", "ConfigMap", "configmaps", true),
    ("", "v1", "PersistentVolume", "persistentvolumes", false),
    ("", "v1", "PersistentVolumeClaim", "persistentvolumeclaims", true),
    ("", "v1", "Service", "services", true),
    ("", "v1", "ServiceAccount", "serviceaccounts", true),
    ("", "v1", "ResourceQuota", "resourcequotas", true),
    ("", "v1", "LimitRange", "limitranges", true),
    ("rbac.authorization.k8s.io", "v1", "Role", "roles", true),
    ("rbac.authorization.k8s.io", "v1", "RoleBinding", "rolebindings", true),
    ("rbac.authorization.k8s.io", "v1", "ClusterRole", "clusterroles", false),
    ("rbac.authorization.k8s.io", "v1", "ClusterRoleBinding", "clusterrolebindings", false),
    ("scheduling.k8s.io", "v1", "PriorityClass", "priorityclasses", false),
    ("storage.k8s.io", "v1", "StorageClass", "storageclasses", false),
    ("apps", "v1", "Deployment", "deployments", true),
    ("apps", "v1", "StatefulSet", "statefulsets", true),
    ("apps", "v1", "DaemonSet", "daemonsets", true),
    ("batch", "v1", "Job", "jobs", true),
    ("batch", "v1", "CronJob", "cronjobs", true),
    ("discovery.k8s.io", "v1", "EndpointSlice", "endpointslices", true),
    ("networking.k8s.io", "v1", "Ingress", "ingresses", true),
    ("networking.k8s.io", "v1", "NetworkPolicy", "networkpolicies", true),
    ("policy", "v1", "PodDisruptionBudget", "poddisruptionbudgets", true),
    ("traefik.io", "v1alpha1", "Middleware", "middlewares", true),
    ("traefik.io", "v1alpha1", "IngressRoute", "ingressroutes", true),
    ("traefik.io", "v1alpha1", "IngressRouteTCP", "ingressroutetcps", true),
    ("traefik.io", "v1alpha1", "ServersTransport", "serverstransports", true),
    ("traefik.io", "v1alpha1", "TLSOption", "tlsoptions", true),
    ("external-secrets.io", "v1", "ClusterSecretStore", "clustersecretstores", false),
    ("kyverno.io", "v1", "ClusterPolicy", "clusterpolicies", false),
    ("projectcalico.org", "v3", "GlobalNetworkPolicy", "globalnetworkpolicies", false),
    ("postgresql.cnpg.io", "v1", "Cluster", "clusters", true),
    ("metallb.io", "v1beta1", "IPAddressPool", "ipaddresspools", true),
    ("metallb.io", "v1beta1", "L2Advertisement", "l2advertisements", true),
    ("external-secrets.io", "v1", "ExternalSecret", "externalsecrets", true),
    ("source.toolkit.fluxcd.io", "v1", "HelmRepository", "helmrepositories", true),
    ("helm.toolkit.fluxcd.io", "v2", "HelmRelease", "helmreleases", true),
];

/// One request as received.
#[derive(Clone, Debug)]
pub struct Req {
    pub method: String,
    pub path: String,
    pub query: BTreeMap<String, String>,
    pub content_type: String,
    pub body: String,
}

impl Req {
    /// `METHOD path` for assertions.
    pub fn line(&self) -> String {
        format!("{} {}", self.method, self.path)
    }
    /// `dryRun=All`, in the query (PATCH) or in the DeleteOptions body (DELETE).
    pub fn dry_run(&self) -> bool {
        self.query.get("dryRun").is_some_and(|d| d == "All")
            || serde_json::from_str::<Value>(&self.body)
                .ok()
                .and_then(|b| b.get("dryRun").and_then(Value::as_array).map(|a| a.iter().any(|x| x == "All")))
                .unwrap_or(false)
    }
    /// The object name of a PATCH/GET/DELETE on one object.
    pub fn object_name(&self) -> Option<String> {
        let p = parse_path(&self.path)?;
        p.name
    }
}

/// A stored object and which manager owns each of its fields.
#[derive(Clone, Debug)]
pub struct Stored {
    pub obj: Value,
    pub owners: BTreeMap<String, String>,
}

/// A canned refusal: a PATCH of an object of this kind and name gets this status.
#[derive(Clone, Debug)]
pub struct Reject {
    pub kind: String,
    pub name: String,
    pub code: u16,
    pub reason: String,
    pub message: String,
}

#[derive(Default)]
pub struct State {
    pub requests: Vec<Req>,
    /// `group/plural/namespace/name` → object.
    pub objects: BTreeMap<String, Stored>,
    pub reject: Vec<Reject>,
    /// Groups not served (their discovery answers 404), to play a cluster without a CRD.
    pub missing_groups: Vec<String>,
    rv: u64,
}

pub struct Stub {
    pub url: String,
    state: Arc<Mutex<State>>,
}

impl Stub {
    pub fn start() -> Stub {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let state = Arc::new(Mutex::new(State::default()));
        let s = state.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(conn) = conn else { continue };
                let s = s.clone();
                std::thread::spawn(move || serve(conn, &s));
            }
        });
        Stub { url, state }
    }

    pub fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().expect("stub state")
    }

    pub fn requests(&self) -> Vec<Req> {
        self.state().requests.clone()
    }

    pub fn clear_requests(&self) {
        self.state().requests.clear();
    }

    /// Store `obj` as if `manager` had applied it.
    pub fn seed(&self, obj: Value, manager: &str) {
        let key = key_of(&obj).expect("seed: a served kind with a name");
        let mut st = self.state();
        st.rv += 1;
        let mut obj = obj;
        let mut owners = BTreeMap::new();
        for (p, _) in leaves(&obj) {
            owners.insert(p, manager.to_string());
        }
        let rv = st.rv;
        finish_meta(&mut obj, rv, None, &owners);
        st.objects.insert(key, Stored { obj, owners });
    }

    pub fn get(&self, group: &str, plural: &str, ns: &str, name: &str) -> Option<Value> {
        self.state().objects.get(&format!("{group}/{plural}/{ns}/{name}")).map(|s| s.obj.clone())
    }

    /// A kubeconfig for this stub, written to `dir/kubeconfig`.
    pub fn kubeconfig(&self, dir: &Path) -> std::path::PathBuf {
        let path = dir.join("kubeconfig");
        let text = format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: stub\n  cluster:\n    server: {}\ncontexts:\n- name: stub\n  context:\n    cluster: stub\n    user: stub\n    namespace: default\ncurrent-context: stub\nusers:\n- name: stub\n  user:\n    token: stub-token\n",
            self.url
        );
        std::fs::write(&path, text).expect("write kubeconfig");
        path
    }
}

fn key_of(obj: &Value) -> Option<String> {
    let api_version = obj.get("apiVersion")?.as_str()?;
    let kind = obj.get("kind")?.as_str()?;
    let (group, _) = api_version.split_once('/').unwrap_or(("", api_version));
    let (_, _, _, plural, namespaced) = RESOURCES.iter().find(|r| r.0 == group && r.2 == kind)?;
    let meta = obj.get("metadata")?;
    let name = meta.get("name")?.as_str()?;
    let ns = if *namespaced { meta.get("namespace").and_then(Value::as_str).unwrap_or("default") } else { "" };
    Some(format!("{group}/{plural}/{ns}/{name}"))
}

struct ParsedPath {
    group: String,
    version: String,
    plural: Option<String>,
    ns: Option<String>,
    name: Option<String>,
}

fn parse_path(path: &str) -> Option<ParsedPath> {
    let segs: Vec<&str> = path.trim_start_matches('/').split('/').filter(|s| !s.is_empty()).collect();
    let (group, version, rest) = match segs.as_slice() {
        ["api", v, rest @ ..] => ("", *v, rest),
        ["apis", g, v, rest @ ..] => (*g, *v, rest),
        _ => return None,
    };
    let (plural, ns, name) = match rest {
        [] => (None, None, None),
        [p] => (Some(*p), None, None),
        [p, n] => (Some(*p), None, Some(*n)),
        ["namespaces", ns, p] => (Some(*p), Some(*ns), None),
        ["namespaces", ns, p, n] => (Some(*p), Some(*ns), Some(*n)),
        _ => return None,
    };
    Some(ParsedPath {
        group: group.into(),
        version: version.into(),
        plural: plural.map(str::to_string),
        ns: ns.map(str::to_string),
        name: name.map(str::to_string),
    })
}

fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                let h = std::str::from_utf8(&b[i + 1..i + 3]).ok().and_then(|h| u8::from_str_radix(h, 16).ok());
                match h {
                    Some(x) => {
                        out.push(x);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn serve(conn: TcpStream, state: &Arc<Mutex<State>>) {
    let _ = conn.set_nodelay(true);
    let mut reader = BufReader::new(conn.try_clone().expect("clone socket"));
    let mut conn = conn;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let mut parts = line.split_whitespace();
        let method = parts.next().unwrap_or("").to_string();
        let target = parts.next().unwrap_or("").to_string();
        let mut headers = BTreeMap::new();
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h).unwrap_or(0) == 0 {
                return;
            }
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
            }
        }
        let mut body = Vec::new();
        if let Some(n) = headers.get("content-length").and_then(|n| n.parse::<usize>().ok()) {
            body.resize(n, 0);
            if reader.read_exact(&mut body).is_err() {
                return;
            }
        } else if headers.get("transfer-encoding").is_some_and(|t| t.contains("chunked")) {
            loop {
                let mut size = String::new();
                if reader.read_line(&mut size).unwrap_or(0) == 0 {
                    return;
                }
                let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
                let mut chunk = vec![0; n + 2];
                if reader.read_exact(&mut chunk).is_err() {
                    return;
                }
                if n == 0 {
                    break;
                }
                body.extend_from_slice(&chunk[..n]);
            }
        }
        let (path, query) = match target.split_once('?') {
            Some((p, q)) => (p.to_string(), q),
            None => (target.clone(), ""),
        };
        let query: BTreeMap<String, String> = query
            .split('&')
            .filter(|kv| !kv.is_empty())
            .map(|kv| {
                let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
                (decode(k), decode(v))
            })
            .collect();
        let req = Req {
            method,
            path,
            query,
            content_type: headers.get("content-type").cloned().unwrap_or_default(),
            body: String::from_utf8_lossy(&body).into_owned(),
        };
        let (code, resp) = {
            let mut st = state.lock().expect("stub state");
            st.requests.push(req.clone());
            handle(&mut st, &req)
        };
        let text = resp.to_string();
        let head = format!(
            "HTTP/1.1 {code} {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            reason_phrase(code),
            text.len()
        );
        // One write per response: a header and a body in two segments would wait for the
        // client's delayed ACK (Nagle), 40 ms a request.
        if conn.write_all(format!("{head}{text}").as_bytes()).is_err() {
            return;
        }
    }
}

fn reason_phrase(code: u16) -> &'static str {
    match code {
        200 => "OK",
        201 => "Created",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        409 => "Conflict",
        415 => "Unsupported Media Type",
        422 => "Unprocessable Entity",
        _ => "Status",
    }
}

pub fn status(code: u16, reason: &str, message: &str) -> (u16, Value) {
    (
        code,
        json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
               "message": message, "reason": reason, "code": code}),
    )
}

fn handle(st: &mut State, req: &Req) -> (u16, Value) {
    match req.path.as_str() {
        "/api" => return (200, json!({"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": []})),
        "/apis" => {
            let mut groups: BTreeMap<&str, &str> = BTreeMap::new();
            for (g, v, ..) in RESOURCES {
                if !g.is_empty() && !st.missing_groups.iter().any(|m| m == g) {
                    groups.insert(g, v);
                }
            }
            let groups: Vec<Value> = groups
                .iter()
                .map(|(g, v)| {
                    let gv = json!({"groupVersion": format!("{g}/{v}"), "version": v});
                    json!({"name": g, "versions": [gv.clone()], "preferredVersion": gv})
                })
                .collect();
            return (200, json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}));
        }
        _ => {}
    }
    let Some(p) = parse_path(&req.path) else {
        return status(404, "NotFound", "the server could not find the requested resource");
    };
    if st.missing_groups.contains(&p.group) {
        return status(404, "NotFound", "the server could not find the requested resource");
    }
    let served: Vec<_> = RESOURCES.iter().filter(|r| r.0 == p.group && r.1 == p.version).collect();
    if served.is_empty() {
        return status(404, "NotFound", "the server could not find the requested resource");
    }
    let gv = if p.group.is_empty() { p.version.clone() } else { format!("{}/{}", p.group, p.version) };
    let Some(plural) = &p.plural else {
        let resources: Vec<Value> = served
            .iter()
            .map(|(_, _, kind, plural, namespaced)| {
                json!({"name": plural, "singularName": kind.to_ascii_lowercase(), "namespaced": namespaced, "kind": kind,
                       "verbs": ["create", "delete", "get", "list", "patch", "update", "watch"]})
            })
            .collect();
        return (
            200,
            json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": resources}),
        );
    };
    let Some(&&(_, _, kind, _, namespaced)) = served.iter().find(|r| r.3 == plural) else {
        return status(404, "NotFound", "the server could not find the requested resource");
    };
    let ns = if namespaced { p.ns.clone().unwrap_or_default() } else { String::new() };
    let prefix = format!("{}/{plural}/", p.group);
    match (req.method.as_str(), &p.name) {
        ("GET", None) => {
            let sel = req.query.get("labelSelector").cloned().unwrap_or_default();
            let items: Vec<Value> = st
                .objects
                .iter()
                .filter(|(k, _)| k.starts_with(&prefix))
                .filter(|(k, _)| p.ns.is_none() || k[prefix.len()..].starts_with(&format!("{ns}/")))
                .filter(|(_, s)| matches_selector(&s.obj, &sel))
                .map(|(_, s)| s.obj.clone())
                .collect();
            (
                200,
                json!({"kind": format!("{kind}List"), "apiVersion": gv, "metadata": {"resourceVersion": st.rv.to_string()}, "items": items}),
            )
        }
        ("GET", Some(name)) => match st.objects.get(&format!("{prefix}{ns}/{name}")) {
            Some(s) => (200, s.obj.clone()),
            None => status(404, "NotFound", &format!("{plural} \"{name}\" not found")),
        },
        ("DELETE", Some(name)) => {
            let key = format!("{prefix}{ns}/{name}");
            let dry = req.dry_run();
            let found = if dry { st.objects.get(&key).cloned() } else { st.objects.remove(&key) };
            match found {
                Some(s) => (200, s.obj),
                None => status(404, "NotFound", &format!("{plural} \"{name}\" not found")),
            }
        }
        ("PATCH", Some(name)) => {
            apply(st, req, &gv, kind, &format!("{prefix}{ns}/{name}"), name, namespaced.then_some(ns.as_str()))
        }
        _ => status(405, "MethodNotAllowed", "the server does not allow this method on the requested resource"),
    }
}

fn apply(st: &mut State, req: &Req, gv: &str, kind: &str, key: &str, name: &str, ns: Option<&str>) -> (u16, Value) {
    if req.content_type != "application/apply-patch+yaml" {
        return status(
            415,
            "UnsupportedMediaType",
            &format!("the body of the request was in an unknown format: {}", req.content_type),
        );
    }
    let Some(manager) = req.query.get("fieldManager").filter(|m| !m.is_empty()).cloned() else {
        return status(400, "BadRequest", "PATCH with apply-patch+yaml requires a fieldManager");
    };
    // kube sends JSON, which is YAML.
    let Ok(applied) = serde_json::from_str::<Value>(&req.body) else {
        return status(400, "BadRequest", "the stub reads apply bodies written as JSON only");
    };
    if applied.get("apiVersion").and_then(Value::as_str) != Some(gv)
        || applied.get("kind").and_then(Value::as_str) != Some(kind)
    {
        return status(400, "BadRequest", "apiVersion and kind of the body do not match the URL");
    }
    if applied.pointer("/metadata/name").and_then(Value::as_str) != Some(name) {
        return status(400, "BadRequest", "the name of the object does not match the name on the URL");
    }
    if let Some(r) = st.reject.iter().find(|r| r.name == name && r.kind == kind) {
        return status(r.code, &r.reason, &r.message);
    }
    let force = req.query.get("force").is_some_and(|f| f == "true");
    let dry = req.query.get("dryRun").is_some_and(|d| d == "All");
    let new_leaves = leaves(&applied);
    let existing = st.objects.get(key).cloned();
    let (mut obj, mut owners, created) = match existing {
        Some(s) => (s.obj, s.owners, false),
        None => (json!({}), BTreeMap::new(), true),
    };
    let mut conflicts = Vec::new();
    for (path, value) in &new_leaves {
        if let Some(owner) = owners.get(path)
            && owner != &manager
            && get_path(&obj, path) != Some(value)
        {
            conflicts.push((owner.clone(), path.clone()));
        }
    }
    if !conflicts.is_empty() && !force {
        let n = conflicts.len();
        let parts: Vec<String> =
            conflicts.iter().map(|(o, p)| format!("conflict with \"{o}\" using {gv}: {p}")).collect();
        let msg = format!("Apply failed with {n} conflict{}: {}", if n == 1 { "" } else { "s" }, parts.join(", "));
        return status(409, "Conflict", &msg);
    }
    // Fields this manager applied before and no longer applies are removed, unless shared.
    let gone: Vec<String> = owners
        .iter()
        .filter(|(p, o)| **o == manager && !new_leaves.iter().any(|(q, _)| q == *p))
        .map(|(p, _)| p.clone())
        .collect();
    for p in gone {
        owners.remove(&p);
        remove_path(&mut obj, &p);
    }
    merge(&mut obj, &applied);
    for (p, _) in &new_leaves {
        owners.insert(p.clone(), manager.clone());
    }
    if let (Some(ns), Some(meta)) = (ns, obj.get_mut("metadata").and_then(Value::as_object_mut)) {
        meta.entry("namespace").or_insert(json!(ns));
    }
    let rv = st.rv + 1;
    let uid = existing_uid(&obj).unwrap_or_else(|| format!("uid-{rv}"));
    finish_meta(&mut obj, rv, Some(uid), &owners);
    if !dry {
        st.rv = rv;
        st.objects.insert(key.to_string(), Stored { obj: obj.clone(), owners });
    }
    (if created { 201 } else { 200 }, obj)
}

fn existing_uid(obj: &Value) -> Option<String> {
    obj.pointer("/metadata/uid").and_then(Value::as_str).map(str::to_string)
}

fn finish_meta(obj: &mut Value, rv: u64, uid: Option<String>, owners: &BTreeMap<String, String>) {
    let mut managers: Vec<&String> = owners.values().collect();
    managers.sort();
    managers.dedup();
    let mf: Vec<Value> =
        managers.iter().map(|m| json!({"manager": m, "operation": "Apply", "fieldsType": "FieldsV1"})).collect();
    if let Some(meta) = obj.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.insert("resourceVersion".into(), json!(rv.to_string()));
        let uid = uid
            .or_else(|| meta.get("uid").and_then(Value::as_str).map(str::to_string))
            .unwrap_or_else(|| format!("uid-{rv}"));
        meta.insert("uid".into(), json!(uid));
        meta.entry("creationTimestamp").or_insert(json!("2026-01-01T00:00:00Z"));
        meta.insert("generation".into(), json!(1));
        meta.insert("managedFields".into(), Value::Array(mf));
    }
}

/// Leaf fields of an applied object as `.a.b.c` paths (lists are atomic), without the identity.
fn leaves(v: &Value) -> Vec<(String, Value)> {
    fn walk(v: &Value, path: String, out: &mut Vec<(String, Value)>) {
        match v {
            Value::Object(m) if !m.is_empty() => {
                for (k, x) in m {
                    walk(x, format!("{path}.{k}"), out);
                }
            }
            _ => out.push((path, v.clone())),
        }
    }
    let mut out = Vec::new();
    walk(v, String::new(), &mut out);
    out.retain(|(p, _)| ![".apiVersion", ".kind", ".metadata.name", ".metadata.namespace"].contains(&p.as_str()));
    out
}

fn get_path<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').skip(1).try_fold(v, |v, k| v.get(k))
}

fn remove_path(v: &mut Value, path: &str) {
    let keys: Vec<&str> = path.split('.').skip(1).collect();
    let Some((last, parents)) = keys.split_last() else { return };
    let mut cur = v;
    for k in parents {
        match cur.get_mut(*k) {
            Some(x) => cur = x,
            None => return,
        }
    }
    if let Some(m) = cur.as_object_mut() {
        m.remove(*last);
    }
}

fn merge(into: &mut Value, from: &Value) {
    match (into, from) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in b {
                match a.get_mut(k) {
                    Some(x) if x.is_object() && v.is_object() => merge(x, v),
                    _ => {
                        a.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (into, from) => *into = from.clone(),
    }
}

/// `k=v`, `k!=v`, `k in (a,b)`, `k` (exists), separated by commas outside parentheses.
fn matches_selector(obj: &Value, sel: &str) -> bool {
    let labels = obj.pointer("/metadata/labels").and_then(Value::as_object);
    let label = |k: &str| labels.and_then(|l| l.get(k)).and_then(Value::as_str);
    let mut reqs = Vec::new();
    let mut depth = 0;
    let mut cur = String::new();
    for ch in sel.chars() {
        match ch {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                reqs.push(std::mem::take(&mut cur));
                continue;
            }
            _ => {}
        }
        cur.push(ch);
    }
    reqs.push(cur);
    reqs.iter().map(|r| r.trim()).filter(|r| !r.is_empty()).all(|r| {
        if let Some((k, set)) = r.split_once(" in ") {
            let set = set.trim().trim_start_matches('(').trim_end_matches(')');
            label(k.trim()).is_some_and(|v| set.split(',').any(|s| s.trim() == v))
        } else if let Some((k, v)) = r.split_once("!=") {
            label(k.trim()) != Some(v.trim())
        } else if let Some((k, v)) = r.split_once('=') {
            label(k.trim().trim_end_matches('=')) == Some(v.trim())
        } else {
            label(r).is_some()
        }
    })
}
