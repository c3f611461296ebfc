//! The Proxmox side: the VM templates (creation parameters in the Proxmox API's names, `POST
//! /nodes/{node}/qemu`, which `qm create` takes too), their cloud-init snippets as
//! consul-template templates, the inventory of every VM, and creation parameters for the VMs
//! the workspace marks `managed`.
//!
//! Invariant: no secret value is ever in the output. A template's user data holds references
//! (`hl_model::render`); the snippet turns each into consul-template syntax, resolved when the
//! snippet is rendered at install time, and everything else is escaped so that the template
//! engine writes it back unchanged.

use hl_model::render::{Piece, RenderRef};
use hl_model::{Balloon, Proxmox, Vm, VmTemplate};
use serde_json::{Map, Value as Json, json};

/// Every Proxmox file: `proxmox/templates/<template>.json` and `proxmox/snippets/<snippet>.ctmpl`
/// per template (no snippet when its user data is malformed), `proxmox/inventory.json` when
/// there are VMs, and `proxmox/vms/<vm>.json` per `managed` VM.
pub fn proxmox_artifacts(px: &Proxmox) -> Vec<crate::Artifact> {
    let mut out = Vec::new();
    for t in &px.templates {
        out.push(crate::Artifact {
            path: format!("proxmox/templates/{}.json", t.name),
            contents: template_spec(t, px),
        });
        if let Ok(pieces) = &t.user_data {
            out.push(crate::Artifact { path: snippet_path(t), contents: snippet_text(pieces) });
        }
    }
    if !px.vms.is_empty() {
        out.push(crate::Artifact { path: "proxmox/inventory.json".into(), contents: inventory(px) });
    }
    for vm in px.vms.iter().filter(|v| v.managed) {
        out.push(crate::Artifact { path: format!("proxmox/vms/{}.json", vm.name), contents: vm_spec(vm, px) });
    }
    out
}

/// The host's directory of snippets (Proxmox's `local:snippets/`).
const SNIPPETS_DIR: &str = "/var/lib/vz/snippets";

fn mib(quantity: &str) -> u64 {
    hl_model::parse_bytes(quantity).map_or(0, |b| b / (1024 * 1024))
}

fn node(px: &Proxmox) -> &str {
    px.host.as_ref().map_or("pve", |h| h.node.as_str())
}

fn pretty(doc: Json) -> String {
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_default();
    s.push('\n');
    s
}

/// The path of a template's snippet template in the output: `proxmox/snippets/<snippet>.ctmpl`.
pub fn snippet_path(t: &VmTemplate) -> String {
    format!("proxmox/snippets/{}.ctmpl", t.snippet)
}

/// The command that renders a template's snippet: run in the homelab's repository (where the
/// `render_file` paths are, `secrets/*.pem` with git-crypt unlocked), with `VAULT_ADDR`,
/// `VAULT_TOKEN` and the environment variables the snippet reads set, and `HLC_OUT` the output
/// directory. It writes the rendered snippet to the current directory; [`install_command`]
/// copies it to the host, as the Terraform's `upload_cloud_init` did.
pub fn render_command(t: &VmTemplate) -> String {
    format!("consul-template -once -template \"$HLC_OUT/proxmox/snippets/{0}.ctmpl:{0}\"", t.snippet)
}

/// The command that puts a rendered snippet where Proxmox reads it (`local:snippets/`).
pub fn install_command(t: &VmTemplate, px: &Proxmox) -> String {
    let host = px.host.as_ref().map_or("<pve host>", |h| h.ip.as_str());
    format!("scp {0} root@{host}:{SNIPPETS_DIR}/{0}", t.snippet)
}

