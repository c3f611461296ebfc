//! The fixed part of a generated workspace: the bootstrap and shared stacks that the generated
//! application stacks depend on, the host (its VMs and backup timers) and a helper library.
//!
//! These files are written for the benchmark; they borrow the homelab's shapes (Tier 0 stacks,
//! Helm-managed operators, database dumps, host backup steps), not its text.

/// Weekly backup slots used by the fixed stacks below (each a distinct minute of the week);
/// the generated stacks take the slots after these.
pub const RESERVED_SLOTS: u32 = 6;

/// A weekly cron schedule that no other slot shares: slot `k` is minute `k` of the week, spread
/// over the hours and days (`M H * * D`). There are 10,080 distinct slots.
pub fn weekly_slot(k: u32) -> String {
    let k = k % SLOTS_PER_WEEK;
    format!("{} {} * * {}", k % 60, (k / 60) % 24, k / (60 * 24))
}

/// Distinct minutes in a week.
pub const SLOTS_PER_WEEK: u32 = 7 * 24 * 60;

/// The files of the fixed part, as (file name, contents).
pub fn files() -> Vec<(&'static str, String)> {
    vec![
        // The homelab's cluster facts and policy: the generated stacks are shaped like its own.
        ("cluster.hl", include_str!("../../stacks/cluster.hl").to_string()),
        ("policy.hl", include_str!("../../stacks/policy.hl").to_string()),
        ("lib.hl", LIB.to_string()),
        ("host.hl", HOST.to_string()),
        ("infra.hl", INFRA.to_string()),
        ("platform.hl", PLATFORM.to_string()),
        ("vault.hl", VAULT.replace("@SLOT0@", &weekly_slot(0))),
        ("external-secrets.hl", EXTERNAL_SECRETS.to_string()),
        ("cnpg.hl", CNPG.to_string()),
        (
            "dbaas.hl",
            DBAAS
                .replace("@SLOT1@", &weekly_slot(1))
                .replace("@SLOT2@", &weekly_slot(2))
                .replace("@SLOT3@", &weekly_slot(3)),
        ),
        ("authentik.hl", AUTHENTIK.to_string()),
        ("traefik.hl", TRAEFIK.to_string()),
        ("redis.hl", REDIS.replace("@SLOT4@", &weekly_slot(4))),
        ("monitoring.hl", MONITORING.replace("@SLOT5@", &weekly_slot(5))),
    ]
}

/// The names of the fixed stacks an application stack may list in `depends_on`.
pub const DEPENDABLE: &[&str] =
    &["infra", "platform", "vault", "external-secrets", "dbaas", "redis", "monitoring", "traefik", "authentik"];

const LIB: &str = r#"// Helpers shared by the generated stacks. This file declares no stack.

/// A nightly database dump into an NFS export mounted at /backup; dumps older than
/// `keep_days` are removed after each run.
fn db_dump(
  image: Image,
  schedule: String,
  script: String,
  target: Path,
  target_claim: DnsLabel,
  keep_days: Int = 14,
) -> Service = Service {
  kind = cronjob
  image = image
  schedule = schedule
  command = [
    "/bin/sh",
    "-c",
    "set -eu; ts=$(date +%Y%m%d-%H%M); ${script}; find /backup -type f -mtime +${keep_days} -delete",
  ]
  resources { cpu = 25m, memory = 64Mi }
  volume backup = nfs(target, mount = "/backup", size = 20Gi, claim = target_claim)
}

/// A browser-facing ingress behind the forward-auth login, with a homepage tile.
fn gated(description: String) -> Ingress = Ingress {
  auth = required
  dns = proxied
  description = description
}

/// An ingress that only the home networks can reach.
fn home_only(description: String) -> Ingress = Ingress {
  auth = none("answers only on the home networks; the allow-list middleware rejects everything else")
  dns = internal
  extra_middlewares = ["traefik-home-lans-only@kubernetescrd"]
  description = description
}
"#;

