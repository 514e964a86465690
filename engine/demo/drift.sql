-- Production data after a few hand-run scripts: a role deleted with its grants, a critical
-- grant revoked, a default setting deleted, and a setting an operator changed on purpose.
DELETE FROM role_permissions WHERE role_id = 5;
DELETE FROM roles WHERE id = 5;
DELETE FROM role_permissions WHERE role_id = 1 AND permission_id = 5;
DELETE FROM settings WHERE "key" = 'currency';
UPDATE settings SET value = 'dark' WHERE "key" = 'theme';
