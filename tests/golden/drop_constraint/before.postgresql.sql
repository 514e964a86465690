CREATE TABLE teams (id INTEGER NOT NULL PRIMARY KEY, name VARCHAR(50) NOT NULL);
CREATE TABLE members (id INTEGER NOT NULL PRIMARY KEY, team_id INTEGER, email VARCHAR(100) NOT NULL, age INTEGER, CONSTRAINT members_email_key UNIQUE (email), CONSTRAINT members_team_id_fkey FOREIGN KEY (team_id) REFERENCES teams (id), CONSTRAINT members_age_check CHECK (age >= 18));
INSERT INTO teams (id, name) VALUES (1, 'red');
INSERT INTO members (id, team_id, email, age) VALUES (1, 1, 'ann@example.com', 30);
