#!/usr/bin/env bash
# `make package`: the samia extension (`cargo pgrx package`) and the `samia`
# binary in one tarball, target/package/samia-VERSION-pg15-ARCH.tar.gz, with
# FILE.sha256 beside it. Its paths are relative to a PostgreSQL prefix laid out
# as Debian's, so `tar -xzf FILE -C /usr` installs it there:
#
#   lib/postgresql/15/lib/samia-VERSION.so (a library per release)
#   share/postgresql/15/extension/samia.control, samia--VERSION.sql and the
#     upgrade scripts samia--A--B.sql from every earlier release
#   bin/samia (and nothing else of the workspace: samia-fake, the providers'
#     fakes, is for make up and the tests only; package_test checks the list)
#
# Run: builds the release package. Sourced (by scripts/test.sh): defines
# package_build and package_test.
# shellcheck shell=bash
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PG_MAJOR=15
# The stock PostgreSQL that package_test copies (never written to).
STOCK_PG_LIB=/usr/lib/postgresql/$PG_MAJOR
STOCK_PG_SHARE=/usr/share/postgresql/$PG_MAJOR

package_target_dir() { printf '%s' "${CARGO_TARGET_DIR:-$ROOT/target}"; }

# package_build release|debug: builds the package and prints its path. The
# debug package (name ending in -debug) is the one `make test` checks: the
# same files, built without the release profile's fat LTO.
package_build() {
  local profile=${1:-release} target pgrx_flags=() cargo_flags=() suffix="" level=9
  target=$(package_target_dir)
  if [ "$profile" = debug ]; then
    pgrx_flags=(--debug)
    suffix=-debug
    level=1
  else
    cargo_flags=(--release)
  fi
  local pgrx_out="$target/$profile/samia-pg$PG_MAJOR"
  rm -rf "$pgrx_out"
  log "cargo pgrx package ($profile) for $PG_CONFIG"
  (cd "$ROOT/pg_extension" && cargo pgrx package "${pgrx_flags[@]}" --pg-config "$PG_CONFIG" --out-dir "$pgrx_out" >&2) \
    || die "cargo pgrx package failed"
  log "cargo build -p samia-sidecar ($profile)"
  (cd "$ROOT" && cargo build "${cargo_flags[@]}" -p samia-sidecar >&2) || die "cargo build -p samia-sidecar failed"

  # cargo pgrx package lays the files out at pg_config's own paths.
  local libdir extdir control version
  libdir=$pgrx_out$("$PG_CONFIG" --pkglibdir)
  extdir=$pgrx_out$("$PG_CONFIG" --sharedir)/extension
  control=$extdir/samia.control
  [ -f "$control" ] || die "cargo pgrx package wrote no $control"
  version=$(sed -n "s/^default_version *= *'\(.*\)'$/\1/p" "$control")
  [ -n "$version" ] || die "no default_version in $control"
  [ -f "$libdir/samia-$version.so" ] || die "cargo pgrx package wrote no $libdir/samia-$version.so"
  [ -f "$extdir/samia--$version.sql" ] || die "cargo pgrx package wrote no $extdir/samia--$version.sql"

  local stage
  stage=$(mktemp -d /tmp/samia-package.XXXXXX) || die "mktemp failed"
  # (Each step checked: in $(package_build ...) errexit does not apply.)
  mkdir -p "$stage/lib/postgresql/$PG_MAJOR/lib" "$stage/share/postgresql/$PG_MAJOR/extension" "$stage/bin" \
    && install -m 0755 "$libdir"/samia*.so "$stage/lib/postgresql/$PG_MAJOR/lib/" \
    && install -m 0644 "$extdir"/samia* "$stage/share/postgresql/$PG_MAJOR/extension/" \
    && install -m 0755 "$target/$profile/samia" "$stage/bin/samia" \
    || die "staging the package in $stage failed"

  local name dir
  name=samia-$version-pg$PG_MAJOR-$(uname -m)$suffix.tar.gz
  dir=$target/package
  mkdir -p "$dir" || die "cannot create $dir"
  # Same inputs, same bytes: sorted names, fixed owner and times, no gzip name or time.
  local mtime
  mtime=$(git -C "$ROOT" log -1 --format=%ct 2>/dev/null || echo 0)
  log "writing $dir/$name"
  tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$mtime" -C "$stage" -cf - bin lib share \
    | gzip -n "-$level" >"$dir/$name.tmp" || die "writing $dir/$name failed"
  mv "$dir/$name.tmp" "$dir/$name" && (cd "$dir" && sha256sum "$name" >"$name.sha256") \
    || die "writing $dir/$name.sha256 failed"
  rm -rf "$stage"
  printf '%s\n' "$dir/$name"
}

