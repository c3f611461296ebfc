import json, os, ssl, sys, time, urllib.request, urllib.parse

DRY = os.environ.get("DRY_RUN", "false") == "true"
CAP = int(os.environ.get("MAX_DETACH", "5"))
PVE = os.environ["PVE_URL"].rstrip("/")
PVE_TOK = os.environ["PVE_TOKEN_ID"] + "=" + os.environ["PVE_TOKEN_SECRET"]
PG = os.environ.get("PUSHGATEWAY", "")
NODES = {201:"k8s-node1",202:"k8s-node2",203:"k8s-node3",204:"k8s-node4",205:"k8s-node5"}

_ktok = open("/var/run/secrets/kubernetes.io/serviceaccount/token").read().strip()
_kctx = ssl.create_default_context(cafile="/var/run/secrets/kubernetes.io/serviceaccount/ca.crt")
_kctx.check_hostname = False  # reach the API by injected ClusterIP (cluster DNS may not resolve in this pod); CA chain still verified
_kapi = "https://%s:%s" % (os.environ["KUBERNETES_SERVICE_HOST"], os.environ.get("KUBERNETES_SERVICE_PORT", "443"))
_pctx = ssl.create_default_context(); _pctx.check_hostname = False; _pctx.verify_mode = ssl.CERT_NONE

def k8s(path):
    r = urllib.request.Request(_kapi + path, headers={"Authorization": "Bearer " + _ktok})
    return json.load(urllib.request.urlopen(r, context=_kctx, timeout=20))

def pve(path, method="GET", data=None):
    body = urllib.parse.urlencode(data).encode() if data else None
    r = urllib.request.Request(PVE + path, data=body, method=method, headers={"Authorization": "PVEAPIToken=" + PVE_TOK})
    return json.load(urllib.request.urlopen(r, context=_pctx, timeout=20))

def attached():
    out = set()
    for v in k8s("/apis/storage.k8s.io/v1/volumeattachments").get("items", []):
        sp = v.get("spec", {})
        if sp.get("attacher") != "csi.proxmox.sinextra.dev": continue
        if not v.get("status", {}).get("attached"): continue
        pv = (sp.get("source", {}) or {}).get("persistentVolumeName", "")
        if pv: out.add((sp.get("nodeName", ""), pv.replace("pvc-", "")))
    return out

def find_ghosts(att):
    g = []
    for vmid, node in NODES.items():
        cfg = pve("/nodes/pve/qemu/%d/config" % vmid).get("data", {})
        for key, val in cfg.items():
            if not (key.startswith("scsi") and key[4:].isdigit()): continue
            s = str(val)
            if "vm-9999-pvc-" not in s: continue
            uuid = s.split("vm-9999-pvc-")[1].split(",")[0]
            if (node, uuid) not in att:
                g.append((vmid, node, key, uuid))
    return g

att = attached()
ghosts = find_ghosts(att)
print("[reconcile] attached_VAs=%d ghosts=%d dry=%s" % (len(att), len(ghosts), DRY), flush=True)
for vmid, node, scsi, uuid in ghosts:
    print("  ghost: VM%d/%s %s -> pvc-%s" % (vmid, node, scsi, uuid), flush=True)

detached = 0
if ghosts:
    time.sleep(60)  # re-confirm: never act on an in-flight attach
    att2 = attached()
    confirmed = [x for x in ghosts if (x[1], x[3]) not in att2]
    print("[reconcile] confirmed after 60s recheck: %d" % len(confirmed), flush=True)
    for vmid, node, scsi, uuid in confirmed:
        if detached >= CAP:
            print("[reconcile] hit per-run cap %d, stopping" % CAP, flush=True); break
        if DRY:
            print("  DRY would detach VM%d %s (pvc-%s)" % (vmid, scsi, uuid), flush=True); continue
        try:
            pve("/nodes/pve/qemu/%d/config" % vmid, method="PUT", data={"delete": scsi})
            print("  DETACHED VM%d %s (pvc-%s)" % (vmid, scsi, uuid), flush=True); detached += 1
        except Exception as e:
            print("  FAILED detach VM%d %s: %s" % (vmid, scsi, e), flush=True)
else:
    print("[reconcile] no ghosts — all nodes reconciled", flush=True)

if PG:
    try:
        body = "csi_ghosts_detected %d\ncsi_ghosts_detached %d\ncsi_ghost_reconcile_last_run %d\n" % (len(ghosts), detached, int(time.time()))
        urllib.request.urlopen(urllib.request.Request(PG.rstrip("/") + "/metrics/job/csi-ghost-reconcile", data=body.encode(), method="PUT"), timeout=10)
    except Exception as e:
        print("[reconcile] metric push failed: %s" % e, flush=True)
