-- Foreign keys, one row per column pair in (id, seq) order. "to" is NULL
-- when the key references the parent's primary key implicitly.
SELECT {param} AS schema_name,
       m.name AS table_name,
       fk.id AS fk_id,
       fk."table" AS ref_table,
       fk."from" AS column_name,
       fk."to" AS ref_column,
       fk.on_delete AS on_delete
FROM {schema}.sqlite_master AS m
JOIN pragma_foreign_key_list(m.name, {param}) AS fk
WHERE m.type = 'table'
  AND substr(m.name, 1, 7) <> 'sqlite_'
  /* tables: {param}, m.name */
