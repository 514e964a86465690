CREATE INDEX `articles_author_published_idx` ON `articles`(`author_id`, `published_on`);
CREATE UNIQUE INDEX `articles_slug_key` ON `articles`(`slug`);
CREATE INDEX `articles_body_idx` ON `articles`(`body`(255));
