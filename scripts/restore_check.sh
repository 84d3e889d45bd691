#!/usr/bin/env bash
# scripts/restore_check.sh DIR — restore a backup made by scripts/backup.sh into a
# fresh database (beside DATABASE_URL's, on the same server) and a fresh directory,
# then check it with `manage.py verify_backup`: migrations applied, every stored file
# present with its recorded SHA-256. Drops both afterwards. Exit 0 only if it checks.
set -euo pipefail
dir=${1:?usage: scripts/restore_check.sh DIR}
: "${DATABASE_URL:?set DATABASE_URL (a database on the server to restore onto)}"
cd "$(dirname "$0")/.."
python=${PYTHON:-.venv/bin/python}
server=${DATABASE_URL%/*}
name="accord_restore_check_$$"
media=$(mktemp -d)
cleanup() {
  psql "$server/postgres" -qc "DROP DATABASE IF EXISTS $name WITH (FORCE)" >/dev/null
  rm -rf "$media"
}
trap cleanup EXIT
psql "$server/postgres" -qc "CREATE DATABASE $name" >/dev/null
pg_restore --no-owner --no-privileges --exit-on-error --dbname="$server/$name" "$dir/db.dump"
if [ -f "$dir/media.tar.gz" ]; then
  tar -C "$media" -xzf "$dir/media.tar.gz"
fi
DATABASE_URL="$server/$name" ACCORD_MEDIA_ROOT="$media" "$python" manage.py verify_backup
