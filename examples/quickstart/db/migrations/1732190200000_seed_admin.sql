-- MIGRATION_ID: 1732190200000
-- TITLE: Seed the admin user
-- CHANGE_TYPE: Data
-- RISK_LEVEL: Low
-- FORWARD_ONLY: No
-- ROLLBACK_STRATEGY: down section below
INSERT INTO users (email) VALUES ('admin@example.com');

-- sluice:down
DELETE FROM users WHERE email = 'admin@example.com';
