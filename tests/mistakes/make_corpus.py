#!/usr/bin/env python3
"""Writes corpus.txt from the entries below: each a one-line edit of the real stacks/ and the
diagnostic it must give (code, and the line:column of the offending token in the edited file),
or `clean` for a legal-but-unusual program. The expectations were written from the docs pages
(`hlc explain`) and the issue (#25), before the compiler was run on any entry; this script only
checks that each `old` text is unique and computes the token's line and column (1-based,
characters) from where the token sits in the edited text.

An entry: (id, file, old, new, code, token, mark). `token` is the offending token's text;
`mark` (optional) is a unique text of the edited file with `|` just before the token, for a
token outside `new` or one that occurs in `new` more than once. Run from the repository root:
  python3 tests/mistakes/make_corpus.py
"""
import os, sys

E = []
def m(id, file, old, new, code, token, mark=None):
    E.append((id, file, old, new, code, token, mark))
def ok(id, file, old, new):
    E.append((id, file, old, new, None, None, None))

# ---- units ----
m("units/memory-bare-number", "freshrss.hl", "cpu = 15m, memory = 256Mi }", "cpu = 15m, memory = 2 }", "E0202", "2", "memory = |2 }")
m("units/cpu-given-memory", "cloudflared.hl", "resources { cpu = 15m, memory = 128Mi }", "resources { cpu = 256Mi, memory = 128Mi }", "E0202", "256Mi")
m("units/pvc-bare-size", "freshrss.hl", 'pvc(1Gi, mount = "/var/www/FreshRSS/data"', 'pvc(5, mount = "/var/www/FreshRSS/data"', "E0202", "5")
m("units/cpu-half-millicore", "blog.hl", "resources { cpu = 10m, memory = 64Mi }", "resources { cpu = 0.5m, memory = 64Mi }", "E0203", "0.5m")
m("units/memory-limit-bare", "plotting-book.hl", "resources { cpu = 10m, memory = 128Mi, memory_limit = 256Mi }", "resources { cpu = 10m, memory = 128Mi, memory_limit = 256 }", "E0202", "256", "memory_limit = |256 }")
m("units/memory-in-millis", "vaultwarden.hl", "resources { cpu = 10m, memory = 512Mi }", "resources { cpu = 10m, memory = 512m }", "E0202", "512m")
m("units/nfs-size-cpu-unit", "offline-reader.hl", 'size = 50Gi, claim = "offline-reader-pages"', 'size = 50m, claim = "offline-reader-pages"', "E0202", "50m")
m("units/refresh-without-unit", "authentik.hl", "    refresh = 1h\n    data = {", "    refresh = 60\n    data = {", "E0208", "60")
m("units/memory-unknown-suffix", "ntfy.hl", "resources { cpu = 10m, memory = 128Mi }", "resources { cpu = 10m, memory = 128MB }", "E0202", "128MB")
m("units/pvc-limit-bare", "freshrss.hl", 'mount = "/var/www/FreshRSS/data", limit = 5Gi)', 'mount = "/var/www/FreshRSS/data", limit = 5)', "E0202", "5", 'limit = |5)')
m("units/vm-memory-bare", "proxmox.hl", "vm k8s-master = k8s_node(200, 8, 32Gi, 64Gi,", "vm k8s-master = k8s_node(200, 8, 32, 64Gi,", "E0202", "32")