/// `proxmox/templates/<name>.json`: what to create on the host for a template, `{"node",
/// "vmid", "name", "image": {"path", "url"}, "params": {...}, "convert", "snippet": {...}}`.
/// `params` are `POST /nodes/{node}/qemu`'s (the module's `qm create`, `importdisk` and `set`
/// in one call: the disk is imported with `import-from`); `convert` is the call that makes the
/// VM a template (`qm template`); `snippet` names the snippet's template, where it goes on the
/// host, the commands that render and install it and the references it reads.
pub fn template_spec(t: &VmTemplate, px: &Proxmox) -> String {
    let node = node(px);
    let mut p = Map::new();
    p.insert("vmid".into(), json!(t.vmid));
    p.insert("name".into(), json!(t.name));
    p.insert("memory".into(), json!(mib(&t.memory)));
    p.insert("cores".into(), json!(t.cores));
    p.insert("net0".into(), json!(format!("virtio,bridge={}", t.bridge)));
    p.insert("scsihw".into(), json!(t.scsihw));
    p.insert("scsi0".into(), json!(format!("{}:0,import-from={}", t.storage, t.image_path)));
    p.insert("ide2".into(), json!(format!("{}:cloudinit", t.storage)));
    p.insert("boot".into(), json!("c"));
    p.insert("bootdisk".into(), json!("scsi0"));
    p.insert("serial0".into(), json!("socket"));
    p.insert("vga".into(), json!("serial0"));
    let references: Vec<Json> = match &t.user_data {
        Ok(pieces) => hl_model::render::inputs(pieces).iter().map(reference_json).collect(),
        Err(_) => Vec::new(),
    };
    pretty(json!({
        "node": node,
        "vmid": t.vmid,
        "name": t.name,
        "image": { "path": t.image_path, "url": t.image_url },
        "params": Json::Object(p),
        "convert": format!("/nodes/{node}/qemu/{}/template", t.vmid),
        "snippet": {
            "template": format!("snippets/{}.ctmpl", t.snippet),
            "path": format!("{SNIPPETS_DIR}/{}", t.snippet),
            "render": render_command(t),
            "install": install_command(t, px),
            "references": references,
        },
    }))
}

fn reference_json(r: &RenderRef) -> Json {
    match r {
        RenderRef::Vault { mount, name, property } => {
            json!({ "vault": format!("{mount}/data/{name}"), "property": property })
        }
        RenderRef::Env(name) => json!({ "env": name }),
        RenderRef::File(path) => json!({ "file": path }),
        RenderRef::Base64(_) => Json::Null,
    }
}

/// The snippet of a template as a consul-template (Go template) text: the user data with each
/// reference turned into an action and every `{` that the engine could read as the start of
/// one written through an action that prints it. `None` when the user data is malformed
/// (E0610 reports it, and nothing is emitted).
///
/// ```
/// use hl_model::render::{Piece, RenderRef};
///
/// let pieces = vec![
///     Piece::Text("key: {{ not a reference }}\njoin: ".into()),
///     Piece::Ref(RenderRef::Env("K8S_JOIN_COMMAND".into())),
/// ];
/// assert_eq!(
///     hl_emit::snippet_text(&pieces),
///     "key: {{\"{{\"}} not a reference }}\njoin: {{ mustEnv \"K8S_JOIN_COMMAND\" }}"
/// );
/// ```
pub fn snippet_text(pieces: &[Piece]) -> String {
    let mut out = String::new();
    for (i, p) in pieces.iter().enumerate() {
        match p {
            Piece::Text(t) => escape_text(t, i + 1 < pieces.len(), &mut out),
            Piece::Ref(RenderRef::Vault { mount, name, property }) => out.push_str(&format!(
                "{{{{ with secret {} }}}}{{{{ index .Data.data {} }}}}{{{{ end }}}}",
                go_quote(&format!("{mount}/data/{name}")),
                go_quote(property)
            )),
            Piece::Ref(RenderRef::Base64(inner)) if hl_model::render::inputs(inner).is_empty() => {
                let text: String = inner.iter().map(|p| if let Piece::Text(t) = p { t.as_str() } else { "" }).collect();
                escape_text(&hl_eval::base64_encode(text.as_bytes()), i + 1 < pieces.len(), &mut out);
            }
            Piece::Ref(r) => out.push_str(&format!("{{{{ {} }}}}", expression(r))),
        }
    }
    out
}

