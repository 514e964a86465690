-- Primary key, unique and foreign key constraints, one row per column in
-- ORDINAL_POSITION order; a foreign key's referenced column is on the same
-- row. KEY_COLUMN_USAGE holds exactly these three kinds and tells them apart
-- (the primary key is named PRIMARY; only a foreign key references a table),
-- so TABLE_CONSTRAINTS is not joined: MariaDB evaluates such joins table by table.
-- A foreign key's ON DELETE action comes from REFERENTIAL_CONSTRAINTS in a row of
-- its own (position 0, no column), spelled as a spec writes it (NO ACTION: NULL).
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
       NULL AS expression,
       NULL AS on_delete,
       k.ORDINAL_POSITION AS position
FROM information_schema.KEY_COLUMN_USAGE AS k
WHERE k.TABLE_SCHEMA IN :schemas
  /* tables: k.TABLE_SCHEMA, k.TABLE_NAME */
UNION ALL
SELECT r.CONSTRAINT_SCHEMA,
       r.TABLE_NAME,
       r.CONSTRAINT_NAME,
       'foreign_key',
       NULL,
       r.UNIQUE_CONSTRAINT_SCHEMA,
       r.REFERENCED_TABLE_NAME,
       NULL,
       NULL,
       CASE r.DELETE_RULE WHEN 'CASCADE' THEN 'cascade' WHEN 'SET NULL' THEN 'set_null'
                          WHEN 'RESTRICT' THEN 'restrict' WHEN 'SET DEFAULT' THEN 'set_default' END,
       0
FROM information_schema.REFERENTIAL_CONSTRAINTS AS r
WHERE r.CONSTRAINT_SCHEMA IN :schemas
  /* tables: r.CONSTRAINT_SCHEMA, r.TABLE_NAME */
ORDER BY schema_name, table_name, constraint_name, position
