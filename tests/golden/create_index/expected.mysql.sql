CREATE INDEX IF NOT EXISTS `articles_author_published_idx` ON `articles`(`author_id`, `published_on`);
CREATE UNIQUE INDEX IF NOT EXISTS `articles_slug_key` ON `articles`(`slug`);
CREATE INDEX IF NOT EXISTS `articles_body_idx` ON `articles`(`body`(255));