const HOST: &str = r##"// The hypervisor that runs the cluster, its Kubernetes segment and nodes, and the host-side
// backup timers that give every claim and export its second and third copy.

pve_host {
  node = "pve"
  ip = "192.168.1.127"
  threads = 48
  memory = 256Gi
}

segment kubernetes {
  bridge = "vmbr1"
  vlan = 20
  cidr = "10.0.20.0/24"
  gateway = "10.0.20.1"
  nameservers = ["10.0.20.1"]
}

vm_template node-template {
  vmid = 9000
  image_path = "/var/lib/vz/template/iso/noble-server-cloudimg-amd64.img"
  image_url = "https://cloud-images.ubuntu.com/noble/current/noble-server-cloudimg-amd64.img"
  kubernetes = true
  snippet = "node_cloud_init.yaml"
  // The operator's key is read from Vault when the snippet is rendered, never written here.
  user_data = "#cloud-config\nusers:\n  - name: wizard\n    ssh_authorized_keys:\n      - ${render_vault(VaultKey { key = "secret/infra", property = "ssh_public_key" })}\n"
}

ssh_key operator {
  vault = VaultKey { key = "secret/infra", property = "ssh_public_key" }
}

/// A Kubernetes node cloned from the node template.
fn node(vmid: Int, ip: Ip) -> Vm = Vm {
  vmid = vmid
  cores = 8
  memory = 32Gi
  template = "node-template"
  disk scsi0 { size = 128Gi }
  nic net0 { segment = "kubernetes", ip = ip }
  cloud_init { ssh_keys = ["operator"] }
  kubernetes_node = true
}

vm k8s-master = node(400, "10.0.20.50")
vm k8s-node1 = node(401, "10.0.20.51")
vm k8s-node2 = node(402, "10.0.20.52")
vm k8s-node3 = node(403, "10.0.20.53")

host_backup claim-snapshots {
  description = "Point-in-time LVM snapshots of every Proxmox-LVM claim"
  schedule = "*-*-* 01:30:00"
  command = ["/usr/local/sbin/claim-snapshots"]
  produces = live
  sources = ["proxmox-lvm", "proxmox-lvm-encrypted"]
  retention = "3 days"
}

host_backup export-mirror {
  description = "The NFS exports mirrored onto the backup disk"
  schedule = "*-*-* 02:10:00"
  command = ["/usr/local/sbin/export-mirror"]
  produces = local
  sources = ["/srv/nfs"]
  target = "/mnt/backup/exports"
  retention = "mirror"
}

host_backup claim-files {
  description = "Files of the Proxmox-LVM claims, read from their snapshots"
  schedule = "*-*-* 04:20:00"
  command = ["/usr/local/sbin/claim-files"]
  produces = local
  sources = ["proxmox-lvm", "proxmox-lvm-encrypted"]
  target = "/mnt/backup/claims"
  retention = "4 weekly versions"
}

host_backup offsite {
  description = "The backup disk copied to the offsite NAS"
  schedule = "*-*-* 06:40:00"
  command = ["/usr/local/sbin/offsite-copy"]
  produces = offsite
  sources = ["/mnt/backup"]
  target = "nas:/volume1/backup"
  retention = "NAS snapshots, 14 days"
}
"##;

const INFRA: &str = r#"// The root of the stack graph: VM templates and bootstrap secrets, nothing in Kubernetes.
stack infra {
  state_tier = 0
  description = "VM templates and bootstrap secrets"
}
"#;

const PLATFORM: &str = r#"// The bootstrap layer under every application stack; no objects of its own.
stack platform {
  state_tier = 0
  depends_on = [infra]
}
"#;

const VAULT: &str = r#"import "lib.hl"

