//! The rules, one module per area of the homelab's conventions.
//!
//! Almost every rule is about one stack and runs in [`run_stack`], which sees that stack, the
//! workspace's globals and the stack's [`StackView`] of the others. What is about no stack (the
//! Proxmox host, its VMs, the host's backup steps among themselves) runs in [`run_global`].

mod images;
mod ingress;
mod namespaces;
mod network;
mod owners;
mod proxmox;
mod secrets;
mod storage;
mod workloads;

use std::sync::Arc;

use hl_diagnostics::Diagnostic;
use hl_model::{Model, Stack};

use crate::StackView;

/// What a per-stack rule reads.
pub struct Ctx<'a> {
    /// The workspace; its `stacks` are not read.
    pub globals: &'a Model,
    pub view: &'a StackView,
    pub stack: &'a Stack,
    /// Another stack by name, for the labels that point into it.
    pub other: &'a dyn Fn(&str) -> Option<Arc<Stack>>,
    /// Findings of this stack that another stack waives (a backup overlap, which either side
    /// may waive), with that stack's name and reason.
    pub waived_by_other: &'a std::cell::RefCell<Vec<(Diagnostic, String, String)>>,
    /// This stack's backup-overlap findings (by message) with the other side each pairs with:
    /// a stack's name, or `host` for the PVE host's backup steps. A waiver of E0516 names it.
    pub overlap_partners: &'a std::cell::RefCell<Vec<(String, String)>>,
}

impl Ctx<'_> {
    /// Read the stack called `name`: this one, or another through the lookup. Called only to
    /// label a diagnostic, so that a check depends on another stack only when it reports one.
    pub fn with_stack<T>(&self, name: &str, f: impl FnOnce(&Stack) -> Option<T>) -> Option<T> {
        if name == self.stack.name { f(self.stack) } else { (self.other)(name).and_then(|s| f(&s)) }
    }
}

/// Every rule about one stack.
pub fn run_stack(cx: &Ctx<'_>, out: &mut Vec<Diagnostic>) {
    ingress::check(cx, out);
    storage::check(cx, out);
    namespaces::check(cx, out);
    network::check(cx, out);
    images::check(cx, out);
    secrets::check(cx, out);
    owners::check(cx, out);
    workloads::check(cx, out);
    proxmox::nodes(cx, out);
    crate::backup::check_stack(cx, out);
}

/// Every rule about the workspace as a whole (the Proxmox host, its VMs, the host's backup
/// steps); `model.stacks` is not read.
pub fn run_global(model: &Model, out: &mut Vec<Diagnostic>) {
    proxmox::check(model, out);
    crate::backup::check_global(model, out);
}

/// Whether an image names a database engine (MySQL, MariaDB, PostgreSQL, Redis, Valkey).
pub fn is_database_image(image: &str) -> bool {
    let repo = image.split(['@', ':']).next().unwrap_or(image);
    let last = repo.rsplit('/').next().unwrap_or(repo);
    ["mysql", "mariadb", "postgres", "postgresql", "redis", "valkey"].iter().any(|db| last.starts_with(db))
        || repo.contains("/postgres")
}
