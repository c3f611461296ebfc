//! The registry of diagnostic codes.
//!
//! A code never changes meaning once published. Each has a kebab-case name, a one-line
//! summary, a default severity and a docs page (`docs/<CODE>.md`, shown by `hlc explain`).
//! A test checks that every code has a page and a ui fixture that triggers it.

use crate::Severity;

/// Static facts about one code, as listed by `hlc explain`.
#[derive(Debug)]
pub struct CodeInfo {
    /// The code as printed in reports: `E` and four digits (`E0513`). The hundreds group the
    /// codes by area: `E00xx` syntax, `E01xx` names, `E02xx` types and values, `E03xx`
    /// evaluation, `E04xx` the workspace as a whole (stacks, namespaces, references, output),
    /// `E05xx` the homelab's conventions (with the stack graph and waivers), `E06xx` the
    /// Proxmox host, `E09xx` the command line's refusals (an output directory it must not
    /// replace); those have no source span and are printed by the CLI.
    pub code: &'static str,
    /// The kebab-case name (`no-backup`), which waivers and `hlc explain` accept as well.
    pub name: &'static str,
    /// One line, starting in lowercase, saying what kind of problem the code is about; SARIF
    /// output uses it as the rule's short description.
    pub summary: &'static str,
    /// The severity a diagnostic of this code gets unless it says otherwise. A stack can
    /// waive only warnings (and not the two waiver codes, `E0591` and `E0592`).
    pub severity: Severity,
    /// The docs page (`docs/<CODE>.md`, Markdown): what the rule protects, an example and
    /// how to fix it.
    pub doc: &'static str,
}

macro_rules! codes {
    ($( $variant:ident = $code:literal $name:literal $sev:ident $summary:literal; )*) => {
        /// A diagnostic code: the stable identity of one kind of problem.
        ///
        /// Each variant has an entry in [`CODES`] with its code, name, severity and docs page.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code {
            $(
                #[doc = concat!("`", $code, "` (`", $name, "`, ", stringify!($sev), "): ", $summary, ".")]
                $variant,
            )*
        }

        /// Every code, in registry order: the order of [`Code`]'s variants, so that
        /// `CODES[code as usize]` is that code's entry.
        pub static CODES: &[CodeInfo] = &[
            $( CodeInfo {
                code: $code,
                name: $name,
                summary: $summary,
                severity: Severity::$sev,
                doc: include_str!(concat!("../docs/", $code, ".md")),
            }, )*
        ];

        impl Code {
            /// Every variant, in registry order (parallel to [`CODES`]).
            pub const ALL: &'static [Code] = &[ $( Code::$variant, )* ];

            /// The registry entry of this code.
            ///
            /// ```
            /// use hl_diagnostics::{Code, Severity};
            ///
            /// let info = Code::NoBackup.info();
            /// assert_eq!((info.code, info.name), ("E0513", "no-backup"));
            /// assert_eq!(info.severity, Severity::Warning); // a stack may waive it
            /// assert!(info.doc.starts_with("# E0513"));
            /// ```
            pub fn info(self) -> &'static CodeInfo {
                &CODES[self as usize]
            }
        }
    };
}

