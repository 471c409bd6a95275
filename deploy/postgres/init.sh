#!/bin/bash
# One database and one login role per service, each owning its database.
# The postgres image runs this once, when its data volume is empty; the
# passwords come from deploy/.env through the container's environment.
set -euo pipefail

for service in grid appeals volunteer funding; do
  variable="${service^^}_DB_PASSWORD"
  password="${!variable:?${variable} is not set}"
  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
    -v name="$service" -v password="$password" <<'SQL'
CREATE ROLE :"name" LOGIN PASSWORD :'password';
CREATE DATABASE :"name" OWNER :"name";
REVOKE ALL ON DATABASE :"name" FROM PUBLIC;
SQL
done