# ---- misspelt fields and arguments ----
m("names/replica", "cloudflared.hl", "    replicas = 3\n", "    replica = 3\n", "E0204", "replica")
m("names/pvc-mout", "freshrss.hl", 'pvc(1Gi, mount = "/var/www/FreshRSS/data"', 'pvc(1Gi, mout = "/var/www/FreshRSS/data"', "E0210", "mout")
m("names/pvc-backup-target-clam", "plotting-book.hl", 'target_claim = "plotting-book-backup-host",', 'target_clam = "plotting-book-backup-host",', "E0210", "target_clam")
m("names/pvc-backup-schedul", "plotting-book.hl", 'schedule = "0 3 * * 0",', 'schedul = "0 3 * * 0",', "E0210", "schedul")
m("names/nfs-sise", "offline-reader.hl", 'size = 50Gi, claim = "offline-reader-pages"', 'sise = 50Gi, claim = "offline-reader-pages"', "E0210", "sise")
m("names/memory-limt", "offline-reader.hl", "memory = 256Mi, memory_limit = 512Mi }", "memory = 256Mi, memory_limt = 512Mi }", "E0204", "memory_limt")
m("names/ingress-descripton", "offline-reader.hl", 'description = "Saved articles for offline reading"', 'descripton = "Saved articles for offline reading"', "E0204", "descripton")
m("names/secret-evn", "actualbudget.hl", 'secret actualbudget-secrets { extract = ["actualbudget"], env = false }', 'secret actualbudget-secrets { extract = ["actualbudget"], evn = false }', "E0204", "evn")
m("names/expose-port-prot", "blog.hl", "port prometheus { port = 9113 }", "port prometheus { prot = 9113 }", "E0204", "prot")
m("names/stack-depend-on", "freshrss.hl", "depends_on = [platform]", "depend_on = [platform]", "E0204", "depend_on")
m("names/secret-key-arg-count", "plotting-book.hl", 'secret_key("plotting-book-secrets", "session_secret")', 'secret_key("plotting-book-secrets")', "E0210", "secret_key")
m("names/vault-path-arg-name", "plotting-book.hl", '..vault("plotting-book")', '..vault(pth = "plotting-book")', "E0210", "pth")
m("names/helm-backend-extra-arg", "authentik.hl", 'chart_backend = helm_backend("goauthentik", "goauthentik-server", 80)\n    auth', 'chart_backend = helm_backend("goauthentik", "goauthentik-server", 80, 81)\n    auth', "E0210", "81")
m("names/probe-field", "traefik.hl", "      initial_delay_seconds = 5\n      period_seconds = 30", "      initial_delay_second = 5\n      period_seconds = 30", "E0204", "initial_delay_second")
m("names/vm-disk-field", "proxmox.hl", "disk scsi0 { size = 64Gi, mbps_rd = 40, mbps_wr = 40 }\n  nic net0 { segment = \"home-lan\", ip = \"192.168.1.8\" }", "disk scsi0 { size = 64Gi, mbps_rd = 40, mbps_wrt = 40 }\n  nic net0 { segment = \"home-lan\", ip = \"192.168.1.8\" }", "E0204", "mbps_wrt")

# ---- wrong types ----
m("types/replicas-string", "cloudflared.hl", "    replicas = 3\n", '    replicas = "3"\n', "E0201", '"3"')
m("types/critical-string", "cloudflared.hl", "    critical = true\n", '    critical = "yes"\n', "E0201", '"yes"')
m("types/port-string", "freshrss.hl", "    port http = 80\n", '    port http = "80"\n', "E0201", '"80"')
m("types/labels-list", "blog.hl", '    labels = { "tier": "4-aux" }\n    port http = 80', '    labels = ["tier", "4-aux"]\n    port http = 80', "E0201", '["tier", "4-aux"]')
m("types/depends-on-string", "freshrss.hl", "depends_on = [platform]", 'depends_on = "platform"', "E0201", '"platform"')
m("types/anti-ai-string", "blog.hl", '      anti_ai = false\n      extra_middlewares', '      anti_ai = "false"\n      extra_middlewares', "E0201", '"false"')
m("types/let-used-as-string", "vaultwarden.hl", 'let mail_host = "mail.viktorbarzin.me"', "let mail_host = 587", "E0201", "587")
m("types/env-list", "vaultwarden.hl", '"SMTP_PORT": "587",', '"SMTP_PORT": ["587"],', "E0201", '["587"]')
m("types/paths-string", "tasks.hl", 'paths = ["/apple-touch-icon.png", "/favicon.png",', 'paths = "/apple-touch-icon.png" + ["/favicon.png",', "E0201", '"/apple-touch-icon.png"')
m("types/cores-string", "proxmox.hl", "vm k8s-master = k8s_node(200, 8, 32Gi,", 'vm k8s-master = k8s_node(200, "8", 32Gi,', "E0201", '"8"')

