-- The samia extension's upgrade script, written by scripts/upgrade-script.py
-- from the install scripts of both versions (see its header); regenerate it,
-- never edit it by hand.

-- Every function of the new version, pointing at its library.
CREATE OR REPLACE FUNCTION samia."app_config_authority"() RETURNS TRIGGER
LANGUAGE c SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS 'samia-0.4.0', 'app_config_authority_wrapper';

CREATE OR REPLACE FUNCTION samia."append_only"() RETURNS TRIGGER
LANGUAGE c
AS 'samia-0.4.0', 'append_only_wrapper';

CREATE OR REPLACE FUNCTION "attach_post_media"(
	"post_id" bigint,
	"media_id" bigint
) RETURNS void
VOLATILE SECURITY DEFINER
SET search_path TO pg_catalog, pg_temp
LANGUAGE c
AS 'samia-0.4.0', 'attach_post_media_wrapper';

CREATE OR REPLACE FUNCTION "audit_seal"(
	"max_rows" INT DEFAULT 10000
) RETURNS INT
STRICT VOLATILE SECURITY DEFINER
SET search_path TO pg_catalog, pg_temp
LANGUAGE c
AS 'samia-0.4.0', 'audit_seal_wrapper';

CREATE OR REPLACE FUNCTION samia."blocklist_authority"() RETURNS TRIGGER
LANGUAGE c SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS 'samia-0.4.0', 'blocklist_authority_wrapper';

CREATE OR REPLACE FUNCTION "book_call"(
	"service_code" TEXT,
	"reader" uuid,
	"starts_at" timestamp with time zone,
	"time_zone" TEXT
) RETURNS bigint
VOLATILE SECURITY DEFINER
SET search_path TO pg_catalog, pg_temp
LANGUAGE c
AS 'samia-0.4.0', 'book_call_wrapper';

CREATE OR REPLACE FUNCTION "call_deadline"(
	"order_id" bigint,
	"check" TEXT
) RETURNS bool
STRICT VOLATILE SECURITY DEFINER
SET search_path TO pg_catalog, pg_temp
LANGUAGE c
AS 'samia-0.4.0', 'call_deadline_wrapper';

CREATE OR REPLACE FUNCTION "call_join"(
	"order_id" bigint
) RETURNS jsonb
VOLATILE
SET search_path TO pg_catalog, pg_temp
LANGUAGE c
AS 'samia-0.4.0', 'call_join_wrapper';

CREATE OR REPLACE FUNCTION "call_remind"(
	"order_id" bigint,
	"scheduled_at" timestamp with time zone,
	"minutes_before" INT
) RETURNS bool
STRICT VOLATILE SECURITY DEFINER
SET search_path TO pg_catalog, pg_temp
LANGUAGE c
AS 'samia-0.4.0', 'call_remind_wrapper';

CREATE OR REPLACE FUNCTION "caller_is_blocked"() RETURNS bool
STRICT STABLE SECURITY DEFINER PARALLEL SAFE
SET search_path TO pg_catalog, pg_temp
LANGUAGE c
AS 'samia-0.4.0', 'caller_is_blocked_wrapper';

CREATE OR REPLACE FUNCTION "caller_role"() RETURNS TEXT
STRICT STABLE SECURITY DEFINER PARALLEL SAFE
SET search_path TO pg_catalog, pg_temp
LANGUAGE c
AS 'samia-0.4.0', 'caller_role_wrapper';

CREATE OR REPLACE FUNCTION samia."calls_authority"() RETURNS TRIGGER
LANGUAGE c SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS 'samia-0.4.0', 'calls_authority_wrapper';

CREATE OR REPLACE FUNCTION samia."calls_on_block"() RETURNS TRIGGER
LANGUAGE c SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS 'samia-0.4.0', 'calls_on_block_wrapper';

CREATE OR REPLACE FUNCTION samia."calls_rows_authority"() RETURNS TRIGGER
LANGUAGE c SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS 'samia-0.4.0', 'calls_rows_authority_wrapper';

CREATE OR REPLACE FUNCTION "chart_summary"(
	"chart" jsonb
) RETURNS TEXT
IMMUTABLE STRICT PARALLEL SAFE
LANGUAGE c
AS 'samia-0.4.0', 'chart_summary_wrapper';

CREATE OR REPLACE FUNCTION "classify_caption"(
	"caption" TEXT,
	"posted_at" timestamp with time zone,
	"time_zone" TEXT DEFAULT NULL
) RETURNS jsonb
IMMUTABLE PARALLEL SAFE
SET search_path TO pg_catalog, pg_temp
LANGUAGE c
AS 'samia-0.4.0', 'classify_caption_wrapper';

