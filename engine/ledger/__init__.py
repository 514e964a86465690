"""Stage 4, ledger: what was applied. Read by diff, plan, audit and history; written by apply and repair.

``table`` is the ``recon_ledger`` table (its rows, its upgrades, the findings a repair
accepted); ``history`` reads it for ``recon history``.
"""

DEFAULT_TABLE = "recon_ledger"  # the ledger's name unless --ledger-table, RECON_LEDGER_TABLE or the environment says another
