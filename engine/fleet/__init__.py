"""Fleet (after applying, before report): one command on many targets; gives a ``FleetReport`` or a fleet plan.

``targets`` reads and checks the targets file (``{name, url}`` or ``{name, url_env}``) and
takes the deterministic shard ``K/N`` of it; ``run`` runs a command on every target in a
bounded pool, each target on its own connection, lock and ledger, a failing one never stopping
the others, into one ``recon.fleet/v1`` report whose exit code is the worst of all;
``commands`` are audit, plan and apply of specs on a fleet; ``plans`` groups the targets whose
planned state matches into one ``recon.fleet-plan/v1`` file; ``apply`` runs such a file; and
``merge`` joins the fleet reports of a sharded run.
"""
