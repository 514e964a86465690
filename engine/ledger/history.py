"""``recon history``: the ledger, read inside a read-only transaction (never created)."""

from __future__ import annotations

from ..target.connection import Target, make_target, read_only_connection
from . import table as ledger


def history(url: "str | Target", ledger_table: str = ledger.DEFAULT_TABLE) -> list[ledger.LedgerRow]:
    """Every ledger row of ``url``, oldest first; [] when nothing was ever applied."""
    target = url if isinstance(url, Target) else make_target(url)
    with read_only_connection(target) as conn:
        return ledger.read(conn, None, ledger_table)
