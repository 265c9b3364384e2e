# audit_sweep.py
import os, psycopg2, json
dsn = os.getenv("DB_DSN") or "<DSN from the DATABASE_URL environment variable: never hard-coded>"
with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
    checks = {
      "profiles_without_role": "select count(*) from profiles where role_id is null;",
      "orders_without_service": "select count(*) from orders o left join services s on s.id=o.service_id where s.id is null;",
      "media_orphans": "select count(*) from media_assets m left join orders o on m.id=o.output_media_id where o.id is null;"
    }
    for name, sql in checks.items():
        cur.execute(sql); print(name, cur.fetchone()[0])