codes! {
    // Syntax
    SyntaxError        = "E0001" "syntax-error"          Error   "the text does not follow the hl grammar";
    NestingTooDeep     = "E0002" "nesting-too-deep"      Error   "brackets are nested deeper, or a text takes longer to read, than the compiler allows";
    InvalidText        = "E0003" "invalid-text"          Error   "the file is not valid UTF-8 text or contains NUL bytes";
    // Names and imports
    UnknownName        = "E0101" "unknown-name"          Error   "a name is used that is not defined";
    DuplicateDefinition= "E0102" "duplicate-definition"  Error   "the same name is defined twice in one scope";
    UnresolvedImport   = "E0103" "unresolved-import"     Error   "an import names a file that does not exist";
    ImportCycle        = "E0104" "import-cycle"          Error   "files import each other in a cycle";
    UnknownType        = "E0105" "unknown-type"          Error   "a type annotation names a type that does not exist";
    MissingFile        = "E0106" "missing-file"          Error   "`file` names a file that is not in the workspace";
    // Types and values
    TypeMismatch       = "E0201" "type-mismatch"         Error   "a value has a different type than the place it is used";
    WrongUnit          = "E0202" "wrong-unit"            Error   "a quantity has a unit of the wrong kind (memory where CPU is expected, ...)";
    OutOfRange         = "E0203" "out-of-range"          Error   "a number is outside the range its type allows";
    UnknownField       = "E0204" "unknown-field"         Error   "a record is given a field its schema does not have";
    MissingField       = "E0205" "missing-field"         Error   "a required field of a record is not set";
    UnknownVariant     = "E0206" "unknown-variant"       Error   "a value is not one of the variants of its enum";
    VariantPayload     = "E0207" "variant-payload"       Error   "an enum variant is missing the data it carries, or is given data it does not take";
    InvalidValue       = "E0208" "invalid-value"         Error   "a string is not a valid hostname, DNS label, IP address, image reference, ...";
    DuplicateField     = "E0209" "duplicate-field"       Error   "a field or named entry is set twice in one record";
    BadArguments       = "E0210" "bad-arguments"         Error   "a function is called with missing, extra or unknown arguments";
    NotCallable        = "E0211" "not-callable"          Error   "a value that is not a function is called";
    TemplateError      = "E0212" "template-error"        Error   "a template uses a value it is not given, or holds what templates cannot";
    InvalidYaml        = "E0213" "invalid-yaml"          Error   "`yaml` is given text that is not a YAML document";
    NotInCluster       = "E0214" "not-in-cluster"        Error   "a Namespace tier, StorageClass or cluster software (Keel) is not one the workspace's cluster declares";
    SchemaViolation    = "E0215" "schema-violation"      Error   "a manifest does not match the schema of its custom resource's CRD";
    // Evaluation
    EvaluationLimit    = "E0301" "evaluation-limit"      Error   "evaluation took more steps or deeper recursion than allowed";
    CyclicDefinition   = "E0302" "cyclic-definition"     Error   "a value is defined in terms of itself";
    EvaluationError    = "E0303" "evaluation-error"      Error   "an operation failed while evaluating (division by zero, index out of range, ...)";
    // Domain
    StateTier          = "E0401" "state-tier"            Error   "a stack's State tier disagrees with the Tier 0 bootstrap set";
    UnknownStack       = "E0402" "unknown-stack"         Error   "a stack depends on a stack that is not declared";
    OutputCollision    = "E0403" "output-collision"      Error   "two declarations (in one stack or in two) would emit the same Kubernetes object";
    UnknownNamespace   = "E0404" "unknown-namespace"     Error   "a service, frontend, ingress, volume or secret has no namespace, or one that its stack does not declare";
    UnknownReference   = "E0405" "unknown-reference"     Error   "a declaration refers to something that does not exist (a claim, volume, port, segment, template, device, owner)";
    IngressBackend     = "E0406" "ingress-backend"       Error   "an ingress has no backend Service, or names a chart's Service together with `backend`/`port` or one that hl declares";
    NamespaceOwnership = "E0407" "namespace-ownership"   Error   "a stack uses a namespace that nobody owns, owns one of Kubernetes' own namespaces, or sets an owner's setting on a namespace it only uses";
    // Domain checks: ingress auth
    AuthReason         = "E0501" "auth-reason"           Error   "an `app` or `none` ingress does not say what gates it";
    GroupsWithoutAuth  = "E0502" "groups-without-auth"   Error   "`allowed_groups` is set on an ingress whose auth is not `required`";
    UnknownGroup       = "E0503" "unknown-group"         Error   "`allowed_groups` names an Authentik group that is not declared";
    AnubisEndpoint     = "E0504" "anubis-endpoint"       Error   "Anubis fronts an ingress that serves Git, WebDAV, CalDAV, CardDAV or an API";
    InternalAllowlist  = "E0505" "internal-allowlist"    Warning "an `internal` ingress does not carry the home-LANs allow-list";
    AuthWithoutProvider = "E0506" "auth-without-provider" Error  "an ingress asks for `required` or `public` auth, and the workspace names no provider to enforce it";
    // Domain checks: storage
    LocalPath          = "E0511" "local-path"            Warning "a claim uses a StorageClass the cluster marks node-local (such as `local-path`)";
    SensitiveUnencrypted = "E0512" "sensitive-unencrypted" Error "a sensitive service keeps data on an unencrypted claim";
    NoBackup           = "E0513" "no-backup"             Warning "a claim of a StorageClass the cluster marks `needs_backup` has no backup job";
    SqliteOnNfs        = "E0514" "sqlite-on-nfs"         Error   "a SQLite database is placed on NFS";
    BackupCoverage     = "E0515" "backup-coverage"       Warning "a volume does not reach all three copies of 3-2-1 and declares no reason";
    BackupOverlap      = "E0516" "backup-overlap"        Warning "two backup jobs write to the same storage in the same minute";
    SqliteFileCopy     = "E0517" "sqlite-file-copy"      Warning "a backup job copies a SQLite database file by file instead of with `sqlite3 .backup`";
    BackupAffinity     = "E0518" "backup-affinity"       Warning "a job mounts another service's ReadWriteOnce claim without pod affinity to that service";
    // Domain checks: namespaces
    NamespaceTier      = "E0521" "namespace-tier"        Warning "a namespace has no Namespace tier";
    QuotaExceeded      = "E0522" "quota-exceeded"        Error   "the requests of a namespace exceed its tier's ResourceQuota";
    MemoryNotGuaranteed= "E0523" "memory-not-guaranteed" Warning "a memory limit differs from the request in a tier whose pods are Guaranteed";
    CustomBudget       = "E0524" "custom-budget"         Warning "a namespace opts out of its tier's ResourceQuota or LimitRange and declares none of its own";
    // Domain checks: critical path
    CriticalReplicas   = "E0531" "critical-replicas"     Error   "a Critical-path Service runs fewer than 3 replicas";
    GpuPlacement       = "E0532" "gpu-placement"         Warning "a service asks for a GPU without tolerating the GPU node's taint or being placed on it";
    // Domain checks: uniqueness
    DuplicateHost      = "E0541" "duplicate-host"        Error   "two ingresses serve the same host and path";
    LbIpOutsidePool    = "E0542" "lb-ip-outside-pool"    Error   "a LoadBalancer address is outside the MetalLB pool";
    SharedIpConflict   = "E0543" "shared-ip-conflict"    Error   "services share a LoadBalancer address without agreeing on how";
    SharedIpPort       = "E0544" "shared-ip-port"        Error   "two services on one shared address use the same port";
    // Domain checks: image ownership
    KeelOnOperator     = "E0551" "keel-on-operator"      Error   "Keel updates a workload that an operator manages";
    DiunOnPinnedDb     = "E0552" "diun-on-pinned-db"     Warning "Diun watches a pinned database image";
    ImageTwoOwners     = "E0553" "image-two-owners"      Warning "a pinned image in a Keel-enrolled namespace: Keel and hl both own it";
    // Domain checks: secrets
    LiteralSecret      = "E0561" "literal-secret"        Error   "a secret value is written in hl";
    VaultPath          = "E0562" "vault-path"            Warning "a Vault path does not follow the `secret/<service>` convention";
    // Domain checks: namespace-owners
    OwnerNamespace     = "E0571" "owner-namespace"       Error   "a namespace-owner's stack uses a namespace they do not own";
    OwnerDomain        = "E0572" "owner-domain"          Error   "a namespace-owner's ingress is outside their domains";
    OwnerImageTag      = "E0573" "owner-image-tag"       Error   "a namespace-owner's image is not pinned to a version";
    // Stack graph
    DependencyCycle    = "E0581" "dependency-cycle"      Error   "stacks depend on each other in a cycle";
    TierOrder          = "E0582" "tier-order"            Error   "a Tier 0 stack depends on a Tier 1 stack";
    ForbiddenDependency = "E0583" "forbidden-dependency" Error   "a stack depends on one the workspace forbids it to";
    // Proxmox
    DuplicateVmid      = "E0601" "duplicate-vmid"        Error   "two VMs or templates use the same VM ID";
    DuplicateIp        = "E0602" "duplicate-ip"          Error   "two machines use the same static IP address";
    IpOutsideSegment   = "E0603" "ip-outside-segment"    Error   "a static IP address is outside its network segment";
    IpInLbPool         = "E0604" "ip-in-lb-pool"         Error   "a VM's static address is inside the MetalLB pool";
    HostOvercommit     = "E0605" "host-overcommit"       Warning "the VMs ask for more CPU or memory than the host's overcommit ratio allows";
    PciShared          = "E0606" "pci-shared"            Error   "a PCI device is passed through to more than one VM";
    UnknownNode        = "E0607" "unknown-node"          Error   "a node selector names a Kubernetes Node that no VM declares";
    PassthroughWithoutQ35 = "E0608" "passthrough-without-q35" Error "a VM passes a PCIe device through without the q35 machine type";
    IothreadWithoutSingle = "E0609" "iothread-without-single" Error "a disk has an I/O thread on a SCSI controller that ignores it";
    MalformedReference = "E0610" "malformed-reference"   Error   "a render-time reference in a VM template's user data is malformed";
    // Waivers
    InvalidWaiver      = "E0591" "invalid-waiver"        Error   "a waiver names no warning, names an error, or gives no reason";
    UnusedWaiver       = "E0592" "unused-waiver"         Warning "a waiver matches no warning of its stack";
    // The command line: what `hlc` refuses to touch
    OutOverlapsWorkspace = "E0901" "out-overlaps-workspace" Error "the output directory is the workspace, contains it or lies inside it";
    OutIsRepository    = "E0902" "out-is-repository"     Error   "the output directory is, or contains, the root of a version-controlled tree";
    OutNotHlcOutput    = "E0903" "out-not-hlc-output"    Error   "the output path exists and is not an output hlc wrote (a file, a symbolic link, or a directory without hlc's marker)";
    InitNotEmpty       = "E0904" "init-not-empty"        Error   "`hlc init` was given a directory that exists and is not empty";
}

/// Find a code by its code (`E0204`) or name (`unknown-field`), case-insensitively and
/// ignoring surrounding whitespace; this is how `hlc explain` and waivers read a code.
///
/// ```
/// use hl_diagnostics::lookup;
///
/// assert_eq!(lookup("e0204").map(|c| c.name), Some("unknown-field"));
/// assert_eq!(lookup("Unknown-Field").map(|c| c.code), Some("E0204"));
/// assert!(lookup("E9999").is_none());
/// ```
pub fn lookup(query: &str) -> Option<&'static CodeInfo> {
    let q = query.trim();
    CODES.iter().find(|c| c.code.eq_ignore_ascii_case(q) || c.name.eq_ignore_ascii_case(q))
}
