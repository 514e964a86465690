"""Stage 1, spec: YAML files -> validated, frozen model. Takes a folder of specs, gives ``Specs``.

``loader`` reads YAML into nodes that remember file and line; ``validate`` checks each document
against its JSON Schema and runs the cross-references of ``crossref`` (with ``columnrules`` for
identity columns, defaults and sizes, which ``literals`` and ``typesizes`` check against each
type, ``sqltext`` for declared SQL); ``build`` makes the
frozen ``model``. Also here: the portable ``types`` and their dialect names, expression
``defaults``, the safety ``codes`` the specs may allow, the shipped ``resources``, the
``combined`` schema of every kind, ``scaffold`` (``recon init``: the examples in ``templates/``)
and ``reference`` (docs/specs.md's key tables, generated from the schemas).
"""
