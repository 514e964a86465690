-- The session holding recon's advisory lock: a bigint key shows in pg_locks as classid (its
-- high 32 bits) and objid (its low 32 bits), objsubid 1. Read when apply finds the lock held,
-- to say who holds it, since when, and what it runs.
SELECT a.pid, a.usename, a.application_name, host(a.client_addr) AS client,
       to_char(a.backend_start AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS connected_at,
       a.state, extract(epoch FROM now() - a.query_start)::bigint AS query_seconds, left(a.query, 160) AS query
FROM pg_catalog.pg_locks AS l
JOIN pg_catalog.pg_stat_activity AS a ON a.pid = l.pid
WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
  AND l.classid::bigint = :high AND l.objid::bigint = :low
  AND l.database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database())
