#!/bin/bash
# Restore script - run manually when needed
# Usage: ./restore.sh <backup_date>
# Example: ./restore.sh 20250117_030000
#
# Before restoring, enable maintenance mode:
#   kubectl exec -n nextcloud deployment/nextcloud -- php occ maintenance:mode --on
# After restoring, disable it:
#   kubectl exec -n nextcloud deployment/nextcloud -- php occ maintenance:mode --off

set -e

if [ -z "$1" ]; then
  echo "Usage: $0 <backup_date>"
  echo "Available backups:"
  ls -1 /backup/
  exit 1
fi

BACKUP_PATH="/backup/$1"
DATA_DIR="/nextcloud-data"

if [ ! -d "$BACKUP_PATH" ]; then
  echo "Backup not found: $BACKUP_PATH"
  exit 1
fi

echo "Restoring from $BACKUP_PATH"

# Restore everything
echo "Restoring Nextcloud installation..."
rsync -a "$BACKUP_PATH/" "$DATA_DIR/"

echo "Restore completed!"
echo "Remember to run: kubectl exec -n nextcloud deployment/nextcloud -- php occ maintenance:mode --off"
