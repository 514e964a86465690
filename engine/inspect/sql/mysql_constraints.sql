-- Primary key, unique and foreign key constraints, one row per column in
-- ORDINAL_POSITION order; a foreign key's referenced column is on the same
-- row. KEY_COLUMN_USAGE holds exactly these three kinds and tells them apart
-- (the primary key is named PRIMARY; only a foreign key references a table),
-- so TABLE_CONSTRAINTS is not joined: MariaDB evaluates such joins table by table.
SELECT k.TABLE_SCHEMA AS schema_name,
       k.TABLE_NAME AS table_name,
       k.CONSTRAINT_NAME AS constraint_name,
       CASE WHEN k.CONSTRAINT_NAME = 'PRIMARY' THEN 'primary_key'
            WHEN k.REFERENCED_TABLE_NAME IS NOT NULL THEN 'foreign_key'
            ELSE 'unique' END AS kind,
       k.COLUMN_NAME AS column_name,
       k.REFERENCED_TABLE_SCHEMA AS ref_schema,
       k.REFERENCED_TABLE_NAME AS ref_table,
       k.REFERENCED_COLUMN_NAME AS ref_column,
       NULL AS expression
FROM information_schema.KEY_COLUMN_USAGE AS k
WHERE k.TABLE_SCHEMA IN :schemas
ORDER BY k.TABLE_SCHEMA, k.TABLE_NAME, k.CONSTRAINT_NAME, k.ORDINAL_POSITION
