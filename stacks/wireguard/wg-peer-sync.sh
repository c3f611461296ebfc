set -u
STATE=/run/wg-managed/managed.list
DESIRED=/etc/wg-peers/peers.txt
mkdir -p /run/wg-managed; : > "$STATE"
while true; do
  if wg show wg0 >/dev/null 2>&1 && [ -f "$DESIRED" ]; then
    while read -r pk ip; do
      [ -z "$pk" ] && continue
      wg set wg0 peer "$pk" allowed-ips "$ip" || true
    done < "$DESIRED"
    desired=$(awk '{print $1}' "$DESIRED" | sort -u)
    while read -r ppk; do
      [ -z "$ppk" ] && continue
      echo "$desired" | grep -qx "$ppk" || wg set wg0 peer "$ppk" remove || true
    done < "$STATE"
    awk '{print $1}' "$DESIRED" | sort -u > "$STATE"
  fi
  sleep 30
done
