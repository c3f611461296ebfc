import requests, json, sys, time
from collections import defaultdict
from urllib.parse import urlparse

QB_URL = "http://qbittorrent.servarr.svc.cluster.local"
PUSHGW = "http://prometheus-prometheus-pushgateway.monitoring:9091"

# Completed private-tracker torrents must remain announceable. A low active
# upload limit leaves them in queuedUP: qBittorrent's local seed clock still
# advances, but the tracker sees no seed time and records hit-and-runs.
# Stalled torrents must not hold active download slots. Seen 2026-08-08: five
# 0%-complete, 0-seeder mam-farming torrents occupied all 5 download slots
# indefinitely, so every healthy queued download sat at queuedDL forever and
# only a manual force-start moved them. With this on, a torrent transferring
# below slow_torrent_dl_rate_threshold (2 KiB/s) for longer than
# slow_torrent_inactive_timer (60 s) stops counting toward the active limits,
# so unfinishable torrents release their slot instead of squatting on it.
# This also helps the seeding concern above rather than working against it:
# slow seeders stop consuming upload slots, so more stay announceable.
required_queue_preferences = {
    "queueing_enabled": True,
    "max_active_downloads": 5,
    "max_active_uploads": 500,
    "max_active_torrents": 505,
    "dont_count_slow_torrents": True,
}

try:
    current_preferences = requests.get(
        f"{QB_URL}/api/v2/app/preferences", timeout=10
    ).json()
    preference_drift = {
        key: value
        for key, value in required_queue_preferences.items()
        if current_preferences.get(key) != value
    }
    if preference_drift:
        response = requests.post(
            f"{QB_URL}/api/v2/app/setPreferences",
            data={"json": json.dumps(required_queue_preferences)},
            timeout=10,
        )
        response.raise_for_status()
        print(f"Reconciled qBittorrent queue preferences: {preference_drift}")
except Exception as e:
    print(f"ERROR reconciling qBittorrent queue preferences: {e}", file=sys.stderr)
    sys.exit(1)

try:
    torrents = requests.get(f"{QB_URL}/api/v2/torrents/info", timeout=10).json()
except Exception as e:
    print(f"ERROR: {e}", file=sys.stderr)
    sys.exit(1)

# Reap unfinishable downloads. mam-farming kept queuing torrents with no
# seeders; before dont_count_slow_torrents they held every active download slot
# and starved real downloads, and they still accumulate in the queue and leave
# empty save directories behind. Only genuinely dead ones are removed: zero
# progress AND no seeders AND older than the age limit. A PARTIAL download is
# deliberately left alone even when stalled — it holds real data and may resume
# if a seeder returns. Requiring num_complete <= 0 also spares a torrent that
# simply has not announced yet, and the age limit gives a slow swarm days to
# appear before anything is deleted.
STALLED_MAX_AGE = 259200  # 3 days
now = time.time()
dead = [
    t for t in torrents
    if (t.get("progress") or 0) == 0
    and t.get("state") in ("stalledDL", "queuedDL", "downloading", "metaDL")
    and (t.get("num_complete") or 0) <= 0
    and now - (t.get("added_on") or now) > STALLED_MAX_AGE
]
reaped = 0
if dead:
    try:
        resp = requests.post(
            f"{QB_URL}/api/v2/torrents/delete",
            data={"hashes": "|".join(t["hash"] for t in dead), "deleteFiles": "true"},
            timeout=30,
        )
        resp.raise_for_status()
        reaped = len(dead)
        for t in dead:
            age_days = (now - (t.get("added_on") or now)) / 86400
            print(f"Reaped dead torrent (0 pct, no seeders, {age_days:.1f}d old): {t.get('name')}")
        gone = set(t["hash"] for t in dead)
        torrents = [t for t in torrents if t["hash"] not in gone]
    except Exception as e:
        print(f"ERROR reaping dead torrents: {e}", file=sys.stderr)

try:
    transfer = requests.get(f"{QB_URL}/api/v2/transfer/info", timeout=10).json()
except Exception:
    transfer = {}

tracker_stats = defaultdict(lambda: {
    "uploaded": 0, "downloaded": 0, "size": 0,
    "count": 0, "seeding": 0, "downloading": 0,
    "seed_time_total": 0, "unsatisfied": 0
})

