//! The Proxmox host and its VMs: unique IDs and addresses, addresses inside their segments and
//! outside the MetalLB pool, capacity, GPU passthrough (on q35), I/O threads on a controller
//! that honours them, well-formed render-time references in templates, and Nodes that exist.

use std::collections::BTreeMap;
use std::net::IpAddr;

use hl_diagnostics::{Code, Diagnostic, Span, did_you_mean};
use hl_model::{Model, parse_bytes};

use super::Ctx;

pub fn check(model: &Model, out: &mut Vec<Diagnostic>) {
    let px = &model.proxmox;
    // E0601: VM IDs are unique across VMs and templates.
    let mut ids: BTreeMap<i64, (Span, &str)> = BTreeMap::new();
    let all = px
        .templates
        .iter()
        .map(|t| (t.vmid, t.span, t.name.as_str()))
        // At the `vmid` value as written (a VM's may be an argument of a function's call).
        .chain(px.vms.iter().map(|v| (v.vmid, v.values.at("vmid", v.span), v.name.as_str())));
    for (id, span, name) in all {
        match ids.get(&id) {
            Some((prev, other)) => out.push(
                Diagnostic::new(
                    Code::DuplicateVmid,
                    format!("VM ID {id} is used by `{other}` and `{name}`"),
                    span,
                    format!("`{name}`"),
                )
                .with_label(*prev, format!("`{other}`"))
                .with_help("every VM and template on the host needs its own VM ID"),
            ),
            None => {
                ids.insert(id, (span, name));
            }
        }
    }
    // Segments by name, for addresses.
    let segments: BTreeMap<&str, &hl_model::Segment> = px.segments.iter().map(|s| (s.name.as_str(), s)).collect();
    for seg in &px.segments {
        if let (Some(gw), Ok((net, len))) = (&seg.gateway, hl_types::cidr(&seg.cidr))
            && let Ok(addr) = gw.parse::<IpAddr>()
            && (!in_network(addr, net, len) || is_network_or_broadcast(addr, net, len))
        {
            out.push(
                Diagnostic::new(
                    Code::IpOutsideSegment,
                    format!("gateway {gw} of segment `{}` is not a host address of {}", seg.name, seg.cidr),
                    seg.span,
                    "gateway outside the segment",
                )
                .with_help("the gateway is a host inside the segment's own network"),
            );
        }
    }
    let pool = model.facts.metallb_range();
    let mut addresses: BTreeMap<String, (Span, String)> = BTreeMap::new();
    if let Some(h) = &px.host {
        addresses.insert(h.ip.clone(), (h.span, "the PVE host".to_string()));
    }
    for vm in &px.vms {
        for nic in &vm.nics {
            let Some(seg) = segments.get(nic.segment.as_str()) else {
                let mut d = Diagnostic::new(
                    Code::UnknownReference,
                    format!(
                        "`{}` {} is attached to segment `{}`, which is not declared",
                        vm.name, nic.slot, nic.segment
                    ),
                    nic.values.at("segment", nic.span),
                    "unknown segment",
                );
                if let Some(s) = did_you_mean(&nic.segment, segments.keys().copied()) {
                    d = d.with_help(format!("did you mean `{s}`?"));
                }
                out.push(d);
                continue;
            };
            let Some(ip) = &nic.ip else { continue };
            // Address findings point at the address as written.
            let ip_span = nic.values.at("ip", nic.span);
            if let Some((prev, other)) = addresses.get(ip) {
                out.push(
                    Diagnostic::new(
                        Code::DuplicateIp,
                        format!("{ip} is used by {other} and by `{}`", vm.name),
                        ip_span,
                        format!("`{}` {}", vm.name, nic.slot),
                    )
                    .with_label(*prev, other.clone())
                    .with_help("give each machine its own static address"),
                );
            } else {
                addresses.insert(ip.clone(), (ip_span, format!("`{}`", vm.name)));
            }
            if let (Ok(addr), Ok((net, len))) = (ip.parse::<IpAddr>(), hl_types::cidr(&seg.cidr))
                && (!in_network(addr, net, len) || is_network_or_broadcast(addr, net, len))
            {
                out.push(
                    Diagnostic::new(
                        Code::IpOutsideSegment,
                        format!("{ip} of `{}` is outside segment `{}` ({})", vm.name, seg.name, seg.cidr),
                        ip_span,
                        "not in the segment",
                    )
                    .with_label(seg.span, format!("`{}` is {}", seg.name, seg.cidr))
                    .with_help("pick an address inside the segment, or attach the interface to the right segment"),
                );
            }
            if let (Ok(IpAddr::V4(a)), (Some(lo), Some(hi))) = (ip.parse::<IpAddr>(), pool)
                && lo <= a
                && a <= hi
            {
                out.push(
                    Diagnostic::new(
                        Code::IpInLbPool,
                        format!("{ip} of `{}` lies in the MetalLB pool {lo}-{hi}", vm.name),
                        ip_span,
                        "MetalLB may hand this address to a Service",
                    )
                    .with_help("VMs take addresses outside the LoadBalancer pool"),
                );
            }
        }
        // A template named in a function every VM is made by is one mistake: reported once.
        if let Some((t, span)) = &vm.template
            && !px.templates.iter().any(|x| &x.name == t)
            && !out.iter().any(|d| d.code == Code::UnknownReference && d.primary.span == *span)
        {
            out.push(Diagnostic::new(
                Code::UnknownReference,
                format!("`{}` is cloned from template `{t}`, which is not declared", vm.name),
                *span,
                "unknown template",
            ));
        }
        if let Some(ci) = &vm.cloud_init {
            for k in &ci.ssh_keys {
                if !px.ssh_keys.iter().any(|x| &x.name == k) {
                    out.push(Diagnostic::new(
                        Code::UnknownReference,
                        format!("`{}` allows SSH key `{k}`, which is not declared", vm.name),
                        ci.span,
                        "unknown ssh_key",
                    ));
                }
            }
        }
    }
    capacity(model, out);
    passthrough(model, out);
    machines_and_disks(model, out);
    references(model, out);
    stray_references(model, out);
}

