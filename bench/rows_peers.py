"""The peers of the rows benchmark: what a team writes by hand instead of recon.

``python bench/rows_peers.py loop URL SPEC`` reconciles the rbac spec row by row, as a
hand-run seeding script does: for every permission, role and grant a SELECT to check it,
then an INSERT when it is missing (ids looked up by natural key).
``python bench/rows_peers.py batch URL SPEC`` is the floor of doing it well by hand: one
SELECT per table, a set difference in memory, and the missing rows inserted with the
driver's ``executemany`` (psycopg 3 pipelines it, PyMySQL folds it into multi-row
INSERTs, sqlite3 loops in C), grants by the ids read back.

Both parse the spec with libyaml and nothing else (no validation, no inspection, no
ledger, no audits), in one transaction, and print the rows they inserted.
"""

from __future__ import annotations

import sys

import yaml

# Written for SQLite (``?``, ``"key"``); ``Driver.sql`` adapts them to the connection.
CHECK_PERMISSION = 'SELECT 1 FROM permissions WHERE "key" = ?'
INSERT_PERMISSION = 'INSERT INTO permissions ("key", description) VALUES (?, ?)'
CHECK_ROLE = "SELECT 1 FROM roles WHERE name = ?"
INSERT_ROLE = "INSERT INTO roles (name, description) VALUES (?, ?)"
CHECK_GRANT = ('SELECT 1 FROM role_permissions g JOIN roles r ON r.id = g.role_id JOIN permissions x ON x.id = g.permission_id '
               'WHERE r.name = ? AND x."key" = ?')
INSERT_GRANT_BY_KEY = ('INSERT INTO role_permissions (role_id, permission_id) SELECT r.id, x.id FROM roles r, permissions x '
                       'WHERE r.name = ? AND x."key" = ?')
INSERT_GRANT = "INSERT INTO role_permissions (role_id, permission_id) VALUES (?, ?)"
PERMISSION_KEYS = 'SELECT "key" FROM permissions'
PERMISSION_IDS = 'SELECT "key", id FROM permissions'
ROLE_NAMES = "SELECT name FROM roles"
ROLE_IDS = "SELECT name, id FROM roles"
GRANTS = "SELECT role_id, permission_id FROM role_permissions"


class Driver:
    """A DB-API connection for a SQLAlchemy URL, and the statements above in its paramstyle."""

    def __init__(self, url: str):
        from sqlalchemy.engine import make_url

        u = make_url(url)
        self.placeholder, self.quote = "%s", '"'
        if u.drivername.startswith("postgresql"):
            import psycopg

            self.conn = psycopg.connect(host=u.host, port=u.port or 5432, user=u.username, password=u.password, dbname=u.database)
        elif u.drivername.startswith(("mysql", "mariadb")):
            import pymysql

            self.conn = pymysql.connect(host=u.host, port=u.port or 3306, user=u.username, password=u.password or "", database=u.database)
            self.quote = "`"
        else:
            import sqlite3

            self.conn = sqlite3.connect(u.database)
            self.placeholder = "?"

    def sql(self, text: str) -> str:
        return text.replace("?", self.placeholder).replace('"', self.quote)


def load(path: str) -> dict:
    with open(path, encoding="utf-8") as handle:
        return yaml.load(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def loop(db: Driver, spec: dict) -> int:
    """Check, then insert, one row at a time."""
    cur, q = db.conn.cursor(), db.sql
    inserted = 0
    for perm in spec["permissions"]:
        cur.execute(q(CHECK_PERMISSION), (perm["key"],))
        if cur.fetchone() is None:
            cur.execute(q(INSERT_PERMISSION), (perm["key"], perm.get("description")))
            inserted += 1
    for role in spec["roles"]:
        cur.execute(q(CHECK_ROLE), (role["name"],))
        if cur.fetchone() is None:
            cur.execute(q(INSERT_ROLE), (role["name"], role.get("description")))
            inserted += 1
        for grant in role.get("grants", []):
            cur.execute(q(CHECK_GRANT), (role["name"], grant))
            if cur.fetchone() is None:
                cur.execute(q(INSERT_GRANT_BY_KEY), (role["name"], grant))
                inserted += 1
    return inserted


def batch(db: Driver, spec: dict) -> int:
    """One read per table, a set difference, ``executemany`` for what is missing."""
    cur, q = db.conn.cursor(), db.sql
    cur.execute(q(PERMISSION_KEYS))
    have = {row[0] for row in cur.fetchall()}
    perms = [(x["key"], x.get("description")) for x in spec["permissions"] if x["key"] not in have]
    cur.executemany(q(INSERT_PERMISSION), perms)
    cur.execute(q(ROLE_NAMES))
    have = {row[0] for row in cur.fetchall()}
    roles = [(r["name"], r.get("description")) for r in spec["roles"] if r["name"] not in have]
    cur.executemany(q(INSERT_ROLE), roles)
    cur.execute(q(ROLE_IDS))
    role_ids = dict(cur.fetchall())
    cur.execute(q(PERMISSION_IDS))
    perm_ids = dict(cur.fetchall())
    cur.execute(q(GRANTS))
    have = set(cur.fetchall())
    wanted = {(role_ids[r["name"]], perm_ids[g]) for r in spec["roles"] for g in r.get("grants", [])}
    missing = sorted(wanted - have)
    cur.executemany(q(INSERT_GRANT), missing)
    return len(perms) + len(roles) + len(missing)


def main(argv: list[str]) -> int:
    mode, url, spec_path = argv
    db = Driver(url)
    try:
        inserted = {"loop": loop, "batch": batch}[mode](db, load(spec_path))
        db.conn.commit()
    finally:
        db.conn.close()
    print(f"{mode}: inserted {inserted} rows")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
