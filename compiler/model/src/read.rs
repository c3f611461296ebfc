//! Reading the evaluated workspace into the model.

use hl_diagnostics::{Code, Diagnostic, Span, did_you_mean, list_names};
use hl_eval::{Fields, Record, Value, ValueKind};

use crate::types::*;
use crate::workspace::{StackSummary, WorkspaceIndex, check_stack};

/// Settings of a namespace that only its owner makes.
const OWNER_SETTINGS: &[&str] = &["tier", "keel", "custom_quota", "custom_limitrange", "tls", "labels"];

/// Build the model from the workspace root and the standard library's facts, and report
/// structural problems.
///
/// `root` is the evaluated `Workspace` record (every top-level declaration of the workspace's
/// files) and `prelude` the standard library's `let`s, from which [`Facts`] are read. The
/// diagnostics are those that need the whole workspace: stack names, State tiers against the
/// bootstrap set, `depends_on` targets, namespaces, claims and chart backends.
pub fn build(root: &Value, prelude: &Fields<Value>) -> (Model, Vec<Diagnostic>) {
    let (mut model, mut diags) = read_globals(root, &read_facts(prelude));
    if let Some(stacks) = root.as_record().and_then(|rec| rec.get("stack")).and_then(Value::as_map) {
        for (name, v) in stacks {
            let (s, d) = read_stack(name, v, &model.facts);
            diags.extend(d);
            if let Some(s) = s {
                model.stacks.push(std::sync::Arc::new(s));
            }
        }
    }
    let summaries: Vec<StackSummary> = model.stacks.iter().map(|s| StackSummary::of(s)).collect();
    let index = WorkspaceIndex::new(model.stacks.iter().map(|s| s.name.as_str()).zip(&summaries));
    {
        let other = model.stack_lookup();
        for s in &model.stacks {
            diags.extend(check_stack(s, &index.view(s, &model.facts), &model.facts, &other));
        }
    }
    (model, diags)
}

/// The cluster facts: the workspace's `cluster` declaration as the evaluator filled it in (every
/// default of the `Cluster` schema applied).
pub fn read_facts(prelude: &Fields<Value>) -> Facts {
    let empty = Record::default();
    let c = prelude.get(hl_eval::CLUSTER).and_then(Value::as_record).unwrap_or(&empty);
    let domain = string(c, "domain");
    let label_domain = string(c, "label_domain").unwrap_or_else(|| match &domain {
        Some(d) => format!("hlc.{d}"),
        None => "hlc.local".into(),
    });
    let ingress = field(c, "ingress").and_then(Value::as_record).unwrap_or(&empty);
    let chain = field(ingress, "chain").and_then(Value::as_record).unwrap_or(&empty);
    let first = string(c, "metallb_pool_first");
    let last = string(c, "metallb_pool_last");
    Facts {
        domain,
        label_domain,
        nfs_server: string(c, "nfs_server"),
        nfs_mount_options: strings(c, "nfs_mount_options"),
        nfs_storage_class: string(c, "nfs_storage_class"),
        metallb_pool: first.zip(last),
        tier0_stacks: strings(c, "tier0_stacks"),
        state_backend_stacks: strings(c, "state_backend_stacks"),
        forbidden_dependencies: field(c, "forbidden_dependencies")
            .and_then(Value::as_list)
            .map(|l| {
                l.iter()
                    .filter_map(Value::as_record)
                    .filter_map(|r| Some((string(r, "from")?, string(r, "to")?, string(r, "reason")?)))
                    .collect()
            })
            .unwrap_or_default(),
        shared_vault_paths: strings(c, "shared_vault_paths"),
        tier_policies: field(c, "tiers")
            .and_then(Value::as_map)
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| {
                        let p = v.as_record()?;
                        Some((
                            k.clone(),
                            TierPolicy {
                                label: string(p, "label").unwrap_or_else(|| k.clone()),
                                priority_class: string(p, "priority_class"),
                                guaranteed_memory: boolean(p, "guaranteed_memory").unwrap_or(false),
                                default_cpu_milli: cpu_milli(p, "default_cpu"),
                                default_memory: bytes(p, "default_memory"),
                                default_memory_limit: bytes(p, "default_memory_limit"),
                                quota_cpu_milli: if field(p, "quota_cpu").is_some() {
                                    cpu_milli(p, "quota_cpu")
                                } else {
                                    u64::MAX
                                },
                                quota_memory: if field(p, "quota_memory").is_some() {
                                    bytes(p, "quota_memory")
                                } else {
                                    u64::MAX
                                },
                                quota_memory_limit: if field(p, "quota_memory_limit").is_some() {
                                    bytes(p, "quota_memory_limit")
                                } else {
                                    u64::MAX
                                },
                                quota_pods: int(p, "quota_pods")
                                    .and_then(|i| u64::try_from(i).ok())
                                    .unwrap_or(u64::MAX),
                            },
                        ))
                    })
                    .collect()
            })
            .unwrap_or_default(),
        storage_classes: field(c, "storage_classes")
            .and_then(Value::as_map)
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| {
                        let p = v.as_record()?;
                        Some((
                            k.clone(),
                            StorageClassFacts {
                                claim_suffix: string(p, "claim_suffix").unwrap_or_default(),
                                encrypted: boolean(p, "encrypted").unwrap_or(false),
                                needs_backup: boolean(p, "needs_backup").unwrap_or(false),
                                node_local: boolean(p, "node_local").unwrap_or(false),
                            },
                        ))
                    })
                    .collect()
            })
            .unwrap_or_default(),
        default_storage_class: string(c, "default_storage_class"),
        encrypted_storage_class: string(c, "encrypted_storage_class"),
        node_count: int(c, "node_count").unwrap_or(1),
        cluster_namespaces: strings(c, "namespaces"),
        gpu_taint_key: string(c, "gpu_taint_key").unwrap_or_default(),
        gpu_memory_resource: string(c, "gpu_memory_resource"),
        ingress: IngressFacts {
            class: string(ingress, "class").unwrap_or_default(),
            entrypoint: string(ingress, "entrypoint"),
            tls_secret: string(ingress, "tls_secret"),
            home_lans_middleware: string(ingress, "home_lans_middleware"),
            anubis_first: strings(chain, "anubis_first"),
            always: strings(chain, "always"),
            rate_limit: string(chain, "rate_limit"),
            csp_headers: string(chain, "csp_headers"),
            anti_ai: strings(chain, "anti_ai"),
            local_only: string(chain, "local_only"),
        },
        authentik: field(c, "authentik").and_then(Value::as_record).map(|a| AuthentikFacts {
            forward_auth: string(a, "forward_auth").unwrap_or_default(),
            forward_auth_public: string(a, "forward_auth_public").unwrap_or_default(),
            allowed_groups_annotation: string(a, "allowed_groups_annotation").unwrap_or_default(),
            ui_groups: strings(a, "ui_groups"),
            default_groups: strings(a, "default_groups"),
        }),
        homepage: field(c, "homepage").and_then(Value::as_record).map(|h| HomepageFacts {
            groups: field(h, "groups")
                .and_then(Value::as_map)
                .map(|m| m.iter().filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string()))).collect())
                .unwrap_or_default(),
            default_group: string(h, "default_group").unwrap_or_default(),
        }),
        keel: boolean(c, "keel").unwrap_or(false),
        anubis_prefix: string(c, "anubis_prefix"),
        sablier_url: string(c, "sablier_url"),
        dns_type_annotation: string(c, "dns_type_annotation"),
        external_monitor_annotation: string(c, "external_monitor_annotation"),
        rules: Default::default(),
        custom_resources: field(c, "custom_resources")
            .and_then(Value::as_map)
            .map(|m| m.iter().filter_map(|(k, v)| Some((k.clone(), v.as_enum()?.variant == "Namespaced"))).collect())
            .unwrap_or_default(),
    }
}

