#!/bin/bash
set -e

BACKUP_DIR="/backup"
DATA_DIR="/nextcloud-data"
DATE=$(date +%Y%m%d_%H%M%S)
BACKUP_PATH="$BACKUP_DIR/$DATE"

echo "Starting Nextcloud backup at $(date)"

# Note: Maintenance mode is skipped because occ is not available in the NFS mount.
# For a proper backup with maintenance mode, exec into the nextcloud pod:
#   kubectl exec -n nextcloud deployment/nextcloud -- php occ maintenance:mode --on

# Create backup directory
mkdir -p "$BACKUP_PATH"

# Backup config/data/custom_apps. Exclusions (2026-06-01 space fix):
#  - nextcloud.log* — rotated at source via log_rotate_size; previously
#    grew to 10GB+ and bloated every dated copy (backups hit 20G each).
#  - preview cache — regenerable thumbnails, no need to back up.
# Backs up config/, data/, custom_apps/ (the irreplaceable bits). Skips:
#  - html/ — the Nextcloud app code, reproducible from the pinned image
#    (real config is at config/config.php; html/config/config.php is empty).
#  - nextcloud.log* — capped at source via log_rotate_size; was 10GB+.
#  - preview cache — regenerable thumbnails.
echo "Backing up Nextcloud installation..."
rsync -a \
  --exclude='/html/' \
  --exclude='nextcloud.log' \
  --exclude='nextcloud.log.*' \
  --exclude='data/appdata_*/preview/' \
  "$DATA_DIR/" "$BACKUP_PATH/"

# Keep only the latest backup. The version history lives in daily-backup's
# pvc-data (4 weekly snapshot-consistent copies of this same encrypted PVC),
# so this browsable app-level copy only needs the most recent. Keeping the
# whole installation (incl. logs) x7 here was the bulk of the 87G that
# filled the offsite Synology.
#
# Sort by NAME, not mtime: dirs are YYYYMMDD_HHMMSS so lexical order is
# chronological. `rsync -a` stamps the backup dir with the SOURCE dir's
# mtime, which made the old `ls -dt | tail` delete the freshest backup and
# keep a stale one — keep the lexically-last (newest) instead.
echo "Cleaning old backups (keep latest)..."
cd "$BACKUP_DIR"
ls -d */ 2>/dev/null | sort | head -n -1 | xargs -r rm -rf

echo "Backup completed at $(date)"
echo "Backup stored at: $BACKUP_PATH"
