#!/usr/bin/env bash
# `make test`: formatting, lints, unit tests, in-database tests and the
# integration tests against a throwaway cluster that this script removes,
# then the suites that matter for access control again on a database built
# as a self-hosted Supabase one (scripts/supabase.sh), the upgrade from the
# previous release with traffic running (scripts/upgrade.sh: on that
# database and on plain PostgreSQL, where the permission matrix and the
# orders suite then run on the upgraded template) and from the first
# release on plain PostgreSQL the same way, then calls, orders and
# permissions (and bookings) again on a clock that reads 23:50 UTC (libfaketime).
#
# SAMIA_SUPABASE_CLUSTER=DIR keeps the Supabase-shaped cluster in DIR (built
# once, reused and only stopped afterwards); by default it is throwaway too.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/supabase.sh"
source "$ROOT/scripts/package.sh"
source "$ROOT/scripts/upgrade.sh"
source "$ROOT/scripts/types.sh"
cd "$ROOT"

ensure_deps

# Every throwaway cluster is stopped and removed on the way out, failures
# included.
clusters=()
supabase=${SAMIA_SUPABASE_CLUSTER:-}
keep_supabase=${supabase:+yes}
cleanup() {
  local dir
  for dir in "${clusters[@]}"; do
    cluster_stop "$dir"
    rm -rf "$dir"
  done
  if [ -n "$supabase" ]; then
    cluster_stop "$supabase"
    [ -n "$keep_supabase" ] || rm -rf "$supabase"
  fi
}
trap cleanup EXIT

log "cargo fmt --check"
cargo fmt --all --check

log "cargo clippy (warnings are errors)"
cargo clippy --workspace --all-targets -- -D warnings

log "unit tests (the sidecar's database tests on a throwaway cluster)"
unit=$(mktemp -d /tmp/samia-unit.XXXXXX)
clusters+=("$unit")
cluster_start "$unit" "" fsync=off
SAMIA_TEST_PG_URL=$(cluster_url "$unit" postgres) \
  cargo test --workspace --exclude samia --exclude samia-tests --exclude samia-core
cluster_stop "$unit"
# The chart engine's oracle test prints its table of worst errors per body.
cargo test -p samia-core -- --nocapture

log "in-database tests (cargo pgrx test pg15)"
pgrx_data=$(mktemp -d /tmp/samia-pgrx-test.XXXXXX)
rmdir "$pgrx_data"
runas=()
is_root && runas=(--runas postgres --pgdata "$pgrx_data")
(cd pg_extension && cargo pgrx test pg15 "${runas[@]}")
rm -rf "$pgrx_data"

# `cargo pgrx test` installed a test build; install the plain one.
install_extension debug
cargo build -p samia-sidecar
cargo build -p samia-fakes
cargo build -p samia-tests --bin samia-upgrade

log "package test: the debug package installed from its tarball alone"
package=$(package_build debug)
package_test "$package"
upgrade_script_check "$package"

log "integration tests against a throwaway cluster"
cluster=$(mktemp -d /tmp/samia-test.XXXXXX)
clusters+=("$cluster")
cluster_start "$cluster" "" fsync=off max_connections=200
admin=$(cluster_url "$cluster" postgres)
psql_in "$admin" -c 'create database samia_template'
DATABASE_URL=$(cluster_url "$cluster" samia_template) target/debug/samia migrate up >/dev/null

SAMIA_TEST_ADMIN_URL=$admin SAMIA_BIN=$ROOT/target/debug/samia SAMIA_FAKE_BIN=$ROOT/target/debug/samia-fake \
  cargo test -p samia-tests
log "typed tables for the apps: clients/database.types.ts is current"
types_tool
types_check "$(cluster_url "$cluster" samia_template)"
cluster_stop "$cluster"

