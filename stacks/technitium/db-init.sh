set -e
# -d postgres: psql defaults the database name to the username, and
# the root user has no root-named database, so be explicit.
psql -h ${var.postgresql_host} -U root -d postgres -tc "SELECT 1 FROM pg_database WHERE datname='technitium'" | grep -q 1 || \
  psql -h ${var.postgresql_host} -U root -d postgres -c "CREATE DATABASE technitium OWNER technitium"
psql -h ${var.postgresql_host} -U root -d postgres -c "GRANT ALL PRIVILEGES ON DATABASE technitium TO technitium"
echo "technitium database init complete"