CREATE OR REPLACE FUNCTION "classify_post"(
	"post_id" bigint,
	"scope" TEXT,
	"zodiac" TEXT,
	"ref_date" date
) RETURNS void
VOLATILE SECURITY DEFINER
SET search_path TO pg_catalog, pg_temp
LANGUAGE c
AS 'samia-0.4.0', 'classify_post_wrapper';

CREATE OR REPLACE FUNCTION "confirm_phone_verification"(
	"code" TEXT
) RETURNS bigint
VOLATILE SECURITY DEFINER
SET search_path TO pg_catalog, pg_temp
LANGUAGE c
AS 'samia-0.4.0', 'confirm_phone_verification_wrapper';

CREATE OR REPLACE FUNCTION samia."horoscopes_authority"() RETURNS TRIGGER
LANGUAGE c SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS 'samia-0.4.0', 'horoscopes_authority_wrapper';

CREATE OR REPLACE FUNCTION "ignore_post"(
	"post_id" bigint,
	"reason" TEXT
) RETURNS void
VOLATILE SECURITY DEFINER
SET search_path TO pg_catalog, pg_temp
LANGUAGE c
AS 'samia-0.4.0', 'ignore_post_wrapper';

CREATE OR REPLACE FUNCTION samia."invalidate_caches"() RETURNS TRIGGER
LANGUAGE c
AS 'samia-0.4.0', 'invalidate_caches_wrapper';

CREATE OR REPLACE FUNCTION "is_active_reader"(
	"id" uuid
) RETURNS bool
STABLE SECURITY DEFINER
SET search_path TO pg_catalog, pg_temp
LANGUAGE c
AS 'samia-0.4.0', 'is_active_reader_wrapper';

CREATE OR REPLACE FUNCTION "is_admin"() RETURNS bool
STRICT STABLE SECURITY DEFINER PARALLEL SAFE
SET search_path TO pg_catalog, pg_temp
LANGUAGE c
AS 'samia-0.4.0', 'is_admin_wrapper';

CREATE OR REPLACE FUNCTION "is_assigned_reader"(
	"order_id" bigint
) RETURNS bool
STRICT STABLE SECURITY DEFINER PARALLEL SAFE
SET search_path TO pg_catalog, pg_temp
LANGUAGE c
AS 'samia-0.4.0', 'is_assigned_reader_wrapper';

CREATE OR REPLACE FUNCTION "is_plain_path"(
	"name" TEXT
) RETURNS bool
IMMUTABLE PARALLEL SAFE
LANGUAGE c
AS 'samia-0.4.0', 'is_plain_path_wrapper';

CREATE OR REPLACE FUNCTION "is_staff"() RETURNS bool
STRICT STABLE SECURITY DEFINER PARALLEL SAFE
SET search_path TO pg_catalog, pg_temp
LANGUAGE c
AS 'samia-0.4.0', 'is_staff_wrapper';

CREATE OR REPLACE FUNCTION "is_time_zone"(
	"name" TEXT
) RETURNS bool
IMMUTABLE STRICT PARALLEL SAFE
LANGUAGE c
AS 'samia-0.4.0', 'is_time_zone_wrapper';

CREATE OR REPLACE FUNCTION "livekit_event"(
	"id" TEXT,
	"event" TEXT,
	"room" TEXT,
	"identity" TEXT,
	"reason" TEXT,
	"room_sid" TEXT
) RETURNS TEXT
VOLATILE SECURITY DEFINER
SET search_path TO pg_catalog, pg_temp
LANGUAGE c
AS 'samia-0.4.0', 'livekit_event_wrapper';

CREATE OR REPLACE FUNCTION samia."media_pinned"() RETURNS TRIGGER
LANGUAGE c SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS 'samia-0.4.0', 'media_pinned_wrapper';

CREATE OR REPLACE FUNCTION "media_probe_outcome"(
	"media_id" bigint,
	"object_version" TEXT,
	"outcome" jsonb
) RETURNS TEXT
VOLATILE SECURITY DEFINER
SET search_path TO pg_catalog, pg_temp
LANGUAGE c
AS 'samia-0.4.0', 'media_probe_outcome_wrapper';

CREATE OR REPLACE FUNCTION samia."media_register"() RETURNS TRIGGER
LANGUAGE c SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS 'samia-0.4.0', 'media_register_wrapper';

CREATE OR REPLACE FUNCTION "natal_chart"(
	"birth" timestamp with time zone,
	"latitude" double precision,
	"longitude" double precision,
	"house_system" TEXT DEFAULT 'placidus'
) RETURNS jsonb
IMMUTABLE STRICT PARALLEL SAFE
LANGUAGE c
AS 'samia-0.4.0', 'natal_chart_wrapper';

