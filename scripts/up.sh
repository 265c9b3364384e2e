#!/usr/bin/env bash
# `make up`: the local stack. Builds and installs the extension, starts a
# project-local PostgreSQL 15 cluster under .local/ (never the system's `main`
# cluster), migrates, seeds demo accounts and data, prints how to connect,
# and runs in the foreground until Ctrl-C, then stops cleanly.
# SAMIA_RESET=1 starts from an empty local cluster.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

PORT=${SAMIA_PG_PORT:-54329}
DB=${SAMIA_DB:-samia}
CLUSTER=$ROOT/.local/cluster

ensure_deps
install_extension release
log "building the samia binary and the fakes (samia-fake)"
cargo build --release -p samia-sidecar
cargo build -p samia-fakes
SAMIA=$ROOT/target/release/samia
SAMIA_FAKE=$ROOT/target/debug/samia-fake

if [ -f "$CLUSTER/data/postmaster.pid" ] && as_pg "$PG_BIN/pg_ctl" -D "$CLUSTER/data" status >/dev/null 2>&1; then
  die "a local cluster is already running in $CLUSTER (another make up?); stop it first"
fi
if [ "${SAMIA_RESET:-}" = 1 ] && [ -d "$CLUSTER" ]; then
  log "SAMIA_RESET=1: removing the local cluster and its data"
  rm -rf "$CLUSTER"
fi
log "starting PostgreSQL 15 on 127.0.0.1:$PORT (data in .local/cluster)"
cluster_start "$CLUSTER" "$PORT"
SIDECAR_PIDS=()
stopped() {
  local pid
  # Not `kill && wait`: under `set -e` a process that ends by the signal
  # (status 143) would abort this cleanup before PostgreSQL is stopped.
  for pid in "${SIDECAR_PIDS[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  log "stopping PostgreSQL"
  cluster_stop "$CLUSTER"
}
trap stopped EXIT
trap 'exit 0' INT TERM

# start_fake NAME [ARGS...]: starts `samia-fake NAME` in the background
# (its output in .local/fake-NAME.out and .log) and sets FAKE_URL to where
# it listens.
start_fake() {
  local name=$1
  shift
  "$SAMIA_FAKE" "$name" "$@" >"$ROOT/.local/fake-$name.out" 2>"$ROOT/.local/fake-$name.log" &
  SIDECAR_PIDS+=($!)
  for _ in $(seq 50); do grep -q listening "$ROOT/.local/fake-$name.out" 2>/dev/null && break; sleep 0.1; done
  FAKE_URL=$(sed -n "s/^fake $name listening on //p" "$ROOT/.local/fake-$name.out")
  [ -n "$FAKE_URL" ] || die "the fake $name did not start; see .local/fake-$name.log"
}

admin=$(cluster_url "$CLUSTER" postgres "$PORT")
if [ -z "$(psql_in "$admin" -tAc "select 1 from pg_database where datname = '$DB'")" ]; then
  psql_in "$admin" -c "create database $DB"
fi
URL="postgres://postgres@127.0.0.1:$PORT/$DB"
log "migrating"
if ! DATABASE_URL=$URL "$SAMIA" migrate up; then
  die "migrations failed. If this local database was made by an older, unreleased build, start
afresh (its demo data is lost): SAMIA_RESET=1 make up"
fi
log "seeding demo accounts and data"
psql_in "$URL" -f sql/demo/seed.sql
DATABASE_URL=$URL "$SAMIA" health >/dev/null || DATABASE_URL=$URL "$SAMIA" health

# The sidecar works the job queue as role samia_sidecar, against the real
# Twilio Verify when TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and
# TWILIO_VERIFY_SERVICE_SID are set, otherwise against the fake one.
SIDECAR_URL="$admin dbname=$DB options='-c role=samia_sidecar'"
SIDECAR_LISTEN=127.0.0.1:${SAMIA_SIDECAR_PORT:-9187}
mkdir -p "$ROOT/.local"
if [ -n "${TWILIO_ACCOUNT_SID:-}" ] && [ -n "${TWILIO_AUTH_TOKEN:-}" ] && [ -n "${TWILIO_VERIFY_SERVICE_SID:-}" ]; then
  TWILIO_MODE="Twilio Verify (credentials from the environment)"
