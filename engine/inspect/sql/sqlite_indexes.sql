-- Index key columns in seqno order. origin: c (CREATE INDEX), u (UNIQUE
-- constraint), pk (PRIMARY KEY). cid -2 marks an expression, -1 the rowid.
SELECT {param} AS schema_name,
       m.name AS table_name,
       il.name AS index_name,
       il."unique" AS is_unique,
       il.origin AS origin,
       ii.seqno AS position,
       ii.cid AS cid,
       ii.name AS column_name,
       il.partial AS is_partial
FROM {schema}.sqlite_master AS m
JOIN pragma_index_list(m.name, {param}) AS il
JOIN pragma_index_info(il.name, {param}) AS ii
WHERE m.type = 'table'
  AND substr(m.name, 1, 7) <> 'sqlite_'
  /* tables: {param}, m.name */
