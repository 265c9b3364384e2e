# Upgrades from earlier releases, for `make test` (CONTRACT.md section 13).
# Sourced after lib.sh, supabase.sh and package.sh.
#
# Every release ships one upgrade script from each earlier release straight
# to itself (pg_extension/sql/samia--OLD--NEW.sql): a script of a chain
# would re-create the functions in an intermediate release's library, which
# no later package ships. The install script of each shipped release is
# kept in pg_extension/releases/samia--VERSION.sql to write them from.
#
#   releases_older               "VERSION COMMIT" of every release in
#                                pg_extension/releases.tsv older than this
#                                one, oldest first
#   release_previous, release_oldest   the last and the first of those
#   release_build VERSION COMMIT builds that release's extension (debug) from
#                                its commit, once: .local/releases/VERSION/
#   upgrade_scripts_write NEW    writes every samia--OLD--CUR.sql from the
#                                recorded install scripts and NEW (this
#                                version's install script), removing others
#   upgrade_script_check PKG     the committed upgrade scripts are exactly
#                                what upgrade_scripts_write writes from the
#                                package PKG's install script, and the
#                                previous release's recorded install script
#                                is what its build installs
#   upgrade_plain PKG [VERSION]  a database made by the release VERSION (the
#                                previous one by default), on a copy of
#                                PostgreSQL 15, upgraded to the package PKG
#                                with traffic running (samia-upgrade); then
#                                the permission matrix and the orders suite
#                                on a template upgraded the same way
#   upgrade_supabase DIR PKG     the same upgrade from the previous release
#                                on the Supabase-shaped cluster in DIR, run
#                                as Supabase's roles do
# shellcheck shell=bash

current_version() { sed -n 's/^version = "\(.*\)"$/\1/p' "$ROOT/Cargo.toml" | head -n 1; }

releases_older() {
  awk -v cur="$(current_version)" '!/^#/ && NF >= 2 && $1 != cur { print $1, $2 }' \
    "$ROOT/pg_extension/releases.tsv"
}
release_previous() { releases_older | tail -n 1; }
release_oldest() { releases_older | head -n 1; }

# The install script of release $1, as its package installed it.
recorded_install_script() { printf '%s\n' "$ROOT/pg_extension/releases/samia--$1.sql"; }

upgrade_scripts_write() {
  local new=$1 current version _commit old
  current=$(current_version)
  rm -f "$ROOT"/pg_extension/sql/samia--*--*.sql
  while read -r version _commit; do
    old=$(recorded_install_script "$version")
    [ -f "$old" ] || die "no recorded install script $old of release $version"
    python3 "$ROOT/scripts/upgrade-script.py" "$old" "$new" \
      >"$ROOT/pg_extension/sql/samia--$version--$current.sql" \
      || log "samia--$version--$current.sql: review what upgrade-script.py reported above"
  done < <(releases_older)
}

# Prints the directory the release's `cargo pgrx package` wrote (its files at
# pg_config's own paths).
release_build() {
  local version=$1 commit=$2 dir out src
  dir=$ROOT/.local/releases/$version
  out=$dir/pkg
  if [ -f "$out/.built" ]; then
    printf '%s\n' "$out"
    return
  fi
  git -C "$ROOT" cat-file -e "$commit^{commit}" 2>/dev/null \
    || die "release $version's commit $commit is not in this clone (a shallow clone?): fetch the history first"
  src=$dir/src
  rm -rf "$src" "$out"
  mkdir -p "$src"
  log "building release $version of the extension from $commit (debug, once: .local/releases/$version)"
  git -C "$ROOT" archive "$commit" | tar -x -C "$src" || die "git archive $commit failed"
  (cd "$src/pg_extension" && CARGO_TARGET_DIR=$ROOT/.local/releases/target \
    cargo pgrx package --debug --pg-config "$SYSTEM_PG_CONFIG" --out-dir "$out" >&2) \
    || die "building release $version failed"
  touch "$out/.built"
  printf '%s\n' "$out"
}

