#!/usr/bin/env python3
"""Write the same N migrations as bench/gen.py (CREATE TABLE + CREATE INDEX, one
commit each) in every peer's layout, so that each tool runs identical SQL.

usage: gen_peers.py DIR N

DIR/psql.sql          one file, each migration wrapped in BEGIN; ... COMMIT;
DIR/sqlx/             <version>_<name>.sql (sqlx-cli: one transaction each)
DIR/refinery/         V<n>__<name>.sql (refinery: one transaction each)
DIR/dbmate/           <version>_<name>.sql with -- migrate:up / -- migrate:down
DIR/yoyo/             <n>_<name>.sql + .rollback.sql (yoyo: one transaction each)
DIR/alembic/          alembic.ini, env.py, versions/ (op.execute of the same SQL,
                      transaction_per_migration = True)
"""
import os, sys

d, n = sys.argv[1], int(sys.argv[2])
base = 1700000000000


def up(i):
    return (f"CREATE TABLE t{i} (id bigint PRIMARY KEY, name text NOT NULL, created_at timestamp);\n"
            f"CREATE INDEX t{i}_name_idx ON t{i} (name);\n")


def down(i):
    return f"DROP TABLE t{i};\n"


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


write(os.path.join(d, "psql.sql"),
      "".join(f"BEGIN;\n{up(i)}COMMIT;\n" for i in range(n)))
for i in range(n):
    v = base + i
    write(os.path.join(d, "sqlx", f"{v}_create_t{i}.sql"), up(i))
    write(os.path.join(d, "refinery", f"V{i + 1}__create_t{i}.sql"), up(i))
    write(os.path.join(d, "dbmate", f"{v}_create_t{i}.sql"),
          f"-- migrate:up\n{up(i)}\n-- migrate:down\n{down(i)}")
    write(os.path.join(d, "yoyo", f"{v}_create_t{i}.sql"), up(i))
    write(os.path.join(d, "yoyo", f"{v}_create_t{i}.rollback.sql"), down(i))
    prev = f"'r{i - 1:05d}'" if i else "None"
    write(os.path.join(d, "alembic", "versions", f"r{i:05d}_create_t{i}.py"),
          f'"""create t{i}"""\nfrom alembic import op\n\nrevision = "r{i:05d}"\n'
          f"down_revision = {prev}\nbranch_labels = None\ndepends_on = None\n\n\n"
          f'def upgrade():\n    op.execute("""{up(i)}""")\n\n\n'
          f'def downgrade():\n    op.execute("""{down(i)}""")\n')
write(os.path.join(d, "alembic", "alembic.ini"),
      "[alembic]\nscript_location = %(here)s\n")
write(os.path.join(d, "alembic", "env.py"), '''import os
from alembic import context
from sqlalchemy import create_engine

engine = create_engine(os.environ["ALEMBIC_URL"])
with engine.connect() as connection:
    context.configure(connection=connection, target_metadata=None,
                      transaction_per_migration=True)
    with context.begin_transaction():
        context.run_migrations()
''')
write(os.path.join(d, "alembic", "script.py.mako"), "")