# ---- unknown names, variants, types ----
m("unknown/depends-on-stack", "freshrss.hl", "depends_on = [platform]", "depends_on = [platfrom]", "E0402", "platfrom")
m("unknown/let-name", "immich.hl", "    node_selector = gpu_node\n    tolerations = gpu_toleration\n    env = server_env + { \"IMMICH_WORKERS_EXCLUDE\": \"api\" }", "    node_selector = gpu_nodes\n    tolerations = gpu_toleration\n    env = server_env + { \"IMMICH_WORKERS_EXCLUDE\": \"api\" }", "E0101", "gpu_nodes")
m("unknown/function", "blog.hl", "service anubis-blog = anubis(", "service anubis-blog = anubsi(", "E0101", "anubsi")
m("unknown/strategy-variant", "freshrss.hl", "strategy = Recreate", "strategy = Recreat", "E0206", "Recreat")
m("unknown/aio-variant", "proxmox.hl", "iothread = true, aio = threads,", "iothread = true, aio = thread,", "E0206", "thread", "aio = |thread,")
m("unknown/dns-variant", "freshrss.hl", "      dns = proxied\n", "      dns = proxy\n", "E0206", "proxy")
m("unknown/vm-ostype", "proxmox.hl", "  ostype = other\n", "  ostype = freebsd\n", "E0206", "freebsd")
m("unknown/type-annotation", "proxmox.hl", "fn k8s_worker(vmid: Int, ip: Ip)", "fn k8s_worker(vmid: Int, ip: IP)", "E0105", "IP")
m("unknown/auth-no-payload", "freshrss.hl", 'auth = app("FreshRSS has its own user login, and mobile readers use its Fever and GReader APIs")', "auth = app", "E0207", "app", "auth = |app")
m("unknown/dns-with-payload", "freshrss.hl", "      dns = proxied\n", '      dns = proxied("yes")\n', "E0207", 'proxied("yes")')
m("unknown/vm-template", "proxmox.hl", '  template = "ubuntu-2404-cloudinit-k8s-template"\n  disk scsi0 { size = disk', '  template = "ubuntu-2404-cloudinit-k8s-templat"\n  disk scsi0 { size = disk', "E0405", '"ubuntu-2404-cloudinit-k8s-templat"')
m("unknown/segment", "proxmox.hl", 'nic net0 { segment = "home-lan", ip = "192.168.1.8" }', 'nic net0 { segment = "home-lab", ip = "192.168.1.8" }', "E0405", '"home-lab"')
m("unknown/missing-file", "frigate.hl", 'file("frigate/liveness.sh")', 'file("frigate/liveness.bash")', "E0106", '"frigate/liveness.bash"')

# ---- ports ----
m("ports/out-of-range", "freshrss.hl", "    port http = 80\n", "    port http = 80080\n", "E0203", "80080")
m("ports/zero", "cloudflared.hl", "port metrics = 14333", "port metrics = 0", "E0203", "0", "port metrics = |0")
m("ports/expose-target", "cloudflared.hl", "port http { port = 80, target = 14333 }", "port http { port = 80, target = 143330 }", "E0203", "143330")
m("ports/node-port", "mailserver.hl", "port smtps-proxy { port = 465, target = 4465, node_port = 30126 }", "port smtps-proxy { port = 465, target = 4465, node_port = 70126 }", "E0203", "70126")
m("ports/probe-named-port", "traefik.hl", '      http_get { path = "/healthz", port = "metrics" }\n      initial_delay_seconds = 5', '      http_get { path = "/healthz", port = "metric" }\n      initial_delay_seconds = 5', "E0405", '"metric"')
m("ports/expose-negative", "echo.hl", "port http { port = 80, target = 8080 }", "port http { port = -80, target = 8080 }", "E0203", "-80")

# ---- ingress and auth ----
m("auth/app-empty-reason", "freshrss.hl", 'auth = app("FreshRSS has its own user login, and mobile readers use its Fever and GReader APIs")', 'auth = app("")', "E0501", "app", "auth = |app")
m("auth/none-todo-reason", "tasks.hl", 'auth = none("static icons and the web manifest only; installing the app fetches them without cookies")', 'auth = none("TODO")', "E0501", "none", "auth = |none")
m("auth/unknown-group", "offline-reader.hl", 'allowed_groups = ["Home Server Admins"]', 'allowed_groups = ["Home Server Admin"]', "E0503", '"Home Server Admin"')
m("auth/groups-on-none", "tasks.hl", '      homepage = false\n    }\n  }', '      homepage = false, allowed_groups = ["Home Server Admins"]\n    }\n  }', "E0502", '["Home Server Admins"]')
m("ingress/unknown-middleware", "blog.hl", 'extra_middlewares = ["traefik-x402@kubernetescrd"]', 'extra_middlewares = ["traefik-x403@kubernetescrd"]', "E0405", '"traefik-x403@kubernetescrd"')
m("ingress/duplicate-host", "vpn-portal.hl", 'full_host = "vpn.viktorbarzin.me"\n      external_monitor = false\n      homepage_group', 'full_host = "tasks.viktorbarzin.me"\n      external_monitor = false\n      homepage_group', "E0541", '"tasks.viktorbarzin.me"')
m("ingress/bad-hostname", "t3code.hl", 'full_host = "t3.viktorbarzin.me"', 'full_host = "t3..viktorbarzin.me"', "E0208", '"t3..viktorbarzin.me"')
m("ingress/helm-backend-release", "authentik.hl", 'chart_backend = helm_backend("goauthentik", "goauthentik-server", 80)\n    auth', 'chart_backend = helm_backend("goauthentik2", "goauthentik-server", 80)\n    auth', "E0405", '"goauthentik2"')
m("ingress/chart-backend-port", "authentik.hl", 'chart_backend = helm_backend("goauthentik", "goauthentik-server", 80)\n    auth', 'chart_backend = helm_backend("goauthentik", "goauthentik-server", 800000)\n    auth', "E0203", "800000")

