"""SQLite, for the spec history test: print a database's schema, or the rows of a query.

    python sqlite_schema.py catalog DB      one sorted line per schema fact
    python sqlite_schema.py query DB SQL    the rows of a query, `|`-separated

Uses apsw when it is installed (it bundles the SQLite version the generated apps bundle),
else the standard library's sqlite3: reading a schema needs no recent SQLite feature.

The catalog is what a migrated database and a fresh one must agree on, one line per fact:
per table each column (name, type, not null, default, primary key; a set, since ALTER TABLE
ADD COLUMN appends), each index (by name, or by its columns for the automatic ones, whose
numbers follow constraint order), each foreign key, each CHECK constraint as normalized
text (a set), whether the table is STRICT; and each trigger's name with its normalized SQL.
"""

import re
import sys

try:
    import apsw

    def connect(path):
        return apsw.Connection(path, flags=apsw.SQLITE_OPEN_READONLY)

except ImportError:
    import sqlite3

    def connect(path):
        return sqlite3.connect(f"file:{path}?mode=ro", uri=True)


def rows(conn, sql):
    return list(conn.execute(sql).fetchall())


def normalize(sql):
    sql = re.sub(r"--[^\n]*", "", sql or "")
    sql = sql.replace('"', "")
    sql = re.sub(r"\s+", " ", sql).strip()
    return re.sub(r"\( ", "(", re.sub(r" \)", ")", sql))


def top_level_parts(create_sql):
    """The comma-separated parts of a CREATE TABLE's body, split outside parentheses."""
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
    return parts


def checks(create_sql):
    """Every CHECK of a CREATE TABLE (table or column constraint), with its name if any."""
    found = []
    for part in top_level_parts(create_sql):
        for m in re.finditer(r"(?:CONSTRAINT (\S+) )?CHECK ?\(", part):
            start = m.end() - 1
            depth = 0
            for i in range(start, len(part)):
                if part[i] == "(":
                    depth += 1
                elif part[i] == ")":
                    depth -= 1
                    if depth == 0:
                        found.append(f"{m.group(1) or '-'} CHECK {part[start:i + 1]}")
                        break
    return found


def catalog(path):
    conn = connect(path)
    facts = []
    tables = rows(
        conn,
        "SELECT name, sql FROM sqlite_schema WHERE type = 'table' "
        "AND name NOT LIKE 'sqlite_%' AND name != '_sqlx_migrations' ORDER BY name",
    )
    for name, sql in tables:
        facts.append(f"table {name} strict={normalize(sql).endswith('STRICT')}")
        for _cid, col, ctype, notnull, default, pk in rows(conn, f"PRAGMA table_info({name})"):
            facts.append(
                f"table {name} column {col} type={ctype} notnull={notnull} "
                f"default={default} pk={pk}"
            )
        for idx in rows(conn, f"PRAGMA index_list({name})"):
            _seq, index, unique, origin, partial = idx[:5]
            columns = ",".join(str(i[2]) for i in rows(conn, f"PRAGMA index_info({index})"))
            key = index if origin == "c" else f"<{origin}>"
            facts.append(
                f"table {name} index {key} columns=({columns}) unique={unique} "
                f"origin={origin} partial={partial}"
            )
        for fk in rows(conn, f"PRAGMA foreign_key_list({name})"):
            _id, _seq, target, source, to, on_update, on_delete, match = fk[:8]
            facts.append(
                f"table {name} foreign key {source} -> {target}({to}) "
                f"on update {on_update} on delete {on_delete} match {match}"
            )
        for check in checks(sql):
            facts.append(f"table {name} check {check}")
    for name, sql in rows(
        conn, "SELECT name, sql FROM sqlite_schema WHERE type = 'index' AND sql IS NOT NULL"
    ):
        facts.append(f"index {name} sql {normalize(sql)}")
    for name, sql in rows(conn, "SELECT name, sql FROM sqlite_schema WHERE type = 'trigger'"):
        facts.append(f"trigger {name} sql {normalize(sql)}")
    for name, sql in rows(conn, "SELECT name, sql FROM sqlite_schema WHERE type = 'view'"):
        facts.append(f"view {name} sql {normalize(sql)}")
    for fact in sorted(facts):
        print(fact)


def query(path, sql):
    conn = connect(path)
    for row in rows(conn, sql):
        print("|".join("" if v is None else str(v) for v in row))


if __name__ == "__main__":
    if sys.argv[1] == "catalog":
        catalog(sys.argv[2])
    elif sys.argv[1] == "query":
        query(sys.argv[2], sys.argv[3])
    else:
        sys.exit(f"unknown command {sys.argv[1]}")