log "integration tests on a Supabase-shaped database (Supabase's own SQL, ../shared/supabase)"
[ -n "$supabase" ] || supabase=$(mktemp -d /tmp/samia-supabase.XXXXXX)
supabase_cluster_start "$supabase" fsync=off max_connections=200
supabase_product_db "$supabase" samia_template "$ROOT/target/debug/samia"
SAMIA_TEST_FLAVOUR=supabase SAMIA_TEST_ADMIN_URL=$(supabase_url "$supabase") SAMIA_BIN=$ROOT/target/debug/samia \
  SAMIA_FAKE_BIN=$ROOT/target/debug/samia-fake \
  cargo test -p samia-tests --test permission_matrix --test orders --test phone --test authority \
  --test audit_records --test policy_plans --test hardening --test storage_rules --test supabase \
  --test calls --test call_access --test bookings --test pinned_files --test null_arguments --test realtime_harness \
  --test realtime --test realtime_access
upgrade_supabase "$supabase" "$package"

log "upgrade from the previous release, with traffic, on plain PostgreSQL"
upgrade_plain "$package"
# Every database made before releases began holds the first one, and its
# script goes straight to this version too.
oldest=$(release_oldest)
if [ -n "$oldest" ] && [ "$oldest" != "$(release_previous)" ]; then
  log "upgrade from the first release, ${oldest%% *}, with traffic, on plain PostgreSQL"
  upgrade_plain "$package" "${oldest%% *}"
fi

log "calls, bookings, orders and permissions at 23:50 UTC (libfaketime)"
# A fresh cluster, its template's migration and the test executables (with
# the sidecars and fakes they start) all run on one clock that starts at the
# next 23:50:00 UTC and runs on, so the suites book and join across
# midnight. Cargo itself never runs on it: libfaketime shifts file times too,
# which would upset its freshness checks; the executables are built first
# and run directly, from the package's directory as cargo runs them. The
# monotonic clock stays real: Rust's timed waits (futex) hand the kernel a
# deadline read from it, and with a faked reading a 1 s wait never returns.
late_suites=(--test calls --test call_access --test bookings --test orders --test permission_matrix)
built=$(cargo test -p samia-tests --no-run "${late_suites[@]}" --message-format=json)
mapfile -t late_tests < <(grep '"kind":\["test"\]' <<<"$built" | grep -o '"executable":"[^"]*"' | cut -d'"' -f4)
want=$((${#late_suites[@]} / 2)) # one executable per --test NAME
[ ${#late_tests[@]} = "$want" ] || die "expected $want test executables for ${late_suites[*]}, found ${#late_tests[@]}"
offset=$(seconds_until_utc 23:50:00)
clock=(FAKETIME="+${offset}s" FAKETIME_DONT_FAKE_MONOTONIC=1 LD_PRELOAD="$(faketime_lib)")
late=$(mktemp -d /tmp/samia-late.XXXXXX)
clusters+=("$late")
PG_ENV=("${clock[@]}")
cluster_start "$late" "" fsync=off max_connections=200
PG_ENV=()
admin=$(cluster_url "$late" postgres)
at=$(psql_in "$admin" -Atc "select to_char(now() at time zone 'utc', 'HH24:MI')")
case $at in
  23:5?) log "the cluster's clock reads $at UTC (${offset}s ahead)" ;;
  *) die "the cluster's clock reads $at UTC, not 23:5x: libfaketime did not take" ;;
esac
psql_in "$admin" -c 'create database samia_template'
env "${clock[@]}" DATABASE_URL="$(cluster_url "$late" samia_template)" target/debug/samia migrate up >/dev/null
failed=()
for t in "${late_tests[@]}"; do
  (cd "$ROOT/tests" && env "${clock[@]}" SAMIA_TEST_ADMIN_URL="$admin" SAMIA_BIN="$ROOT/target/debug/samia" \
    SAMIA_FAKE_BIN="$ROOT/target/debug/samia-fake" "$t") \
    || failed+=("$(basename "$t")")
done
cluster_stop "$late"
[ ${#failed[@]} = 0 ] || die "at 23:50 UTC these suites failed: ${failed[*]}"
log "all tests passed"
