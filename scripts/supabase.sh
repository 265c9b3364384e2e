# A database shaped exactly as a self-hosted Supabase one, built from
# Supabase's own SQL (../shared/supabase, unmodified), for the tests.
# scripts/test.sh sources it; run on its own it builds and starts one:
#
#   scripts/supabase.sh DIR [DATABASE]   # the cluster in DIR (built once), and with DATABASE
#                                        # the product deployed in that database
#   scripts/supabase.sh stop DIR
# shellcheck shell=bash
#
# supabase_cluster_start DIR [SETTING...] builds the cluster in DIR once (a
# second call on the same DIR only starts it) the way a self-hosted Supabase
# does (supabase/postgres migrations/db/migrate.sh, then GoTrue and Storage at
# their start-up):
#   1. initdb with superuser supabase_admin;
#   2. as supabase_admin: `create role postgres superuser login`,
#      `alter database postgres owner to postgres`;
#   3. init/ in order, as postgres;
#   4. platform/ in order, as supabase_admin (10000000000000_demote-postgres
#      makes postgres NOSUPERUSER BYPASSRLS);
#   5. GoTrue's auth/ in version order, as supabase_auth_admin, search_path
#      auth, {{ index .Options "Namespace" }} = auth, each in a transaction,
#      recorded in auth.schema_migrations as GoTrue does;
#   6. Storage's storage/ in version order, as supabase_storage_admin,
#      search_path storage,public, storage.install_roles=false, each in a
#      transaction except those marked `postgres-migrations
#      disable-transaction` (CREATE INDEX CONCURRENTLY, COMMIT), recorded in
#      storage.migrations;
#   7. Realtime's schema (supabase_realtime below), as supabase_admin:
#      Realtime's database user in the self-hosted compose file, which
#      applies it at the server's start-up.
# Everything lives in database `postgres`, as on Supabase; the tests clone it.
# The server runs as Supabase's configuration has it for Realtime's Postgres
# Changes: wal_level = logical, and wal2json (Debian's postgresql-15-wal2json)
# allowed as an output plugin; this Debian build of PostgreSQL 15 refuses an
# output plugin that output_plugin_libraries does not list. Each test that
# reads changes holds a slot, hence the room for 20.
#
# What this machine lacks, and so what is left out (nothing else is changed):
#   - init/00000000000000-initial-schema.sql: its statement
#     `create extension if not exists pgjwt` (pgjwt is not packaged for
#     Debian; nothing in the product or in GoTrue/Storage's SQL uses it);
#   - platform/20220118070449_enable-safeupdate-postgrest.sql, skipped: it
#     sets session_preload_libraries = 'safeupdate' on authenticator, and the
#     pg-safeupdate library is not installed (authenticator could not log in);
#   - platform/20230529180330_alter_api_roles_for_inherit.sql: its statement
#     `GRANT pgsodium_keyholder to service_role` (pgsodium is not installed,
#     so its role does not exist); the rest (anon, authenticated and
#     service_role become INHERIT) runs;
#   - pg_graphql, pgsodium/supabase_vault, pg_cron and pg_net: the platform
#     migrations that concern them check pg_available_extensions themselves
#     and do nothing without them (the placeholder graphql_public.graphql and
#     the event triggers are created as on Supabase).

[ -n "${ROOT:-}" ] || source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
SUPABASE_SQL=${SAMIA_SUPABASE_SQL:-$ROOT/../shared/supabase}
SUPABASE_SKIPPED=(platform/20220118070449_enable-safeupdate-postgrest.sql)

# The URL of database $2 (default postgres) on the Supabase cluster in $1 as role $3.
supabase_url() {
  local dir=$1 db=${2:-postgres} user=${3:-supabase_admin}
  printf 'host=%s port=5432 user=%s dbname=%s' "$dir" "$user" "$db"
}

# psql as role $2 on database postgres of the cluster in $1, reading SQL on
# stdin; extra arguments go to psql (e.g. --single-transaction).
_supabase_psql() {
  local dir=$1 user=$2
  shift 2
  PGOPTIONS="${PGOPTIONS:-} -c client_min_messages=warning" \
    psql "$(supabase_url "$dir" postgres "$user")" -X -q -v ON_ERROR_STOP=1 "$@" >/dev/null
}