/// Whether a machine type is q35 (`q35`, or a pinned `pc-q35-<version>`, with options after a
/// comma).
fn is_q35(machine: &str) -> bool {
    let m = machine.split(',').next().unwrap_or_default();
    m == "q35" || m.starts_with("pc-q35-")
}

/// E0608: PCIe passthrough needs q35; E0609: an I/O thread needs `virtio-scsi-single`.
fn machines_and_disks(model: &Model, out: &mut Vec<Diagnostic>) {
    for vm in &model.proxmox.vms {
        if let Some(dev) = vm.pci.first()
            && !vm.machine.as_deref().is_some_and(is_q35)
        {
            let mut d = Diagnostic::new(
                Code::PassthroughWithoutQ35,
                format!("`{}` passes `{dev}` through as PCIe without the q35 machine type", vm.name),
                vm.values.at("pci", vm.pci_span),
                "passed through with `pcie=1`",
            );
            d = match &vm.machine {
                Some(m) => {
                    d.with_label(vm.values.at("machine", vm.machine_span), format!("machine `{m}` has no PCIe bus"))
                }
                None => d,
            };
            out.push(d.with_help("set `machine = \"q35\"`: Proxmox starts a `pcie=1` device only on a q35 machine"));
        }
        if vm.scsihw != "virtio-scsi-single" {
            for disk in vm.disks.iter().filter(|d| d.iothread) {
                let mut d = Diagnostic::new(
                    Code::IothreadWithoutSingle,
                    format!(
                        "disk {} of `{}` has an I/O thread, which Proxmox ignores on a `{}` controller",
                        disk.slot, vm.name, vm.scsihw
                    ),
                    disk.span,
                    "`iothread = true`",
                );
                if vm.scsihw_span != vm.span {
                    d = d.with_label(vm.scsihw_span, format!("`{}`", vm.scsihw));
                }
                out.push(d.with_help("set `scsihw = virtio-scsi-single` on the VM, or drop `iothread`"));
            }
        }
    }
}

/// Whether a snippet name is a plain file name, fit for `proxmox/snippets/<name>.ctmpl` and the
/// host's `/var/lib/vz/snippets/<name>`.
fn valid_snippet_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 200
        && !name.starts_with('.')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

