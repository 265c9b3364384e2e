#!/usr/bin/env python3
"""Writes the extension's upgrade script samia--OLD--NEW.sql from the install
scripts of both versions (`cargo pgrx schema` output, or the samia--V.sql a
release installed).

    scripts/upgrade-script.py OLD.sql NEW.sql > pg_extension/sql/samia--OLD--NEW.sql

What it writes, in order:
  1. functions of OLD that NEW no longer has: DROP FUNCTION (no CASCADE: a
     trigger or policy of the migrations that still uses one stops the
     update with an error instead of silently losing it);
  2. functions whose return type or argument names changed: DROP FUNCTION,
     then created again below (the same caution);
  3. every function of NEW with CREATE OR REPLACE FUNCTION: each points at
     NEW's library, so all are re-created, changed or not (definition,
     volatility, strictness, security and search_path follow NEW);
  4. NEW's other statements (the privileges block of lib.rs), which are
     written to run again.

What it cannot know it names on standard error and exits 2 (the script is
still written, for review): a statement of another kind than these (types,
operators, tables: data to carry over by hand), and the drops of 1 and 2.
`make test` regenerates the committed script and compares it, and upgrades a
database made by the previous release to check the result object by object.
"""

import re
import sys


def statements(sql):
    """The SQL statements of a pgrx schema file, comments removed, split at
    semicolons outside quotes and dollar quotes."""
    out, cur, i, n = [], [], 0, len(sql)
    while i < n:
        c = sql[i]
        if sql.startswith("--", i):
            j = sql.find("\n", i)
            i = n if j < 0 else j
            continue
        if sql.startswith("/*", i):
            j = sql.find("*/", i + 2)
            i = n if j < 0 else j + 2
            continue
        if c == "'":
            j = i + 1
            while j < n:
                if sql[j] == "'" and sql.startswith("''", j):
                    j += 2
                    continue
                if sql[j] == "'":
                    break
                j += 1
            cur.append(sql[i : j + 1])
            i = j + 1
            continue
        m = re.match(r"\$[A-Za-z_]*\$", sql[i:])
        if c == "$" and m:
            tag = m.group(0)
            j = sql.find(tag, i + len(tag))
            j = n if j < 0 else j + len(tag)
            cur.append(sql[i:j])
            i = j
            continue
        if c == ";":
            text = "".join(cur).strip()
            if text:
                out.append(text)
            cur = []
            i += 1
            continue
        cur.append(c)
        i += 1
    text = "".join(cur).strip()
    if text:
        out.append(text)
    return [re.sub(r"[ \t]+\n", "\n", s) for s in out]


FUNCTION = re.compile(
    r'^CREATE\s+(?:OR\s+REPLACE\s+)?FUNCTION\s+((?:samia\.)?"?[A-Za-z_][A-Za-z0-9_]*"?)\s*\((.*?)\)\s*RETURNS\s+(.+?)\n',
    re.S | re.I,
)


def split_args(text):
    parts, depth, cur = [], 0, []
    for c in text:
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        if c == "," and depth == 0:
            parts.append("".join(cur).strip())
            cur = []
        else:
            cur.append(c)
    if "".join(cur).strip():
        parts.append("".join(cur).strip())
    return parts


def function(statement):
    """(key, names, returns) of a CREATE FUNCTION statement, or None."""
    m = FUNCTION.match(statement)
    if not m:
        return None
    name = m.group(1).replace('"', "").replace("samia.", "")
    names, types = [], []
    for arg in split_args(m.group(2)):
        arg = re.split(r"\s+DEFAULT\s+", arg, flags=re.I)[0].strip()
        am = re.match(r'^"([^"]+)"\s+(.+)$', arg) or re.match(r"^(\w+)\s+(.+)$", arg)
        if not am:
            raise SystemExit(f"cannot read the argument {arg!r} of {name}")
        names.append(am.group(1))
        types.append(" ".join(am.group(2).lower().split()))
    returns = " ".join(m.group(3).lower().split())
    return f"{name}({', '.join(types)})", names, returns


def entities(sql):
    functions, others = {}, []
    for s in statements(sql):
        f = function(s)
        if f:
            key, names, returns = f
            functions[key] = (names, returns, s)
        else:
            others.append(s)
    return functions, others


def version_of(path):
    m = re.search(r"samia--([0-9][^-/]*?)\.sql$", path)
    return m.group(1) if m else None


def main(argv):
    if len(argv) != 3 or argv[1] in ("-h", "--help"):
        print(__doc__.strip(), file=sys.stderr)
        return 1
    with open(argv[1], encoding="utf-8") as f:
        old, _ = entities(f.read())
    with open(argv[2], encoding="utf-8") as f:
        new, new_others = entities(f.read())
    review = []
    out = [
        "-- The samia extension's upgrade script, written by scripts/upgrade-script.py",
        "-- from the install scripts of both versions (see its header); regenerate it,",
        "-- never edit it by hand.",
        "",
    ]
    gone = sorted(k for k in old if k not in new)
    changed = sorted(
        k for k in new if k in old and (old[k][0] != new[k][0] or old[k][1] != new[k][1])
    )
    if gone:
        out.append("-- Functions the new version no longer has.")
        for k in gone:
            out.append(f"DROP FUNCTION samia.{k};")
            review.append(f"dropped: samia.{k}")
        out.append("")
    if changed:
        out.append("-- Functions whose result type or argument names changed: dropped, then")
        out.append("-- created again below.")
        for k in changed:
            out.append(f"DROP FUNCTION samia.{k};")
            review.append(f"changed signature: samia.{k} ({old[k][1]} -> {new[k][1]})")
        out.append("")
    out.append("-- Every function of the new version, pointing at its library.")
    for k in sorted(new):
        text = re.sub(r"^CREATE\s+(?:OR\s+REPLACE\s+)?FUNCTION", "CREATE OR REPLACE FUNCTION", new[k][2], flags=re.I)
        out.append(text + ";")
        out.append("")
    if new_others:
        out.append("-- The new version's other statements, written to run again.")
        for s in new_others:
            if not re.match(r"^(revoke|grant|do)\b", s, re.I):
                review.append(f"a statement to carry over by hand: {s.splitlines()[0][:80]}")
            out.append(s + ";")
            out.append("")
    sys.stdout.write("\n".join(out).rstrip("\n") + "\n")
    for line in review:
        print(f"review: {line}", file=sys.stderr)
    return 2 if review else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
