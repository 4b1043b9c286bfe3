#!/usr/bin/env bash
# A local PostgreSQL for the production instance (deploy/dagster.yaml): starts a server, makes sure the role and
# database exist, and prints the DAGSTER_PG_* exports on stdout. Use it as:   eval "$(deploy/local-postgres.sh)"
# As root (CI, a VM): starts the packaged cluster (pg_ctlcluster). As a user: a throwaway cluster under
# MARKET_MONITOR_PG_DIR (default ~/.cache/market-monitor/pg) on port 55432, started once and reused.
set -euo pipefail
user=${DAGSTER_PG_USER:-market_monitor}
password=${DAGSTER_PG_PASSWORD:-market_monitor}
db=${DAGSTER_PG_DB:-market_monitor}

bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
if [ -z "$bindir" ] && command -v pg_ctl >/dev/null; then bindir=$(dirname "$(command -v pg_ctl)"); fi
if [ -z "$bindir" ]; then
  echo "local-postgres: no PostgreSQL installed (no pg_ctl); install postgresql (apt install postgresql)" >&2
  exit 1
fi

if [ "$(id -u)" = 0 ] && command -v pg_lsclusters >/dev/null; then
  read -r version cluster port _ < <(pg_lsclusters -h | head -1)
  pg_ctlcluster "$version" "$cluster" start >/dev/null 2>&1 || pg_ctlcluster "$version" "$cluster" status >/dev/null
  as_admin() { runuser -u postgres -- "$bindir/psql" -p "$port" -v ON_ERROR_STOP=1 -qAt "$@"; }
  until runuser -u postgres -- "$bindir/pg_isready" -q -p "$port"; do sleep 0.5; done
  if [ -z "$(as_admin -c "SELECT 1 FROM pg_roles WHERE rolname = '$user'")" ]; then
    as_admin -c "CREATE ROLE $user LOGIN CREATEDB PASSWORD '$password'" >&2
  fi
  host=127.0.0.1
else
  dir=${MARKET_MONITOR_PG_DIR:-$HOME/.cache/market-monitor/pg}
  port=${DAGSTER_PG_PORT:-55432}
  if [ ! -f "$dir/PG_VERSION" ]; then
    mkdir -p "$dir"
    pwfile=$(mktemp)
    echo "$password" >"$pwfile"
    "$bindir/initdb" -D "$dir" -U "$user" --pwfile="$pwfile" --auth=scram-sha-256 >&2
    rm -f "$pwfile"
  fi
  if ! "$bindir/pg_ctl" -D "$dir" status >/dev/null 2>&1; then
    "$bindir/pg_ctl" -D "$dir" -l "$dir/server.log" -o "-p $port -k $dir -c listen_addresses=127.0.0.1" -w start >&2
  fi
  as_admin() { PGPASSWORD=$password "$bindir/psql" -h 127.0.0.1 -p "$port" -U "$user" -d postgres -v ON_ERROR_STOP=1 -qAt "$@"; }
  host=127.0.0.1
fi
if [ -z "$(as_admin -c "SELECT 1 FROM pg_database WHERE datname = '$db'")" ]; then
  as_admin -c "CREATE DATABASE $db OWNER $user" >&2
fi
cat <<EOF
export DAGSTER_PG_HOST=$host
export DAGSTER_PG_PORT=$port
export DAGSTER_PG_USER=$user
export DAGSTER_PG_PASSWORD=$password
export DAGSTER_PG_DB=$db
EOF
