#!/usr/bin/env bash
# `make bench [BENCH=name]`: benchmarks against a throwaway cluster with the
# release build of the extension and default durability settings
# (fsync and synchronous_commit on). Each prints its ratio from one run.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

ensure_deps
install_extension release
log "building samia and samia-bench (release)"
cargo build --release -p samia-sidecar -p samia-tests --bin samia --bin samia-bench

cluster=$(mktemp -d /tmp/samia-bench.XXXXXX)
trap 'cluster_stop "$cluster"; rm -rf "$cluster"' EXIT
cluster_start "$cluster" "" shared_buffers=1GB work_mem=64MB
psql_in "$(cluster_url "$cluster" postgres)" -c 'create database samia_bench'
url=$(cluster_url "$cluster" samia_bench)
DATABASE_URL=$url target/release/samia migrate up >/dev/null
# shellcheck disable=SC2086
DATABASE_URL=$url target/release/samia-bench $*