else
  start_fake twilio --listen 127.0.0.1:0
  export TWILIO_BASE_URL=$FAKE_URL TWILIO_ACCOUNT_SID=ACfake TWILIO_AUTH_TOKEN=fake-token TWILIO_VERIFY_SERVICE_SID=VAfake
  TWILIO_MODE="fake Twilio at $FAKE_URL (codes: curl $FAKE_URL/_fake/messages)"
fi
# Files: the real Supabase Storage when SUPABASE_URL and
# SUPABASE_SERVICE_ROLE_KEY are set, otherwise the fake one, keeping files in
# .local/storage and signing tokens with a local JWT secret made on the first
# run (.local/jwt-secret, a development value that never leaves this folder).
if [ -n "${SUPABASE_URL:-}" ] && [ -n "${SUPABASE_SERVICE_ROLE_KEY:-}" ]; then
  STORAGE_MODE="Supabase Storage at $SUPABASE_URL"
else
  [ -s "$ROOT/.local/jwt-secret" ] || (umask 077; head -c 48 /dev/urandom | base64 | tr -d '\n/+=' >"$ROOT/.local/jwt-secret")
  export SUPABASE_JWT_SECRET
  SUPABASE_JWT_SECRET=$(cat "$ROOT/.local/jwt-secret")
  mkdir -p "$ROOT/.local/storage"
  DATABASE_URL=$URL start_fake storage --listen "127.0.0.1:${SAMIA_STORAGE_PORT:-54330}" --root "$ROOT/.local/storage"
  SUPABASE_URL=$FAKE_URL
  SUPABASE_SERVICE_ROLE_KEY=$(jwt_hs256 "$SUPABASE_JWT_SECRET" '{"role":"service_role","iss":"samia-local"}')
  export SUPABASE_URL SUPABASE_SERVICE_ROLE_KEY
  STORAGE_MODE="fake Storage at $SUPABASE_URL (files in .local/storage; tokens signed with .local/jwt-secret)"
fi
# TikTok: the owner's real account when TIKTOK_CLIENT_KEY and
# TIKTOK_CLIENT_SECRET are set (connect it with `samia tiktok connect`),
# otherwise a fake TikTok seeded with sql/demo/tiktok_posts.json, connected
# at once, whose videos the fetch command copies from .local/tiktok-media.
FAKE_TIKTOK=
if [ -n "${TIKTOK_CLIENT_KEY:-}" ] && [ -n "${TIKTOK_CLIENT_SECRET:-}" ]; then
  TIKTOK_MODE="TikTok (app $TIKTOK_CLIENT_KEY; run samia tiktok connect)"
else
  FAKE_TIKTOK=1
  media="$ROOT/.local/tiktok-media"
  mkdir -p "$media"
  hz=300
  for id in $(grep -o '"id": *"[0-9]*"' sql/demo/tiktok_posts.json | grep -o '[0-9][0-9]*'); do
    hz=$((hz + 40))
    [ -s "$media/$id.mp4" ] || ffmpeg -nostdin -loglevel error -y -f lavfi -i "testsrc=duration=3:size=160x120:rate=10" \
      -f lavfi -i "sine=frequency=$hz:duration=3" -c:v libx264 -pix_fmt yuv420p -c:a aac -shortest "$media/$id.mp4"
  done
  export TIKTOK_CLIENT_KEY=demo-app TIKTOK_CLIENT_SECRET
  TIKTOK_CLIENT_SECRET=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
  start_fake tiktok --listen 127.0.0.1:0 --posts sql/demo/tiktok_posts.json --media-dir "$media"
  TIKTOK_API_URL=$FAKE_URL
  export TIKTOK_API_URL TIKTOK_AUTH_URL=$TIKTOK_API_URL
  export SAMIA_TIKTOK_FETCH_CMD="fetch() { cp \"$media/\${1##*/}.mp4\" \"\$2\"; }; fetch"
  TIKTOK_MODE="fake TikTok at $TIKTOK_API_URL (posts: curl $TIKTOK_API_URL/_fake/posts)"
