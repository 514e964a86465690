"""Stage 2, target: a database URL -> connections and statements. Takes ``--db`` / ``--env``,
gives ``Target`` and read-only or writing sessions.

``connection`` resolves URLs, opens read-only sessions and keeps passwords out of messages;
``sqlexec`` builds and runs statements as sqlglot trees with bound values; ``rowsql`` renders
batched row statements within each server's limits; ``identity`` says which database a
connection reaches, as the server reports it.
"""
