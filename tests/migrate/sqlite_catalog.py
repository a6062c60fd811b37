"""SQLite, for the migrate test: apply migration files to a database, or print its catalog.

    python sqlite_catalog.py apply DB FILE...   run each file in one transaction, in order
    python sqlite_catalog.py exec DB SQL        run SQL (rows to seed) with foreign keys on
    python sqlite_catalog.py query DB SQL       print the rows of a query, `|`-separated
    python sqlite_catalog.py catalog DB         print the schema as normalized JSON

Uses apsw, which bundles the SQLite version the generated apps bundle (3.54): the
migrations' data checks raise with a computed message, which older SQLite cannot parse.
The catalog is what a migrated database and a fresh one must agree on: per table its
columns as a set (order may differ: ALTER TABLE ADD COLUMN appends), its named
constraints, indexes, foreign keys and triggers, and whether it is STRICT.
"""

import json
import re
import sys

import apsw


def apply(db, files):
    conn = apsw.Connection(db)
    # As the generated app runs them: foreign keys off around the migrations (a table
    # rebuild drops and renames tables), each file in one transaction.
    conn.execute("PRAGMA foreign_keys = OFF")
    for path in files:
        with open(path, encoding="utf-8") as f:
            sql = f.read()
        try:
            with conn:
                conn.execute(sql)
        except apsw.Error as e:
            print(f"{path}: {e}", file=sys.stderr)
            sys.exit(1)
    conn.execute("PRAGMA foreign_keys = ON")


def normalize(sql):
    sql = re.sub(r"--[^\n]*", "", sql or "")
    sql = sql.replace('"', "")
    return re.sub(r"\s+", " ", sql).strip()


def constraints(create_sql):
    """`CONSTRAINT name body` clauses of a CREATE TABLE, by name."""
    body = normalize(create_sql)
    body = body[body.index("(") + 1 : body.rindex(")")]
    parts, depth, current = [], 0, ""
    for ch in body:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(current.strip())
            current = ""
        else:
            current += ch
    parts.append(current.strip())
    out = {}
    for part in parts:
        m = re.match(r"CONSTRAINT (\S+) (.*)", part)
        if m:
            out[m.group(1)] = m.group(2)
    return out


def catalog(db):
    conn = apsw.Connection(db)
    tables = {}
    rows = conn.execute(
        "SELECT name, sql FROM sqlite_schema WHERE type = 'table' "
        "AND name NOT LIKE 'sqlite_%' AND name != '_sqlx_migrations' ORDER BY name"
    ).fetchall()
    for name, sql in rows:
        columns = sorted(
            [c[1], c[2], c[3], c[4], c[5]]
            for c in conn.execute(f"PRAGMA table_xinfo({name})").fetchall()
        )
        indexes = {}
        for idx in conn.execute(f"PRAGMA index_list({name})").fetchall():
            cols = [i[2] for i in conn.execute(f"PRAGMA index_info({idx[1]})").fetchall()]
            key = idx[1] if idx[3] == "c" else f"{idx[3]}:{','.join(cols)}"
            indexes[key] = {"unique": idx[2], "columns": cols, "partial": idx[4]}
        foreign_keys = sorted(
            [f[2], f[3], f[4], f[5], f[6]]
            for f in conn.execute(f"PRAGMA foreign_key_list({name})").fetchall()
        )
        tables[name] = {
            "strict": normalize(sql).endswith("STRICT"),
            "columns": columns,
            "constraints": constraints(sql),
            "indexes": indexes,
            "foreign_keys": foreign_keys,
        }
    index_sql = {
        n: normalize(s)
        for n, s in conn.execute(
            "SELECT name, sql FROM sqlite_schema WHERE type = 'index' AND sql IS NOT NULL"
        ).fetchall()
    }
    triggers = {
        n: normalize(s)
        for n, s in conn.execute(
            "SELECT name, sql FROM sqlite_schema WHERE type = 'trigger'"
        ).fetchall()
    }
    return {"tables": tables, "index_sql": index_sql, "triggers": triggers}


def execute(db, sql):
    conn = apsw.Connection(db)
    conn.execute("PRAGMA foreign_keys = ON")
    with conn:
        conn.execute(sql)


def query(db, sql):
    conn = apsw.Connection(db)
    for row in conn.execute(sql).fetchall():
        print("|".join("" if v is None else str(v) for v in row))


if __name__ == "__main__":
    if sys.argv[1] == "apply":
        apply(sys.argv[2], sys.argv[3:])
    elif sys.argv[1] == "exec":
        execute(sys.argv[2], sys.argv[3])
    elif sys.argv[1] == "query":
        query(sys.argv[2], sys.argv[3])
    else:
        print(json.dumps(catalog(sys.argv[2]), indent=1, sort_keys=True))