# package_test TARBALL: installs the tarball's extension files, and nothing
# else, into a fresh copy of the stock PostgreSQL 15 (relocated under /tmp:
# PostgreSQL finds its lib and share directories relative to its programs)
# with deploy/install-extension.sh, then in a new cluster of that copy:
# `create extension samia`, a function of it, the library loaded from the
# copy's lib directory (the tarball's Debian layout), and `samia migrate up`
# and `samia health` with the tarball's binary. No cargo, no pgrx.
package_test() {
  local tarball=$1
  [ -f "$tarball" ] || die "no package at $tarball: run package_build first"
  (
    dir=$(mktemp -d /tmp/samia-package-test.XXXXXX)
    prefix=$dir/prefix
    PG_BIN=$prefix/lib/postgresql/$PG_MAJOR/bin
    trap 'cluster_stop "$dir/cluster"; rm -rf "$dir"' EXIT
    chmod 755 "$dir"
    log "package test: $(basename "$tarball") into a fresh PostgreSQL $PG_MAJOR under $dir"

    (cd "$(dirname "$tarball")" && sha256sum --check --quiet "$(basename "$tarball").sha256") \
      || die "$tarball does not match its .sha256"
    local version listed expected
    version=$(basename "$tarball" | sed -n "s/^samia-\(.*\)-pg$PG_MAJOR-.*\.tar\.gz$/\1/p")
    listed=$(tar -tzf "$tarball" | grep -v '/$' | sort)
    expected=$(
      printf '%s\n' bin/samia "lib/postgresql/$PG_MAJOR/lib/samia-$version.so" \
        "share/postgresql/$PG_MAJOR/extension/samia--$version.sql" \
        "share/postgresql/$PG_MAJOR/extension/samia.control"
      for f in "$ROOT"/pg_extension/sql/samia--*--*.sql; do
        [ -f "$f" ] && printf '%s\n' "share/postgresql/$PG_MAJOR/extension/$(basename "$f")"
      done
    )
    expected=$(sort <<<"$expected")
    [ "$listed" = "$expected" ] || die "$tarball holds
$listed
instead of
$expected"

    mkdir -p "$prefix/lib/postgresql" "$prefix/share/postgresql"
    cp -a "$STOCK_PG_LIB" "$prefix/lib/postgresql/"
    cp -a "$STOCK_PG_SHARE" "$prefix/share/postgresql/"
    # The system installation may hold a samia build (cargo pgrx install):
    # the copy starts without one, so only the tarball can provide it.
    find "$prefix" -name 'samia*' -exec rm -f {} +
    [ "$("$PG_BIN/pg_config" --pkglibdir)" = "$prefix/lib/postgresql/$PG_MAJOR/lib" ] \
      || die "the copy of PostgreSQL in $prefix does not find its own lib directory"
    # Installed as deploy/Dockerfile installs it: the script asks the copy's
    # own programs where the files go, and checks a scratch cluster.
    PATH="$PG_BIN:$PATH" sh "$ROOT/deploy/install-extension.sh" "$tarball" >&2 \
      || die "deploy/install-extension.sh could not install $tarball"
    # (A copy the postgres user can read wherever the checkout is.)
    cp "$ROOT/deploy/install-extension.sh" "$dir/install-extension.sh"
    as_pg env PATH="$PG_BIN:$PATH" sh "$dir/install-extension.sh" --check >&2 \
      || die "deploy/install-extension.sh --check failed"
    mkdir "$dir/bin"
    tar -xzf "$tarball" -C "$dir" bin/samia

    cluster_start "$dir/cluster" "" fsync=off
    psql_in "$(cluster_url "$dir/cluster" postgres)" -c 'create database samia_package'
    local db got
    db=$(cluster_url "$dir/cluster" samia_package)
    psql_in "$db" -c 'create extension samia'
    got=$(psql_in "$db" -At -c "select extversion from pg_extension where extname = 'samia'")
    [ "$got" = "$version" ] || die "create extension samia made version '$got', not $version"
    got=$(psql_in "$db" -At -c "select samia.zodiac_of('2000-04-01')")
    [ "$got" = Aries ] || die "samia.zodiac_of('2000-04-01') is '$got', not Aries"
    # The backend mapped the library from the copy, not from any other installation.
    got=$(psql_in "$db" -At -c "select samia.zodiac_of('2000-01-01')" \
      -c "select string_agg(distinct m[1], ' ') from regexp_matches(pg_read_file('/proc/self/maps'), '(/\S*samia-[0-9.]*\.so)', 'g') m")
    [ "$got" = "Capricorn
$prefix/lib/postgresql/$PG_MAJOR/lib/samia-$version.so" ] || die "the backend loaded: $got"

    local out
    out=$(DATABASE_URL=$db "$dir/bin/samia" migrate up 2>&1) || die "samia migrate up failed: $out"
    out=$(DATABASE_URL=$db "$dir/bin/samia" migrate up 2>&1) || die "samia migrate up (again) failed: $out"
    case $out in *" 0 applied,"*) ;; *) die "a second samia migrate up applied something: $out" ;; esac
    out=$(DATABASE_URL=$db "$dir/bin/samia" health 2>&1) || die "samia health failed: $out"
    log "package test passed: create extension samia $version, samia migrate up, samia health"
  )
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  cd "$ROOT"
  ensure_deps
  package=$(package_build release) || exit 1
  log "package: $package"
  log "sha256:  $(cut -d' ' -f1 "$package.sha256")"
fi
