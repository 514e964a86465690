"""Stage 5, auditing: the check vocabulary and the audit run. Takes ``Specs`` (or the
``AuditSet`` a plan carries) and a target, gives an ``AuditReport``.

``canaries`` evaluates fingerprint canaries and schema guards against the inspected state in
memory; ``invariants`` runs data assertions as sqlglot-built SELECTs, each in a savepoint;
``auditset`` is what an audit runs, as data a plan file carries; ``run`` ties them together.
(The folder is not named ``audit`` so that ``engine.audit`` stays the function.)
"""
