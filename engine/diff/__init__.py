"""Stage 8, diff: desired vs actual -> the changes and rows still needed. Takes ``Specs``, the
inspected state and the ledger, gives ordered actions.

``migrations`` plans pending units against a simulated state (present, guard false, skipped
for another dialect, refused, or pending with SQL); ``seeds``, ``rbac`` (``rbac_sql``) and
``rows`` turn seed and rbac specs into row batches from set-based reads; ``values`` compares
stored and declared values; ``drift`` replays applied units to find what the live schema lost.
"""
