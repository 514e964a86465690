ALTER TABLE `users` ADD CONSTRAINT `users_email_key` UNIQUE (`email`);
ALTER TABLE `users` ADD CONSTRAINT `users_tenant_login_key` UNIQUE (`tenant`, `login`);