/// `pieces` as one Go template expression (operands of `print`).
fn operands(pieces: &[Piece]) -> String {
    let parts: Vec<String> = pieces
        .iter()
        .map(|p| match p {
            Piece::Text(t) => go_quote(t),
            Piece::Ref(r) => format!("({})", expression(r)),
        })
        .collect();
    if parts.is_empty() { "\"\"".into() } else { parts.join(" ") }
}

/// A reference as a Go template expression that yields its text.
fn expression(r: &RenderRef) -> String {
    match r {
        RenderRef::Vault { mount, name, property } => {
            format!("index (secret {}).Data.data {}", go_quote(&format!("{mount}/data/{name}")), go_quote(property))
        }
        RenderRef::Env(name) => format!("mustEnv {}", go_quote(name)),
        RenderRef::File(path) => format!("file {}", go_quote(path)),
        RenderRef::Base64(inner) => format!("print {} | base64Encode", operands(inner)),
    }
}

/// Text written so that the template engine prints it unchanged: a run of `{` that would start
/// an action (two or more, or one right before an action of ours) is printed by an action.
fn escape_text(text: &str, action_follows: bool, out: &mut String) {
    let mut rest = text;
    while let Some(at) = rest.find('{') {
        out.push_str(&rest[..at]);
        let run = rest[at..].chars().take_while(|&c| c == '{').count();
        let at_end = at + run == rest.len();
        if run >= 2 || (at_end && action_follows) {
            out.push_str(&format!("{{{{{}}}}}", go_quote(&"{".repeat(run))));
        } else {
            out.push_str(&"{".repeat(run));
        }
        rest = &rest[at + run..];
    }
    out.push_str(rest);
}

/// A Go interpreted string literal.
fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn disk_value(d: &hl_model::VmDisk) -> String {
    let gib = hl_model::parse_bytes(&d.size).map_or(0, |b| b.div_ceil(1024 * 1024 * 1024));
    let mut v = format!("{}:{gib}", d.storage);
    if let Some(aio) = &d.aio {
        v.push_str(&format!(",aio={aio}"));
    }
    if d.discard {
        v.push_str(",discard=on");
    }
    if d.iothread {
        v.push_str(",iothread=1");
    }
    if let Some(m) = d.mbps_rd {
        v.push_str(&format!(",mbps_rd={m}"));
    }
    if let Some(m) = d.mbps_wr {
        v.push_str(&format!(",mbps_wr={m}"));
    }
    if d.ssd {
        v.push_str(",ssd=1");
    }
    v
}

fn balloon_json(b: Option<&Balloon>) -> Json {
    match b {
        None => Json::Null,
        Some(Balloon::Off) => json!("off"),
        Some(Balloon::On) => json!("on"),
        Some(Balloon::Min(q)) => json!({ "min_mib": mib(q) }),
    }
}

