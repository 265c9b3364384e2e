# Shared steps of `make up`, `make test` and `make bench`. Sourced, not run.
# shellcheck shell=bash
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# SAMIA_PG_BIN: the bin directory of another (relocated) PostgreSQL 15
# installation to install the extension into and run clusters from; pgrx's
# own configuration always names the system one (the headers are the same).
SYSTEM_PG_CONFIG=/usr/lib/postgresql/15/bin/pg_config
PG_BIN=${SAMIA_PG_BIN:-/usr/lib/postgresql/15/bin}
PG_CONFIG=$PG_BIN/pg_config
PGRX_VERSION=0.18.0
APT_PACKAGES=(postgresql-15 postgresql-server-dev-15 postgresql-15-wal2json libclang-dev clang sudo ffmpeg openssl pgbouncer faketime)
export PATH="$HOME/.cargo/bin:$PATH"

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

is_root() { [ "$(id -u)" = 0 ]; }
as_root() { if is_root; then "$@"; else sudo "$@"; fi; }
# PostgreSQL refuses to run as root: as root, its programs run as `postgres`.
# PG_ENV: VAR=value words that its programs get explicitly (runuser need not
# keep the caller's environment), e.g. a fake clock for a cluster.
PG_ENV=()
as_pg() { if is_root; then runuser -u postgres -- env "${PG_ENV[@]}" "$@"; else env "${PG_ENV[@]}" "$@"; fi; }

# libfaketime's preload library (Debian's faketime package), the
# multithreaded one when the package has it.
faketime_lib() {
  local files lib
  files=$(dpkg-query -L libfaketime 2>/dev/null) || die "libfaketime is not installed: apt-get install faketime"
  for lib in libfaketimeMT.so.1 libfaketime.so.1; do
    grep -m1 "/$lib\$" <<<"$files" && return
  done
  die "libfaketime's preload library is not among its package's files (dpkg -L libfaketime)"
}

# Seconds from now to the next $1 (HH:MM:SS) UTC: today's, or tomorrow's
# once today's has passed.
seconds_until_utc() {
  local now at
  now=$(date -u +%s)
  at=$(date -u -d "$(date -u -d "@$now" +%F) $1" +%s)
  [ "$at" -ge "$now" ] || at=$((at + 86400))
  echo $((at - now))
}

# Installs the Debian packages, cargo-pgrx and pgrx's configuration, each only
# when missing, so a second run installs nothing.
ensure_deps() {
  command -v cargo >/dev/null || die "cargo not found: install the Rust toolchain (rustup) first"
  local missing=() p
  for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing Debian packages: ${missing[*]}"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
  if [ "$(cargo pgrx --version 2>/dev/null)" != "cargo-pgrx $PGRX_VERSION" ]; then
    log "installing cargo-pgrx $PGRX_VERSION (a few minutes, once)"
    cargo install cargo-pgrx --version "$PGRX_VERSION" --locked
  fi
  local pgrx_home=${PGRX_HOME:-$HOME/.pgrx}
  if ! grep -qs '^pg15 *= *"'"$SYSTEM_PG_CONFIG"'"' "$pgrx_home/config.toml"; then
    log "configuring pgrx for the system PostgreSQL 15"
    cargo pgrx init --pg15 "$SYSTEM_PG_CONFIG"
  fi
}

# Builds and installs the extension into the system PostgreSQL 15
# (its files only: no cluster is touched). $1: "debug" or "release".
install_extension() {
  local profile=()
  [ "${1:-debug}" = release ] && profile=(--release)
  log "building and installing the samia extension (${1:-debug})"
  local sudo=()
  is_root || sudo=(--sudo)
  (cd "$ROOT/pg_extension" && cargo pgrx install "${profile[@]}" "${sudo[@]}" --pg-config "$PG_CONFIG" >/dev/null)
}

# Creates and starts a cluster in directory $1 (created if needed).
# $2: TCP port on 127.0.0.1, or "" for the Unix socket in $1 only.
# Extra arguments are passed to postgres as -c settings.
cluster_start() {
  local dir=$1 port=$2
  shift 2
  mkdir -p "$dir"
  is_root && chown postgres: "$dir"
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    as_pg "$PG_BIN/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" \
      || { cat "$dir/initdb.log" >&2; die "initdb failed in $dir"; }
  fi
  local listen="" opts
  [ -n "$port" ] && listen=127.0.0.1
  opts="-c listen_addresses='$listen' -c unix_socket_directories='$dir' -c port=${port:-5432}"
  local s
  for s in "$@"; do opts="$opts -c $s"; done
  as_pg "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -o "$opts" -w -t 60 start >/dev/null \
    || { tail -n 20 "$dir/postgres.log" >&2; die "PostgreSQL did not start in $dir"; }
}

cluster_stop() {
  local dir=$1
  [ -f "$dir/data/postmaster.pid" ] && as_pg "$PG_BIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null || true
}

# A key=value connection string for database $2 on the cluster in $1.
cluster_url() {
  local dir=$1 db=$2 port=${3:-5432}
  printf 'host=%s port=%s user=postgres dbname=%s' "$dir" "$port" "$db"
}

psql_in() {
  local url=$1
  shift
  psql "$url" -X -q -v ON_ERROR_STOP=1 "$@"
}

# An HS256 JWT of the JSON claims $2, signed with secret $1 (for the local
# stack's fake Storage: its service key).
jwt_hs256() {
  local b64url='base64 -w0 | tr "+/" "-_" | tr -d "="'
  local header payload signature
  header=$(printf '%s' '{"alg":"HS256","typ":"JWT"}' | eval "$b64url")
  payload=$(printf '%s' "$2" | eval "$b64url")
  signature=$(printf '%s' "$header.$payload" | openssl dgst -sha256 -hmac "$1" -binary | eval "$b64url")
  printf '%s.%s.%s' "$header" "$payload" "$signature"
}
