-- Indexes, one row per key part in SEQ_IN_INDEX order; the primary key is
-- the index named PRIMARY. A MySQL 8 functional key part has no COLUMN_NAME
-- and is reported as its EXPRESSION.
SELECT s.TABLE_SCHEMA AS schema_name,
       s.TABLE_NAME AS table_name,
       s.INDEX_NAME AS index_name,
       s.NON_UNIQUE = 0 AS is_unique,
       s.INDEX_NAME = 'PRIMARY' AS is_primary,
       COALESCE(s.COLUMN_NAME, s.EXPRESSION) AS column_name
FROM information_schema.STATISTICS AS s
WHERE s.TABLE_SCHEMA IN :schemas
  /* tables: s.TABLE_SCHEMA, s.TABLE_NAME */
ORDER BY s.TABLE_SCHEMA, s.TABLE_NAME, s.INDEX_NAME, s.SEQ_IN_INDEX
