CREATE TABLE roles (id INTEGER NOT NULL PRIMARY KEY, name VARCHAR(100) NOT NULL UNIQUE, description TEXT);
CREATE TABLE permissions (id INTEGER NOT NULL PRIMARY KEY, `key` VARCHAR(150) NOT NULL UNIQUE, description TEXT);
CREATE TABLE role_permissions (role_id INTEGER NOT NULL, permission_id INTEGER NOT NULL, PRIMARY KEY (role_id, permission_id), CONSTRAINT rp_role_fkey FOREIGN KEY (role_id) REFERENCES roles (id), CONSTRAINT rp_permission_fkey FOREIGN KEY (permission_id) REFERENCES permissions (id));
INSERT INTO roles (id, name, description) VALUES (1, 'admin', 'Old text');
INSERT INTO roles (id, name, description) VALUES (2, 'intern', 'Not declared');
INSERT INTO permissions (id, `key`, description) VALUES (1, 'dashboard.view', 'View dashboards');
INSERT INTO permissions (id, `key`, description) VALUES (2, 'legacy.thing', NULL);
INSERT INTO role_permissions (role_id, permission_id) VALUES (1, 1);
INSERT INTO role_permissions (role_id, permission_id) VALUES (1, 2);
INSERT INTO role_permissions (role_id, permission_id) VALUES (2, 1)
