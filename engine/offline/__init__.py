"""Stage: the schema without a database. Takes DDL files (a ``pg_dump --schema-only``, a
hand-written schema) and the specs, gives the ``SchemaState`` live inspection would read after
every migration unit is applied, and the offline audit and validation run against it.

``statements`` splits a file into located statements and tells which ones describe no table
(ignored and counted); ``ddl`` maps the others (``CREATE TABLE``, ``CREATE INDEX``, ``ALTER
TABLE``, drops, views) onto a ``SchemaState`` spelled as each dialect's catalog spells it
(``spelling`` for types, defaults and the names the server gives; ``sqlite_tables`` for SQLite's
own ``CREATE TABLE`` text); ``run`` applies the units with the planner's simulation and refusal
rules, then runs the fingerprint canaries. No module here opens a connection.
"""
