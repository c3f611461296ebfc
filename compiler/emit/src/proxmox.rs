//! Proxmox VM specs: the parameters of the Proxmox API (`POST /nodes/{node}/qemu`, which `qm
//! create` takes too) and `#cloud-config` user data.

use hl_model::{Proxmox, Vm};
use serde_json::{Map, Value as Json, json};

use crate::yaml::to_yaml;

/// `out/proxmox/<vm>.json`: `{"node", "vmid", "clone"?, "params": {...}}`, where `params` are
/// the API parameter names and value syntax. SSH keys are references to Vault, never values.
pub fn vm_spec(vm: &Vm, px: &Proxmox) -> String {
    let node = px.host.as_ref().map_or("pve", |h| h.node.as_str());
    let mut p = Map::new();
    p.insert("vmid".into(), json!(vm.vmid));
    p.insert("name".into(), json!(vm.name));
    p.insert("cores".into(), json!(vm.cores));
    p.insert("sockets".into(), json!(vm.sockets));
    p.insert("memory".into(), json!(hl_model::parse_bytes(&vm.memory).map_or(0, |b| b / (1024 * 1024))));
    p.insert("balloon".into(), json!(vm.balloon));
    p.insert("cpu".into(), json!(vm.cpu));
    if let Some(m) = &vm.machine {
        p.insert("machine".into(), json!(m));
    }
    p.insert("ostype".into(), json!("l26"));
    p.insert("scsihw".into(), json!("virtio-scsi-pci"));
    for d in &vm.disks {
        let gib = hl_model::parse_bytes(&d.size).map_or(0, |b| b.div_ceil(1024 * 1024 * 1024));
        let mut v = format!("{}:{gib}", d.storage);
        if d.discard {
            v.push_str(",discard=on");
        }
        if d.ssd {
            v.push_str(",ssd=1");
        }
        p.insert(d.slot.clone(), json!(v));
    }
    for (i, n) in vm.nics.iter().enumerate() {
        let seg = px.segments.iter().find(|s| s.name == n.segment);
        let mut v = String::from("virtio");
        if let Some(mac) = &n.mac {
            v = format!("virtio={mac}");
        }
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
    if let Some(ci) = &vm.cloud_init {
        p.insert("ide2".into(), json!("local-lvm:cloudinit"));
        p.insert("ciuser".into(), json!(ci.user));
        p.insert("cicustom".into(), json!(format!("user=local:snippets/{}.cloud-init.yaml", vm.name)));
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
    doc.insert("node".into(), json!(node));
    doc.insert("vmid".into(), json!(vm.vmid));
    if let Some((t, _)) = &vm.template
        && let Some(tpl) = px.templates.iter().find(|x| &x.name == t)
    {
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
    let mut s = serde_json::to_string_pretty(&Json::Object(doc)).unwrap_or_default();
    s.push('\n');
    s
}

/// `out/proxmox/<vm>.cloud-init.yaml`: `#cloud-config` user data. Authorized keys come from
/// Vault when the snippet is installed; this file names where, not what. `None` for a VM
/// without `cloud_init`.
pub fn cloud_init(vm: &Vm, px: &Proxmox) -> Option<String> {
    let ci = vm.cloud_init.as_ref()?;
    let mut user = Map::new();
    user.insert("name".into(), json!(ci.user));
    user.insert("sudo".into(), json!("ALL=(ALL) NOPASSWD:ALL"));
    user.insert("shell".into(), json!("/bin/bash"));
    let mut doc = Map::new();
    doc.insert("hostname".into(), json!(vm.name));
    if let Some(d) = vm
        .nics
        .first()
        .and_then(|n| px.segments.iter().find(|s| s.name == n.segment))
        .and_then(|s| s.search_domain.as_ref())
    {
        doc.insert("fqdn".into(), json!(format!("{}.{d}", vm.name)));
    }
    doc.insert("users".into(), json!([Json::Object(user)]));
    if !ci.packages.is_empty() {
        doc.insert("packages".into(), json!(ci.packages));
    }
    if !ci.runcmd.is_empty() {
        doc.insert("runcmd".into(), json!(ci.runcmd));
    }
    let mut out = String::from("#cloud-config\n");
    for k in &ci.ssh_keys {
        if let Some(r) = px.ssh_keys.iter().find(|x| &x.name == k) {
            out.push_str(&format!("# ssh_authorized_keys for {}: Vault {} property {}\n", ci.user, r.key, r.property));
        }
    }
    out.push_str(&to_yaml(&Json::Object(doc)));
    Some(out)
}
