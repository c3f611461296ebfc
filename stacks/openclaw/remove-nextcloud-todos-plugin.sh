set -eu
rm -rf /home/node/.openclaw/extensions/nextcloud-todos-api
echo "nextcloud-todos-api plugin removed"
