-- The server's version and the schema unqualified names resolve to.
SELECT current_setting('server_version') AS server_version,
       current_schema() AS default_schema
