-- Check constraints. MySQL 8's CHECK_CONSTRAINTS has no TABLE_NAME; check
-- names are unique per schema there, so TABLE_CONSTRAINTS supplies the table.
SELECT tc.TABLE_SCHEMA AS schema_name,
       tc.TABLE_NAME AS table_name,
       tc.CONSTRAINT_NAME AS constraint_name,
       'check' AS kind,
       NULL AS column_name,
       NULL AS ref_schema,
       NULL AS ref_table,
       NULL AS ref_column,
       cc.CHECK_CLAUSE AS expression
FROM information_schema.TABLE_CONSTRAINTS AS tc
JOIN information_schema.CHECK_CONSTRAINTS AS cc
  ON cc.CONSTRAINT_SCHEMA = tc.CONSTRAINT_SCHEMA
 AND cc.CONSTRAINT_NAME = tc.CONSTRAINT_NAME
WHERE tc.TABLE_SCHEMA IN :schemas
  AND cc.CONSTRAINT_SCHEMA IN :schemas
  AND tc.CONSTRAINT_TYPE = 'CHECK'
  /* tables: tc.TABLE_SCHEMA, tc.TABLE_NAME */
ORDER BY tc.TABLE_SCHEMA, tc.TABLE_NAME, tc.CONSTRAINT_NAME