fi
export TIKTOK_REDIRECT_URI=${TIKTOK_REDIRECT_URI:-http://$SIDECAR_LISTEN/v1/tiktok/callback}
# Calls: the real LiveKit when LIVEKIT_URL is set (with LIVEKIT_API_KEY and
# LIVEKIT_API_SECRET), otherwise a fake LiveKit posting its webhooks to the
# sidecar, with a local API secret made on the first run (.local/livekit-secret).
# The join route checks the apps' tokens with SUPABASE_JWT_SECRET (or
# SUPABASE_JWKS_URL): without either, calls stay off.
if [ -n "${LIVEKIT_URL:-}" ]; then
  LIVEKIT_MODE="LiveKit at $LIVEKIT_URL"
elif [ -n "${SUPABASE_JWT_SECRET:-}${SUPABASE_JWKS_URL:-}" ]; then
  [ -s "$ROOT/.local/livekit-secret" ] || (umask 077; head -c 48 /dev/urandom | base64 | tr -d '\n/+=' >"$ROOT/.local/livekit-secret")
  export LIVEKIT_API_KEY=devkey LIVEKIT_API_SECRET
  LIVEKIT_API_SECRET=$(cat "$ROOT/.local/livekit-secret")
  start_fake livekit --listen 127.0.0.1:0 --webhook-url "http://$SIDECAR_LISTEN/v1/webhooks/livekit"
  LIVEKIT_URL=$FAKE_URL
  export LIVEKIT_URL
  LIVEKIT_MODE="fake LiveKit at $LIVEKIT_URL (rooms: curl $LIVEKIT_URL/_fake/rooms)"
else
  LIVEKIT_MODE="off (set SUPABASE_JWT_SECRET or SUPABASE_JWKS_URL for the join route)"
fi
# Push: Firebase Cloud Messaging when FCM_SERVICE_ACCOUNT_FILE or
# FCM_SERVICE_ACCOUNT_JSON is set, otherwise a fake FCM with a service
# account of its own (.local/fcm-account.json, a key made on each start).
if [ -n "${FCM_SERVICE_ACCOUNT_FILE:-}${FCM_SERVICE_ACCOUNT_JSON:-}" ]; then
  PUSH_MODE="Firebase Cloud Messaging"
else
  start_fake fcm --listen 127.0.0.1:0 --service-account-out "$ROOT/.local/fcm-account.json"
  export FCM_SERVICE_ACCOUNT_FILE=$ROOT/.local/fcm-account.json FCM_BASE_URL=$FAKE_URL
  PUSH_MODE="fake FCM at $FAKE_URL (pushes: curl $FAKE_URL/_fake/messages)"
fi
DATABASE_URL=$SIDECAR_URL SAMIA_LISTEN=$SIDECAR_LISTEN "$SAMIA" run >"$ROOT/.local/sidecar.out" 2>"$ROOT/.local/sidecar.log" &
SIDECAR_PIDS+=($!)
if [ -n "$FAKE_TIKTOK" ]; then
  # Connect as the owner would: open the link, approve, come back.
  for _ in $(seq 50); do curl -fs "http://$SIDECAR_LISTEN/healthz" >/dev/null 2>&1 && break; sleep 0.2; done
  link=$(DATABASE_URL=$URL "$SAMIA" tiktok connect 2>/dev/null)
  back=$(curl -s -o /dev/null -w '%{redirect_url}' "$link")
  curl -fs "$back" >/dev/null || log "could not connect the fake TikTok; see .local/sidecar.log"
fi

# Access tokens for the demo users, signed with the local JWT secret and
# valid for a day, and three commands from here to a joined call, in
# .local/demo.env (made afresh by every `make up`).
DEMO_ENV=$ROOT/.local/demo.env
CALL_HELP="join: curl -X POST -H \"Authorization: Bearer <access token>\" http://$SIDECAR_LISTEN/v1/calls/<order id>/join"
if [ -n "${SUPABASE_JWT_SECRET:-}" ]; then
  now=$(date +%s)
  {
    printf '# make up: demo access tokens (valid until %s) and a call in three commands.\n' \
      "$(date -u -d "@$((now + 86400))" '+%Y-%m-%d %H:%M UTC')"
    printf 'export SAMIA_DB=%q SAMIA_SIDECAR=%q LIVEKIT_URL=%q\n' "$URL" "http://$SIDECAR_LISTEN" "${LIVEKIT_URL:-}"
    for who in SUPERADMIN:1 ADMIN:2 READER:3 MONITOR:4 CLIENT:5; do
      printf 'export %s_TOKEN=%s\n' "${who%%:*}" "$(jwt_hs256 "$SUPABASE_JWT_SECRET" \
        "{\"sub\":\"00000000-0000-4000-8000-00000000000${who##*:}\",\"role\":\"authenticated\",\"aud\":\"authenticated\",\"iat\":$now,\"exp\":$((now + 86400))}")"
    done
    cat <<'DEMO'
# demo_book: the demo client books a call now with the demo reader (who is
# online), as PostgREST would run the request; prints the order id.
demo_book() {
  psql "$SAMIA_DB" -qAtX -v ON_ERROR_STOP=1 -c 'set role authenticated' \
    -c "select set_config('request.jwt.claims', '{\"sub\":\"00000000-0000-4000-8000-000000000005\",\"role\":\"authenticated\"}', false)" \
    -c "select id from public.book_call('direct_call', '00000000-0000-4000-8000-000000000003')" | tail -n 1
}
# demo_join ORDER TOKEN: asks the sidecar's join route for a call token with
# the user's access token, then joins the (fake) LiveKit room with it.
demo_join() {
  grant=$(curl -fsS -X POST -H "Authorization: Bearer $2" "$SAMIA_SIDECAR/v1/calls/$1/join") || return
  printf '%s\n' "$grant"
  token=$(printf '%s' "$grant" | sed -n 's/.*"token":"\([^"]*\)".*/\1/p')
  curl -fsS -X POST -H 'content-type: application/json' -d "{\"token\":\"$token\"}" \
    "$LIVEKIT_URL/_fake/rooms/call-$1/join" && printf '\n'
}
DEMO
  } >"$DEMO_ENV"
  chmod 600 "$DEMO_ENV"
  CALL_HELP="a joined call in three commands (tokens for every demo user in .local/demo.env):
               source .local/demo.env
               ORDER=\$(demo_book)
               demo_join \$ORDER \$CLIENT_TOKEN     # then: demo_join \$ORDER \$READER_TOKEN
             the join route alone, after the first two:
               curl -X POST -H \"Authorization: Bearer \$CLIENT_TOKEN\" http://$SIDECAR_LISTEN/v1/calls/\$ORDER/join
             access tokens (local secret, valid for a day):
$(sed -n 's/^export \([A-Z]*_TOKEN\)=\(.*\)$/               \1=\2/p' "$DEMO_ENV")"
fi

cat <<INFO

SAMIA-TAROT is up.

  Database   $URL
             (trust authentication on 127.0.0.1 only; data in .local/cluster)
  psql       psql $URL
  operator   DATABASE_URL=$URL $SAMIA health
  sidecar    http://$SIDECAR_LISTEN/healthz and /metrics; logs in .local/sidecar.log
             phone codes go to the $TWILIO_MODE
  files      $STORAGE_MODE
  tiktok     $TIKTOK_MODE
             drafts to review: select * from public.horoscope_review_queue (as the monitor)
  calls      $LIVEKIT_MODE
             book: select * from public.book_call('direct_call', '00000000-0000-4000-8000-000000000003')
             $CALL_HELP
  push       $PUSH_MODE

  Demo accounts (auth.users id / email / role):
    00000000-0000-4000-8000-000000000001  superadmin@samia.test  superadmin
    00000000-0000-4000-8000-000000000002  admin@samia.test       admin
    00000000-0000-4000-8000-000000000003  reader@samia.test      reader
    00000000-0000-4000-8000-000000000004  monitor@samia.test     monitor
    00000000-0000-4000-8000-000000000005  client@samia.test      client

  Act as a demo user exactly as PostgREST does, in psql:
    begin;
    set local role authenticated;
    select set_config('request.jwt.claims',
      '{"sub":"00000000-0000-4000-8000-000000000005","role":"authenticated"}', true);
    select * from public.orders;
    commit;

Press Ctrl-C to stop.
INFO

# Foreground until Ctrl-C; also stop if PostgreSQL dies.
while as_pg "$PG_BIN/pg_ctl" -D "$CLUSTER/data" status >/dev/null 2>&1; do
  sleep 2 &
  wait $! || true
done
log "PostgreSQL exited; see .local/cluster/postgres.log"
exit 1
