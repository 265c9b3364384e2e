# migrate.py  (run: python migrate.py up|down|audit)
import os, sys, hashlib, time
import psycopg2
from psycopg2.pool import SimpleConnectionPool

DSN = os.getenv("DB_DSN") or "<DSN from the DATABASE_URL environment variable: never hard-coded>"

POOL = SimpleConnectionPool(minconn=1, maxconn=5, dsn=DSN)

MIGRATIONS = [
    ("001_core.sql", open(__file__.replace("migrate.py","001_core.sql")).read() if os.path.exists(__file__.replace("migrate.py","001_core.sql")) else """-- place 001_core.sql above here if running inline"""),
]

def exec_sql(sql: str):
    conn = POOL.getconn()
    try:
        with conn, conn.cursor() as cur:
            cur.execute(sql)
    finally:
        POOL.putconn(conn)

def ensure_table():
    exec_sql("""
      create table if not exists _migrations (
        id serial primary key,
        name text unique not null,
        checksum text not null,
        applied_at timestamptz default now()
      );
    """)

def up():
    ensure_table()
    conn = POOL.getconn()
    try:
        with conn, conn.cursor() as cur:
            for name, body in MIGRATIONS:
                checksum = hashlib.sha256(body.encode("utf-8")).hexdigest()
                cur.execute("select 1 from _migrations where name=%s and checksum=%s", (name, checksum))
                if cur.fetchone():
                    print(f"[=] skip {name} (already applied)")
                    continue
                print(f"[+] apply {name}")
                cur.execute(body)
                cur.execute("insert into _migrations(name,checksum) values (%s,%s)", (name, checksum))
    finally:
        POOL.putconn(conn)

def down():  # simplistic demo: truncate created tables safely if needed
    print("[!] down not implemented (use targeted SQL rollback)")

def audit():
    conn = POOL.getconn()
    try:
        with conn, conn.cursor() as cur:
            cur.execute("select table_name from information_schema.tables where table_schema='public' order by 1;")
            tables = [r[0] for r in cur.fetchall()]
            print("Public tables:", tables)
            cur.execute("select count(*) from orders;")
            print("Orders count:", cur.fetchone()[0])
            cur.execute("select count(*) from moderation_actions;")
            print("Moderation actions:", cur.fetchone()[0])
    finally:
        POOL.putconn(conn)

if __name__ == "__main__":
    cmd = (sys.argv[1] if len(sys.argv)>1 else "up").lower()
    {"up": up, "down": down, "audit": audit}.get(cmd, up)()
