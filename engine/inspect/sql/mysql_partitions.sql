-- The partitioning expression of each partitioned table (sent only when the columns query
-- found one, for those tables only: information_schema.PARTITIONS opens every table it lists).
-- RANGE COLUMNS and LIST COLUMNS give a column list, RANGE and HASH an expression.
SELECT DISTINCT p.TABLE_SCHEMA AS schema_name,
       p.TABLE_NAME AS table_name,
       p.PARTITION_EXPRESSION AS expression,
       p.SUBPARTITION_EXPRESSION AS subexpression
FROM information_schema.PARTITIONS AS p
WHERE p.TABLE_SCHEMA IN :schemas
  AND p.TABLE_NAME IN :names
  AND p.PARTITION_NAME IS NOT NULL
