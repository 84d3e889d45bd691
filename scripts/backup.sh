#!/usr/bin/env bash
# scripts/backup.sh DIR — back up Accord into DIR: the PostgreSQL database
# (pg_dump custom format, DIR/db.dump) and, with local file storage, the stored files
# (DIR/media.tar.gz from ACCORD_MEDIA_ROOT, default var/media). With object storage
# (ACCORD_S3_BUCKET) back the bucket up with its own tools (versioning, replication);
# see docs/DEPLOY.md. Reads DATABASE_URL like Accord does.
set -euo pipefail
dir=${1:?usage: scripts/backup.sh DIR}
: "${DATABASE_URL:?set DATABASE_URL (the PostgreSQL database to back up)}"
cd "$(dirname "$0")/.."
mkdir -p "$dir"
pg_dump --format=custom --no-owner --file="$dir/db.dump" "$DATABASE_URL"
if [ -z "${ACCORD_S3_BUCKET:-}" ]; then
  media=${ACCORD_MEDIA_ROOT:-${ACCORD_VAR_DIR:-var}/media}
  mkdir -p "$media"
  tar -C "$media" -czf "$dir/media.tar.gz" .
fi
echo "backup written to $dir"