# Copies release files from a pgrx package directory (or a tarball's
# extraction) into the PostgreSQL whose pg_config is $1.
install_release_files() {
  local pg_config=$1 from=$2
  local libdir extdir
  libdir=$("$pg_config" --pkglibdir)
  extdir=$("$pg_config" --sharedir)/extension
  as_root cp "$from$("$SYSTEM_PG_CONFIG" --pkglibdir)"/samia*.so "$libdir/"
  as_root cp "$from$("$SYSTEM_PG_CONFIG" --sharedir)"/extension/samia* "$extdir/"
}

upgrade_script_check() {
  local package=$1 current version commit old new script written shipped expected actual
  current=$(current_version)
  [ -n "$(release_previous)" ] || return 0
  new=$(mktemp /tmp/samia-install.XXXXXX.sql)
  tar -xzOf "$package" "share/postgresql/$PG_MAJOR/extension/samia--$current.sql" >"$new" \
    || die "$package holds no samia--$current.sql"
  # The previous release's recorded install script is the one its commit
  # builds (the older ones were checked so while they were the previous).
  read -r version commit <<<"$(release_previous)"
  old=$(release_build "$version" "$commit")
  cmp -s "$old$("$SYSTEM_PG_CONFIG" --sharedir)/extension/samia--$version.sql" "$(recorded_install_script "$version")" \
    || die "pg_extension/releases/samia--$version.sql is not what release $version ($commit) installs: copy it from .local/releases/$version/pkg"
  expected=$(releases_older | awk -v cur="$current" '{ print "samia--" $1 "--" cur ".sql" }' | sort)
  actual=$(cd "$ROOT/pg_extension/sql" && ls samia--*--*.sql 2>/dev/null | sort)
  [ "$expected" = "$actual" ] || die "pg_extension/sql/ must hold one upgrade script from each earlier release to $current, no other: expected $(echo $expected), found $(echo $actual) (scripts/upgrade.sh's upgrade_scripts_write writes them)"
  shipped=$(awk -v cur="$current" '!/^#/ && $1 == cur { print $2 }' "$ROOT/pg_extension/releases.tsv")
  while read -r version commit; do
    script=$ROOT/pg_extension/sql/samia--$version--$current.sql
    # A version that has shipped (listed with its commit) never changes: its
    # upgrade scripts are the ones of its commit.
    if [ -n "$shipped" ] && ! git -C "$ROOT" show "$shipped:pg_extension/sql/samia--$version--$current.sql" \
      | cmp -s - "$script"; then
      die "release $current has shipped (commit $shipped): its upgrade scripts cannot change. A change to the extension's SQL needs a new version: raise Cargo.toml's version and write the scripts to it (scripts/upgrade.sh's upgrade_scripts_write)"
    fi
    written=$(python3 "$ROOT/scripts/upgrade-script.py" "$(recorded_install_script "$version")" "$new" 2>/dev/null) || true
    [ "$written" = "$(cat "$script")" ] || {
      rm -f "$new"
      [ -n "$shipped" ] && die "the extension's SQL differs from release $current (commit $shipped): a change to it needs a new version (raise Cargo.toml's version, then write the upgrade scripts to it)"
      die "pg_extension/sql/samia--$version--$current.sql is not what scripts/upgrade-script.py writes now: regenerate it (and review what it reports)"
    }
  done < <(releases_older)
  rm -f "$new"
  log "upgrade scripts from $(releases_older | cut -d' ' -f1 | paste -sd, -) to $current match the install scripts"
}

