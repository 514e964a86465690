"""A command imports only what it needs: an audit of fingerprints alone imports no sqlglot.

sqlglot is the largest import of the stack after SQLAlchemy. An audit needs it only to build
statements (invariants, the ledger's read) or to replay the change vocabulary (the drift of
applied units), so an audit of canaries on a server database without a ledger imports none of
it. SQLite is the exception: its catalog keeps constraints only in the ``CREATE TABLE`` text,
which inspection reads with sqlglot's tokenizer. Each case runs the installed ``recon`` under
``python -X importtime`` and reads which modules it imported.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from support import recon_bin, write


def _modules(*args: str, cwd) -> tuple[int, str, set[str]]:
    """Run ``recon ARGS`` under ``-X importtime``: exit code, stdout, and the modules imported."""
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    done = subprocess.run([sys.executable, "-X", "importtime", recon_bin(), *args], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=120)
    names = {line.rsplit("|", 1)[1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}
    return done.returncode, done.stdout, names


def _imported(*args: str, cwd) -> tuple[int, str, set[str]]:
    """Run ``recon ARGS`` under ``-X importtime``: exit code, stdout, and the top-level packages imported."""
    code, out, modules = _modules(*args, cwd=cwd)
    return code, out, {name.split(".")[0] for name in modules}


def _fingerprint(folder) -> None:
    write(folder, "fingerprint", """
        kind: fingerprint
        name: startup
        checks:
          - column: products.sku
            type: varchar(40)
            nullable: false
          - index: products_sku_idx
            on: products
          - table: products
    """)


def test_an_audit_of_fingerprints_on_a_server_imports_no_sqlglot(server_db, tmp_path):
    server_db.run("CREATE TABLE products (id INTEGER NOT NULL, sku VARCHAR(40) NOT NULL, CONSTRAINT products_pkey PRIMARY KEY (id))")
    server_db.run("CREATE INDEX products_sku_idx ON products (sku)")
    _fingerprint(tmp_path)
    code, out, names = _imported("audit", "--specs", str(tmp_path), "--db", server_db.url, "--format", "json", cwd=tmp_path)
    report = json.loads(out)
    assert code == 0 and report["fingerprint"]["passed"] == 3, out
    assert "sqlalchemy" in names and "jsonschema" in names  # the reading really happened through the stack
    assert "sqlglot" not in names


def test_what_needs_sqlglot_still_imports_it(server_db, tmp_path):
    """An invariant is a statement: the same audit with one imports sqlglot (the check above can fail)."""
    server_db.run("CREATE TABLE products (id INTEGER NOT NULL, sku VARCHAR(40) NOT NULL, CONSTRAINT products_pkey PRIMARY KEY (id))")
    server_db.run("CREATE INDEX products_sku_idx ON products (sku)")
    server_db.run("INSERT INTO products (id, sku) VALUES (1, 'A-1')")
    _fingerprint(tmp_path)
    write(tmp_path, "invariants", """
        kind: invariants
        name: data
        checks:
          - name: some_products
            row_count: {table: products}
            min: 1
    """)
    code, out, names = _imported("audit", "--specs", str(tmp_path), "--db", server_db.url, "--format", "json", cwd=tmp_path)
    report = json.loads(out)
    assert code == 0 and report["invariants"]["passed"] == 1, out
    assert "sqlglot" in names


def test_validate_imports_neither_the_database_stack_nor_the_audit(tmp_path):
    """``recon validate`` reads files only: no SQLAlchemy, and not the audit, the ledger or the
    comparison of reports, which the text views it prints through import only where they print them."""
    _fingerprint(tmp_path)
    code, out, modules = _modules("validate", "--specs", str(tmp_path), cwd=tmp_path)
    assert code == 0 and "1 fingerprints, 3 canaries" in out, out
    assert "engine.spec.validate" in modules and "jsonschema" in modules  # it really validated
    assert not modules & {"sqlalchemy", "engine.auditing.run", "engine.ledger.table", "engine.report.compare"}
