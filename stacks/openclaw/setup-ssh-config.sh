set -euo pipefail
SSH=/home/node/.openclaw/.ssh
MARKER="$SSH/.configured-v1"
if [ -f "$MARKER" ]; then
  echo "ssh-config v1 already set up (skipping)"
  exit 0
fi
echo "installing openssh-client for ssh-keyscan ..."
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y --no-install-recommends openssh-client >/dev/null

echo "configuring ssh ..."
mkdir -p "$SSH"

# Copy the secret-mounted private key into ~/.ssh with 0600 —
# the secret's tmpfs mount has wider perms (1777 + symlinks)
# that openssh refuses.
cp /ssh/id_rsa "$SSH/id_rsa"
chmod 0600 "$SSH/id_rsa"

cat > "$SSH/config" <<'SSH_EOF'
Host devvm
  HostName 10.0.10.10
  User wizard
  IdentityFile ~/.ssh/id_rsa
  UserKnownHostsFile ~/.ssh/known_hosts
  StrictHostKeyChecking yes
SSH_EOF
chmod 0600 "$SSH/config"

ssh-keyscan -H 10.0.10.10 > "$SSH/known_hosts" 2>/tmp/keyscan.err
if [ ! -s "$SSH/known_hosts" ]; then
  echo "ssh-keyscan produced empty known_hosts; stderr:"
  cat /tmp/keyscan.err
  exit 1
fi
chmod 0644 "$SSH/known_hosts"

chown -R 1000:1000 "$SSH"
touch "$MARKER"
echo "ssh-config v1 set up"
