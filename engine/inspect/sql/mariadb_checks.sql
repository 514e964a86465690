-- Check constraints. MariaDB names them per table (a column check is named
-- after its column), so CHECK_CONSTRAINTS' own TABLE_NAME is the only safe key.
SELECT cc.CONSTRAINT_SCHEMA AS schema_name,
       cc.TABLE_NAME AS table_name,
       cc.CONSTRAINT_NAME AS constraint_name,
       'check' AS kind,
       NULL AS column_name,
       NULL AS ref_schema,
       NULL AS ref_table,
       NULL AS ref_column,
       cc.CHECK_CLAUSE AS expression
FROM information_schema.CHECK_CONSTRAINTS AS cc
WHERE cc.CONSTRAINT_SCHEMA IN :schemas
  /* tables: cc.CONSTRAINT_SCHEMA, cc.TABLE_NAME */
ORDER BY cc.CONSTRAINT_SCHEMA, cc.TABLE_NAME, cc.CONSTRAINT_NAME