CREATE OR REPLACE FUNCTION "natal_chart_for"(
	"dob" date,
	"birth_time" time,
	"birth_place" TEXT
) RETURNS jsonb
STABLE PARALLEL SAFE
LANGUAGE c
AS 'samia-0.4.0', 'natal_chart_for_wrapper';

CREATE OR REPLACE FUNCTION samia."notifications_push"() RETURNS TRIGGER
LANGUAGE c SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS 'samia-0.4.0', 'notifications_push_wrapper';

CREATE OR REPLACE FUNCTION samia."orders_astro_chart"() RETURNS TRIGGER
LANGUAGE c SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS 'samia-0.4.0', 'orders_astro_chart_wrapper';

CREATE OR REPLACE FUNCTION samia."orders_audit_created"() RETURNS TRIGGER
LANGUAGE c SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS 'samia-0.4.0', 'orders_audit_created_wrapper';

CREATE OR REPLACE FUNCTION samia."orders_authority"() RETURNS TRIGGER
LANGUAGE c SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS 'samia-0.4.0', 'orders_authority_wrapper';

CREATE OR REPLACE FUNCTION "phone_verification_outcome"(
	"verification_id" bigint,
	"outcome" TEXT,
	"provider_ref" TEXT DEFAULT NULL,
	"error_code" TEXT DEFAULT NULL
) RETURNS TEXT
VOLATILE SECURITY DEFINER
SET search_path TO pg_catalog, pg_temp
LANGUAGE c
AS 'samia-0.4.0', 'phone_verification_outcome_wrapper';

CREATE OR REPLACE FUNCTION samia."profiles_authority"() RETURNS TRIGGER
LANGUAGE c SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS 'samia-0.4.0', 'profiles_authority_wrapper';

CREATE OR REPLACE FUNCTION samia."profiles_derive"() RETURNS TRIGGER
LANGUAGE c
AS 'samia-0.4.0', 'profiles_derive_wrapper';

CREATE OR REPLACE FUNCTION samia."realtime_calls"() RETURNS TRIGGER
LANGUAGE c SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS 'samia-0.4.0', 'realtime_calls_wrapper';

CREATE OR REPLACE FUNCTION samia."realtime_horoscopes"() RETURNS TRIGGER
LANGUAGE c SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS 'samia-0.4.0', 'realtime_horoscopes_wrapper';

CREATE OR REPLACE FUNCTION samia."realtime_notifications"() RETURNS TRIGGER
LANGUAGE c SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS 'samia-0.4.0', 'realtime_notifications_wrapper';

CREATE OR REPLACE FUNCTION samia."realtime_orders"() RETURNS TRIGGER
LANGUAGE c SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS 'samia-0.4.0', 'realtime_orders_wrapper';

CREATE OR REPLACE FUNCTION samia."realtime_phone_verifications"() RETURNS TRIGGER
LANGUAGE c SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS 'samia-0.4.0', 'realtime_phone_verifications_wrapper';

CREATE OR REPLACE FUNCTION "realtime_setup"() RETURNS jsonb
STRICT VOLATILE SECURITY DEFINER
SET search_path TO pg_catalog, pg_temp
LANGUAGE c
AS 'samia-0.4.0', 'realtime_setup_wrapper';

CREATE OR REPLACE FUNCTION "realtime_status"() RETURNS jsonb
STRICT STABLE SECURITY DEFINER
SET search_path TO pg_catalog, pg_temp
LANGUAGE c
AS 'samia-0.4.0', 'realtime_status_wrapper';

CREATE OR REPLACE FUNCTION "record_maintenance"(
	"name" TEXT,
	"meta" jsonb
) RETURNS void
STRICT VOLATILE SECURITY DEFINER
SET search_path TO pg_catalog, pg_temp
LANGUAGE c
AS 'samia-0.4.0', 'record_maintenance_wrapper';

CREATE OR REPLACE FUNCTION samia."records_written_by_extension"() RETURNS TRIGGER
LANGUAGE c
AS 'samia-0.4.0', 'records_written_by_extension_wrapper';

CREATE OR REPLACE FUNCTION "register_push_device"(
	"token" TEXT,
	"platform" TEXT,
	"app_version" TEXT DEFAULT NULL
) RETURNS bigint
VOLATILE SECURITY DEFINER
SET search_path TO pg_catalog, pg_temp
LANGUAGE c
AS 'samia-0.4.0', 'register_push_device_wrapper';