# ---- waivers ----
m("waivers/unknown-code", "freshrss.hl", '"E0513": "Proxmox-LVM claims here', '"E05l3": "Proxmox-LVM claims here', "E0591", '"E05l3"')
m('waivers/names-an-error', 'plotting-book.hl', 'as deployed",', 'as deployed", "E0512": "only plot drafts",', 'E0591', '"E0512"', '    "E0516 with mailserver": "the weekly copy starts on Sundays at 03:00, the minute the mailserver\'s daily backup starts (nextcloud\'s and redis\'s weekly ones too), as deployed", |"E0512": "only plot drafts",')
m('waivers/placeholder-reason', 'plotting-book.hl', 'as deployed",', 'as deployed", "E0513": "TODO",', 'E0591', '"TODO"', '    "E0516 with mailserver": "the weekly copy starts on Sundays at 03:00, the minute the mailserver\'s daily backup starts (nextcloud\'s and redis\'s weekly ones too), as deployed", "E0513": |"TODO",')
m('waivers/unused', 'plotting-book.hl', 'as deployed",', 'as deployed", "E0511": "no local-path claim here",', 'E0592', '"E0511"', '    "E0516 with mailserver": "the weekly copy starts on Sundays at 03:00, the minute the mailserver\'s daily backup starts (nextcloud\'s and redis\'s weekly ones too), as deployed", |"E0511": "no local-path claim here",')
m('waivers/unknown-name', 'vaultwarden.hl', '"E0516 with dbaas": "the six-hourly', '"backup-overlaps": "the six-hourly', 'E0591', '"backup-overlaps"', '    |"backup-overlaps": "the six-hourly copy also fires at midnight beside the dbaas database dumps, as deployed",')
m('waivers/overlap-without-partner', 'plotting-book.hl', '"E0516 with mailserver":', '"E0516":', 'E0591', '"E0516"', '    |"E0516": "the weekly copy starts on Sundays at 03:00')
m('waivers/partner-on-another-code', 'freshrss.hl', '"E0513": "Proxmox-LVM claims here', '"E0513 with redis": "Proxmox-LVM claims here', 'E0591', '"E0513 with redis"', '    |"E0513 with redis": "Proxmox-LVM claims here')

# ---- MetalLB ----
m("metallb/reuse-dedicated-address", "frigate.hl", 'lb_ip = "10.0.20.204"', 'lb_ip = "10.0.20.205"', "E0543", '"10.0.20.205"')
m("metallb/outside-pool", "coturn.hl", 'lb_ip = "10.0.20.205"', 'lb_ip = "10.0.20.250"', "E0542", '"10.0.20.250"')
m("metallb/not-an-ip", "coturn.hl", 'lb_ip = "10.0.20.205"', 'lb_ip = "10.0.20.2055"', "E0208", '"10.0.20.2055"')
m("metallb/local-on-shared", "kms.hl", 'lb_ip = "10.0.20.202"', 'lb_ip = "10.0.20.200"', "E0543", '"10.0.20.200"')

