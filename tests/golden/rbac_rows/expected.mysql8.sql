INSERT INTO `permissions` (`id`, `key`, `description`) SELECT `m`.`base` + ROW_NUMBER() OVER (ORDER BY CASE WHEN `v`.`key` IS NULL THEN 1 ELSE 0 END, `v`.`key`), `v`.`key`, `v`.`description` FROM (SELECT %s AS `key`, %s AS `description`) AS `v` CROSS JOIN (SELECT COALESCE(MAX(`id`), 0) AS base FROM `permissions`) AS m;
INSERT INTO `roles` (`id`, `name`) SELECT `m`.`base` + ROW_NUMBER() OVER (ORDER BY CASE WHEN `v`.`name` IS NULL THEN 1 ELSE 0 END, `v`.`name`), `v`.`name` FROM (SELECT %s AS `name`) AS `v` CROSS JOIN (SELECT COALESCE(MAX(`id`), 0) AS base FROM `roles`) AS m;
UPDATE `roles` AS t JOIN (SELECT %s AS `name`, %s AS `description`) AS `v` ON TRUE SET t.`description` = `v`.`description` WHERE `t`.`name` = `v`.`name`;
INSERT INTO `role_permissions` (`role_id`, `permission_id`) SELECT `r`.`id`, `p`.`id` FROM (SELECT %s AS `role`, %s AS `permission`) AS `v` JOIN `roles` AS r ON `r`.`name` = `v`.`role` JOIN `permissions` AS p ON `p`.`key` = `v`.`permission`;
DELETE FROM `role_permissions` WHERE (`role_id`, `permission_id`) IN (SELECT `r`.`id`, `p`.`id` FROM (SELECT %s AS `role`, %s AS `permission`) AS `v` JOIN `roles` AS r ON `r`.`name` = `v`.`role` JOIN `permissions` AS p ON `p`.`key` = `v`.`permission`);
DELETE FROM `role_permissions` WHERE `role_id` IN (SELECT `x`.`id` FROM `roles` AS x WHERE `x`.`name` IN (%s));
DELETE FROM `roles` WHERE `name` IN (%s);
DELETE FROM `role_permissions` WHERE `permission_id` IN (SELECT `x`.`id` FROM `permissions` AS x WHERE `x`.`key` IN (%s));
DELETE FROM `permissions` WHERE `key` IN (%s);
