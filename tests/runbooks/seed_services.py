# seed_services.py
import os, psycopg2
dsn = os.getenv("DB_DSN") or "<DSN from the DATABASE_URL environment variable: never hard-coded>"
with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
    cur.execute("""
      insert into services(code,name,is_premium,base_price) values
      ('tarot','Tarot Reading',false,0),
      ('coffee','Coffee Cup Reading',false,0),
      ('astro','Astro Natal Chart (Audio)',false,0),
      ('healing','Healing Energy (Call)',true,0),
      ('direct_call','Direct Call with Samia',true,0)
      on conflict (code) do nothing;
    """)
    conn.commit()
