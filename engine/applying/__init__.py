"""Stage 10, applying: a ``Plan`` -> the database changed, or a refusal. Gives an ``ApplyReport``.

``applier`` checks the gates and runs the audits before and after; ``executor`` (per dialect
in ``executors``) takes the lock, checks the server's identity and the plan's freshness, and
runs each unit in its transaction, writing the ledger; ``rowrun`` runs all seed and rbac rows in
one transaction; ``repairs`` records an operator's acceptance of drift under the same lock.
(Not named ``apply``: ``engine.apply`` is the function.)
"""