# ---- Proxmox ----
m("proxmox/duplicate-vmid", "proxmox.hl", "  vmid = 105\n", "  vmid = 103\n", "E0601", "103", "  vmid = |103\n  cores = 16")
m("proxmox/duplicate-vmid-in-call", "proxmox.hl", 'vm k8s-node5 = k8s_worker(205, "10.0.20.105")', 'vm k8s-node5 = k8s_worker(204, "10.0.20.105")', "E0601", "204", 'k8s_worker(|204, "10.0.20.105")')
m("proxmox/duplicate-ip", "proxmox.hl", 'vm k8s-node5 = k8s_worker(205, "10.0.20.105")', 'vm k8s-node5 = k8s_worker(205, "10.0.20.104")', "E0602", '"10.0.20.104"', 'k8s_worker(205, |"10.0.20.104")')
m("proxmox/ip-outside-segment", "proxmox.hl", 'nic net0 { segment = "management", ip = "10.0.10.10" }', 'nic net0 { segment = "management", ip = "10.0.30.10" }', "E0603", '"10.0.30.10"')
m("proxmox/ip-in-lb-pool", "proxmox.hl", 'vm k8s-node5 = k8s_worker(205, "10.0.20.105")', 'vm k8s-node5 = k8s_worker(205, "10.0.20.210")', "E0604", '"10.0.20.210"')
m("proxmox/passthrough-without-q35", "proxmox.hl", '  machine = "q35"\n  pci = ["tesla-t4"]', '  machine = "pc"\n  pci = ["tesla-t4"]', "E0608", '["tesla-t4"]', '  pci = |["tesla-t4"]\n}')
m("proxmox/iothread-on-pci-controller", "proxmox.hl", "  scsihw = virtio-scsi-single\n", "  scsihw = virtio-scsi-pci\n", "E0609", "scsi0", "  disk |scsi0 { size = 100Gi, iothread")
m("proxmox/unknown-pci-device", "proxmox.hl", '  pci = ["tesla-t4"]\n}', '  pci = ["tesla-t5"]\n}', "E0405", '"tesla-t5"')

# ---- replicas ----
m("replicas/critical-one", "cloudflared.hl", "    replicas = 3\n", "    replicas = 1\n", "E0531", "1", "    replicas = |1\n")
m("replicas/critical-two", "authentik.hl", "    replicas = 3\n", "    replicas = 2\n", "E0531", "2", "    replicas = |2\n")
m("replicas/negative", "android-emulator.hl", "    replicas = 0\n", "    replicas = -1\n", "E0203", "-1")

# ---- literal secrets ----
m("secrets/literal-password", "vaultwarden.hl", '"SMTP_PORT": "587",', '"SMTP_PASSWORD": "Xk9#mPq2LvR8zT4w",', "E0561", '"Xk9#mPq2LvR8zT4w"')
m("secrets/literal-api-key-hex", "offline-reader.hl", '"NFS_PVC_CLAIM": "offline-reader-pages",', '"NFS_PVC_CLAIM": "offline-reader-pages", "OPENAI_API_KEY": "a3f9c2e18b7d4f6a9e0c5b2d8f1a7e3c",', "E0561", '"a3f9c2e18b7d4f6a9e0c5b2d8f1a7e3c"')
m("secrets/literal-token-in-container", "blog.hl", 'args = ["-nginx.scrape-uri", "http://127.0.0.1:8080/nginx_status"]', 'args = ["-nginx.scrape-uri", "http://127.0.0.1:8080/nginx_status"], env = { "EXPORTER_TOKEN": "q7W!rT2zLp9XvB4n" }', "E0561", '"q7W!rT2zLp9XvB4n"')

# ---- node selectors ----
m("nodes/unknown-node", "broker-sync.hl", '    node_selector = { "kubernetes.io/hostname": "k8s-node4" }\n    command', '    node_selector = { "kubernetes.io/hostname": "k8s-node9" }\n    command', "E0607", '"k8s-node9"')
m("nodes/selector-not-a-map", "frigate.hl", 'node_selector = { "nvidia.com/gpu.present": "true" }', 'node_selector = "nvidia.com/gpu.present"', "E0201", '"nvidia.com/gpu.present"')