upgrade_plain() {
  local package=$1 version=${2:-} previous commit old
  previous=$(release_previous)
  [ -n "$previous" ] || { log "no earlier release: nothing to upgrade from"; return 0; }
  [ -n "$version" ] || version=${previous%% *}
  commit=$(releases_older | awk -v v="$version" '$1 == v { print $2 }')
  [ -n "$commit" ] || die "no earlier release $version in pg_extension/releases.tsv"
  old=$(release_build "$version" "$commit")
  (
    dir=$(mktemp -d /tmp/samia-upgrade.XXXXXX)
    prefix=$dir/prefix
    PG_BIN=$prefix/lib/postgresql/$PG_MAJOR/bin
    trap 'cluster_stop "$dir/cluster"; rm -rf "$dir"' EXIT
    chmod 755 "$dir"
    log "upgrade: release $version to $(current_version) on a copy of PostgreSQL $PG_MAJOR under $dir"
    mkdir -p "$prefix/lib/postgresql" "$prefix/share/postgresql"
    cp -a "$STOCK_PG_LIB" "$prefix/lib/postgresql/"
    cp -a "$STOCK_PG_SHARE" "$prefix/share/postgresql/"
    find "$prefix" -name 'samia*' -exec rm -f {} +
    install_release_files "$PG_BIN/pg_config" "$old"
    cluster_start "$dir/cluster" "" fsync=off max_connections=100
    local admin samia=$ROOT/target/debug/samia fake=$ROOT/target/debug/samia-fake db
    admin=$(cluster_url "$dir/cluster" postgres)
    # A database and a template made by the release, migrated as far as it went.
    for db in samia_upgraded samia_template; do
      psql_in "$admin" -c "create database $db"
      psql_in "$(cluster_url "$dir/cluster" "$db")" -c "create extension samia version '$version'"
      DATABASE_URL=$(cluster_url "$dir/cluster" "$db") "$samia" migrate up --to "$(release_migrations "$commit")" >/dev/null \
        || die "migrating $db as release $version did failed"
    done
    local url
    url=$(cluster_url "$dir/cluster" samia_upgraded)
    SAMIA_BIN=$samia SAMIA_FAKE_BIN=$fake "$ROOT/target/debug/samia-upgrade" --db "$url" --api "$url" --updater "$url" \
      --operator "$url" --install "tar -xzf '$package' -C '$prefix' lib share" \
      || die "the upgrade from release $version failed"
    # The template: `samia migrate up` updates the extension itself (a
    # superuser may), then applies the new migrations.
    DATABASE_URL=$(cluster_url "$dir/cluster" samia_template) "$samia" migrate up \
      | grep -E '^(updated|applied)' >&2 || die "migrate up on the release's template failed"
    log "upgrade: the permission matrix and the orders suite on the upgraded template"
    SAMIA_TEST_ADMIN_URL=$admin SAMIA_BIN=$samia SAMIA_FAKE_BIN=$fake cargo test -p samia-tests --test permission_matrix --test orders
  )
}

# The newest migration a release's commit has. Its migrations are applied by
# this tree's `samia migrate up --to N`, which is the same as the release's
# own binary only while those files are unchanged: checked here (a changed
# migration is refused by `samia migrate up` anyway, once applied).
release_migrations() {
  git -C "$ROOT" diff --quiet "$1" -- $(git -C "$ROOT" ls-tree --name-only "$1" sql/migrations/) \
    || die "a migration of release $1 differs in this tree: migrations never change once released"
  git -C "$ROOT" ls-tree --name-only "$1" sql/migrations/ | sed -n 's|.*/V\([0-9]*\)__.*|\1|p' | sort -n | tail -n 1
}