/// `proxmox/inventory.json`: every VM as the workspace records it, managed or not, `{"node",
/// "vms": [...]}` in declaration order. Memory is in MiB, disk sizes in GiB; `balloon` is
/// `"off"`, `"on"`, `{"min_mib": n}` or `null` (not recorded); `machine` is `null` for
/// Proxmox's default.
pub fn inventory(px: &Proxmox) -> String {
    let devices: Vec<&(String, String)> = px.host.iter().flat_map(|h| h.pci.iter()).collect();
    let vms: Vec<Json> = px
        .vms
        .iter()
        .map(|vm| {
            let nics: Vec<Json> = vm
                .nics
                .iter()
                .map(|n| {
                    let seg = px.segments.iter().find(|s| s.name == n.segment);
                    json!({
                        "slot": n.slot,
                        "segment": n.segment,
                        "bridge": seg.map(|s| s.bridge.as_str()),
                        "vlan": seg.and_then(|s| s.vlan),
                        "ip": n.ip,
                        "mac": n.mac,
                    })
                })
                .collect();
            let disks: Vec<Json> = vm
                .disks
                .iter()
                .map(|d| {
                    json!({
                        "slot": d.slot,
                        "storage": d.storage,
                        "size_gib": hl_model::parse_bytes(&d.size).map_or(0, |b| b.div_ceil(1024 * 1024 * 1024)),
                        "ssd": d.ssd,
                        "discard": d.discard,
                        "iothread": d.iothread,
                        "aio": d.aio,
                        "mbps_rd": d.mbps_rd,
                        "mbps_wr": d.mbps_wr,
                    })
                })
                .collect();
            let passthrough: Vec<Json> = vm
                .pci
                .iter()
                .map(|dev| {
                    let addr = devices.iter().find(|(n, _)| n == dev).map(|(_, a)| a.as_str());
                    json!({ "device": dev, "address": addr })
                })
                .collect();
            json!({
                "vmid": vm.vmid,
                "name": vm.name,
                "managed": vm.managed,
                "running": vm.running,
                "onboot": vm.onboot,
                "ostype": vm.ostype,
                "machine": vm.machine,
                "cores": vm.cores,
                "sockets": vm.sockets,
                "memory_mib": mib(&vm.memory),
                "balloon": balloon_json(vm.balloon.as_ref()),
                "scsihw": vm.scsihw,
                "disks": disks,
                "nics": nics,
                "addresses": vm.nics.iter().filter_map(|n| n.ip.clone()).collect::<Vec<_>>(),
                "passthrough": passthrough,
                "template": vm.template.as_ref().map(|(t, _)| t),
                "kubernetes_node": vm.kubernetes_node,
                "tags": vm.tags,
                "description": vm.description,
            })
        })
        .collect();
    pretty(json!({ "node": node(px), "vms": vms }))
}

