-- MIGRATION_ID: 1732190100000
-- TITLE: Create posts
-- CHANGE_TYPE: Table
-- RISK_LEVEL: Low
-- FORWARD_ONLY: No
-- ROLLBACK_STRATEGY: down section below
CREATE TABLE posts (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id),
    title TEXT NOT NULL,
    body TEXT NOT NULL DEFAULT ''
);
CREATE INDEX posts_user_id_idx ON posts (user_id);

-- Keep a per-user post count current.
ALTER TABLE users ADD COLUMN post_count INTEGER NOT NULL DEFAULT 0;
CREATE TRIGGER posts_count_insert AFTER INSERT ON posts
BEGIN
    UPDATE users SET post_count = post_count + 1 WHERE id = NEW.user_id;
END;

-- sluice:down
DROP TRIGGER posts_count_insert;  -- CI:DESTRUCTIVE_OK ADR-001 reversal of this migration
ALTER TABLE users DROP COLUMN post_count;  -- CI:DESTRUCTIVE_OK ADR-001 reversal of this migration
DROP TABLE posts;  -- CI:DESTRUCTIVE_OK ADR-001 reversal of this migration
