#!/bin/sh
# Installs the samia extension from a `make package` tarball into the
# PostgreSQL whose programs are on PATH, where that server looks for it, and
# checks that it loads. POSIX sh: it runs in the Supabase Postgres image
# (deploy/Dockerfile) as well as on Debian (scripts/package.sh tests it there).
#
#   install-extension.sh PACKAGE.tar.gz   as root: copy the extension files in
#   install-extension.sh --check          as the postgres user: in a scratch
#                                         cluster, create extension samia and
#                                         call samia.zodiac_of
#
# Where the files go: the library into the server's module directory, which in
# the Supabase image is not `pg_config --pkglibdir`: its `postgres` is a Nix
# wrapper script that sets NIX_PGLIBDIR, and the server loads modules from
# there. Everywhere else it is `pg_config --pkglibdir`. The control and SQL
# files into `pg_config --sharedir`/extension. SAMIA_PKGLIBDIR and
# SAMIA_SHAREDIR override either.
set -eu

die() { printf 'install-extension.sh: %s\n' "$*" >&2; exit 1; }

pkglibdir() {
  if [ -n "${SAMIA_PKGLIBDIR:-}" ]; then
    printf '%s\n' "$SAMIA_PKGLIBDIR"
    return
  fi
  postgres=$(command -v postgres) || die "no postgres on PATH"
  # makeWrapper writes: export NIX_PGLIBDIR='/nix/store/...-postgresql-and-plugins-15.x/lib'
  nix=$(sed -n "s/^export NIX_PGLIBDIR=['\"]*\([^'\"]*\)['\"]*\$/\1/p" "$postgres" 2>/dev/null | head -n 1)
  if [ -n "$nix" ]; then
    printf '%s\n' "$nix"
  else
    pg_config --pkglibdir
  fi
}

sharedir() {
  if [ -n "${SAMIA_SHAREDIR:-}" ]; then
    printf '%s\n' "$SAMIA_SHAREDIR"
  else
    pg_config --sharedir
  fi
}

install_package() {
  package=$1
  [ -f "$package" ] || die "no package at $package"
  if [ -f "$package.sha256" ]; then
    expected=$(cut -d' ' -f1 "$package.sha256")
    actual=$(sha256sum "$package" | cut -d' ' -f1)
    [ "$expected" = "$actual" ] || die "$package does not match $package.sha256"
  fi
  libdir=$(pkglibdir)
  extdir=$(sharedir)/extension
  [ -d "$libdir" ] || die "the module directory $libdir does not exist"
  [ -d "$extdir" ] || die "the extension directory $extdir does not exist"
  work=$(mktemp -d)
  tar -xzf "$package" -C "$work"
  # Each release has a library of its own (samia-VERSION.so): the library of
  # the version a database's catalog holds stays in place until `ALTER
  # EXTENSION samia UPDATE`, so running servers keep working meanwhile.
  set -- "$work"/lib/postgresql/*/lib/samia-*.so
  [ -f "$1" ] || die "$package holds no lib/postgresql/<major>/lib/samia-VERSION.so: is it a make package tarball?"
  so=$1
  # In the Nix store these directories may be read-only to their owner; root
  # may write. A new file moved into place: a library a backend has mapped is
  # never rewritten under it.
  install -m 0755 "$so" "$libdir/.$(basename "$so").new"
  mv -f "$libdir/.$(basename "$so").new" "$libdir/$(basename "$so")"
  for f in "$work"/share/postgresql/*/extension/samia*; do
    [ -f "$f" ] || die "$package holds no extension files"
    install -m 0644 "$f" "$extdir/$(basename "$f")"
  done
  rm -rf "$work"
  printf 'installed %s into %s and its control, install and upgrade scripts into %s\n' \
    "$(basename "$so")" "$libdir" "$extdir"
}

check() {
  [ "$(id -u)" != 0 ] || die "--check runs PostgreSQL, which refuses root: run it as the postgres user"
  scratch=$(mktemp -d)
  trap 'rm -rf "$scratch"' EXIT
  initdb -D "$scratch/data" -U postgres --auth=trust >"$scratch/initdb.log" 2>&1 \
    || { cat "$scratch/initdb.log" >&2; die "initdb failed"; }
  printf '%s\n' "create extension samia;" "select samia.zodiac_of('2000-04-01');" \
    | postgres --single -D "$scratch/data" postgres >"$scratch/out.log" 2>&1 || true
  if ! grep -q 'zodiac_of = "Aries"' "$scratch/out.log"; then
    cat "$scratch/out.log" >&2
    die "create extension samia or samia.zodiac_of failed in a scratch cluster"
  fi
  printf 'create extension samia works: samia.zodiac_of(2000-04-01) = Aries\n'
}

case "${1:-}" in
  --check) check ;;
  "" | -h | --help)
    sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'
    [ -n "${1:-}" ]
    ;;
  *) install_package "$1" ;;
esac
