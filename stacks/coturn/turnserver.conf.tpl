# TURN server configuration
listening-port=${turn_port}
fingerprint
lt-cred-mech
use-auth-secret
static-auth-secret=${turn_secret}
realm=${turn_realm}
server-name=turn.${turn_realm}

# Network — use 0.0.0.0, coturn auto-detects pod IP
listening-ip=0.0.0.0
external-ip=${public_ip}

# Media relay port range (narrow — 100 ports)
min-port=${min_port}
max-port=${max_port}

# Logging
verbose
no-stdout-log
syslog

# Security
no-multicast-peers
no-cli
no-tlsv1
no-tlsv1_1

# Performance
# 100 -> 200: a single neko session transiently opens up to ~9 relay
# allocations during ICE (backend RTP+RTCP + frontend + retries), settling
# to ~2-4; 200 gives comfortable headroom for the proxy browsers (infra#81).
total-quota=200
stale-nonce=600
max-bps=0
