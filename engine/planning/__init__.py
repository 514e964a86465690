"""Stage 9, planning: specs + live state -> the reviewed ``Plan``. Takes ``Specs`` and a target,
gives a ``Plan`` (the ``recon.plan/v1`` artifact), read-only.

``planner`` selects the pending units and plans them, the seeds and the rbac rows against a
simulated state; ``planfile`` is the artifact and what apply needs to run it alone (digests,
templates); ``rowplan`` orders row batches by foreign keys; ``gates`` are the environment's
gates the plan carries, and their checks. (Not named ``plan``: ``engine.plan`` is the function.)
"""