// The secrets store behind every ExternalSecret, with a weekly snapshot to NFS.
stack vault {
  state_tier = 0
  depends_on = [platform]
  description = "Vault on integrated storage"

  namespace vault { tier = "core" }

  helm vault {
    chart = "vault"
    repo = "https://helm.releases.hashicorp.com"
    version = "0.29.1"
    values = { server = { ha = { enabled = true, raft = { enabled = true } } } }
  }

  service vault-snapshot {
    ..db_dump(
      image = "hashicorp/vault:1.18.1",
      schedule = "@SLOT0@",
      script = "vault operator raft snapshot save /backup/raft-$ts.snap",
      target = "/srv/nfs/vault-snapshots",
      target_claim = "vault-snapshots-host",
      keep_days = 30,
    )
    container_name = "snapshot"
    env = { "VAULT_ADDR": "http://vault-active.vault.svc.cluster.local:8200" }
  }
}
"#;

const EXTERNAL_SECRETS: &str = r#"// Syncs Vault paths into Kubernetes Secrets through two ClusterSecretStores.
stack external-secrets {
  state_tier = 0
  depends_on = [vault]
  description = "External Secrets Operator"

  namespace external-secrets { tier = "cluster", tls = false }

  helm external-secrets {
    chart = "external-secrets"
    repo = "https://charts.external-secrets.io"
    version = "0.14.3"
  }
}
"#;

const CNPG: &str = r#"// The PostgreSQL operator behind the shared cluster.
stack cnpg {
  state_tier = 0
  depends_on = [infra]
  description = "CloudNativePG operator"

  namespace cnpg-system { tier = "cluster", tls = false }

  helm cnpg {
    chart = "cloudnative-pg"
    repo = "https://cloudnative-pg.github.io/charts"
    version = "0.23.0"
  }
}
"#;

const DBAAS: &str = r#"import "lib.hl"

// The shared databases: one MySQL StatefulSet, the PostgreSQL cluster's dumps and an admin UI.
stack dbaas {
  state_tier = 0
  depends_on = [infra, cnpg]
  description = "Shared MySQL and PostgreSQL"

  namespace dbaas { tier = "cluster", custom_quota = true }
  // The databases outgrow the cluster tier's quota.
  resource_quota dbaas-quota {
    spec = { hard = { "requests.cpu": "8", "requests.memory": "40Gi", "limits.memory": "40Gi", "pods": "30" } }
  }

  service mysql {
    kind = statefulset
    image = "mysql:8.4.3"
    keel = never
    port mysql = 3306
    resources { cpu = 250m, memory = 2Gi }
    volume data = claim_template(20Gi, mount = "/var/lib/mysql", class = "proxmox-lvm-encrypted")
  }

  service mysql-dump = db_dump(
    image = "mysql:8.4.3",
    schedule = "@SLOT1@",
    script = "mysqldump -h mysql --all-databases --single-transaction > /backup/all-$ts.sql",
    target = "/srv/nfs/mysql-dumps",
    target_claim = "dbaas-mysql-dumps-host",
  )

  service postgresql-dump = db_dump(
    image = "postgres:16.4",
    schedule = "@SLOT2@",
    script = "pg_dumpall -h pg-cluster-rw.dbaas -U postgres > /backup/all-$ts.sql",
    target = "/srv/nfs/postgresql-dumps",
    target_claim = "dbaas-postgresql-dumps-host",
  )

  service adminer {
    image = "adminer:4.8.1"
    port http = 8080
    resources { cpu = 10m, memory = 64Mi }
    volume sessions = encrypted(1Gi, mount = "/sessions", claim = "dbaas-adminer-encrypted")
    ingress adminer {
      dns = proxied
      description = "Database admin UI"
    }
  }

  service adminer-backup = pvc_backup(
    source = "dbaas-adminer-encrypted",
    target = "/srv/nfs/adminer-backup",
    target_claim = "dbaas-adminer-backup-host",
    schedule = "@SLOT3@",
    owner = "adminer",
  )

  waive = { "E0523": "the copy job runs Burstable, with a memory limit above its request" }
}
"#;

const AUTHENTIK: &str = r#"// The login in front of every `auth = required` ingress, and the groups it knows.

