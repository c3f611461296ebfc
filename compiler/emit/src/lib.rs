//! Emitters: the domain model to output files.
//!
//! Invariants: no IO (emitters return [`Artifact`]s; only the CLI writes them); output is a
//! pure function of the model, byte-identical on every run (maps are sorted or built in
//! declaration order, YAML keys follow the typed structs); every path is relative and stays
//! inside the output directory.

mod backup;
mod k8s;
mod proxmox;
mod yaml;

use hl_diagnostics::{Diagnostic, Span};

pub use backup::{service_unit, timer_unit, unit_name};
pub use k8s::{chain, emit_stack, flux_kustomization, kustomization};
pub use proxmox::{cloud_init, vm_spec};

/// One output file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Artifact {
    /// Relative path with `/` separators, e.g. `k8s/freshrss/deployment-freshrss.yaml`.
    pub path: String,
    pub contents: String,
}

/// One emitted Kubernetes object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Object {
    pub api_version: String,
    pub kind: String,
    pub name: String,
    pub namespace: Option<String>,
    pub yaml: String,
    /// The declaration this object comes from.
    pub origin: Span,
}

impl Object {
    /// The file name of this object inside its stack directory: `<kind>-<name>.yaml`, with
    /// the namespace added when two objects of one kind share a name.
    pub fn file_name(&self) -> String {
        format!("{}-{}.yaml", self.kind.to_ascii_lowercase(), self.name)
    }
}

/// The objects of one stack plus diagnostics found while emitting them.
pub struct StackOutput {
    pub objects: Vec<Object>,
    pub diagnostics: Vec<Diagnostic>,
}