/// E0208: a snippet name is a plain file name; E0403: two templates do not write the same
/// snippet; E0610: every template's user data parses into text and references.
fn references(model: &Model, out: &mut Vec<Diagnostic>) {
    let mut snippets: BTreeMap<&str, (&str, Span)> = BTreeMap::new();
    for t in &model.proxmox.templates {
        if !valid_snippet_name(&t.snippet) {
            out.push(
                Diagnostic::new(
                    Code::InvalidValue,
                    format!("snippet `{}` of template `{}` is not a plain file name", t.snippet, t.name),
                    t.span,
                    "not a file name",
                )
                .with_help("a snippet is a file in the host's `local:snippets/`: letters, digits, `.`, `_` and `-`"),
            );
        } else if let Some((other, span)) = snippets.get(t.snippet.as_str()) {
            out.push(
                Diagnostic::new(
                    Code::OutputCollision,
                    format!("templates `{other}` and `{}` both write snippet `{}`", t.name, t.snippet),
                    t.span,
                    format!("`{}`", t.name),
                )
                .with_label(*span, format!("`{other}`"))
                .with_help("give each template its own snippet; templates that share user data share a function"),
            );
        } else {
            snippets.insert(t.snippet.as_str(), (t.name.as_str(), t.span));
        }
        if let Err(e) = &t.user_data {
            out.push(
                Diagnostic::new(
                    Code::MalformedReference,
                    format!("the user data of template `{}` has a malformed reference: {e}", t.name),
                    t.user_data_span,
                    "malformed reference",
                )
                .with_help(
                    "write references with `render_vault`, `render_env`, `render_file` and `render_base64`, \
                     and use their results whole",
                ),
            );
        }
    }
}

/// The first and last address of an IPv4 network of /30 or larger cannot be hosts.
fn is_network_or_broadcast(addr: IpAddr, net: IpAddr, len: u8) -> bool {
    match (addr, net) {
        (IpAddr::V4(a), IpAddr::V4(n)) if len <= 30 => {
            let mask = if len == 0 { 0 } else { u32::MAX << (32 - u32::from(len)) };
            let base = u32::from(n) & mask;
            let a = u32::from(a);
            a == base || a == base | !mask
        }
        _ => false,
    }
}

fn in_network(addr: IpAddr, net: IpAddr, len: u8) -> bool {
    match (addr, net) {
        (IpAddr::V4(a), IpAddr::V4(n)) => {
            let mask = if len == 0 { 0 } else { u32::MAX << (32 - u32::from(len)) };
            u32::from(a) & mask == u32::from(n) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(n)) => {
            let mask = if len == 0 { 0 } else { u128::MAX << (128 - u32::from(len)) };
            u128::from(a) & mask == u128::from(n) & mask
        }
        _ => false,
    }
}

fn capacity(model: &Model, out: &mut Vec<Diagnostic>) {
    let px = &model.proxmox;
    let Some(host) = &px.host else { return };
    let running: Vec<&hl_model::Vm> = px.vms.iter().filter(|v| v.running).collect();
    let vcpus: i64 = running.iter().map(|v| v.cores * v.sockets).sum();
    let memory: u64 = running.iter().filter_map(|v| parse_bytes(&v.memory)).sum();
    let gib = |b: u64| b / (1024 * 1024 * 1024);
    if host.threads > 0 && vcpus as f64 > host.threads as f64 * host.cpu_overcommit {
        out.push(
            Diagnostic::new(
                Code::HostOvercommit,
                format!(
                    "running VMs have {vcpus} vCPUs on {} threads ({:.1}x, allowed {:.1}x)",
                    host.threads,
                    vcpus as f64 / host.threads as f64,
                    host.cpu_overcommit
                ),
                host.span,
                "the PVE host",
            )
            .with_help("shrink VMs, stop some, or raise `cpu_overcommit` on the host if this is intended"),
        );
    }
    if host.memory_bytes > 0 && memory as f64 > host.memory_bytes as f64 * host.memory_overcommit {
        out.push(
            Diagnostic::new(
                Code::HostOvercommit,
                format!(
                    "running VMs have {}Gi of memory on a {}Gi host (allowed {:.1}x)",
                    gib(memory),
                    gib(host.memory_bytes),
                    host.memory_overcommit
                ),
                host.span,
                "the PVE host",
            )
            .with_help("shrink or stop VMs; raise `memory_overcommit` on the host only if ballooning covers it"),
        );
    }
}

