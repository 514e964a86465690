INSERT INTO `settings` (`key`, `value`, `enabled`) VALUES (%s, %s, %s);
UPDATE `settings` AS t JOIN (SELECT %s AS `key`, %s AS `value`) AS `v` ON TRUE SET t.`value` = `v`.`value` WHERE `t`.`key` = `v`.`key`;
DELETE FROM `settings` WHERE `key` IN (%s);