# ---- backups ----
m("backups/bad-schedule-minute", "crowdsec.hl", 'schedule = "0 4 * * *"', 'schedule = "60 4 * * *"', "E0203", '"60 4 * * *"')
m("backups/pvc-backup-bad-weekday", "plotting-book.hl", 'schedule = "0 3 * * 0",', 'schedule = "0 3 * * 8",', "E0203", '"0 3 * * 8"')
m("backups/pvc-backup-source-not-label", "plotting-book.hl", 'source = "plotting-book-data-proxmox",', 'source = "plotting_book_data",', "E0208", '"plotting_book_data"')
m("backups/pvc-backup-target-relative", "plotting-book.hl", 'target = "/srv/nfs/plotting-book-backup",', 'target = "srv/nfs/plotting-book-backup",', "E0208", '"srv/nfs/plotting-book-backup"')
m("backups/host-backup-unknown-copy", "backups.hl", "  produces = live\n", "  produces = life\n", "E0206", "life")
m("backups/host-backup-delay-unit", "backups.hl", "  randomized_delay = 5m\n  command = [\"/usr/local/bin/lvm-pvc-snapshot\"]", "  randomized_delay = 5Mi\n  command = [\"/usr/local/bin/lvm-pvc-snapshot\"]", "E0202", "5Mi")
m("backups/sqlite-on-nfs", "offline-reader.hl", 'volume pages = nfs("/srv/nfs/offline-reader", mount = "/data", size = 50Gi, claim = "offline-reader-pages")', 'volume pages { ..nfs("/srv/nfs/offline-reader", mount = "/data", size = 50Gi, claim = "offline-reader-pages"), sqlite = true }', "E0514", "pages")

# ---- imports ----
m("imports/missing-file", "blog.hl", 'import "kms/anubis.hl"', 'import "kms/anubs.hl"', "E0103", '"kms/anubs.hl"')
m("imports/absolute-path", "blog.hl", 'import "kms/anubis.hl"', 'import "/kms/anubis.hl"', "E0103", '"/kms/anubis.hl"')

# ---- schedules ----
m("schedules/four-fields", "headscale.hl", 'schedule = "7 */6 * * *"', 'schedule = "7 */6 * *"', "E0208", '"7 */6 * *"')
m("schedules/hour-24", "chrome-service.hl", 'schedule = "47 */6 * * *"', 'schedule = "47 24 * * *"', "E0203", '"47 24 * * *"')
m("schedules/month-13", "immich.hl", 'schedule = "0 2 * * 0"', 'schedule = "0 2 * 13 0"', "E0203", '"0 2 * 13 0"')

# ---- look-alike letters, DNS labels and names ----
m("names/cyrillic-stack", "freshrss.hl", "stack freshrss {", "stack fr\u0435shrss {", "E0208", "fr\u0435shrss")
m("names/cyrillic-variant", "freshrss.hl", "strategy = Recreate", "strategy = R\u0435create", "E0206", "R\u0435create")
m("names/uppercase-stack", "ntfy.hl", "stack ntfy {", "stack Ntfy {", "E0208", "Ntfy")
m("names/dotdot-stack", "ntfy.hl", "stack ntfy {", 'stack "ntfy..old" {', "E0208", '"ntfy..old"')
m("names/claim-underscore", "plotting-book.hl", 'claim = "plotting-book-data-proxmox" })', 'claim = "plotting_book_data_proxmox" })', "E0208", '"plotting_book_data_proxmox"')
m("names/secret-key-secret-name", "plotting-book.hl", 'secret_key("plotting-book-secrets", "session_secret")', 'secret_key("plotting-book-secrets!", "session_secret")', "E0208", '"plotting-book-secrets!"')
m("names/image-uppercase", "freshrss.hl", 'image = "freshrss/freshrss"', 'image = "FreshRSS/freshrss"', "E0208", '"FreshRSS/freshrss"')
m("names/mount-relative", "freshrss.hl", 'mount = "/var/www/FreshRSS/extensions"', 'mount = "var/www/FreshRSS/extensions"', "E0208", '"var/www/FreshRSS/extensions"')
m("names/container-port-name-too-long", "echo.hl", "    port https = 8443\n", "    port https-and-websockets = 8443\n", "E0208", "https-and-websockets")
m("names/external-secrets-tier", "external-secrets.hl", "  state_tier = 0\n  depends_on = [vault]", "  state_tier = 1\n  depends_on = [vault]", "E0401", "1", "  state_tier = |1\n  depends_on = [vault]")
m("names/state-tier-range", "external-secrets.hl", "  state_tier = 0\n  depends_on = [vault]", "  state_tier = 2\n  depends_on = [vault]", "E0203", "2", "  state_tier = |2\n  depends_on = [vault]")
m("names/secret-namespace", "job-hunter.hl", '    namespace = "monitoring"\n', '    namespace = "monitorng"\n', "E0404", '"monitorng"')
m("names/duplicate-field", "cloudflared.hl", "    critical = true\n", "    critical = true, critical = true\n", "E0209", "critical", "    critical = true, |critical = true\n")
m("names/cyrillic-in-port-name", "echo.hl", "port http { port = 80, target = 8080 }", "port htt\u0440 { port = 80, target = 8080 }", "E0208", "htt\u0440")