/// The workspace's rule settings (`policy { rules = { ... } }`), each with where it is set.
fn read_rules(policy: &Record) -> std::collections::BTreeMap<String, (RuleSetting, Span)> {
    field(policy, "rules")
        .and_then(Value::as_map)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| {
                    let e = v.as_enum()?;
                    let setting = match e.variant.as_str() {
                        "error" => RuleSetting::Error,
                        "warning" => RuleSetting::Warning,
                        "off" => RuleSetting::Off(e.payload.as_ref()?.as_str()?.to_string()),
                        _ => return None,
                    };
                    Some((k.clone(), (setting, v.span)))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Read one stack (`name`, its evaluated record). `None` when its name is invalid (reported)
/// or the value is not a record (already reported by evaluation). The diagnostics are those
/// about this stack alone.
pub fn read_stack(name: &str, v: &Value, facts: &Facts) -> (Option<Stack>, Vec<Diagnostic>) {
    let mut r = Reader { diags: Vec::new(), helm_names: Vec::new(), facts, ports_failed: false };
    let s = r.stack(name, v);
    (s, r.diags)
}

/// Read everything of the workspace root but its stacks: the cluster `facts` (read once, by
/// [`read_facts`]) with the workspace's policy added, Authentik groups, owners, the Proxmox host
/// and the host backups. The model's `stacks` is left empty.
pub fn read_globals(root: &Value, facts: &Facts) -> (Model, Vec<Diagnostic>) {
    let mut r = Reader { diags: Vec::new(), helm_names: Vec::new(), facts, ports_failed: false };
    let mut model = Model { facts: facts.clone(), ..Model::default() };
    if let Some(policy) = root.as_record().and_then(|rec| field(rec, "policy")).and_then(Value::as_record) {
        model.facts.rules = read_rules(policy);
    }
    if let Some(rec) = root.as_record() {
        for (_, g, span) in records(rec, "authentik_group") {
            if let Some(n) = string(g, "name") {
                model.authentik_groups.push((n, span));
            }
        }
        for (name, o, span) in records(rec, "owner") {
            model.owners.push(Owner {
                name: name.clone(),
                span,
                role: variant(o, "role").unwrap_or_else(|| "namespace-owner".into()),
                email: string(o, "email").unwrap_or_default(),
                namespaces: strings(o, "namespaces"),
                domains: strings(o, "domains"),
            });
        }
    }
    if let Some(rec) = root.as_record() {
        model.proxmox = read_proxmox(rec);
        for (name, b, span) in records(rec, "host_backup") {
            let schedule = field(b, "schedule").and_then(|v| v.as_str().map(|s| (s.to_string(), v.span)));
            let Some((schedule, schedule_span)) = schedule else { continue };
            if let Err(e) = hl_types::schedule::parse(&schedule).and_then(|s| s.to_calendar()) {
                r.diags.push(
                    Diagnostic::new(
                        Code::InvalidValue,
                        format!("host backup `{name}` cannot run on a systemd timer at \"{schedule}\""),
                        schedule_span,
                        e.to_string(),
                    )
                    .with_help("write the schedule as a calendar event, such as `*-*-* 03:00:00`"),
                );
            }
            model.host_backups.push(HostBackup {
                name: name.clone(),
                span,
                description: string(b, "description").unwrap_or_default(),
                schedule,
                schedule_span,
                command: strings(b, "command"),
                randomized_delay: field(b, "randomized_delay")
                    .and_then(Value::as_quantity)
                    .and_then(|q| hl_types::duration_millis(q.number, q.unit.as_deref()).ok())
                    .map(|ms| ms / 1000),
                produces: variant(b, "produces").unwrap_or_else(|| "local".into()),
                sources: strings(b, "sources"),
                excludes: strings(b, "excludes"),
                target: string(b, "target"),
                retention: string(b, "retention"),
            });
        }
        model.flux = read_flux(rec, &mut r.diags);
    }
    (model, r.diags)
}

/// The workspace's `flux` setting, checked for what Flux would refuse or misread: `None` when
/// it is absent, or when a part of it is wrong (reported).
fn read_flux(root: &Record, diags: &mut Vec<Diagnostic>) -> Option<FluxSource> {
    let span = root.field_spans.get("flux").copied().unwrap_or_default();
    let f = field(root, "flux").and_then(Value::as_record)?;
    let before = diags.len();
    let mut invalid = |name: &str, message: String, label: &str, help: &str| {
        diags.push(
            Diagnostic::new(Code::InvalidValue, message, span_of(f, name, span), label.to_string()).with_help(help),
        );
    };
    let url = string(f, "url").unwrap_or_default();
    let scheme_ok =
        ["https://", "http://", "ssh://"].iter().any(|p| url.strip_prefix(p).is_some_and(|r| !r.is_empty()));
    if !scheme_ok || url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        invalid(
            "url",
            format!("`{url}` is not a URL Flux can fetch a git repository from"),
            "Flux's GitRepository takes `https://`, `http://` or `ssh://` URLs",
            "write the clone URL, such as `https://github.com/owner/repo.git` or `ssh://git@host/owner/repo.git`",
        );
    }
    let branch = string(f, "branch").unwrap_or_default();
    if !valid_branch(&branch) {
        invalid(
            "branch",
            format!("`{branch}` is not a git branch name"),
            "not a branch name git accepts",
            "name the branch as `git branch` lists it, such as `main`",
        );
    }
    let interval_ms = field(f, "interval")
        .and_then(Value::as_quantity)
        .and_then(|q| hl_types::duration_millis(q.number, q.unit.as_deref()).ok())
        .unwrap_or(0);
    if interval_ms == 0 {
        invalid(
            "interval",
            "Flux cannot fetch a repository every 0 seconds".to_string(),
            "the interval must be longer than zero",
            "Flux's own default is `1m`",
        );
    }
    let path = string(f, "path").unwrap_or_default();
    let path_ok = path.is_empty()
        || path.split('/').all(|c| !c.is_empty() && c != "." && c != "..")
            && !path.contains(|c: char| c == '\\' || c.is_control());
    if !path_ok {
        invalid(
            "path",
            format!("`{path}` is not a directory of the repository"),
            "a path relative to the repository's root, without empty, `.` or `..` components",
            "write where the output directory lies from the repository's root, such as `out`, or `\"\"` for the root",
        );
    }
    if diags.len() > before {
        return None;
    }
    // The standard library gives both a default: absent only when evaluation reported them.
    Some(FluxSource {
        name: string(f, "name")?,
        namespace: string(f, "namespace")?,
        url,
        branch,
        secret: string(f, "secret"),
        interval_ms,
        path,
        span,
    })
}

/// Whether git accepts `name` as a branch (the rules of `git check-ref-format --branch`).
fn valid_branch(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('-')
        && !name.starts_with('/')
        && !name.ends_with('/')
        && !name.ends_with('.')
        && !name.ends_with(".lock")
        && name != "@"
        && !name.contains("..")
        && !name.contains("//")
        && !name.contains("@{")
        && !name.split('/').any(|c| c.starts_with('.') || c.ends_with(".lock"))
        && !name.chars().any(|c| c.is_control() || matches!(c, ' ' | '~' | '^' | ':' | '?' | '*' | '[' | '\\'))
}

struct Reader<'f> {
    diags: Vec<Diagnostic>,
    /// The `helm` releases of the stack being read, which `helm_backend(...)` may name.
    helm_names: Vec<String>,
    /// The cluster facts: the defaults a stack leaves to the workspace (domain, NFS server,
    /// allowed groups).
    facts: &'f Facts,
    /// The service whose ingresses are being read has a port that failed to evaluate (already
    /// reported): an ingress it leaves without a backend port is not reported again.
    ports_failed: bool,
}

// Small accessors over records. Missing or erroneous values read as `None`.
fn field<'a>(r: &'a Record, name: &str) -> Option<&'a Value> {
    r.get(name).filter(|v| !v.is_error() && !v.is_null())
}
fn string(r: &Record, name: &str) -> Option<String> {
    field(r, name).and_then(|v| match &v.kind {
        ValueKind::Str(s) => Some(s.clone()),
        ValueKind::Quantity(q) => Some(q.display()),
        ValueKind::Int(i) => Some(i.to_string()),
        _ => None,
    })
}
fn boolean(r: &Record, name: &str) -> Option<bool> {
    field(r, name).and_then(Value::as_bool)
}
fn int(r: &Record, name: &str) -> Option<i64> {
    field(r, name).and_then(Value::as_int)
}
fn variant(r: &Record, name: &str) -> Option<String> {
    field(r, name).and_then(Value::as_enum).map(|e| e.variant.clone())
}
fn strings(r: &Record, name: &str) -> Vec<String> {
    field(r, name)
        .and_then(Value::as_list)
        .map(|l| l.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
        .unwrap_or_default()
}
fn string_map(r: &Record, name: &str) -> Vec<(String, String)> {
    field(r, name)
        .and_then(Value::as_map)
        .map(|m| m.iter().filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string()))).collect())
        .unwrap_or_default()
}
fn records<'a>(r: &'a Record, name: &str) -> Vec<(&'a String, &'a Record, Span)> {
    field(r, name)
        .and_then(Value::as_map)
        .map(|m| m.iter().filter_map(|(k, v)| v.as_record().map(|rec| (k, rec, v.span))).collect())
        .unwrap_or_default()
}
/// The pvc-autoresizer's annotations of a `Pvc` record, only where the program bounds the claim:
/// the Terraform writes them claim by claim, and a bound hl made up would change what it deploys.
fn autoresize(p: &Record) -> Option<Autoresize> {
    quantity(p, "limit").map(|limit| Autoresize {
        limit,
        threshold: string(p, "threshold").unwrap_or_else(|| "10%".into()),
        increase: string(p, "increase").unwrap_or_else(|| "100%".into()),
    })
}

fn quantity(r: &Record, name: &str) -> Option<String> {
    field(r, name).and_then(|v| match &v.kind {
        ValueKind::Quantity(q) => Some(q.display()),
        ValueKind::Int(i) => Some(i.to_string()),
        ValueKind::Float(f) => Some(f.to_string()),
        _ => None,
    })
}
fn port_map(r: &Record, name: &str) -> Vec<(String, u16)> {
    field(r, name)
        .and_then(Value::as_map)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| v.as_int().and_then(|p| u16::try_from(p).ok()).map(|p| (k.clone(), p)))
                .collect()
        })
        .unwrap_or_default()
}
fn span_of(r: &Record, name: &str, fallback: Span) -> Span {
    r.field_spans.get(name).copied().unwrap_or(fallback)
}

/// The span of the value the program gave `name`, or `fallback` for a default.
fn value_span_of(r: &Record, name: &str, fallback: Span) -> Span {
    if r.is_explicit(name) { field(r, name).map_or(fallback, |v| v.span) } else { fallback }
}

/// The spans of the values the program gave the fields of `r` (see [`ValueSpans`]).
fn value_spans(r: &Record) -> ValueSpans {
    let mut out = ValueSpans::builder();
    for (k, v) in &r.fields {
        if !r.is_explicit(k) {
            continue;
        }
        out.insert(format_args!("{k}"), v.span);
        // An item's or entry's own explicit fields, one level down: `env_secret[NAME].key`.
        let item = |out: &mut ValueSpans, key: &dyn std::fmt::Display, item: &Value| {
            if let Some(r) = item.as_record() {
                for (f, x) in r.fields.iter().filter(|(f, _)| r.is_explicit(f)) {
                    out.insert(format_args!("{k}[{key}].{f}"), x.span);
                }
            }
            out.insert(format_args!("{k}[{key}]"), item.span);
        };
        match &v.kind {
            ValueKind::List(items) => {
                for (i, x) in items.iter().enumerate() {
                    item(&mut out, &i, x);
                }
            }
            ValueKind::Map(m) => {
                for (key, x) in m {
                    item(&mut out, key, x);
                }
            }
            // A variant's data: `source()` is the claim's name in `source = claim("...")`.
            ValueKind::Enum(e) => {
                if let Some(p) = &e.payload {
                    out.insert(format_args!("{k}()"), p.span);
                }
            }
            _ => {}
        }
    }
    out.finish()
}