upgrade_supabase() {
  local dir=$1 package=$2 previous version commit old
  previous=$(release_previous)
  [ -n "$previous" ] || return 0
  read -r version commit <<<"$previous"
  old=$(release_build "$version" "$commit")
  log "upgrade on the Supabase-shaped database: release $version to $(current_version), as supabase_admin and postgres"
  # The release's files on the server, as its package installed them.
  install_release_files "$PG_CONFIG" "$old"
  local admin db samia=$ROOT/target/debug/samia fake=$ROOT/target/debug/samia-fake
  admin=$(supabase_url "$dir")
  # samia_upgraded goes through the upgrade with traffic; samia_refused is
  # left at the release to show what postgres alone cannot do.
  for db in samia_upgraded samia_refused; do
    psql_in "$admin" -c "drop database if exists $db" -c "create database $db template postgres owner postgres"
    psql_in "$(supabase_url "$dir" "$db")" -c "create extension samia version '$version'"
    DATABASE_URL=$(supabase_url "$dir" "$db" postgres) "$samia" migrate up --to "$(release_migrations "$commit")" >/dev/null \
      || die "migrating $db as release $version (as postgres) failed"
  done
  db=samia_upgraded
  local install="tar -xzf '$package' -C /usr lib share"
  is_root || install="sudo $install"
  SAMIA_BIN=$samia SAMIA_FAKE_BIN=$fake "$ROOT/target/debug/samia-upgrade" --db "$(supabase_url "$dir" "$db")" \
    --api "$(supabase_url "$dir" "$db" authenticator)" --updater "$(supabase_url "$dir" "$db")" \
    --operator "$(supabase_url "$dir" "$db" postgres)" --install "$install" \
    || die "the upgrade from release $version on the Supabase-shaped database failed"

  # postgres is not a superuser. With the new files installed, what its
  # `samia migrate up` does depends on the pending migrations: when one
  # needs this version it must stop before changing anything and say what
  # to run; when none does it goes ahead and advises the update.
  local refused out last needed="" f n
  refused=$(supabase_url "$dir" samia_refused postgres)
  last=$(release_migrations "$commit")
  for f in "$ROOT"/sql/migrations/V*__*.sql; do
    n=${f##*/V}
    n=${n%%__*}
    if [ "$n" -gt "$last" ] && grep -q "^-- requires: samia >= $(current_version)\$" "$f"; then
      needed=${f##*/}
    fi
  done
  if [ -z "$needed" ]; then
    out=$(DATABASE_URL=$refused "$samia" migrate up 2>&1) \
      || die "samia migrate up as postgres failed although no pending migration needs the update: $out"
    grep -q 'ALTER EXTENSION samia UPDATE' <<<"$out" || die "samia migrate up as postgres did not advise the update: $out"
    [ "$(psql_in "$refused" -Atc "select extversion from pg_extension where extname = 'samia'")" = "$version" ] \
      || die "the extension of samia_refused moved without supabase_admin"
    out=$(DATABASE_URL=$refused "$samia" health 2>&1) || true
    grep -q 'ALTER EXTENSION samia UPDATE' <<<"$out" || die "samia health gave no advice on the old extension: $out"
    psql_in "$(supabase_url "$dir" samia_refused)" -c 'alter extension samia update'
    log "upgrade on the Supabase-shaped database: no pending migration needs $(current_version); postgres migrated and was advised to update, health advised it, supabase_admin updated"
    return 0
  fi
  if out=$(DATABASE_URL=$refused "$samia" migrate up 2>&1); then
    die "samia migrate up as postgres went ahead although $needed needs the extension update: $out"
  fi
  grep -q 'ALTER EXTENSION samia UPDATE' <<<"$out" && grep -q supabase_admin <<<"$out" \
    || die "samia migrate up as postgres did not name the command and the role: $out"
  [ "$(psql_in "$refused" -Atc "select max(version) from ops.schema_migrations")" = "$(release_migrations "$commit")" ] \
    || die "samia migrate up as postgres applied a migration before refusing"
  [ "$(psql_in "$refused" -Atc "select extversion from pg_extension where extname = 'samia'")" = "$version" ] \
    || die "the extension of samia_refused moved without supabase_admin"
  out=$(DATABASE_URL=$refused "$samia" health 2>&1) || true
  grep -q 'ALTER EXTENSION samia UPDATE' <<<"$out" || die "samia health gave no advice on the old extension: $out"
  # A sidecar of the new release refuses the older database.
  if out=$(DATABASE_URL="$(supabase_url "$dir" samia_refused) options='-c role=samia_sidecar'" SAMIA_LISTEN=off \
    TWILIO_ACCOUNT_SID=ACfake TWILIO_AUTH_TOKEN=unused \
    TWILIO_VERIFY_SERVICE_SID=VAfake TWILIO_BASE_URL=http://127.0.0.1:9 \
    timeout 60 "$samia" run 2>&1); then
    die "samia run started on a database older than it needs: $out"
  fi
  grep -q 'older than this samia needs' <<<"$out" || die "samia run did not say why it refused: $out"
  # Once supabase_admin has updated the extension, postgres migrates.
  psql_in "$(supabase_url "$dir" samia_refused)" -c 'alter extension samia update'
  DATABASE_URL=$refused "$samia" migrate up >/dev/null || die "samia migrate up after the update failed"
  log "upgrade on the Supabase-shaped database: postgres alone was refused with the command and the role; after supabase_admin's update it migrated"
}
