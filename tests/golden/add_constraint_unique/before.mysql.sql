CREATE TABLE users (id INTEGER NOT NULL PRIMARY KEY, email VARCHAR(200) NOT NULL, tenant INTEGER NOT NULL, login VARCHAR(40));
CREATE INDEX users_tenant_idx ON users (tenant);
INSERT INTO users (id, email, tenant, login) VALUES (1, 'ann@example.com', 1, 'ann');
INSERT INTO users (id, email, tenant, login) VALUES (2, 'bob@example.com', 1, NULL);