CREATE OR REPLACE FUNCTION "remove_push_device"(
	"token" TEXT
) RETURNS bool
STRICT VOLATILE SECURITY DEFINER
SET search_path TO pg_catalog, pg_temp
LANGUAGE c
AS 'samia-0.4.0', 'remove_push_device_wrapper';

CREATE OR REPLACE FUNCTION "request_phone_verification"(
	"phone" TEXT
) RETURNS bigint
VOLATILE SECURITY DEFINER
SET search_path TO pg_catalog, pg_temp
LANGUAGE c
AS 'samia-0.4.0', 'request_phone_verification_wrapper';

CREATE OR REPLACE FUNCTION samia."services_default_delivery"() RETURNS TRIGGER
LANGUAGE c SET search_path = pg_catalog, pg_temp
AS 'samia-0.4.0', 'services_default_delivery_wrapper';

CREATE OR REPLACE FUNCTION "staff_uuid_ceiling"() RETURNS uuid
STRICT STABLE SECURITY DEFINER PARALLEL SAFE
SET search_path TO pg_catalog, pg_temp
LANGUAGE c
AS 'samia-0.4.0', 'staff_uuid_ceiling_wrapper';

CREATE OR REPLACE FUNCTION "staff_uuid_floor"() RETURNS uuid
STRICT STABLE SECURITY DEFINER PARALLEL SAFE
SET search_path TO pg_catalog, pg_temp
LANGUAGE c
AS 'samia-0.4.0', 'staff_uuid_floor_wrapper';

CREATE OR REPLACE FUNCTION samia."storage_object_changed"() RETURNS TRIGGER
LANGUAGE c SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS 'samia-0.4.0', 'storage_object_changed_wrapper';

CREATE OR REPLACE FUNCTION samia."storage_object_pinned"() RETURNS TRIGGER
LANGUAGE c SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS 'samia-0.4.0', 'storage_object_pinned_wrapper';

CREATE OR REPLACE FUNCTION samia."sync_profile_from_auth"() RETURNS TRIGGER
LANGUAGE c SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS 'samia-0.4.0', 'sync_profile_from_auth_wrapper';

CREATE OR REPLACE FUNCTION "tiktok_mark_removed"(
	"seen" TEXT[],
	"since" timestamp with time zone
) RETURNS bigint
STRICT VOLATILE SECURITY DEFINER
SET search_path TO pg_catalog, pg_temp
LANGUAGE c
AS 'samia-0.4.0', 'tiktok_mark_removed_wrapper';

CREATE OR REPLACE FUNCTION "tiktok_post_audio"(
	"post_id" bigint,
	"bucket" TEXT,
	"path" TEXT,
	"sha256" TEXT
) RETURNS bigint
STRICT VOLATILE SECURITY DEFINER
SET search_path TO pg_catalog, pg_temp
LANGUAGE c
AS 'samia-0.4.0', 'tiktok_post_audio_wrapper';

CREATE OR REPLACE FUNCTION "tiktok_post_failed"(
	"post_id" bigint,
	"error" TEXT
) RETURNS void
STRICT VOLATILE SECURITY DEFINER
SET search_path TO pg_catalog, pg_temp
LANGUAGE c
AS 'samia-0.4.0', 'tiktok_post_failed_wrapper';

CREATE OR REPLACE FUNCTION samia."tiktok_posts_write"() RETURNS TRIGGER
LANGUAGE c SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS 'samia-0.4.0', 'tiktok_posts_write_wrapper';

CREATE OR REPLACE FUNCTION "tiktok_record_posts"(
	"videos" jsonb
) RETURNS jsonb
STRICT VOLATILE SECURITY DEFINER
SET search_path TO pg_catalog, pg_temp
LANGUAGE c
AS 'samia-0.4.0', 'tiktok_record_posts_wrapper';

CREATE OR REPLACE FUNCTION "zodiac_of"(
	"day" date
) RETURNS TEXT
IMMUTABLE STRICT PARALLEL SAFE
LANGUAGE c
AS 'samia-0.4.0', 'zodiac_of_wrapper';

-- The new version's other statements, written to run again.
revoke execute on all functions in schema samia from public;

do $grants$
declare
  db_owner name := (select pg_catalog.pg_get_userbyid(d.datdba)
                      from pg_catalog.pg_database d where d.datname = pg_catalog.current_database());
begin
  if not (select r.rolsuper from pg_catalog.pg_roles r where r.rolname = db_owner) then
    execute pg_catalog.format('grant usage on schema samia to %I with grant option', db_owner);
    execute pg_catalog.format('grant execute on all functions in schema samia to %I with grant option', db_owner);
  end if;
end
$grants$;