impl Reader<'_> {
    /// An NFS volume that names no server mounts from the cluster's `nfs_server`; without one
    /// either, it is reported (and left out).
    fn with_nfs_server(&mut self, source: VolumeSource, name: &str, span: Span) -> Option<VolumeSource> {
        match source {
            VolumeSource::Nfs { server, claim, path, size, access, inline } if server.is_empty() => {
                let Some(server) = self.facts.nfs_server.clone() else {
                    self.diags.push(
                        Diagnostic::new(
                            Code::MissingField,
                            format!("NFS volume `{name}` names no server, and the workspace declares none"),
                            span,
                            "which server?",
                        )
                        .with_help(
                            "declare it once, `cluster { nfs_server = \"192.0.2.10\" }`, or pass `server = ...`",
                        ),
                    );
                    return None;
                };
                Some(VolumeSource::Nfs { server, claim, path, size, access, inline })
            }
            other => Some(other),
        }
    }

    fn stack(&mut self, name: &str, v: &Value) -> Option<Stack> {
        let rec = v.as_record()?;
        let span = v.span;
        if !valid_stack_name(name) {
            self.diags.push(
                Diagnostic::new(
                    Code::InvalidValue,
                    format!("`{name}` is not a valid stack name"),
                    span,
                    "stack names become directory names",
                )
                .with_help(if RESERVED_STACK_NAMES.contains(&name) {
                    "`flux` and `kustomization` are reserved: `k8s/flux/` holds the Flux objects, with a `kustomization.yaml`"
                } else {
                    "use lowercase letters, digits, `-` and `_`, starting with a letter or digit, at most 63 characters"
                }),
            );
            return None;
        }
        let depends_on = field(rec, "depends_on")
            .and_then(Value::as_list)
            .map(|l| l.iter().filter_map(|d| d.as_str().map(|s| (s.to_string(), d.span))).collect())
            .unwrap_or_default();
        let mut namespaces: Vec<Namespace> = Vec::new();
        for (n, nr, nspan) in records(rec, "namespace") {
            let external = boolean(nr, "external").unwrap_or(false);
            if external {
                for setting in OWNER_SETTINGS.iter().filter(|f| nr.is_explicit(f)) {
                    self.diags.push(
                        Diagnostic::new(
                            Code::NamespaceOwnership,
                            format!("namespace `{n}` is external to stack `{name}`, so it cannot set `{setting}`"),
                            span_of(nr, setting, nspan),
                            "an owner's setting",
                        )
                        .with_label(nspan, "declared `external = true` here")
                        .with_help(format!(
                            "remove `{setting}`: the stack that owns `{n}` sets it (nobody does for Kubernetes' own namespaces)"
                        )),
                    );
                }
            }
            // A tier that failed to evaluate was reported already; the namespace is kept so
            // that its services do not report a second, cascading error.
            let tier = match nr.get("tier") {
                _ if external => None,
                // Already reported; a tier (with no policy) avoids a second, cascading report.
                Some(v) if v.is_error() => Some(String::new()),
                Some(v) => v.as_str().map(|t| {
                    self.declared_in_cluster("tier", t, v.span, "tiers", self.facts.tier_policies.keys());
                    t.to_string()
                }),
                None => None,
            };
            namespaces.push(Namespace {
                name: n.clone(),
                span: nspan,
                external,
                tier,
                keel: !external && boolean(nr, "keel").unwrap_or(false) && self.keel_declared(nr, nspan),
                custom_quota: !external && boolean(nr, "custom_quota").unwrap_or(false),
                custom_limitrange: !external && boolean(nr, "custom_limitrange").unwrap_or(false),
                tls: !external && boolean(nr, "tls").unwrap_or(true),
                labels: if external { Vec::new() } else { string_map(nr, "labels") },
            });
        }
        let default_ns = home_namespace(&namespaces).ok().map(|n| n.name.clone());
        self.helm_names = records(rec, "helm").into_iter().map(|(n, _, _)| n.clone()).collect();
        let mut services = Vec::new();
        for (sname, srec, sspan) in records(rec, "service") {
            let Some((ns, ns_span)) = self.namespace_of("service", sname, srec, sspan, &namespaces) else { continue };
            let mut svc = self.service(sname, srec, sspan, &ns);
            svc.namespace_span = ns_span;
            services.push(svc);
        }
        let mut frontends = Vec::new();
        for (fname, frec, fspan) in records(rec, "frontend") {
            let Some((ns, ns_span)) = self.namespace_of("frontend", fname, frec, fspan, &namespaces) else { continue };
            if let Some(mut f) = self.frontend(fname, frec, fspan, &ns) {
                f.namespace_span = ns_span;
                frontends.push(f);
            }
        }
        let mut ingresses = Vec::new();
        for (iname, irec, ispan) in records(rec, "ingress") {
            let Some((ns, _)) = self.namespace_of("ingress", iname, irec, ispan, &namespaces) else { continue };
            if let Some(i) = self.ingress(iname, irec, ispan, &ns, None, None) {
                ingresses.push(i);
            }
        }
        let mut volumes = Vec::new();
        for (vname, vrec, vspan) in records(rec, "volume") {
            let Some((ns, ns_span)) = self.namespace_of("volume", vname, vrec, vspan, &namespaces) else { continue };
            if let Some(v) = self.stack_volume(name, vname, vrec, vspan, ns, ns_span) {
                volumes.push(v);
            }
        }
        let mut unmanaged_middlewares = Vec::new();
        if let Some(m) = field(rec, "unmanaged_middleware").and_then(Value::as_map) {
            for (n, why) in m {
                let Some(why) = why.as_str() else { continue };
                match home_namespace(&namespaces) {
                    Ok(home) => unmanaged_middlewares.push((home.name.clone(), n.clone(), why.to_string())),
                    Err(e) => self.diags.push(
                        Diagnostic::new(
                            Code::UnknownNamespace,
                            format!("unmanaged middleware `{n}` has no namespace"),
                            span_of(rec, "unmanaged_middleware", span),
                            e,
                        )
                        .with_help("declare it in the stack that owns its namespace"),
                    ),
                }
            }
        }
        let mut objects = Vec::new();
        for &(fname, api_version, kind, namespaced) in crate::k8s_fields::OBJECT_KINDS {
            for (n, r, ospan) in records(rec, fname) {
                let (namespace, namespace_span) = if namespaced {
                    let what = fname.replace('_', " ");
                    let Some((ns, ns_span)) = self.namespace_of(&what, n, r, ospan, &namespaces) else { continue };
                    (Some(ns), ns_span)
                } else {
                    (None, ospan)
                };
                let mut body = crate::k8s_fields::Reader { diags: &mut self.diags }.object_body(r);
                if fname == "token_secret" {
                    body.insert("type".into(), serde_json::Value::String(string(r, "type").unwrap_or_default()));
                    let ty = string(r, "type").unwrap_or_default();
                    let names_account =
                        string_map(r, "annotations").iter().any(|(k, _)| k == "kubernetes.io/service-account.name");
                    if ty != "kubernetes.io/service-account-token" || !names_account {
                        self.diags.push(
                            Diagnostic::new(
                                Code::InvalidValue,
                                format!("token secret `{n}` is not a service-account token Kubernetes would fill"),
                                if names_account { span_of(r, "type", ospan) } else { ospan },
                                if names_account { "not a token type" } else { "no service account named" },
                            )
                            .with_help("set `annotations = { \"kubernetes.io/service-account.name\": \"<account>\" }` and leave `type` as `kubernetes.io/service-account-token`; a Secret with values is a `secret` (an ExternalSecret from Vault)"),
                        );
                        continue;
                    }
                }
                let Some(name) = self.object_name(r, n, ospan) else { continue };
                objects.push(KubeObject {
                    api_version: api_version.to_string(),
                    kind: kind.to_string(),
                    name,
                    namespace,
                    namespace_span,
                    labels: string_map(r, "labels"),
                    annotations: string_map(r, "annotations"),
                    body,
                    body_spans: Default::default(),
                    span: ospan,
                    manifest: false,
                });
            }
        }
        for (n, r, mspan) in records(rec, "manifest") {
            let (Some(api_version), Some(kind)) = (string(r, "api_version"), string(r, "kind")) else { continue };
            let namespace = string(r, "namespace");
            let namespace_span = value_span_of(r, "namespace", mspan);
            let mut body = serde_json::Map::new();
            let mut body_spans = std::collections::BTreeMap::new();
            if let Some(spec) = field(r, "spec").filter(|v| !v.is_null()) {
                body.insert("spec".into(), to_json(spec));
                json_spans(spec, "/spec".into(), span_of(r, "spec", spec.span), &mut body_spans);
            }
            if let Some(m) = field(r, "fields").and_then(Value::as_map) {
                for (k, v) in m {
                    body.insert(k.clone(), to_json(v));
                    json_spans(v, format!("/{}", pointer_escape(k)), v.span, &mut body_spans);
                }
            }
            let Some(name) = self.object_name(r, n, mspan) else { continue };
            objects.push(KubeObject {
                api_version,
                kind,
                name,
                namespace,
                namespace_span,
                labels: string_map(r, "labels"),
                annotations: string_map(r, "annotations"),
                body,
                body_spans,
                span: mspan,
                manifest: true,
            });
        }
        let mut secrets = Vec::new();
        for (n, r, span) in records(rec, "secret") {
            let ns = match string(r, "namespace") {
                Some(ns) => Ok(ns),
                None => home_namespace(&namespaces).map(|h| h.name.clone()),
            };
            match ns {
                Ok(ns) => secrets.push(self.secret(n, r, span, &ns)),
                Err(why) => self.diags.push(
                    Diagnostic::new(Code::UnknownNamespace, format!("secret `{n}` has no namespace"), span, why)
                        .with_help("set `namespace = \"...\"` on the secret"),
                ),
            }
        }
        Some(Stack {
            holds_reference: holds_reference(v),
            name: name.to_string(),
            span,
            state_tier: int(rec, "state_tier").unwrap_or(1),
            state_tier_span: value_span_of(rec, "state_tier", span),
            owner: field(rec, "owner").and_then(|v| v.as_str().map(|s| (s.to_string(), v.span))),
            helm: records(rec, "helm")
                .into_iter()
                .filter_map(|(n, h, hspan)| {
                    let namespace = string(h, "namespace").or_else(|| default_ns.clone())?;
                    Some(HelmRelease {
                        name: n.clone(),
                        span: hspan,
                        chart: string(h, "chart")?,
                        repo: string(h, "repo")?,
                        version: string(h, "version"),
                        namespace,
                        values: h.get("values").map(to_json).unwrap_or(serde_json::Value::Null),
                        interval: quantity(h, "interval").unwrap_or_else(|| "1h".into()),
                        create_namespace: boolean(h, "create_namespace").unwrap_or(false),
                        fields: crate::k8s_fields::Reader { diags: &mut self.diags }.object(
                            h,
                            &["timeout", "max_history", "install", "upgrade", "values_from", "post_renderers"],
                        ),
                    })
                })
                .collect(),
            waivers: field(rec, "waive")
                .and_then(Value::as_map)
                .map(|m| {
                    m.iter()
                        .filter_map(|(k, v)| {
                            v.as_str().map(|reason| Waiver {
                                code: waiver_code(k).0.to_string(),
                                with: waiver_code(k).1,
                                key: k.clone(),
                                reason: reason.to_string(),
                                span: v.span,
                                code_span: v.span,
                            })
                        })
                        .collect()
                })
                .unwrap_or_default(),
            depends_on,
            objects,
            unmanaged_middlewares,
            description: string(rec, "description"),
            namespaces,
            services,
            secrets,
            frontends,
            ingresses,
            volumes,
        })
    }

    fn service(&mut self, name: &str, r: &Record, span: Span, namespace: &str) -> Service {
        let kind = match variant(r, "kind").as_deref() {
            Some("statefulset") => WorkloadKind::StatefulSet,
            Some("daemonset") => WorkloadKind::DaemonSet,
            Some("cronjob") => WorkloadKind::CronJob,
            Some("job") => WorkloadKind::Job,
            _ => WorkloadKind::Deployment,
        };
        let ports = port_map(r, "port");
        let udp_ports = port_map(r, "udp_port");
        for (n, _) in &udp_ports {
            if ports.iter().any(|(t, _)| t == n) {
                self.diags.push(
                    Diagnostic::new(
                        Code::DuplicateField,
                        format!("`{n}` names both a TCP and a UDP port of `{name}`"),
                        r.field_spans.get("udp_port").copied().unwrap_or(span),
                        "port names must be unique in a container",
                    )
                    .with_help(format!("name them apart, such as `{n}-tcp` and `{n}-udp`")),
                );
            }
        }
        // A negative count is no count: Kubernetes refuses the object. Read as the default.
        if let Some(n) = int(r, "replicas").filter(|n| *n < 0) {
            self.diags.push(
                Diagnostic::new(
                    Code::OutOfRange,
                    format!("{n} is out of range for `replicas`"),
                    value_span_of(r, "replicas", span),
                    "must be 0 or more",
                )
                .with_help("`replicas = 0` keeps the workload declared with no pods running"),
            );
        }
        let volumes: Vec<Volume> =
            records(r, "volume").into_iter().filter_map(|(vn, vr, vs)| self.volume(name, vn, vr, vs)).collect();
        let main_mounts = volume_mounts(r);
        self.check_mounts(name, &format!("service `{name}`"), r, span, &volumes);
        let expose = match field(r, "expose").and_then(Value::as_record) {
            Some(e) if !matches!(kind, WorkloadKind::CronJob | WorkloadKind::Job) => {
                // A defaulted `expose` is the service's own doing: point at the service.
                let at = if r.is_explicit("expose") { span_of(r, "expose", span) } else { span };
                self.expose_record(name, e, &ports, &udp_ports, at)
            }
            _ => None,
        };
        let default_port = expose.as_ref().and_then(|e| e.ports.first().map(|p| p.port));
        // A port that failed to evaluate (out of range, a string) was reported where it was
        // written; an ingress left without a port by it is not reported again.
        let failed = |f: &str| r.get(f).and_then(Value::as_map).is_some_and(|m| m.values().any(Value::is_error));
        self.ports_failed = failed("port") || failed("udp_port");
        let ingresses = records(r, "ingress")
            .into_iter()
            .filter_map(|(iname, ir, ispan)| {
                let backend_default = expose.as_ref().map(|e| e.name.clone()).unwrap_or_else(|| name.to_string());
                self.ingress(iname, ir, ispan, namespace, Some(&backend_default), default_port)
            })
            .collect();
        self.ports_failed = false;
        let secrets = records(r, "secret").into_iter().map(|(n, sr, ss)| self.secret(n, sr, ss, namespace)).collect();
        let containers = self.containers(name, r, "container", &volumes);
        let init_containers = self.containers(name, r, "init", &volumes);
        let configs = field(r, "config")
            .and_then(Value::as_map)
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| {
                        let data = v
                            .as_map()?
                            .iter()
                            .filter_map(|(f, c)| c.as_str().map(|c| (f.clone(), c.to_string())))
                            .collect();
                        Some((k.clone(), data))
                    })
                    .collect()
            })
            .unwrap_or_default();
        let extra_services = records(r, "extra_service")
            .into_iter()
            .filter_map(|(xn, xr, xs)| {
                let mut x = self.expose_record(name, xr, &ports, &udp_ports, xs)?;
                x.name = xn.clone();
                Some(x)
            })
            .collect();
        // Kubernetes takes cron; a calendar-form schedule is converted.
        let schedule = field(r, "schedule").and_then(|v| {
            v.as_str().map(|s| {
                let cron = hl_types::schedule::parse(s).map(|p| {
                    if s.trim().starts_with('@') || s.split_whitespace().count() == 5 {
                        s.to_string()
                    } else {
                        p.to_cron()
                    }
                });
                (cron.unwrap_or_else(|_| s.to_string()), v.span)
            })
        });
        let schedule_errored = r.get("schedule").is_some_and(Value::is_error);
        if kind == WorkloadKind::CronJob && schedule.is_none() && !schedule_errored && field(r, "image").is_some() {
            self.diags.push(
                Diagnostic::new(
                    Code::MissingField,
                    format!("cronjob `{name}` has no `schedule`"),
                    span,
                    "schedule required",
                )
                .with_help("add `schedule = \"0 3 * * *\"` (minute hour day-of-month month day-of-week)"),
            );
        }
        let mut k8s = crate::k8s_fields::Reader { diags: &mut self.diags };
        let container = string(r, "container_name").unwrap_or_else(|| name.to_string());
        let mut all_ports = ports.clone();
        all_ports.extend(udp_ports.iter().cloned());
        k8s.check_port_names(r, &container, &all_ports, span);
        let container_fields = k8s.object(r, crate::k8s_fields::CONTAINER_FIELDS);
        let env_value_from = k8s.env_value_from(r);
        let pod_fields = k8s.object(r, crate::k8s_fields::POD_FIELDS);
        let cronjob_fields = k8s.object(r, crate::k8s_fields::CRONJOB_FIELDS);
        let job_fields = k8s.object(r, crate::k8s_fields::JOB_FIELDS);
        let rolling_update = k8s.object(r, &["rolling_update"]).remove("rollingUpdate");
        let workload_fields = k8s.object(r, crate::k8s_fields::WORKLOAD_FIELDS);
        Service {
            name: name.to_string(),
            span,
            values: value_spans(r),
            kind,
            namespace: namespace.to_string(),
            namespace_span: span,
            image: string(r, "image").unwrap_or_default(),
            container_name: string(r, "container_name").unwrap_or_else(|| name.to_string()),
            replicas: int(r, "replicas").filter(|n| *n >= 0).unwrap_or(1),
            schedule,
            time_zone: string(r, "time_zone"),
            suspend: boolean(r, "suspend").unwrap_or(false),
            command: strings(r, "command"),
            args: strings(r, "args"),
            ports,
            udp_ports,
            env: string_map(r, "env"),
            env_secret: env_secrets(r),
            resources: resources(r),
            volumes,
            volume_mounts: main_mounts,
            configs,
            ingresses,
            secrets,
            expose,
            extra_services,
            strategy: variant(r, "strategy"),
            keel: variant(r, "keel"),
            operator: string(r, "operator"),
            sensitive: boolean(r, "sensitive").unwrap_or(false),
            critical: boolean(r, "critical").unwrap_or(false),
            pdb: field(r, "pdb")
                .and_then(Value::as_record)
                .map(|p| Pdb { min_available: int(p, "min_available"), max_unavailable: int(p, "max_unavailable") }),
            diun: boolean(r, "diun"),
            containers,
            init_containers,
            node_selector: string_map(r, "node_selector"),
            priority_class: string(r, "priority_class"),
            labels: string_map(r, "labels"),
            annotations: string_map(r, "annotations"),
            pod_annotations: string_map(r, "pod_annotations"),
            pod_labels: string_map(r, "pod_labels"),
            match_labels: string_map(r, "match_labels"),
            job_labels: string_map(r, "job_labels"),
            description: string(r, "description"),
            container_fields,
            env_value_from,
            pod_fields,
            cronjob_fields,
            job_fields,
            rolling_update,
            workload_fields,
        }
    }

    fn volume(&mut self, service: &str, name: &str, r: &Record, span: Span) -> Option<Volume> {
        let source = self.volume_source(service, name, r, span)?;
        let source = self.with_nfs_server(source, name, span)?;
        if r.get("mount").is_some_and(Value::is_error) {
            // Reported where it failed; a volume half-read would only cascade.
            return None;
        }
        Some(Volume {
            name: name.to_string(),
            span,
            values: value_spans(r),
            mount: string(r, "mount").unwrap_or_default(),
            read_only: boolean(r, "read_only").unwrap_or(false),
            sub_path: string(r, "sub_path"),
            sqlite: boolean(r, "sqlite").unwrap_or(false),
            no_backup: string(r, "no_backup"),
            source,
            options: self.volume_options(r),
        })
    }

    /// The refinements of a volume's source; an octal mode that is not one is reported.
    fn volume_options(&mut self, r: &Record) -> VolumeOptions {
        let mut mode = |rec: &Record, name: &str| -> Option<i32> {
            let v = field(rec, name)?;
            let text = v.as_str()?;
            match i32::from_str_radix(text, 8) {
                Ok(m) if (0..=0o7777).contains(&m) => Some(m),
                _ => {
                    self.diags.push(
                        Diagnostic::new(
                            Code::InvalidValue,
                            format!("`{text}` is not a file mode"),
                            v.span,
                            "expected octal digits",
                        )
                        .with_help("write the mode in octal, as Terraform does: `\"0644\"`, `\"0755\"`"),
                    );
                    None
                }
            }
        };
        let default_mode = mode(r, "default_mode");
        let items = field(r, "items")
            .and_then(Value::as_list)
            .map(|l| {
                l.iter()
                    .filter_map(Value::as_record)
                    .filter_map(|i| Some((string(i, "key")?, string(i, "path")?, mode(i, "mode"))))
                    .collect()
            })
            .unwrap_or_default();
        VolumeOptions {
            medium: string(r, "medium"),
            size_limit: quantity(r, "size_limit"),
            default_mode,
            items,
            optional: boolean(r, "optional"),
        }
    }

    fn expose_record(
        &mut self,
        service: &str,
        e: &Record,
        ports: &[(String, u16)],
        udp_ports: &[(String, u16)],
        span: Span,
    ) -> Option<Expose> {
        if !boolean(e, "enabled").unwrap_or(true) {
            return None;
        }
        let declared: Vec<ServicePort> = records(e, "port")
            .into_iter()
            .filter_map(|(n, pr, _)| {
                let port = u16::try_from(int(pr, "port")?).ok()?;
                Some(ServicePort {
                    name: n.clone(),
                    port,
                    target: int(pr, "target").and_then(|t| u16::try_from(t).ok()).unwrap_or(port),
                    protocol: variant(pr, "protocol").unwrap_or_else(|| "TCP".into()),
                    node_port: int(pr, "node_port").and_then(|t| u16::try_from(t).ok()),
                    target_name: string(pr, "target_name"),
                })
            })
            .collect();
        let ports = if declared.is_empty() {
            let tcp = ports.iter().map(|(n, p)| (n, p, "TCP"));
            let udp = udp_ports.iter().map(|(n, p)| (n, p, "UDP"));
            tcp.chain(udp)
                .map(|(n, p, proto)| ServicePort {
                    name: n.clone(),
                    port: *p,
                    target: *p,
                    protocol: proto.into(),
                    node_port: None,
                    target_name: None,
                })
                .collect()
        } else {
            declared
        };
        if ports.is_empty() {
            return None;
        }
        Some(Expose {
            name: string(e, "name").unwrap_or_else(|| service.to_string()),
            span,
            values: value_spans(e),
            service_type: variant(e, "type").unwrap_or_else(|| "ClusterIP".into()),
            ports,
            lb_ip: string(e, "lb_ip"),
            shared_ip: boolean(e, "shared_ip").unwrap_or(false),
            traffic_policy: variant(e, "traffic_policy"),
            annotations: string_map(e, "annotations"),
            labels: string_map(e, "labels"),
            cluster_ip: string(e, "cluster_ip"),
            selector: string_map(e, "selector"),
            publish_not_ready_addresses: boolean(e, "publish_not_ready_addresses"),
            session_affinity: string(e, "session_affinity"),
        })
    }

    fn ingress(
        &mut self,
        name: &str,
        r: &Record,
        span: Span,
        namespace: &str,
        backend_default: Option<&str>,
        default_port: Option<u16>,
    ) -> Option<Ingress> {
        let auth_v = field(r, "auth").and_then(Value::as_enum)?;
        let chart_backend = self.chart_backend(name, r, span);
        // Inside a service or frontend, the ingress goes where its Service is.
        if let (Some(_), Some(ns)) = (backend_default, string(r, "namespace"))
            && ns != namespace
        {
            self.diags.push(
                Diagnostic::new(
                    Code::UnknownNamespace,
                    format!(
                        "ingress `{name}` asks for namespace `{ns}`, but it goes with its Service into `{namespace}`"
                    ),
                    span_of(r, "namespace", span),
                    "ignored here",
                )
                .with_help("remove `namespace`: only an ingress declared on the stack chooses its namespace"),
            );
        }
        if chart_backend.is_none() && backend_default.is_none() {
            // Declared on the stack: nothing to route to unless a chart's Service is named.
            // A chart backend that was written but could not be read (an error inside it, such
            // as a port out of range, already reported) is not reported again as missing.
            if !r.get("chart_backend").is_some_and(|v| v.is_error() || (r.is_explicit("chart_backend") && !v.is_null()))
            {
                self.diags.push(
                    Diagnostic::new(
                        Code::IngressBackend,
                        format!("ingress `{name}` is declared on the stack but names no `chart_backend`"),
                        span,
                        "no backend Service",
                    )
                    .with_help("name the Service a chart creates: `chart_backend = helm_backend(\"<release>\", \"<service>\", <port>)`; an ingress to an hl service or frontend belongs inside that declaration"),
                );
            }
            return None;
        }
        let auth = match auth_v.variant.as_str() {
            "public" => AuthMode::Public,
            "app" => AuthMode::App,
            "none" => AuthMode::None,
            _ => AuthMode::Required,
        };
        let auth_reason = auth_v.payload.as_ref().and_then(Value::as_str).map(str::to_string);
        let host = match string(r, "full_host") {
            Some(h) => h,
            None => {
                let label = string(r, "host").unwrap_or_else(|| name.to_string());
                match string(r, "root_domain").or_else(|| self.facts.domain.clone()) {
                    Some(root) => format!("{label}.{root}"),
                    None => {
                        self.diags.push(
                            Diagnostic::new(
                                Code::MissingField,
                                format!("ingress `{name}` has no host: the workspace declares no domain"),
                                span,
                                "which host?",
                            )
                            .with_help("declare the domain once, `cluster { domain = \"example.org\" }`, or set `full_host` or `root_domain` here"),
                        );
                        return None;
                    }
                }
            }
        };
        let port = match chart_backend
            .as_ref()
            .map(|c| c.port)
            .or_else(|| int(r, "port").and_then(|p| u16::try_from(p).ok()))
            .or(default_port)
        {
            Some(p) => p,
            None if self.ports_failed || r.get("port").is_some_and(Value::is_error) => return None,
            None => {
                self.diags.push(
                    Diagnostic::new(
                        Code::UnknownReference,
                        format!("ingress `{name}` has no backend port"),
                        span,
                        "no port to route to",
                    )
                    .with_help("set `port = <Port>` on the ingress, or declare a container port on the service"),
                );
                return None;
            }
        };
        let sablier = field(r, "sablier").and_then(Value::as_record).map(|s| Sablier {
            group: string(s, "group").unwrap_or_else(|| name.to_string()),
            session_duration: quantity(s, "session_duration").unwrap_or_else(|| "3h".into()),
            strategy: variant(s, "strategy").unwrap_or_else(|| "dynamic".into()),
            display_name: string(s, "display_name").unwrap_or_else(|| name.to_string()),
            theme: string(s, "theme").unwrap_or_else(|| "ghost".into()),
            refresh_frequency: quantity(s, "refresh_frequency").unwrap_or_else(|| "5s".into()),
            blocking_timeout: quantity(s, "blocking_timeout").unwrap_or_else(|| "5m".into()),
        });
        Some(Ingress {
            name: name.to_string(),
            span,
            values: value_spans(r),
            namespace: namespace.to_string(),
            host,
            auth,
            auth_reason,
            auth_span: field(r, "auth").filter(|_| r.is_explicit("auth")).map(|v| v.span).unwrap_or(span),
            dns_type: variant(r, "dns").unwrap_or_else(|| "none".into()),
            dns_span: r.field_spans.get("dns").copied().unwrap_or(span),
            port,
            backend: match &chart_backend {
                Some(c) => c.service.clone(),
                None => string(r, "backend").or_else(|| backend_default.map(str::to_string)).unwrap_or_default(),
            },
            chart_backend,
            paths: {
                let p = strings(r, "paths");
                if p.is_empty() { vec!["/".into()] } else { p }
            },
            serves: variant(r, "serves").unwrap_or_else(|| "web".into()),
            allowed_groups: match field(r, "allowed_groups").and_then(Value::as_list) {
                Some(_) => strings(r, "allowed_groups"),
                None => self.facts.authentik.as_ref().map(|a| a.default_groups.clone()).unwrap_or_default(),
            },
            allowed_groups_span: r
                .is_explicit("allowed_groups")
                .then(|| r.field_spans.get("allowed_groups").copied().unwrap_or(span)),
            extra_middlewares: strings(r, "extra_middlewares"),
            extra_middleware_spans: field(r, "extra_middlewares")
                .and_then(Value::as_list)
                .map(|l| l.iter().filter(|v| v.as_str().is_some()).map(|v| v.span).collect())
                .unwrap_or_default(),
            anti_ai: boolean(r, "anti_ai"),
            local_only: boolean(r, "local_only").unwrap_or(false),
            skip_rate_limit: boolean(r, "skip_rate_limit").unwrap_or(false),
            custom_csp: string(r, "custom_csp"),
            max_body_size: field(r, "max_body_size").and_then(|v| v.as_str().map(|s| (s.to_string(), v.span))),
            sablier,
            homepage: boolean(r, "homepage").unwrap_or(true),
            description: string(r, "description"),
            homepage_group: string(r, "homepage_group"),
            external_monitor: boolean(r, "external_monitor"),
            annotations: string_map(r, "annotations"),
        })
    }

    /// An ingress's `chart_backend`, checked against the stack's Helm releases and against
    /// `backend` and `port`, which it replaces.
    fn chart_backend(&mut self, ingress: &str, r: &Record, span: Span) -> Option<ChartBackend> {
        let v = field(r, "chart_backend")?;
        let c = v.as_record()?;
        let created_by = field(c, "created_by").and_then(Value::as_enum)?;
        let what = created_by.payload.as_ref().and_then(Value::as_str).unwrap_or_default().to_string();
        let cb = ChartBackend {
            service: string(c, "service")?,
            port: int(c, "port").and_then(|p| u16::try_from(p).ok())?,
            created_by: if created_by.variant == "helm" { Creator::Helm(what) } else { Creator::Operator(what) },
            span: v.span,
        };
        for other in ["backend", "port"] {
            if r.is_explicit(other) {
                self.diags.push(
                    Diagnostic::new(
                        Code::IngressBackend,
                        format!("ingress `{ingress}` sets both `chart_backend` and `{other}`"),
                        span_of(r, other, span),
                        format!("`{other}` here"),
                    )
                    .with_label(v.span, "the chart's Service and port are given here")
                    .with_help(format!("remove `{other}`: `chart_backend` names the Service and its port")),
                );
            }
        }
        if let Creator::Helm(release) = &cb.created_by
            && !self.helm_names.contains(release)
        {
            let mut d = Diagnostic::new(
                Code::UnknownReference,
                format!(
                    "ingress `{ingress}` routes to a Service of Helm release `{release}`, which this stack does not declare"
                ),
                // The release's name as the caller wrote it (`helm_backend("...", ...)`).
                created_by.payload.as_ref().map_or(v.span, |p| p.span),
                "no such `helm` release",
            )
            .with_label(v.span, "the chart's Service");
            d = match did_you_mean(release, self.helm_names.iter().map(String::as_str)) {
                Some(h) => d.with_help(format!("did you mean `{h}`?")),
                None => d.with_help("declare the release with `helm <name> { chart = ..., repo = ... }`, or use `operator_backend(...)` for a Service an operator creates"),
            };
            self.diags.push(d);
        }
        Some(cb)
    }

    /// Where a declaration goes: its `namespace`, or the stack's home namespace.
    fn namespace_of(
        &mut self,
        what: &str,
        name: &str,
        r: &Record,
        span: Span,
        namespaces: &[Namespace],
    ) -> Option<(String, Span)> {
        if let Some(n) = string(r, "namespace") {
            return Some((n, value_span_of(r, "namespace", span)));
        }
        let why = match home_namespace(namespaces) {
            Ok(home) => return Some((home.name.clone(), span)),
            Err(why) => why,
        };
        self.diags.push(
            Diagnostic::new(Code::UnknownNamespace, format!("{what} `{name}` has no namespace"), span, why).with_help(
                format!("declare `namespace <name> {{ tier = ... }}` in the stack or set `namespace = \"...\"` on the {what}"),
            ),
        );
        None
    }

    /// A Service whose pods hl does not declare, with its ingresses.
    fn frontend(&mut self, name: &str, r: &Record, span: Span, namespace: &str) -> Option<Frontend> {
        let up = field(r, "upstream")?;
        let up_enum = up.as_enum()?;
        let payload = up_enum.payload.as_ref();
        let upstream = match up_enum.variant.as_str() {
            "pods" => {
                let labels: Vec<(String, String)> = payload
                    .and_then(Value::as_map)
                    .map(|m| m.iter().filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string()))).collect())
                    .unwrap_or_default();
                if labels.is_empty() {
                    self.diags.push(
                        Diagnostic::new(
                            Code::InvalidValue,
                            format!("frontend `{name}` selects pods by no label"),
                            up.span,
                            "an empty selector",
                        )
                        .with_help("name the labels of the pods it fronts: `pods({ \"app.kubernetes.io/name\": \"...\" })`; for machines outside the cluster use `addresses([...])`"),
                    );
                    return None;
                }
                Upstream::Pods(labels)
            }
            "external_name" => Upstream::ExternalName(payload.and_then(Value::as_str)?.to_string()),
            _ => {
                let addrs: Vec<String> = payload
                    .and_then(Value::as_list)
                    .map(|l| l.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
                    .unwrap_or_default();
                let v6 = addrs.iter().filter(|a| a.contains(':')).count();
                if addrs.is_empty() || (v6 > 0 && v6 < addrs.len()) {
                    self.diags.push(
                        Diagnostic::new(
                            Code::InvalidValue,
                            if addrs.is_empty() {
                                format!("frontend `{name}` forwards to no address")
                            } else {
                                format!("frontend `{name}` mixes IPv4 and IPv6 addresses")
                            },
                            up.span,
                            "not one EndpointSlice",
                        )
                        .with_help("list one or more addresses of one IP family: `addresses([\"192.0.2.10\"])`"),
                    );
                    return None;
                }
                Upstream::Addresses(addrs)
            }
        };
        let Some(expose) = self.expose_record(name, r, &[], &[], span) else {
            if !r.get("port").is_some_and(Value::is_error) {
                self.diags.push(
                    Diagnostic::new(Code::MissingField, format!("frontend `{name}` has no ports"), span, "no ports")
                        .with_help("declare its ports: `port http { port = 80, target = 8080 }`"),
                );
            }
            return None;
        };
        let default_port = expose.ports.first().map(|p| p.port);
        let ingresses = records(r, "ingress")
            .into_iter()
            .filter_map(|(iname, ir, ispan)| self.ingress(iname, ir, ispan, namespace, Some(name), default_port))
            .collect();
        Some(Frontend {
            name: name.to_string(),
            span,
            namespace: namespace.to_string(),
            namespace_span: span,
            upstream,
            expose,
            labels: string_map(r, "labels"),
            ingresses,
            description: string(r, "description"),
        })
    }

    /// A volume declared on the stack: a claim or an NFS export that no hl service mounts.
    fn stack_volume(
        &mut self,
        stack: &str,
        name: &str,
        r: &Record,
        span: Span,
        namespace: String,
        namespace_span: Span,
    ) -> Option<StackVolume> {
        let source = self.volume_source(stack, name, r, span)?;
        let source = self.with_nfs_server(source, name, span)?;
        if !matches!(source, VolumeSource::Pvc { .. } | VolumeSource::Nfs { inline: false, .. }) {
            self.diags.push(
                Diagnostic::new(
                    Code::TypeMismatch,
                    format!("volume `{name}` of stack `{stack}` is neither a claim nor an NFS export"),
                    span_of(r, "source", span),
                    "not a claim",
                )
                .with_help("declare it with `stack_pvc(...)` or `stack_nfs(...)`; other volumes only exist mounted by a service"),
            );
            return None;
        }
        Some(StackVolume {
            volume: Volume {
                name: name.to_string(),
                span,
                values: value_spans(r),
                mount: String::new(),
                read_only: false,
                sub_path: None,
                sqlite: false,
                no_backup: string(r, "no_backup"),
                source,
                options: VolumeOptions::default(),
            },
            namespace,
            namespace_span,
            mounted_by: string(r, "mounted_by").unwrap_or_default(),
        })
    }

    fn secret(&mut self, name: &str, r: &Record, span: Span, namespace: &str) -> ExternalSecret {
        let data = field(r, "data")
            .and_then(Value::as_map)
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| {
                        let vr = v.as_record()?;
                        Some((k.clone(), string(vr, "key")?, string(vr, "property")?))
                    })
                    .collect()
            })
            .unwrap_or_default();
        ExternalSecret {
            name: name.to_string(),
            span,
            namespace: namespace.to_string(),
            store: variant(r, "store").unwrap_or_else(|| "vault-kv".into()),
            refresh: quantity(r, "refresh").unwrap_or_else(|| "15m".into()),
            extract: strings(r, "extract"),
            data,
            env: boolean(r, "env").unwrap_or(true),
            target: string(r, "target").unwrap_or_else(|| name.to_string()),
            template: string_map(r, "template"),
            template_type: string(r, "template_type"),
            secret_labels: string_map(r, "secret_labels"),
            secret_annotations: string_map(r, "secret_annotations"),
            deletion_policy: variant(r, "deletion_policy"),
        }
    }

    /// A stack-level object's name: its `name` field, or its key; `None` (reported) for a name
    /// the API server would refuse.
    fn object_name(&mut self, r: &Record, key: &str, span: Span) -> Option<String> {
        match string(r, "name") {
            Some(x) if !valid_object_name(&x) => {
                self.diags.push(
                    Diagnostic::new(
                        Code::InvalidValue,
                        format!("`{x}` cannot name a Kubernetes object"),
                        span_of(r, "name", span),
                        "not a name",
                    )
                    .with_help("a name is 1 to 253 characters, without `/` or `%`, and not `.` or `..`"),
                );
                None
            }
            Some(x) => Some(x),
            None => Some(key.to_string()),
        }
    }

    /// Reports each mount of `r` that names no volume of the service (`who` mounts it), at the
    /// volume's name in `volume_mounts` or at the `mounts` map.
    fn check_mounts(&mut self, service: &str, who: &str, r: &Record, span: Span, volumes: &[Volume]) {
        let mut named: Vec<(String, Span)> = Vec::new();
        let map_span = if r.is_explicit("mounts") { span_of(r, "mounts", span) } else { span };
        named.extend(string_map(r, "mounts").into_iter().map(|(v, _)| (v, map_span)));
        let list_span = span_of(r, "volume_mounts", span);
        if let Some(list) = field(r, "volume_mounts").and_then(Value::as_list) {
            for m in list.iter().filter_map(Value::as_record) {
                if let Some(v) = string(m, "volume") {
                    named.push((v, m.field_spans.get("volume").copied().unwrap_or(list_span)));
                }
            }
        }
        for (volume, at) in named {
            if volumes.iter().any(|v| v.name == volume) {
                continue;
            }
            let names: Vec<&str> = volumes.iter().map(|v| v.name.as_str()).collect();
            let mut d = Diagnostic::new(
                Code::UnknownReference,
                format!("{who} mounts `{volume}`, which is not a volume of service `{service}`"),
                at,
                "no such volume",
            );
            d = match did_you_mean(&volume, names.iter().copied()) {
                Some(c) => d.with_help(format!("did you mean `{c}`?")),
                None => d.with_help("declare the volume on the service with `volume <name> { ... }`"),
            };
            self.diags.push(d);
        }
    }

    fn containers(&mut self, service: &str, r: &Record, field_name: &str, volumes: &[Volume]) -> Vec<Container> {
        let mut out = Vec::new();
        for (cn, cr, cspan) in records(r, field_name) {
            let mut mounts: Vec<Mount> = string_map(cr, "mounts")
                .into_iter()
                .map(|(volume, path)| {
                    let read_only = volumes.iter().any(|v| v.name == volume && v.read_only);
                    Mount { volume, path, sub_path: None, read_only }
                })
                .collect();
            mounts.extend(volume_mounts(cr));
            self.check_mounts(service, &format!("container `{cn}`"), cr, cspan, volumes);
            let mut k8s = crate::k8s_fields::Reader { diags: &mut self.diags };
            let mut own_ports = port_map(cr, "port");
            own_ports.extend(port_map(cr, "udp_port"));
            k8s.check_port_names(cr, cn, &own_ports, cspan);
            let fields = k8s.object(cr, crate::k8s_fields::CONTAINER_FIELDS);
            let env_value_from = k8s.env_value_from(cr);
            out.push(Container {
                fields,
                env_value_from,
                name: cn.clone(),
                values: value_spans(cr),
                image: string(cr, "image").unwrap_or_default(),
                command: strings(cr, "command"),
                args: strings(cr, "args"),
                ports: port_map(cr, "port"),
                udp_ports: port_map(cr, "udp_port"),
                env: string_map(cr, "env"),
                env_secret: env_secrets(cr),
                resources: resources(cr),
                mounts,
                secrets: boolean(cr, "secrets").unwrap_or(false),
            });
        }
        out
    }
}

