//! Emitters: the domain model to output files.
//!
//! Invariants: no IO (emitters return [`Artifact`]s; only the CLI writes them); output is a
//! pure function of the model, byte-identical on every run (maps are sorted or built in
//! declaration order, YAML keys follow the typed structs); every path is relative and stays
//! inside the output directory.

#![warn(missing_docs)]

mod backup;
mod k8s;
mod proxmox;
mod yaml;

use hl_diagnostics::{Diagnostic, Span};

pub use backup::{service_unit, timer_unit, unit_name};
pub use k8s::{
    ImageOwner, MANAGED_BY_LABEL, chain, emit_stack, flux_git_repository, flux_kustomization, keel_owned, kustomization,
};
pub use proxmox::{
    install_command, inventory, proxmox_artifacts, render_command, snippet_path, snippet_text, template_spec, vm_spec,
};
/// The YAML writer of every emitted file, for tools that write objects as `hlc build` does.
pub use yaml::to_yaml;

/// One output file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Artifact {
    /// Relative path with `/` separators, e.g. `k8s/freshrss/deployment-freshrss.yaml`.
    pub path: String,
    /// The whole file as text (YAML, JSON or a systemd unit), ending in a newline.
    pub contents: String,
}

/// One emitted Kubernetes object.
///
/// ```
/// use hl_diagnostics::Span;
/// use hl_emit::Object;
///
/// let pvc = Object {
///     api_version: "v1".into(),
///     kind: "PersistentVolumeClaim".into(),
///     name: "freshrss-data-proxmox".into(),
///     namespace: Some("freshrss".into()),
///     yaml: String::new(),
///     origin: Span::default(),
/// };
/// assert_eq!(pvc.file_name(), "persistentvolumeclaim-freshrss-data-proxmox.yaml");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Object {
    /// `apiVersion` (`apps/v1`, `traefik.io/v1alpha1`).
    pub api_version: String,
    /// `kind` (`Deployment`, `ExternalSecret`).
    pub kind: String,
    /// `metadata.name`.
    pub name: String,
    /// `metadata.namespace`; `None` for cluster-scoped objects (Namespaces, PersistentVolumes).
    pub namespace: Option<String>,
    /// The object as one YAML document (no `---`), ending in a newline.
    pub yaml: String,
    /// The declaration this object comes from.
    pub origin: Span,
}

impl Object {
    /// The file name of this object inside its stack directory: `<kind>-<name>.yaml`, the kind
    /// in lowercase.
    pub fn file_name(&self) -> String {
        let mut name = String::with_capacity(self.kind.len() + self.name.len() + 6);
        self.push_file_name(None, &mut name);
        name
    }

    /// Append [`Object::file_name`] to `out`, or with `namespace` given,
    /// `<kind>-<namespace>-<name>.yaml` (for an object whose kind and name recur in several
    /// namespaces of its stack).
    pub fn push_file_name(&self, namespace: Option<&str>, out: &mut String) {
        out.extend(self.kind.chars().map(|c| c.to_ascii_lowercase()));
        out.push('-');
        if let Some(ns) = namespace {
            out.push_str(ns);
            out.push('-');
        }
        // A `:` (allowed in RBAC names) is no character for a file name on every system.
        out.extend(self.name.chars().map(|c| if c == ':' { '_' } else { c }));
        out.push_str(".yaml");
    }
}

/// The objects of one stack plus diagnostics found while emitting them.
pub struct StackOutput {
    /// The objects in emission order (namespaces, then services, frontends, stack volumes,
    /// stack ingresses, stack secrets, Helm releases), each (kind, namespace, name) once.
    pub objects: Vec<Object>,
    /// Problems found while emitting: two different objects with one kind, namespace and name
    /// (E0403), and a `max_body_size` that is not a size (E0208).
    pub diagnostics: Vec<Diagnostic>,
}
