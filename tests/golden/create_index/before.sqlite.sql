CREATE TABLE articles (id INTEGER NOT NULL PRIMARY KEY, author_id INTEGER NOT NULL, slug VARCHAR(120) NOT NULL, body TEXT, published_on DATE);
INSERT INTO articles (id, author_id, slug, body, published_on) VALUES (1, 7, 'hello', 'first post', '2024-01-02');
INSERT INTO articles (id, author_id, slug, body, published_on) VALUES (2, 7, 'again', NULL, NULL);
