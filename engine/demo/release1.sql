-- The production database at release 1, before TER-173 added products.nameCanonical.
CREATE TABLE roles (
    id INTEGER NOT NULL,
    name VARCHAR(100) NOT NULL,
    description TEXT,
    CONSTRAINT roles_pkey PRIMARY KEY (id),
    CONSTRAINT roles_name_key UNIQUE (name)
);
CREATE TABLE permissions (
    id INTEGER NOT NULL,
    "key" VARCHAR(150) NOT NULL,
    description TEXT,
    CONSTRAINT permissions_pkey PRIMARY KEY (id),
    CONSTRAINT permissions_key_key UNIQUE ("key")
);
CREATE TABLE role_permissions (
    role_id INTEGER NOT NULL,
    permission_id INTEGER NOT NULL,
    CONSTRAINT role_permissions_pkey PRIMARY KEY (role_id, permission_id),
    CONSTRAINT role_permissions_role_id_fkey FOREIGN KEY (role_id) REFERENCES roles (id) ON DELETE CASCADE,
    CONSTRAINT role_permissions_permission_id_fkey FOREIGN KEY (permission_id) REFERENCES permissions (id) ON DELETE CASCADE
);
CREATE TABLE products (
    id INTEGER NOT NULL,
    sku VARCHAR(40) NOT NULL,
    price NUMERIC(10,2) NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL,
    CONSTRAINT products_pkey PRIMARY KEY (id),
    CONSTRAINT products_sku_key UNIQUE (sku)
);
CREATE TABLE settings (
    "key" VARCHAR(100) NOT NULL,
    value TEXT,
    CONSTRAINT settings_pkey PRIMARY KEY ("key")
);
INSERT INTO roles (id, name, description) VALUES
    (1, 'admin', 'Everything'), (2, 'editor', 'Maintains the catalogue'), (3, 'analyst', 'Reads and exports reports'),
    (4, 'viewer', 'Read-only dashboards'), (5, 'support', 'Helps users');
INSERT INTO permissions (id, "key", description) VALUES
    (1, 'dashboard.view', 'View dashboards'), (2, 'catalogue.edit', 'Edit products'), (3, 'reports.view', 'Read reports'),
    (4, 'reports.export', 'Export reports'), (5, 'users.manage', 'Manage users and roles');
INSERT INTO role_permissions (role_id, permission_id) VALUES
    (1, 1), (1, 2), (1, 3), (1, 4), (1, 5), (2, 1), (2, 2), (3, 1), (3, 3), (3, 4), (4, 1), (5, 1), (5, 3);
INSERT INTO products (id, sku, price, created_at) VALUES
    (1, 'TEA-001', 4.50, '2026-01-10 09:00:00'), (2, 'TEA-002', 5.10, '2026-01-10 09:00:00');
INSERT INTO settings ("key", value) VALUES ('theme', 'light'), ('currency', 'EUR'), ('page_size', '50');