/// `proxmox/vms/<vm>.json` for a `managed` VM: `{"node", "vmid", "clone"?, "sshkeys_from"?,
/// "params": {...}}`, where `params` are the API parameter names and value syntax. A VM cloned
/// from a template with a snippet uses it as its user data (`cicustom`); SSH keys are
/// references to Vault, never values.
pub fn vm_spec(vm: &Vm, px: &Proxmox) -> String {
    let mut p = Map::new();
    p.insert("vmid".into(), json!(vm.vmid));
    p.insert("name".into(), json!(vm.name));
    p.insert("cores".into(), json!(vm.cores));
    p.insert("sockets".into(), json!(vm.sockets));
    p.insert("memory".into(), json!(mib(&vm.memory)));
    match &vm.balloon {
        Some(Balloon::Off) => {
            p.insert("balloon".into(), json!(0));
        }
        Some(Balloon::Min(q)) => {
            p.insert("balloon".into(), json!(mib(q)));
        }
        Some(Balloon::On) | None => {}
    }
    p.insert("cpu".into(), json!(vm.cpu));
    if let Some(m) = &vm.machine {
        p.insert("machine".into(), json!(m));
    }
    p.insert("ostype".into(), json!(vm.ostype));
    p.insert("scsihw".into(), json!(vm.scsihw));
    for d in &vm.disks {
        p.insert(d.slot.clone(), json!(disk_value(d)));
    }
    for (i, n) in vm.nics.iter().enumerate() {
        let seg = px.segments.iter().find(|s| s.name == n.segment);
        let mut v = match &n.mac {
            Some(mac) => format!("virtio={mac}"),
            None => String::from("virtio"),
        };
        if let Some(seg) = seg {
            v.push_str(&format!(",bridge={}", seg.bridge));
            if let Some(tag) = seg.vlan {
                v.push_str(&format!(",tag={tag}"));
            }
        }
        p.insert(n.slot.clone(), json!(v));
        let ipconfig = match (&n.ip, seg) {
            (Some(ip), Some(seg)) => {
                let prefix = seg.cidr.split_once('/').map_or("24", |(_, l)| l);
                match &seg.gateway {
                    Some(gw) => format!("ip={ip}/{prefix},gw={gw}"),
                    None => format!("ip={ip}/{prefix}"),
                }
            }
            _ => "ip=dhcp".to_string(),
        };
        p.insert(format!("ipconfig{i}"), json!(ipconfig));
    }
    if let Some(seg) = vm.nics.first().and_then(|n| px.segments.iter().find(|s| s.name == n.segment)) {
        if !seg.nameservers.is_empty() {
            p.insert("nameserver".into(), json!(seg.nameservers.join(" ")));
        }
        if let Some(d) = &seg.search_domain {
            p.insert("searchdomain".into(), json!(d));
        }
    }
    let template = vm.template.as_ref().and_then(|(t, _)| px.templates.iter().find(|x| &x.name == t));
    if let Some(tpl) = template {
        p.insert("cicustom".into(), json!(format!("user=local:snippets/{}", tpl.snippet)));
    }
    if let Some(ci) = &vm.cloud_init {
        p.entry("ide2").or_insert_with(|| json!("local-lvm:cloudinit"));
        p.insert("ciuser".into(), json!(ci.user));
    }
    let devices = px.host.iter().flat_map(|h| h.pci.iter());
    let mut pci_index = 0;
    for dev in &vm.pci {
        if let Some((_, addr)) = devices.clone().find(|(n, _)| n == dev) {
            p.insert(format!("hostpci{pci_index}"), json!(format!("{addr},pcie=1")));
            pci_index += 1;
        }
    }
    if let Some(first) = vm.disks.first() {
        p.insert("boot".into(), json!(format!("order={}", first.slot)));
    }
    p.insert("agent".into(), json!("1"));
    p.insert("serial0".into(), json!("socket"));
    p.insert("onboot".into(), json!(u8::from(vm.onboot)));
    if !vm.tags.is_empty() {
        p.insert("tags".into(), json!(vm.tags.join(";")));
    }
    if let Some(d) = &vm.description {
        p.insert("description".into(), json!(d));
    }
    let mut doc = Map::new();
    doc.insert("node".into(), json!(node(px)));
    doc.insert("vmid".into(), json!(vm.vmid));
    if let Some(tpl) = template {
        doc.insert("clone".into(), json!({ "template": tpl.vmid, "full": true }));
    }
    if let Some(ci) = &vm.cloud_init {
        let refs: Vec<Json> = ci
            .ssh_keys
            .iter()
            .filter_map(|k| px.ssh_keys.iter().find(|x| &x.name == k))
            .map(|k| json!({ "vault": k.key, "property": k.property }))
            .collect();
        if !refs.is_empty() {
            doc.insert("sshkeys_from".into(), Json::Array(refs));
        }
    }
    doc.insert("params".into(), Json::Object(p));
    pretty(Json::Object(doc))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_braces_that_could_open_an_action() {
        let mut out = String::new();
        escape_text("a { b {{ c }} {{{ d", false, &mut out);
        assert_eq!(out, "a { b {{\"{{\"}} c }} {{\"{{{\"}} d");
        let mut out = String::new();
        escape_text("x {", true, &mut out);
        assert_eq!(out, "x {{\"{\"}}");
        let mut out = String::new();
        escape_text("x {", false, &mut out);
        assert_eq!(out, "x {");
    }

    #[test]
    fn base64_with_and_without_references() {
        let plain = vec![Piece::Ref(RenderRef::Base64(vec![Piece::Text("hello".into())]))];
        assert_eq!(snippet_text(&plain), "aGVsbG8=");
        let with_ref = vec![Piece::Ref(RenderRef::Base64(vec![
            Piece::Text("pw: \"".into()),
            Piece::Ref(RenderRef::Vault { mount: "secret".into(), name: "infra".into(), property: "p".into() }),
            Piece::Text("\"\n".into()),
        ]))];
        assert_eq!(
            snippet_text(&with_ref),
            "{{ print \"pw: \\\"\" (index (secret \"secret/data/infra\").Data.data \"p\") \"\\\"\\n\" | base64Encode }}"
        );
        assert_eq!(hl_eval::base64_encode(b"ab"), "YWI=");
    }
}