# ---- errors inside the standard library's functions: reported at the caller's code ----
# (A second batch, written after the first run, before the compiler ran on any of these.)
m("stdlib/pvc-backup-unknown-claim", "plotting-book.hl", 'source = "plotting-book-data-proxmox",', 'source = "plotting-book-data-proxmx",', "E0405", '"plotting-book-data-proxmx"')
m("stdlib/secret-key-unknown-key", "cloudflared.hl", 'secret_key("cloudflared-tunnel", "TUNNEL_TOKEN")', 'secret_key("cloudflared-tunnel", "TUNNEL_TOKN")', "E0405", '"TUNNEL_TOKN"')
m("stdlib/helm-backend-service-not-a-label", "authentik.hl", 'chart_backend = helm_backend("goauthentik", "goauthentik-server", 80)\n    auth', 'chart_backend = helm_backend("goauthentik", "goauthentik_server", 80)\n    auth', "E0208", '"goauthentik_server"')
m("stdlib/pvc-backup-retention-string", "plotting-book.hl", 'schedule = "0 3 * * 0",', 'schedule = "0 3 * * 0", retention_days = "thirty",', "E0201", '"thirty"')
m("stdlib/nfs-claim-not-a-label", "offline-reader.hl", 'size = 50Gi, claim = "offline-reader-pages"', 'size = 50Gi, claim = "offline_reader_pages"', "E0208", '"offline_reader_pages"')
m("stdlib/pvc-limit-cpu-unit", "plotting-book.hl", 'source = pvc(Pvc { size = 1Gi, limit = 5Gi, claim = "plotting-book-data-proxmox" })', 'source = pvc(Pvc { size = 1Gi, limit = 500m, claim = "plotting-book-data-proxmox" })', "E0202", "500m")
ok('legal/overlap-waiver-naming-two-stacks', 'plotting-book.hl', '"E0516 with mailserver":', '"E0516 with mailserver, nextcloud":')

# ---- legal but unusual: must stay clean ----
ok("legal/waiver-by-name", "freshrss.hl", '"E0513": "Proxmox-LVM claims here', '"no-backup": "Proxmox-LVM claims here')
ok("legal/half-a-core", "cloudflared.hl", "resources { cpu = 15m, memory = 128Mi }", "resources { cpu = 0.5, memory = 128Mi }")
ok("legal/whole-cores", "cloudflared.hl", "resources { cpu = 15m, memory = 128Mi }", "resources { cpu = 1, memory = 128Mi }")
ok("legal/fractional-gibibytes", "vaultwarden.hl", "resources { cpu = 10m, memory = 512Mi }", "resources { cpu = 10m, memory = 0.5Gi }")
ok("legal/decimal-megabytes", "ntfy.hl", "resources { cpu = 10m, memory = 128Mi }", "resources { cpu = 10m, memory = 128M }")
ok("legal/highest-port", "freshrss.hl", "    port http = 80\n", "    port http = 65535\n")
ok("legal/no-commas", "freshrss.hl", "resources { cpu = 15m, memory = 256Mi }", "resources { cpu = 15m memory = 256Mi }")
ok("legal/trailing-comma", "freshrss.hl", "depends_on = [platform]", "depends_on = [platform,]")
ok("legal/escaped-dollar", "freshrss.hl", '"CRON_MIN": "0,30"', '"CRON_MIN": "0,30", "LITERAL": "\\${HOME}"')
ok("legal/interpolation", "freshrss.hl", '"BASE_URL": "https://rss.viktorbarzin.me"', '"BASE_URL": "https://rss.${"viktorbarzin"}.me"')
ok("legal/if-expression-port", "freshrss.hl", "    port http = 80\n", "    port http = if true then 80 else 81\n")
ok("legal/arithmetic-replicas", "cloudflared.hl", "    replicas = 3\n", "    replicas = 1 + 2\n")
ok("legal/block-comment", "cloudflared.hl", "    replicas = 3\n", "    replicas = /* three zones */ 3\n")
ok("legal/cyrillic-in-description", "freshrss.hl", 'description = "RSS feed reader"', 'description = "Читалка RSS"')
ok("legal/schedule-ranges-steps", "crowdsec.hl", 'schedule = "0 4 * * *"', 'schedule = "*/15 1-5 * * 1-5"')
ok("legal/token-as-file-path", "vaultwarden.hl", '"SMTP_PORT": "587",', '"SMTP_PORT": "587", "ADMIN_TOKEN_FILE": "/run/secrets/admin-token",')
ok("legal/short-password-placeholder", "vaultwarden.hl", '"SMTP_PORT": "587",', '"SMTP_PORT": "587", "SMTP_PASSWORD_HINT": "changeme",')
ok("legal/two-groups", "offline-reader.hl", 'allowed_groups = ["Home Server Admins"]', 'allowed_groups = ["Home Server Admins", "Allow Login Users"]')
ok("legal/more-critical-replicas", "cloudflared.hl", "    replicas = 3\n", "    replicas = 5\n")
ok("legal/image-digest", "freshrss.hl", 'image = "freshrss/freshrss"', 'image = "freshrss/freshrss@sha256:015f5ba04bcbd5ee03178540a1dbbfc97b6896d7411032e3bf33c2f3e08f8b6f"')
ok("legal/storage-in-terabytes", "offline-reader.hl", 'size = 50Gi, claim = "offline-reader-pages"', 'size = 0.05T, claim = "offline-reader-pages"')
ok("legal/duration-in-seconds", "authentik.hl", "    refresh = 1h\n    data = {", "    refresh = 3600s\n    data = {")
ok("legal/line-comment-at-end", "freshrss.hl", "strategy = Recreate", "strategy = Recreate // one pod at a time: the data claim is ReadWriteOnce")
ok("legal/waiver-lowercase-code", "freshrss.hl", '"E0513": "Proxmox-LVM claims here', '"e0513": "Proxmox-LVM claims here')
ok('legal/unicode-waiver-reason', 'plotting-book.hl', 'as deployed",', 'as deployed — «as the Terraform had it»",')

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
out = ["# One-edit mistakes over the real stacks/, and legal-but-unusual edits that must stay clean.",
       "# Written by make_corpus.py (see its header); read by tests/tests/mistakes.rs.",
       "# Each entry: id, file (under stacks/), old and new (the edit, `\\n` for a newline), and",
       "# expect: `CODE at LINE:COL TOKEN` (the primary label's start in the edited file) or `clean`;",
       "# anchor: the text around the token, `‸` just before it, unique in the edited file (the test",
       "# finds the token by it when edits elsewhere in the file have moved LINE:COL).", ""]
