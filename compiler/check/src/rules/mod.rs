//! The rules, one module per area of the homelab's conventions.

mod images;
mod ingress;
mod namespaces;
mod network;
mod owners;
mod proxmox;
mod secrets;
mod storage;

use hl_diagnostics::Diagnostic;
use hl_model::Model;

use crate::Finding;

pub fn run(model: &Model, out: &mut Vec<Finding>) {
    let mut sink = Sink { out };
    ingress::check(model, &mut sink);
    storage::check(model, &mut sink);
    namespaces::check(model, &mut sink);
    network::check(model, &mut sink);
    images::check(model, &mut sink);
    secrets::check(model, &mut sink);
    owners::check(model, &mut sink);
    proxmox::check(model, &mut sink);
    crate::backup::check(model, &mut sink);
}

/// Collects findings, each attributed to a stack.
pub struct Sink<'a> {
    out: &'a mut Vec<Finding>,
}

impl Sink<'_> {
    pub fn push(&mut self, stack: usize, diagnostic: Diagnostic) {
        self.out.push(Finding { stack: Some(stack), diagnostic });
    }

    /// A finding about the workspace as a whole (the Proxmox host, its VMs).
    pub fn push_global(&mut self, diagnostic: Diagnostic) {
        self.out.push(Finding { stack: None, diagnostic });
    }
}

/// Whether an image names a database engine (MySQL, MariaDB, PostgreSQL, Redis, Valkey).
pub fn is_database_image(image: &str) -> bool {
    let repo = image.split(['@', ':']).next().unwrap_or(image);
    let last = repo.rsplit('/').next().unwrap_or(repo);
    ["mysql", "mariadb", "postgres", "postgresql", "redis", "valkey"].iter().any(|db| last.starts_with(db))
        || repo.contains("/postgres")
}