for t in torrents:
    category = (t.get("category") or "").lower()
    tracker_url = t.get("tracker", "")
    domain = ""
    if tracker_url:
        try:
            domain = (urlparse(tracker_url).hostname or "").lower()
        except Exception:
            domain = ""

    # Category is the only signal for queuedDL torrents whose announces
    # haven't happened yet (tracker field is empty). Map those first so
    # hundreds of MAM torrents don't collect under "unknown".
    if category == "mam-farming" or "myanonamouse" in domain or "mam" in domain:
        label = "mam"
    elif category.startswith("abb") or "audiobookbay" in domain or "abb" in domain:
        label = "audiobookbay"
    elif domain:
        label = domain.replace(".", "_")
    else:
        label = "unknown"

    s = tracker_stats[label]
    s["uploaded"] += t.get("uploaded", 0)
    s["downloaded"] += t.get("downloaded", 0)
    s["size"] += t.get("size", 0)
    s["count"] += 1
    s["seed_time_total"] += t.get("seeding_time", 0)

    state = t.get("state", "")
    if state in ("uploading", "stalledUP", "forcedUP", "queuedUP"):
        s["seeding"] += 1
    elif state in ("downloading", "stalledDL", "forcedDL", "queuedDL"):
        s["downloading"] += 1

    if t.get("seeding_time", 0) < 259200 and t.get("progress", 0) >= 1.0:
        s["unsatisfied"] += 1

for tracker, stats in tracker_stats.items():
    dl = stats["downloaded"]
    ul = stats["uploaded"]
    ratio = ul / dl if dl > 0 else 0.0

    metrics = f"""# HELP qbt_tracker_uploaded_bytes Total bytes uploaded for tracker
# TYPE qbt_tracker_uploaded_bytes gauge
qbt_tracker_uploaded_bytes {ul}
# HELP qbt_tracker_downloaded_bytes Total bytes downloaded for tracker
# TYPE qbt_tracker_downloaded_bytes gauge
qbt_tracker_downloaded_bytes {dl}
# HELP qbt_tracker_ratio Upload/download ratio for tracker
# TYPE qbt_tracker_ratio gauge
qbt_tracker_ratio {ratio:.4f}
# HELP qbt_tracker_torrents_total Total torrents for tracker
# TYPE qbt_tracker_torrents_total gauge
qbt_tracker_torrents_total {stats['count']}
# HELP qbt_tracker_seeding Torrents currently seeding
# TYPE qbt_tracker_seeding gauge
qbt_tracker_seeding {stats['seeding']}
# HELP qbt_tracker_downloading Torrents currently downloading
# TYPE qbt_tracker_downloading gauge
qbt_tracker_downloading {stats['downloading']}
# HELP qbt_tracker_seed_time_total_seconds Total seed time across all torrents
# TYPE qbt_tracker_seed_time_total_seconds gauge
qbt_tracker_seed_time_total_seconds {stats['seed_time_total']}
# HELP qbt_tracker_unsatisfied Torrents not yet seeded 72h
# TYPE qbt_tracker_unsatisfied gauge
qbt_tracker_unsatisfied {stats['unsatisfied']}
# HELP qbt_tracker_size_bytes Total size of all torrents
# TYPE qbt_tracker_size_bytes gauge
qbt_tracker_size_bytes {stats['size']}
"""
    resp = requests.post(
        f"{PUSHGW}/metrics/job/qbt-ratio-monitor/tracker/{tracker}",
        data=metrics, timeout=10
    )
    print(f"Tracker {tracker}: ratio={ratio:.3f} ul={ul} dl={dl} count={stats['count']} seeding={stats['seeding']} unsatisfied={stats['unsatisfied']} -> {resp.status_code}")

connected = 1 if transfer.get("connection_status") == "connected" else 0
dht = transfer.get("dht_nodes", 0)
dl_speed = transfer.get("dl_info_speed", 0)
ul_speed = transfer.get("up_info_speed", 0)

global_metrics = f"""# HELP qbt_connected Whether qBittorrent is connected
# TYPE qbt_connected gauge
qbt_connected {connected}
# HELP qbt_dht_nodes Number of DHT nodes
# TYPE qbt_dht_nodes gauge
qbt_dht_nodes {dht}
# HELP qbt_dl_speed_bytes Current download speed
# TYPE qbt_dl_speed_bytes gauge
qbt_dl_speed_bytes {dl_speed}
# HELP qbt_ul_speed_bytes Current upload speed
# TYPE qbt_ul_speed_bytes gauge
qbt_ul_speed_bytes {ul_speed}
# HELP qbt_dead_torrents_reaped Dead torrents removed this run (0 pct, no seeders, past the age limit)
# TYPE qbt_dead_torrents_reaped gauge
qbt_dead_torrents_reaped {reaped}
"""
resp = requests.post(
    f"{PUSHGW}/metrics/job/qbt-ratio-monitor/tracker/global",
    data=global_metrics, timeout=10
)
print(f"Global: connected={connected} dht={dht} dl_speed={dl_speed} ul_speed={ul_speed} -> {resp.status_code}")
