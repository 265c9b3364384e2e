# health.py
import os, psycopg2
dsn = os.getenv("DB_DSN") or "<DSN from the DATABASE_URL environment variable: never hard-coded>"
with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
    cur.execute("select now(), current_user, current_database();")
    print(cur.fetchone())
    cur.execute("select count(*) from profiles;")
    print("profiles:", cur.fetchone()[0])
