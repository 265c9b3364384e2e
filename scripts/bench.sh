#!/usr/bin/env bash
# `make bench [BENCH="name ..."]`: benchmarks, each printing both sides and
# their ratio from one run. Database benchmarks (zodiac, rls, audit, lifecycle) run
# against a throwaway cluster with the release build of the extension and
# default durability (fsync and synchronous_commit on); astro compares the
# chart engine with pyswisseph.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

names=${*:-zodiac rls audit lifecycle media probe jobs ingest backfill calls push astro}
db_benches=()
for name in $names; do
  case $name in
    zodiac | rls | audit | lifecycle | media | probe | jobs | ingest | backfill | calls | push) db_benches+=("$name") ;;
    astro) ;;
    *) die "unknown benchmark '$name'; known: zodiac rls audit lifecycle media probe jobs ingest backfill calls push astro" ;;
  esac
done

ensure_deps
if [ ${#db_benches[@]} -gt 0 ]; then
  install_extension release
  log "building samia, samia-fake and samia-bench (release)"
  cargo build --release -p samia-sidecar -p samia-fakes -p samia-tests --bin samia --bin samia-fake --bin samia-bench

  cluster=$(mktemp -d /tmp/samia-bench.XXXXXX)
  trap 'cluster_stop "$cluster"; rm -rf "$cluster"' EXIT
  cluster_start "$cluster" "" shared_buffers=1GB work_mem=64MB
  psql_in "$(cluster_url "$cluster" postgres)" -c 'create database samia_bench'
  url=$(cluster_url "$cluster" samia_bench)
  DATABASE_URL=$url target/release/samia migrate up >/dev/null
  DATABASE_URL=$url SAMIA_BIN=$ROOT/target/release/samia SAMIA_FAKE_BIN=$ROOT/target/release/samia-fake \
    target/release/samia-bench "${db_benches[@]}"
fi
case " $names " in
  *" astro "*)
    log "astro: chart engine against pyswisseph"
    cargo run --quiet --release -p samia-core --example astro_bench ;;
esac