fn passthrough(model: &Model, out: &mut Vec<Diagnostic>) {
    let px = &model.proxmox;
    let devices: Vec<&(String, String)> = px.host.iter().flat_map(|h| h.pci.iter()).collect();
    // Owners by PCI address: two names for one address are still one device.
    let mut owner: BTreeMap<&str, (&str, &str, Span)> = BTreeMap::new();
    for vm in px.vms.iter() {
        for (i, dev) in vm.pci.iter().enumerate() {
            let Some((_, addr)) = devices.iter().find(|(n, _)| n == dev) else {
                out.push(Diagnostic::new(
                    Code::UnknownReference,
                    format!("`{}` passes through `{dev}`, which the host does not declare", vm.name),
                    vm.values.at(&format!("pci[{i}]"), vm.pci_span),
                    "unknown PCI device",
                ));
                continue;
            };
            match owner.get(addr.as_str()) {
                Some((other, _, _)) if *other == vm.name => {}
                Some((other, other_dev, span)) => out.push(
                    Diagnostic::new(
                        Code::PciShared,
                        format!("PCI device {addr} is passed through to `{other}` and `{}`", vm.name),
                        vm.pci_span,
                        format!("`{}` takes `{dev}`", vm.name),
                    )
                    .with_label(*span, format!("`{other}` takes `{other_dev}`"))
                    .with_help(
                        "a passed-through device belongs to one VM; the GPU is shared inside Kubernetes instead",
                    ),
                ),
                None => {
                    owner.insert(addr.as_str(), (vm.name.as_str(), dev.as_str(), vm.pci_span));
                }
            }
        }
    }
}

/// Whether a value's `Debug` text holds a render-time reference marker (`Debug` escapes the
/// noncharacters as `\u{fdd0}`; the raw character is looked for too).
fn holds_reference<T: std::fmt::Debug>(value: &T) -> bool {
    let text = format!("{value:?}");
    text.contains("\\u{fdd0}") || text.contains(hl_model::render::OPEN)
}

/// E0610: a render-time reference anywhere but a template's user data would reach the output
/// as marker characters (only the snippet turns references into template syntax).
fn stray_references(model: &Model, out: &mut Vec<Diagnostic>) {
    let px = &model.proxmox;
    let stray = px
        .vms
        .iter()
        .filter(holds_reference)
        .map(|v| (format!("VM `{}`", v.name), v.span))
        .chain(
            px.templates
                .iter()
                .filter(|t| holds_reference(&(&t.image_path, &t.image_url, &t.snippet, &t.bridge, &t.storage)))
                .map(|t| (format!("template `{}` outside its user data", t.name), t.span)),
        )
        .chain(px.segments.iter().filter(holds_reference).map(|s| (format!("segment `{}`", s.name), s.span)));
    for (what, span) in stray {
        out.push(stray_reference(what, span));
    }
}

fn stray_reference(what: String, span: Span) -> Diagnostic {
    Diagnostic::new(
        Code::MalformedReference,
        format!("{what} holds a render-time reference; only a VM template's user data may hold one"),
        span,
        "a `render_*` reference here",
    )
    .with_help(
        "`render_vault`, `render_env`, `render_file` and `render_base64` are resolved only in a snippet; \
                elsewhere use `vault(...)` (a Kubernetes ExternalSecret) or the value itself",
    )
}

/// Per-stack Proxmox rules: node selectors name Nodes that exist (reading the host's VMs), and
/// no render-time reference (E0610) sits in a stack, where it would reach the manifests as
/// marker characters.
pub fn nodes(cx: &Ctx<'_>, out: &mut Vec<Diagnostic>) {
    let (model, stack) = (cx.globals, cx.stack);
    if stack.holds_reference {
        out.push(stray_reference(format!("stack `{}`", stack.name), stack.span));
    }
    let k8s_nodes: Vec<&str> =
        model.proxmox.vms.iter().filter(|v| v.kubernetes_node).map(|v| v.name.as_str()).collect();
    if k8s_nodes.is_empty() {
        return;
    }
    for svc in &stack.services {
        for (k, v) in &svc.node_selector {
            if k == "kubernetes.io/hostname" && !k8s_nodes.contains(&v.as_str()) {
                let is_vm = model.proxmox.vms.iter().any(|vm| &vm.name == v);
                let msg = if is_vm {
                    format!("`{}` is pinned to `{v}`, a VM that is not a Kubernetes Node", svc.name)
                } else {
                    format!("`{}` is pinned to Node `{v}`, which no VM declares", svc.name)
                };
                // At the Node's name as written in the selector.
                let at = svc.values.at(&format!("node_selector[{k}]"), svc.span);
                let mut d = Diagnostic::new(Code::UnknownNode, msg, at, "unknown Node");
                d = match did_you_mean(v, k8s_nodes.iter().copied()) {
                    Some(s) => d.with_help(format!("did you mean `{s}`?")),
                    None => d.with_help(format!("the Nodes are {}", k8s_nodes.join(", "))),
                };
                out.push(d);
            }
        }
    }
}