/// Where a declaration without `namespace` goes: the one namespace the stack owns, or, when it
/// owns none, the one namespace it uses (`external = true`). Otherwise, why there is none.
fn home_namespace(namespaces: &[Namespace]) -> Result<&Namespace, String> {
    let owned: Vec<&Namespace> = namespaces.iter().filter(|n| !n.external).collect();
    let used: Vec<&Namespace> = namespaces.iter().filter(|n| n.external).collect();
    let names = |l: &[&Namespace]| list_names(&l.iter().map(|n| n.name.as_str()).collect::<Vec<_>>());
    match (owned.as_slice(), used.as_slice()) {
        ([only], _) | ([], [only]) => Ok(only),
        ([], []) => Err("the stack declares no namespace".to_string()),
        ([], several) => Err(format!("the stack owns no namespace and uses several: {}", names(several))),
        (several, _) => Err(format!("the stack declares several namespaces: {}", names(several))),
    }
}

impl Reader<'_> {
    /// The source of a volume record; claim names default to `<owner>-<volume>` and the class's
    /// `claim_suffix`, the owner being the service or the stack that declares it.
    fn volume_source(&mut self, owner: &str, name: &str, r: &Record, span: Span) -> Option<VolumeSource> {
        let src = field(r, "source").and_then(Value::as_enum)?;
        let payload = src.payload.as_ref();
        let source = match src.variant.as_str() {
            "pvc" => {
                let p = payload.and_then(Value::as_record)?;
                let class = self.storage_class(name, p, span)?;
                let suffix = self.facts.storage_classes.get(&class).map(|c| c.claim_suffix.clone()).unwrap_or_default();
                let size = quantity(p, "size").unwrap_or_else(|| "1Gi".into());
                let autoresize = autoresize(p);
                VolumeSource::Pvc {
                    claim: string(p, "claim").unwrap_or_else(|| format!("{owner}-{name}{suffix}")),
                    size,
                    class,
                    autoresize,
                    access: variant(p, "access").unwrap_or_else(|| "ReadWriteOnce".into()),
                }
            }
            "nfs" => {
                let p = payload.and_then(Value::as_record)?;
                VolumeSource::Nfs {
                    claim: string(p, "claim").unwrap_or_else(|| format!("{owner}-{name}")),
                    path: string(p, "path")?,
                    server: string(p, "server").unwrap_or_default(),
                    size: quantity(p, "size").unwrap_or_else(|| "10Gi".into()),
                    access: variant(p, "access").unwrap_or_else(|| "ReadWriteMany".into()),
                    inline: boolean(p, "inline").unwrap_or(false),
                }
            }
            "template" => {
                let p = payload.and_then(Value::as_record)?;
                VolumeSource::Template {
                    size: quantity(p, "size").unwrap_or_else(|| "1Gi".into()),
                    class: self.storage_class(name, p, span)?,
                    access: variant(p, "access").unwrap_or_else(|| "ReadWriteOnce".into()),
                    autoresize: autoresize(p),
                }
            }
            "claim" => VolumeSource::Claim(payload.and_then(Value::as_str)?.to_string()),
            "config_map" => VolumeSource::ConfigMap(payload.and_then(Value::as_str)?.to_string()),
            "secret" => VolumeSource::Secret(payload.and_then(Value::as_str)?.to_string()),
            "host_path" => {
                let p = payload.and_then(Value::as_record)?;
                VolumeSource::HostPath { path: string(p, "path")?, kind: string(p, "type") }
            }
            _ => VolumeSource::EmptyDir,
        };
        Some(source)
    }

    /// A claim's StorageClass: the one it names, else the cluster's encrypted class (for an
    /// `encrypted` claim) or its default class. Each must be declared in `cluster.storage_classes`;
    /// a class that is not, or a claim left with none, is E0214 (and the volume left out).
    fn storage_class(&mut self, volume: &str, p: &Record, span: Span) -> Option<String> {
        if p.get("class").is_some_and(Value::is_error) {
            return None;
        }
        if let Some(v) = field(p, "class") {
            let class = v.as_str()?.to_string();
            let known = self.declared_in_cluster(
                "storage class",
                &class,
                v.span,
                "storage_classes",
                self.facts.storage_classes.keys(),
            );
            return known.then_some(class);
        }
        let encrypted = boolean(p, "encrypted").unwrap_or(false);
        let (chosen, fact) = if encrypted {
            (self.facts.encrypted_storage_class.clone(), "encrypted_storage_class")
        } else {
            (self.facts.default_storage_class.clone(), "default_storage_class")
        };
        let Some(class) = chosen else {
            self.diags.push(
            Diagnostic::new(
                Code::NotInCluster,
                format!(
                    "volume `{volume}` names no storage class, and the cluster declares no `{fact}`"
                ),
                span,
                "which StorageClass?",
            )
            .with_help(format!(
                "pass `class = \"...\"` (one of `cluster.storage_classes`), or declare `cluster {{ {fact} = \"...\" }}`"
            )),
        );
            return None;
        };
        if self.facts.storage_classes.contains_key(&class) {
            return Some(class);
        }
        // The cluster's own facts disagree: nothing in the stack to change.
        self.diags.push(
            Diagnostic::new(
                Code::NotInCluster,
                format!(
                    "volume `{volume}` gets the cluster's `{fact}` `{class}`, which is not one of its `storage_classes`"
                ),
                span,
                "no such class",
            )
            .with_help(format!("declare `{class}` in `cluster {{ storage_classes = {{ ... }} }}`, or change `{fact}`")),
        );
        None
    }

    /// Whether a namespace's `keel = true` has a Keel to enroll in (`cluster.keel`); E0214 when not.
    fn keel_declared(&mut self, nr: &Record, nspan: Span) -> bool {
        if self.facts.keel {
            return true;
        }
        self.diags.push(
            Diagnostic::new(
                Code::NotInCluster,
                "the namespace enrolls in Keel, and the cluster runs no Keel",
                span_of(nr, "keel", nspan),
                "`cluster.keel` is not set",
            )
            .with_help("remove `keel = true`, or declare `cluster { keel = true }` if the cluster runs Keel"),
        );
        false
    }

    /// Whether `name` is one of the cluster's `fact` (`tiers`, `storage_classes`); when it is
    /// not, E0214 at `span`, with the declared names and the closest one.
    fn declared_in_cluster<'k>(
        &mut self,
        what: &str,
        name: &str,
        span: Span,
        fact: &str,
        declared: impl Iterator<Item = &'k String> + Clone,
    ) -> bool {
        if declared.clone().any(|d| d == name) {
            return true;
        }
        let list: Vec<String> = declared.clone().map(|d| format!("`{d}`")).collect();
        let mut d = Diagnostic::new(
            Code::NotInCluster,
            format!("{what} `{name}` is not one the cluster declares"),
            span,
            format!("not in `cluster.{fact}`"),
        );
        let close = hl_diagnostics::did_you_mean(name, declared.clone().map(String::as_str));
        if let Some(close) = close {
            d = d.with_help(format!("did you mean `{close}`?"));
        }
        // One fix per declared name, the close one preferred (an editor may apply it at once).
        for other in declared {
            d.fixes.push(hl_diagnostics::Fix {
                title: format!("Change to `{other}`"),
                span,
                replacement: format!("\"{other}\""),
                preferred: close == Some(other.as_str()),
            });
        }
        d = d.with_note(if list.is_empty() {
            format!("the cluster declares no {fact}: add `{name}` to `cluster {{ {fact} = {{ ... }} }}`")
        } else {
            format!("the cluster declares {}", list.join(", "))
        });
        self.diags.push(d);
        false
    }
}

