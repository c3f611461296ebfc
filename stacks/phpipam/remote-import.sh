                set -e
                apk add --no-cache -q openssh-client mysql-client python3 > /dev/null 2>&1

                mkdir -p /root/.ssh
                cp /ssh/ssh_key /root/.ssh/id_rsa
                chmod 600 /root/.ssh/id_rsa
                echo "StrictHostKeyChecking no" > /root/.ssh/config

                # Pull DHCP leases + ARP from Valchedrym via pfSense SSH hop
                echo "=== Valchedrym (192.168.0.1 via pfSense) ==="
                VALCHEDRYM=$$(ssh -o ConnectTimeout=10 admin@10.0.20.1 'timeout 15 ssh -o StrictHostKeyChecking=no -o ConnectTimeout=5 root@192.168.0.1 "cat /tmp/dhcp.leases 2>/dev/null; echo ---ARP---; cat /proc/net/arp 2>/dev/null" 2>/dev/null' 2>/dev/null || echo "")

                echo "=== London (192.168.8.1 via pfSense) ==="
                LONDON=$$(ssh -o ConnectTimeout=10 admin@10.0.20.1 'timeout 15 ssh -o StrictHostKeyChecking=no -o ConnectTimeout=5 root@192.168.8.1 "cat /tmp/dhcp.leases 2>/dev/null; echo ---ARP---; cat /proc/net/arp 2>/dev/null" 2>/dev/null' 2>/dev/null || echo "")

                echo "=== Importing ==="
                export LONDON_DATA="$$LONDON"
                export VALCHEDRYM_DATA="$$VALCHEDRYM"
                python3 << 'PYEOF'
import os, re, subprocess

db_host = os.environ["DB_HOST"]
db_user = os.environ["DB_USER"]
db_pass = os.environ["DB_PASS"]
db_name = os.environ["DB_NAME"]

def mysql_exec(sql):
    subprocess.run(["mysql", "-h", db_host, "-u", db_user, f"-p{db_pass}", db_name, "-N", "-B", "-e", sql], capture_output=True, text=True)

def get_existing():
    r = subprocess.run(["mysql", "-h", db_host, "-u", db_user, f"-p{db_pass}", db_name, "-N", "-B", "-e",
        "SELECT INET_NTOA(ip_addr), hostname, mac, subnetId FROM ipaddresses WHERE subnetId IN (11, 12)"],
        capture_output=True, text=True)
    existing = {}
    for line in r.stdout.strip().split("\n"):
        if not line: continue
        parts = line.split("\t")
        existing[parts[0]] = {"hostname": parts[1] if parts[1] != "NULL" else "", "mac": parts[2] if parts[2] != "NULL" else ""}
    return existing

def import_site(data, subnet_prefix, subnet_id, site_name):
    if not data or "---ARP---" not in data:
        print(f"  {site_name}: no data")
        return 0
    existing = get_existing()
    dhcp_part, arp_part = data.split("---ARP---", 1)
    imported = 0

    # DHCP leases: timestamp mac ip hostname client_id
    for line in dhcp_part.strip().split("\n"):
        parts = line.split()
        if len(parts) < 4: continue
        mac, ip, hostname = parts[1], parts[2], parts[3]
        if not ip.startswith(subnet_prefix): continue
        short = hostname.split(".")[0] if hostname != "*" else ""
        if ip not in existing:
            mac_sql = f"'{mac}'" if mac else "NULL"
            host_sql = f"'{short}'" if short else "''"
            mysql_exec(f"INSERT INTO ipaddresses (ip_addr, subnetId, hostname, mac, description, lastSeen) VALUES (INET_ATON('{ip}'), {subnet_id}, {host_sql}, {mac_sql}, '-- {site_name} dhcp --', NOW())")
            imported += 1
            print(f"  NEW {ip} -> {short} mac={mac}")
        else:
            updates = ["lastSeen=NOW()"]
            if mac and not existing[ip]["mac"]: updates.append(f"mac='{mac}'")
            if short and not existing[ip]["hostname"]: updates.append(f"hostname='{short}'")
            mysql_exec(f"UPDATE ipaddresses SET {','.join(updates)} WHERE ip_addr=INET_ATON('{ip}')")

    # ARP table
    for line in arp_part.strip().split("\n"):
        m = re.match(r'(\d+\.\d+\.\d+\.\d+)\s+\S+\s+\S+\s+([0-9a-f:]+)\s+', line)
        if not m: continue
        ip, mac = m.group(1), m.group(2)
        if not ip.startswith(subnet_prefix) or mac == "00:00:00:00:00:00": continue
        if ip in existing: continue
        mysql_exec(f"INSERT INTO ipaddresses (ip_addr, subnetId, mac, description, lastSeen) VALUES (INET_ATON('{ip}'), {subnet_id}, '{mac}', '-- {site_name} arp --', NOW())")
        imported += 1
        print(f"  NEW (arp) {ip} mac={mac}")
    return imported

london = import_site(os.environ.get("LONDON_DATA", ""), "192.168.8.", 11, "london")
valchedrym = import_site(os.environ.get("VALCHEDRYM_DATA", ""), "192.168.0.", 12, "valchedrym")
print(f"\nLondon: {london} new, Valchedrym: {valchedrym} new")
PYEOF
                echo "Remote import complete"
