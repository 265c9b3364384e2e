#!/usr/bin/env bash
# `make upgrade-scripts`: writes pg_extension/sql/samia--OLD--NEW.sql from
# every earlier release (pg_extension/releases.tsv) straight to this
# version (Cargo.toml), from the recorded install scripts of the releases
# (pg_extension/releases/) and this tree's (`cargo pgrx schema`), and
# removes any other upgrade script. Run it after raising the version and
# after every later change to the extension's SQL; review what
# scripts/upgrade-script.py reports (drops, statements it cannot carry).
# `make test` checks that the committed scripts are what this writes.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$ROOT/scripts/package.sh"
source "$ROOT/scripts/upgrade.sh"
cd "$ROOT"
ensure_deps
new=$(mktemp /tmp/samia-install.XXXXXX.sql)
trap 'rm -f "$new"' EXIT
log "this tree's install script (cargo pgrx schema)"
(cd pg_extension && cargo pgrx schema "pg$PG_MAJOR" --pg-config "$SYSTEM_PG_CONFIG" -o "$new" >&2) \
  || die "cargo pgrx schema failed"
upgrade_scripts_write "$new"
log "wrote $(cd pg_extension/sql && ls samia--*--*.sql | paste -sd' ' -)"