/// People who may use the generated benchmark services.
authentik_group bench-users { name = "Bench Users" }

stack authentik {
  depends_on = [platform, vault]
  description = "Identity provider"

  namespace authentik { tier = "core" }

  service authentik-server {
    image = "ghcr.io/goauthentik/server:2025.2.1"
    replicas = 3
    critical = true
    args = ["server"]
    port http = 9000
    resources { cpu = 100m, memory = 512Mi }
    secret authentik-secrets = vault("authentik")
    env = { "AUTHENTIK_POSTGRESQL__HOST": "pg-cluster-rw.dbaas" }
    ingress auth {
      auth = none("this is the login page itself")
      dns = proxied
      description = "Identity provider"
    }
  }

  service authentik-worker {
    image = "ghcr.io/goauthentik/server:2025.2.1"
    args = ["worker"]
    resources { cpu = 50m, memory = 384Mi }
    secret authentik-worker-secrets = vault("authentik")
  }
}
"#;

const TRAEFIK: &str = r#"// The ingress controller every generated ingress goes through.
stack traefik {
  depends_on = [platform]
  description = "Traefik ingress controller"

  namespace traefik { tier = "core" }

  helm traefik {
    chart = "traefik"
    repo = "https://traefik.github.io/charts"
    version = "34.4.1"
    values = {
      deployment = { replicas = 3 }
      service = { annotations = { "metallb.io/loadBalancerIPs": "10.0.20.201" } }
    }
  }

  // The allow-list the cluster names as its home-LANs Middleware (`internal` ingresses need it).
  middleware home-lans-only {
    spec = { ip_allow_list = { source_range = ["192.168.1.0/24", "10.0.0.0/8", "fc00::/7", "fe80::/10"] } }
  }
}
"#;

const REDIS: &str = r#"// The shared Redis, with a weekly copy of its data to NFS.
stack redis {
  depends_on = [platform]
  description = "Shared Redis"

  namespace redis { tier = "cluster" }

  service redis-master {
    image = "redis:7.4.2"
    keel = never
    port redis = 6379
    resources { cpu = 50m, memory = 256Mi }
    volume data = pvc(4Gi, mount = "/data")
  }

  service redis-backup {
    ..pvc_backup(
      source = "redis-master-data-proxmox",
      target = "/srv/nfs/redis-backup",
      target_claim = "redis-backup-host",
      schedule = "@SLOT4@",
      owner = "redis-master",
    )
    resources { cpu = 5m, memory = 32Mi }
  }
}
"#;

const MONITORING: &str = r#"import "lib.hl"

// Metrics and dashboards for everything else.
stack monitoring {
  depends_on = [platform, vault]
  description = "Prometheus, Alertmanager and Grafana"

  namespace monitoring { tier = "core", custom_quota = true }
  // Prometheus outgrows the core tier's quota.
  resource_quota monitoring-quota {
    spec = { hard = { "requests.cpu": "16", "requests.memory": "32Gi", "limits.memory": "64Gi", "pods": "100" } }
  }

  helm kube-prometheus-stack {
    chart = "kube-prometheus-stack"
    repo = "https://prometheus-community.github.io/helm-charts"
    version = "69.3.1"
    values = { grafana = { enabled = false }, prometheus = { prometheusSpec = { retention = "30d" } } }
  }

  service grafana {
    image = "grafana/grafana:11.5.1"
    keel = never
    port http = 3000
    resources { cpu = 50m, memory = 256Mi }
    volume data = encrypted(5Gi, mount = "/var/lib/grafana")
    secret grafana-secrets = vault("grafana")
    ingress grafana = gated("Dashboards")
  }

  service grafana-backup {
    ..pvc_backup(
      source = "grafana-data-encrypted",
      target = "/srv/nfs/grafana-backup",
      target_claim = "grafana-backup-host",
      schedule = "@SLOT5@",
      owner = "grafana",
    )
    resources { cpu = 5m, memory = 32Mi }
  }
}
"#;
