-- MIGRATION_ID: 1732190000000
-- TITLE: Create users
-- CHANGE_TYPE: Table
-- RISK_LEVEL: Low
-- FORWARD_ONLY: No
-- ROLLBACK_STRATEGY: down section below
CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

-- sluice:down
DROP TABLE users;  -- CI:DESTRUCTIVE_OK ADR-001 reversal of this migration
