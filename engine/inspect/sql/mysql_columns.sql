-- Tables and views, each as a header row (position 0, no column) followed by
-- its columns in ordinal order. Two filtered scans glued with UNION ALL rather
-- than a TABLES-COLUMNS join: MariaDB evaluates that join table by table,
-- which is many times slower. DATA_TYPE and EXTRA let the reader normalise
-- MySQL 8 defaults to SQL expressions, as MariaDB already reports them.
-- GENERATION_EXPRESSION is a generated column's expression (MySQL 8: '' for others).
-- column_comment is a column's COMMENT ('' without one), which MODIFY COLUMN must restate.
-- table_collation is a header row's TABLE_COLLATION (the default of its string columns).
-- storage is the table's ENGINE on a header row and a column's COLLATION_NAME on
-- a column row (what a foreign key needs to match).
SELECT t.TABLE_SCHEMA AS schema_name,
       t.TABLE_NAME AS table_name,
       0 AS position,
       CASE WHEN t.TABLE_TYPE = 'VIEW' THEN 'view'
            WHEN t.CREATE_OPTIONS LIKE '%partitioned%' THEN 'partitioned' ELSE 'table' END AS kind,
       NULL AS column_name,
       NULL AS column_type,
       NULL AS nullable,
       NULL AS column_default,
       NULL AS data_type,
       NULL AS extra,
       NULL AS generation,
       NULL AS column_comment,
       t.TABLE_COLLATION AS table_collation,
       t.ENGINE AS storage
FROM information_schema.TABLES AS t
WHERE t.TABLE_SCHEMA IN :schemas
  /* tables: t.TABLE_SCHEMA, t.TABLE_NAME */
  AND t.TABLE_TYPE IN ('BASE TABLE', 'VIEW', 'SYSTEM VERSIONED')
UNION ALL
SELECT c.TABLE_SCHEMA,
       c.TABLE_NAME,
       c.ORDINAL_POSITION,
       NULL,
       c.COLUMN_NAME,
       c.COLUMN_TYPE,
       c.IS_NULLABLE = 'YES',
       c.COLUMN_DEFAULT,
       c.DATA_TYPE,
       c.EXTRA,
       c.GENERATION_EXPRESSION,
       c.COLUMN_COMMENT,
       NULL,
       c.COLLATION_NAME
FROM information_schema.COLUMNS AS c
WHERE c.TABLE_SCHEMA IN :schemas
  /* tables: c.TABLE_SCHEMA, c.TABLE_NAME */
ORDER BY schema_name, table_name, position