# A file of $SUPABASE_SQL as its applier reads it: the statements that need
# what this machine lacks removed (see above), GoTrue's template filled in.
_supabase_file() {
  local rel=$1
  case "$rel" in
    init/00000000000000-initial-schema.sql)
      grep -v -i '^create extension if not exists pgjwt ' "$SUPABASE_SQL/$rel" ;;
    platform/20230529180330_alter_api_roles_for_inherit.sql)
      grep -v -i '^GRANT pgsodium_keyholder to service_role;' "$SUPABASE_SQL/$rel" ;;
    auth/*)
      sed 's/{{ *index \.Options "Namespace" *}}/auth/g' "$SUPABASE_SQL/$rel" ;;
    *) cat "$SUPABASE_SQL/$rel" ;;
  esac
}

_supabase_apply() {
  local dir=$1 user=$2 rel=$3
  shift 3
  _supabase_file "$rel" | _supabase_psql "$dir" "$user" "$@" -f - \
    || die "applying $rel as $user failed (cluster in $dir)"
}

_supabase_build() {
  local dir=$1 f rel
  [ -d "$SUPABASE_SQL/init" ] || die "Supabase's SQL not found in $SUPABASE_SQL (set SAMIA_SUPABASE_SQL)"
  local skipped
  skipped=$(printf '%s\n' "${SUPABASE_SKIPPED[@]}")

  log "Supabase database: roles and init scripts (as postgres)"
  _supabase_psql "$dir" supabase_admin <<'SQL'
create role postgres superuser login;
alter database postgres owner to postgres;
SQL
  for f in "$SUPABASE_SQL"/init/*.sql; do
    _supabase_apply "$dir" postgres "init/${f##*/}"
  done

  log "Supabase database: platform migrations (as supabase_admin)"
  for f in "$SUPABASE_SQL"/platform/*.sql; do
    rel="platform/${f##*/}"
    grep -qxF "$rel" <<<"$skipped" && continue
    _supabase_apply "$dir" supabase_admin "$rel"
  done

  log "Supabase database: GoTrue's migrations (as supabase_auth_admin)"
  local version
  for f in $(ls "$SUPABASE_SQL"/auth/*.up.sql | sort); do
    rel="auth/${f##*/}"
    version=${f##*/}
    version=${version%%_*}
    { _supabase_file "$rel"
      # (a file may end without a semicolon)
      printf "\n;\ninsert into auth.schema_migrations (version) values ('%s') on conflict do nothing;\n" "$version"
    } | PGOPTIONS='-c search_path=auth' _supabase_psql "$dir" supabase_auth_admin --single-transaction -f - \
      || die "applying $rel as supabase_auth_admin failed (cluster in $dir)"
  done

  log "Supabase database: Storage's migrations (as supabase_storage_admin)"
  local id name hash tx
  for f in $(ls "$SUPABASE_SQL"/storage/*.sql | sort -t- -k1,1n); do
    rel="storage/${f##*/}"
    name=${f##*/}
    id=$((10#${name%%-*}))
    name=${name#*-}
    name=${name%.sql}
    hash=$(sha1sum "$f" | cut -c1-40)
    tx=(--single-transaction)
    grep -q '^-- postgres-migrations disable-transaction' "$f" && tx=()
    PGOPTIONS='-c search_path=storage,public -c storage.install_roles=false' \
      _supabase_apply "$dir" supabase_storage_admin "$rel" "${tx[@]}"
    _supabase_psql "$dir" supabase_storage_admin \
      -c "insert into storage.migrations (id, name, hash) values ($id, '$name', '$hash') on conflict do nothing"
  done
}

# Realtime's schema in database $2 (default postgres) of the Supabase cluster
# in $1, as the Realtime server leaves it after its start-up migrations:
# realtime/tenant_db_dump_15.sql loaded as supabase_admin, in one transaction
# (the role it creates, supabase_realtime_admin, is the cluster's: a second
# database reuses it). Every copy of database postgres has it, the product's
# databases included, so the product's migrations can see schema realtime.
# A dump carries no role memberships: the server's own migrations also grant
# supabase_realtime_admin (the owner of its tables) to postgres, which is how
# postgres manages the policies of realtime.messages there (on the hosted
# platform supautils' policy_grants does it instead; supautils is not
# installed here), so that grant follows the dump.
#
# realtime.messages is partitioned by day on inserted_at, and the server
# creates the days' partitions (yesterday to three days ahead, owned by
# supabase_realtime_admin) whenever it connects. No server runs here: the
# tests get one partition for every timestamp instead, realtime.messages_tests,
# FROM (MINVALUE) TO (MAXVALUE), owned as the server's are. Daily ones would
# make a test depend on the date and hour it runs at (a broadcast at 00:00:01
# UTC needs the new day's partition; realtime.send stamps now() in the
# session's time zone, the server's own rows UTC). A test that needs a
# missing partition detaches this one in a transaction it rolls back.
supabase_realtime() {
  local dir=$1 db=${2:-postgres}
  { cat "$SUPABASE_SQL/realtime/tenant_db_dump_15.sql"
    cat <<'SQL'
;
create table realtime.messages_tests partition of realtime.messages
  for values from (minvalue) to (maxvalue);
alter table realtime.messages_tests owner to supabase_realtime_admin;
grant supabase_realtime_admin to postgres;
SQL
  } | PGOPTIONS="${PGOPTIONS:-} -c client_min_messages=warning" \
    psql "$(supabase_url "$dir" "$db")" -X -q -v ON_ERROR_STOP=1 --single-transaction -f - >/dev/null \
    || die "loading Realtime's schema as supabase_admin into $db failed (cluster in $dir)"
}

# Builds (once per DIR) and starts the Supabase-shaped cluster in $1; extra
# arguments are postgres -c settings. Local connections are trusted, so
# `authenticator` logs in without a password as PostgREST's does with one.
supabase_cluster_start() {
  local dir=$1
  shift
  mkdir -p "$dir"
  is_root && chown postgres: "$dir"
  if [ -f "$dir/data/PG_VERSION" ] && [ ! -f "$dir/supabase-built" ]; then
    log "removing the unfinished Supabase cluster in $dir"
    cluster_stop "$dir"
    rm -rf "$dir/data"
  fi
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    rm -f "$dir/supabase-built" "$dir/supabase-realtime"
    as_pg "$PG_BIN/initdb" -D "$dir/data" -U supabase_admin --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" \
      || { cat "$dir/initdb.log" >&2; die "initdb failed in $dir"; }
  fi
  local opts s
  # As Supabase's own configuration: logical decoding for Realtime (above).
  opts="-c listen_addresses='' -c unix_socket_directories='$dir' -c port=5432 -c wal_level=logical"
  opts="$opts -c output_plugin_libraries='pgoutput, test_decoding, wal2json'"
  opts="$opts -c max_replication_slots=20 -c max_wal_senders=20"
  for s in "$@"; do opts="$opts -c $s"; done
  if [ ! -f "$dir/data/postmaster.pid" ]; then
    as_pg "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -o "$opts" -w -t 60 start >/dev/null \
      || { tail -n 20 "$dir/postgres.log" >&2; die "PostgreSQL did not start in $dir"; }
  fi
  if [ ! -f "$dir/supabase-built" ]; then
    _supabase_build "$dir"
    touch "$dir/supabase-built"
  fi
  # Its own step, so that a cluster built before it (SAMIA_SUPABASE_CLUSTER)
  # gets it too.
  if [ ! -f "$dir/supabase-realtime" ]; then
    log "Supabase database: Realtime's schema (as supabase_admin)"
    supabase_realtime "$dir"
    touch "$dir/supabase-realtime"
  fi
}

# The product on the Supabase cluster in $1, as database $2 for the tests to
# clone, deployed as docs/operations.md says: a copy of Supabase's database
# `postgres` (owned by postgres), in which supabase_admin creates the
# extension (the one privileged step); then `samia migrate up` runs as
# postgres, twice (the second must apply nothing), and `samia health` must
# say healthy. $3: the samia binary. Databases left by earlier test runs on
# this cluster are dropped first.
supabase_product_db() {
  local dir=$1 db=$2 samia=$3 admin old
  admin=$(supabase_url "$dir")
  for old in $(psql "$admin" -X -A -t -c "select datname from pg_database where datname ~ '^t_[0-9]+_[0-9]+$'"); do
    psql_in "$admin" -c "drop database $old"
  done
  psql_in "$admin" -c "drop database if exists $db" -c "create database $db template postgres owner postgres"
  psql_in "$(supabase_url "$dir" "$db")" -c 'create extension samia'
  local url out
  url=$(supabase_url "$dir" "$db" postgres)
  out=$(DATABASE_URL=$url "$samia" migrate up) || { printf '%s\n' "$out" >&2; die "samia migrate up as postgres failed on the Supabase database"; }
  out=$(DATABASE_URL=$url "$samia" migrate up) || { printf '%s\n' "$out" >&2; die "the second samia migrate up failed"; }
  grep -q ' 0 applied' <<<"$out" || { printf '%s\n' "$out" >&2; die "the second samia migrate up applied something"; }
  out=$(DATABASE_URL=$url "$samia" health) || { printf '%s\n' "$out" >&2; die "samia health is not healthy on the Supabase database"; }
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  case "${1:-}" in
    "" | -h | --help)
      sed -n '1,7p' "$0" | sed 's/^# \{0,1\}//'
      exit 0 ;;
    stop)
      cluster_stop "${2:?usage: scripts/supabase.sh stop DIR}"
      exit 0 ;;
  esac
  dir=$(mkdir -p "$1" && cd "$1" && pwd)
  supabase_cluster_start "$dir"
  if [ -n "${2:-}" ]; then
    [ -f "$("$PG_CONFIG" --sharedir)/extension/samia.control" ] || install_extension debug
    [ -x "$ROOT/target/debug/samia" ] || (cd "$ROOT" && cargo build -p samia-sidecar)
    supabase_product_db "$dir" "$2" "$ROOT/target/debug/samia"
    log "the product is deployed in database $2"
  fi
  printf 'superuser:  %s\n' "$(supabase_url "$dir" "${2:-postgres}")"
  printf 'operator:   %s\n' "$(supabase_url "$dir" "${2:-postgres}" postgres)"
  printf 'PostgREST:  %s\n' "$(supabase_url "$dir" "${2:-postgres}" authenticator)"
  printf 'stop with:  scripts/supabase.sh stop %s\n' "$dir"
fi