/// Names a stack cannot have: `k8s/flux/` holds the Flux objects of all stacks, one file per
/// stack (`k8s/flux/<stack>.yaml`) beside `kustomization.yaml`.
const RESERVED_STACK_NAMES: [&str; 2] = ["flux", "kustomization"];

/// A name the API server accepts for any kind: a path segment of at most 253 characters.
fn valid_object_name(name: &str) -> bool {
    !name.is_empty() && name.len() <= 253 && name != "." && name != ".." && !name.contains(['/', '%'])
}

fn valid_stack_name(name: &str) -> bool {
    !RESERVED_STACK_NAMES.contains(&name)
        && !name.is_empty()
        && name.len() <= 63
        && name.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

/// Where each part of `v` (converted by [`to_json`]) is written, by JSON pointer under
/// `pointer`: the span of its key (`key`, for the value itself) and of its value.
fn json_spans(v: &Value, pointer: String, key: Span, out: &mut std::collections::BTreeMap<String, (Span, Span)>) {
    match &v.kind {
        ValueKind::Record(r) => {
            for (k, x) in r.fields.iter().filter(|(_, x)| !x.is_null()) {
                let here = format!("{pointer}/{}", pointer_escape(k));
                json_spans(x, here, span_of(r, k, x.span), out);
            }
        }
        ValueKind::Map(m) => {
            for (k, x) in m {
                json_spans(x, format!("{pointer}/{}", pointer_escape(k)), x.span, out);
            }
        }
        ValueKind::List(l) => {
            for (i, x) in l.iter().enumerate() {
                json_spans(x, format!("{pointer}/{i}"), x.span, out);
            }
        }
        _ => {}
    }
    out.insert(pointer, (key, v.span));
}

/// Whether some text in `v` holds a render-time reference marker.
fn holds_reference(v: &Value) -> bool {
    match &v.kind {
        ValueKind::Str(s) => has_open(s),
        ValueKind::List(l) => l.iter().any(holds_reference),
        ValueKind::Map(m) => m.iter().any(|(k, x)| has_open(k) || holds_reference(x)),
        ValueKind::Record(r) => r.fields.iter().any(|(k, x)| has_open(k) || holds_reference(x)),
        ValueKind::Enum(e) => e.payload.as_ref().is_some_and(holds_reference),
        _ => false,
    }
}

/// Whether `s` holds the marker that opens a render-time reference. Every string of every
/// stack is asked: a byte search (`memchr`) for the marker's first UTF-8 byte rules out almost
/// all of them at once, where `str::contains` of a non-ASCII character runs a substring search.
fn has_open(s: &str) -> bool {
    let mut buf = [0u8; 4];
    let lead = crate::render::OPEN.encode_utf8(&mut buf).as_bytes()[0];
    s.as_bytes().contains(&lead) && s.contains(crate::render::OPEN)
}

/// A key as one segment of a JSON pointer (RFC 6901).
fn pointer_escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// Any value as JSON: records and maps become objects (in declaration order), quantities their
/// text, enum variants their name.
pub fn to_json(v: &Value) -> serde_json::Value {
    use serde_json::Value as J;
    match &v.kind {
        ValueKind::Null | ValueKind::Error | ValueKind::Func(_) | ValueKind::Module(_) => J::Null,
        ValueKind::Bool(b) => J::Bool(*b),
        ValueKind::Int(i) => J::from(*i),
        ValueKind::Float(f) => serde_json::Number::from_f64(*f).map_or(J::Null, J::Number),
        ValueKind::Str(s) => J::String(s.clone()),
        ValueKind::Quantity(q) => J::String(q.display()),
        ValueKind::List(l) => J::Array(l.iter().map(to_json).collect()),
        ValueKind::Map(m) => J::Object(m.iter().map(|(k, x)| (k.clone(), to_json(x))).collect()),
        ValueKind::Record(r) => {
            J::Object(r.fields.iter().filter(|(_, x)| !x.is_null()).map(|(k, x)| (k.clone(), to_json(x))).collect())
        }
        ValueKind::Enum(e) => match &e.payload {
            None => J::String(e.variant.clone()),
            Some(p) => serde_json::json!({ e.variant.clone(): to_json(p) }),
        },
    }
}

fn float(r: &Record, name: &str) -> Option<f64> {
    field(r, name).and_then(|v| match &v.kind {
        ValueKind::Float(f) => Some(*f),
        ValueKind::Int(i) => Some(*i as f64),
        _ => None,
    })
}

fn read_proxmox(root: &Record) -> Proxmox {
    let host = field(root, "pve_host").and_then(Value::as_record).map(|h| PveHost {
        node: string(h, "node").unwrap_or_else(|| "pve".into()),
        ip: string(h, "ip").unwrap_or_default(),
        threads: int(h, "threads").unwrap_or(0),
        memory_bytes: bytes(h, "memory"),
        cpu_overcommit: float(h, "cpu_overcommit").unwrap_or(3.0),
        memory_overcommit: float(h, "memory_overcommit").unwrap_or(1.0),
        pci: string_map(h, "pci"),
        span: root.field_spans.get("pve_host").copied().unwrap_or_default(),
    });
    let segments = records(root, "segment")
        .into_iter()
        .map(|(n, s, span)| Segment {
            name: n.clone(),
            bridge: string(s, "bridge").unwrap_or_default(),
            vlan: int(s, "vlan"),
            cidr: string(s, "cidr").unwrap_or_default(),
            gateway: string(s, "gateway"),
            nameservers: strings(s, "nameservers"),
            search_domain: string(s, "search_domain"),
            span,
        })
        .collect();
    let templates = records(root, "vm_template")
        .into_iter()
        .map(|(n, t, span)| VmTemplate {
            name: n.clone(),
            vmid: int(t, "vmid").unwrap_or(0),
            image_path: string(t, "image_path").unwrap_or_default(),
            image_url: string(t, "image_url").unwrap_or_default(),
            memory: quantity(t, "memory").unwrap_or_else(|| "8Gi".into()),
            cores: int(t, "cores").unwrap_or(8),
            bridge: string(t, "bridge").unwrap_or_else(|| "vmbr0".into()),
            storage: string(t, "storage").unwrap_or_else(|| "local-lvm".into()),
            scsihw: variant(t, "scsihw").unwrap_or_else(|| "virtio-scsi-pci".into()),
            kubernetes: boolean(t, "kubernetes").unwrap_or(false),
            snippet: string(t, "snippet").unwrap_or_default(),
            user_data: crate::render::parse(&string(t, "user_data").unwrap_or_default()),
            user_data_span: t.field_spans.get("user_data").copied().unwrap_or(span),
            span,
        })
        .collect();
    let ssh_keys = records(root, "ssh_key")
        .into_iter()
        .filter_map(|(n, k, _)| {
            let v = field(k, "vault").and_then(Value::as_record)?;
            Some(SshKeyRef { name: n.clone(), key: string(v, "key")?, property: string(v, "property")? })
        })
        .collect();
    let vms = records(root, "vm")
        .into_iter()
        .map(|(n, v, span)| Vm {
            name: n.clone(),
            span,
            values: value_spans(v),
            vmid: int(v, "vmid").unwrap_or(0),
            cores: int(v, "cores").unwrap_or(4),
            sockets: int(v, "sockets").unwrap_or(1),
            memory: quantity(v, "memory").unwrap_or_else(|| "8Gi".into()),
            balloon: field(v, "balloon").and_then(Value::as_enum).map(|e| match e.variant.as_str() {
                "off" => Balloon::Off,
                "min" => Balloon::Min(
                    e.payload
                        .as_ref()
                        .map(|p| match &p.kind {
                            ValueKind::Quantity(q) => q.display(),
                            _ => String::new(),
                        })
                        .unwrap_or_default(),
                ),
                _ => Balloon::On,
            }),
            ostype: variant(v, "ostype").unwrap_or_else(|| "l26".into()),
            scsihw: variant(v, "scsihw").unwrap_or_else(|| "virtio-scsi-pci".into()),
            // A default's span lies in the standard library: the VM is pointed at instead.
            scsihw_span: v.field_spans.get("scsihw").copied().filter(|s| s.file == span.file).unwrap_or(span),
            cpu: string(v, "cpu").unwrap_or_else(|| "host".into()),
            machine: string(v, "machine"),
            machine_span: v.field_spans.get("machine").copied().unwrap_or(span),
            disks: records(v, "disk")
                .into_iter()
                .map(|(slot, d, dspan)| VmDisk {
                    slot: slot.clone(),
                    storage: string(d, "storage").unwrap_or_else(|| "local-lvm".into()),
                    size: quantity(d, "size").unwrap_or_default(),
                    ssd: boolean(d, "ssd").unwrap_or(true),
                    discard: boolean(d, "discard").unwrap_or(true),
                    iothread: boolean(d, "iothread").unwrap_or(false),
                    aio: variant(d, "aio"),
                    mbps_rd: int(d, "mbps_rd"),
                    mbps_wr: int(d, "mbps_wr"),
                    span: dspan,
                })
                .collect(),
            nics: records(v, "nic")
                .into_iter()
                .map(|(slot, nic, nspan)| VmNic {
                    slot: slot.clone(),
                    segment: string(nic, "segment").unwrap_or_default(),
                    ip: string(nic, "ip"),
                    mac: string(nic, "mac"),
                    span: nspan,
                    values: value_spans(nic),
                })
                .collect(),
            template: field(v, "template").and_then(|t| t.as_str().map(|s| (s.to_string(), t.span))),
            cloud_init: field(v, "cloud_init").and_then(Value::as_record).map(|c| CloudInit {
                user: string(c, "user").unwrap_or_else(|| "wizard".into()),
                ssh_keys: strings(c, "ssh_keys"),
                span: v.field_spans.get("cloud_init").copied().unwrap_or(span),
            }),
            pci: strings(v, "pci"),
            pci_span: v.field_spans.get("pci").copied().unwrap_or(span),
            kubernetes_node: boolean(v, "kubernetes_node").unwrap_or(false),
            onboot: boolean(v, "onboot").unwrap_or(true),
            running: boolean(v, "running").unwrap_or(true),
            managed: boolean(v, "managed").unwrap_or(false),
            tags: strings(v, "tags"),
            description: string(v, "description"),
        })
        .collect();
    Proxmox { host, segments, templates, vms, ssh_keys }
}

fn cpu_milli(r: &Record, name: &str) -> u64 {
    quantity(r, name).and_then(|q| parse_cpu_milli(&q)).unwrap_or(0)
}

fn bytes(r: &Record, name: &str) -> u64 {
    quantity(r, name).and_then(|q| parse_bytes(&q)).unwrap_or(0)
}

/// Millicores of a CPU quantity as written (`15m`, `2`, `0.5`); `None` when it is not one.
///
/// ```
/// use hl_model::parse_cpu_milli;
///
/// assert_eq!(parse_cpu_milli("15m"), Some(15));
/// assert_eq!(parse_cpu_milli("2"), Some(2000));
/// assert_eq!(parse_cpu_milli("0.5"), Some(500));
/// assert_eq!(parse_cpu_milli("256Mi"), None); // memory, not CPU
/// ```
pub fn parse_cpu_milli(q: &str) -> Option<u64> {
    let (n, unit) = split_quantity(q)?;
    hl_types::cpu_millis(n, unit).ok()
}

/// Bytes of a memory quantity as written: binary (`256Mi`, `2Gi`) or decimal (`1G`) suffixes;
/// `None` when it is not one.
///
/// ```
/// use hl_model::parse_bytes;
///
/// assert_eq!(parse_bytes("256Mi"), Some(256 * 1024 * 1024));
/// assert_eq!(parse_bytes("1G"), Some(1_000_000_000));
/// assert_eq!(parse_bytes("15m"), None); // CPU, not memory
/// ```
pub fn parse_bytes(q: &str) -> Option<u64> {
    let (n, unit) = split_quantity(q)?;
    hl_types::memory_bytes(n, unit).ok()
}

fn split_quantity(q: &str) -> Option<(f64, Option<&str>)> {
    let i = q.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(q.len());
    let n: f64 = q[..i].parse().ok()?;
    let unit = if i < q.len() { Some(&q[i..]) } else { None };
    Some((n, unit))
}

/// The `volume_mounts` of a service or container, as written.
fn volume_mounts(r: &Record) -> Vec<Mount> {
    let Some(list) = field(r, "volume_mounts").and_then(Value::as_list) else { return Vec::new() };
    list.iter()
        .filter_map(Value::as_record)
        .filter_map(|m| {
            Some(Mount {
                volume: string(m, "volume")?,
                path: string(m, "path")?,
                sub_path: string(m, "sub_path"),
                read_only: boolean(m, "read_only").unwrap_or(false),
            })
        })
        .collect()
}

fn env_secrets(r: &Record) -> Vec<EnvSecret> {
    field(r, "env_secret")
        .and_then(Value::as_map)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| {
                    let sr = v.as_record()?;
                    Some(EnvSecret { name: k.clone(), secret: string(sr, "secret")?, key: string(sr, "key")? })
                })
                .collect()
        })
        .unwrap_or_default()
}

fn resources(r: &Record) -> Resources {
    let Some(res) = field(r, "resources").and_then(Value::as_record) else { return Resources::default() };
    Resources {
        cpu: quantity(res, "cpu"),
        memory: quantity(res, "memory"),
        memory_limit: quantity(res, "memory_limit"),
        gpu: int(res, "gpu"),
        gpumem: int(res, "gpumem"),
        cpu_limit: quantity(res, "cpu_limit"),
        ephemeral_storage: quantity(res, "ephemeral_storage"),
        ephemeral_storage_limit: quantity(res, "ephemeral_storage_limit"),
    }
}

/// A waiver's key split into its code and the stacks named after ` with `:
/// `"E0516 with mailserver, dbaas"` is `("E0516", ["mailserver", "dbaas"])`.
fn waiver_code(key: &str) -> (&str, Vec<String>) {
    match key.split_once(" with ") {
        Some((code, with)) => {
            (code.trim(), with.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect())
        }
        None => (key.trim(), Vec::new()),
    }
}
