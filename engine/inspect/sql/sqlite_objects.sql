-- Tables, views, indexes and triggers of one database with their CREATE statements;
-- SQLite's own tables are left out, its automatic indexes kept.
-- The reader fills in the quoted database name and a parameter for its value.
SELECT {param} AS schema_name,
       m.type AS object_type,
       m.name AS object_name,
       m.tbl_name AS table_name,
       m.sql AS create_sql
FROM {schema}.sqlite_master AS m
WHERE (m.type IN ('table', 'view') AND substr(m.name, 1, 7) <> 'sqlite_')
   OR m.type IN ('index', 'trigger')
