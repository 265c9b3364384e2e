#!/usr/bin/env bash
# `make bench [BENCH="name ..."]`: benchmarks, each printing both sides and
# their ratio from one run. Database benchmarks (zodiac, rls, audit, lifecycle, ...) run
# against a throwaway cluster with the release build of the extension and
# default durability (fsync and synchronous_commit on); realtime runs the
# same way on a throwaway Supabase-shaped cluster (scripts/supabase.sh, with
# Realtime's schema), built only when it is asked for; astro compares the
# chart engine with pyswisseph.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/supabase.sh"
cd "$ROOT"

known="zodiac rls audit lifecycle media probe jobs ingest backfill calls push realtime astro"
names=${*:-$known}
db_benches=()
supabase_benches=()
for name in $names; do
  case $name in
    zodiac | rls | audit | lifecycle | media | probe | jobs | ingest | backfill | calls | push) db_benches+=("$name") ;;
    realtime) supabase_benches+=("$name") ;;
    astro) ;;
    *) die "unknown benchmark '$name'; known: $known" ;;
  esac
done

cluster=""
supabase=""
cleanup() {
  if [ -n "$cluster" ]; then cluster_stop "$cluster"; rm -rf "$cluster"; fi
  if [ -n "$supabase" ]; then cluster_stop "$supabase"; rm -rf "$supabase"; fi
}
trap cleanup EXIT

ensure_deps
if [ $((${#db_benches[@]} + ${#supabase_benches[@]})) -gt 0 ]; then
  install_extension release
  log "building samia, samia-fake and samia-bench (release)"
  cargo build --release -p samia-sidecar -p samia-fakes -p samia-tests --bin samia --bin samia-fake --bin samia-bench
fi
if [ ${#db_benches[@]} -gt 0 ]; then
  cluster=$(mktemp -d /tmp/samia-bench.XXXXXX)
  cluster_start "$cluster" "" shared_buffers=1GB work_mem=64MB
  psql_in "$(cluster_url "$cluster" postgres)" -c 'create database samia_bench'
  url=$(cluster_url "$cluster" samia_bench)
  DATABASE_URL=$url target/release/samia migrate up >/dev/null
  DATABASE_URL=$url SAMIA_BIN=$ROOT/target/release/samia SAMIA_FAKE_BIN=$ROOT/target/release/samia-fake \
    target/release/samia-bench "${db_benches[@]}"
  cluster_stop "$cluster"
fi
if [ ${#supabase_benches[@]} -gt 0 ]; then
  log "a Supabase-shaped cluster with Realtime for ${supabase_benches[*]}"
  supabase=$(mktemp -d /tmp/samia-bench-supabase.XXXXXX)
  supabase_cluster_start "$supabase" shared_buffers=1GB work_mem=64MB
  supabase_product_db "$supabase" samia_bench "$ROOT/target/release/samia"
  DATABASE_URL=$(supabase_url "$supabase" samia_bench) SAMIA_BIN=$ROOT/target/release/samia \
    target/release/samia-bench "${supabase_benches[@]}"
fi
case " $names " in
  *" astro "*)
    log "astro: chart engine against pyswisseph"
    cargo run --quiet --release -p samia-core --example astro_bench ;;
esac