ids = set()
for (id, file, old, new, code, token, mark) in E:
    assert id not in ids, id
    ids.add(id)
    text = open(os.path.join(root, "stacks", file), encoding="utf-8").read()
    assert text.count(old) == 1, f"{id}: old text occurs {text.count(old)} times in {file}"
    at = text.index(old)
    edited = text[:at] + new + text[at + len(old):]
    if code is None:
        expect = "clean"
    else:
        if mark is None:
            assert new.count(token) >= 1, f"{id}: token not in new"
            pos = at + new.index(token)
        else:
            bare = mark.replace("|", "", 1)
            assert edited.count(bare) == 1, f"{id}: mark occurs {edited.count(bare)} times"
            pos = edited.index(bare) + mark.index("|")
        assert edited[pos:pos + len(token)] == token, f"{id}: token mismatch"
        line = edited.count("\n", 0, pos) + 1
        col = pos - (edited.rfind("\n", 0, pos) + 1) + 1
        expect = f"{code} at {line}:{col} {token}"
        # The anchor: the token's line with `‸` (U+2038) before the token, grown by whole lines before it
        # until it is unique in the edited file, so that the test finds the token wherever
        # edits elsewhere in the file move it.
        start = edited.rfind("\n", 0, pos) + 1
        end = edited.find("\n", pos)
        end = len(edited) if end < 0 else end
        while edited.count(edited[start:end]) > 1 and start > 0:
            start = edited.rfind("\n", 0, start - 1) + 1
        assert edited.count(edited[start:end]) == 1, f"{id}: no unique anchor"
        anchor = edited[start:pos] + "\u2038" + edited[pos:end]
    esc = lambda s: s.replace("\\", "\\\\").replace("\n", "\\n")
    out += [f"id: {id}", f"file: {file}", f"old: {esc(old)}", f"new: {esc(new)}", f"expect: {expect}"]
    if code is not None:
        out.append(f"anchor: {esc(anchor)}")
    out.append("")
open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus.txt"), "w", encoding="utf-8").write("\n".join(out))
n = sum(1 for e in E if e[4]); print(f"{n} mistakes, {len(E) - n} legal")
