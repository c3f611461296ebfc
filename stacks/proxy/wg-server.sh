set -x
for i in $(seq 1 120); do ip link show tun0 >/dev/null 2>&1 && break; sleep 2; done
ip link show tun0 || { echo TUN0_NEVER_UP; sleep 3600; }
ip link add wg0 type wireguard 2>/dev/null || true
wg set wg0 private-key /gw-wg/privkey listen-port 51820
ip addr add 10.13.1.1/24 dev wg0 2>/dev/null || true
ip link set wg0 up
iptables -t nat -C POSTROUTING -s 10.13.1.0/24 -o tun0 -j MASQUERADE 2>/dev/null || iptables -t nat -I POSTROUTING 1 -s 10.13.1.0/24 -o tun0 -j MASQUERADE
iptables -C FORWARD -i wg0 -o tun0 -j ACCEPT 2>/dev/null || iptables -I FORWARD 1 -i wg0 -o tun0 -j ACCEPT
iptables -C FORWARD -i tun0 -o wg0 -m state --state RELATED,ESTABLISHED -j ACCEPT 2>/dev/null || iptables -I FORWARD 1 -i tun0 -o wg0 -m state --state RELATED,ESTABLISHED -j ACCEPT
ip rule show | grep -q 'to 10.13.1.0/24 lookup main' || ip rule add to 10.13.1.0/24 lookup main pref 90
echo GATEWAY_READY
while true; do
  if [ -f /peers/peers ]; then
    while read pub aip; do [ -n "$pub" ] && wg set wg0 peer "$pub" allowed-ips "$aip"; done < /peers/peers
    want=$(awk '{print $1}' /peers/peers | sort -u)
    for p in $(wg show wg0 peers); do echo "$want" | grep -qx "$p" || wg set wg0 peer "$p" remove; done
  fi
  sleep 10
done
