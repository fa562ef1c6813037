# ruff: noqa: E501  (the SQL as it ran, one statement a line)
"""The triggers that kept ``customer_summaries`` current, frozen as revision 0004 left them.

Revisions 0002 to 0004 made them and 0009 drops them with the summaries; a migration never
imports live code, so the SQL they ran is kept here, exactly.
"""

from __future__ import annotations

from alembic import op

SQLITE = (
    "CREATE TRIGGER customers_stale_insert AFTER INSERT ON customers BEGIN INSERT OR IGNORE INTO stale_summaries (customer_id) VALUES (NEW.id); END",
    "CREATE TRIGGER customers_stale_update AFTER UPDATE OF language, do_not_contact, erased_at, birthday, address1, postal_code, city, first_name, name ON customers BEGIN INSERT OR IGNORE INTO stale_summaries (customer_id) VALUES (NEW.id); END",
    "CREATE TRIGGER orders_stale_insert AFTER INSERT ON orders BEGIN INSERT OR IGNORE INTO stale_summaries (customer_id) VALUES (NEW.customer_id); END",
    "CREATE TRIGGER orders_stale_update AFTER UPDATE ON orders BEGIN INSERT OR IGNORE INTO stale_summaries (customer_id) VALUES (OLD.customer_id); INSERT OR IGNORE INTO stale_summaries (customer_id) VALUES (NEW.customer_id); END",
    "CREATE TRIGGER orders_stale_delete AFTER DELETE ON orders BEGIN INSERT OR IGNORE INTO stale_summaries (customer_id) VALUES (OLD.customer_id); END",
    "CREATE TRIGGER feedback_stale_insert AFTER INSERT ON feedback BEGIN INSERT OR IGNORE INTO stale_summaries (customer_id) VALUES (NEW.customer_id); END",
    "CREATE TRIGGER feedback_stale_update AFTER UPDATE ON feedback BEGIN INSERT OR IGNORE INTO stale_summaries (customer_id) VALUES (OLD.customer_id); INSERT OR IGNORE INTO stale_summaries (customer_id) VALUES (NEW.customer_id); END",
    "CREATE TRIGGER feedback_stale_delete AFTER DELETE ON feedback BEGIN INSERT OR IGNORE INTO stale_summaries (customer_id) VALUES (OLD.customer_id); END",
)

POSTGRESQL = (
    "CREATE OR REPLACE FUNCTION mark_customer_stale() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO stale_summaries (customer_id) VALUES (NEW.id) ON CONFLICT DO NOTHING; RETURN NULL; END $$",
    "CREATE OR REPLACE FUNCTION mark_owner_stale() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF TG_OP <> 'INSERT' THEN INSERT INTO stale_summaries (customer_id) VALUES (OLD.customer_id) ON CONFLICT DO NOTHING; END IF; IF TG_OP <> 'DELETE' THEN INSERT INTO stale_summaries (customer_id) VALUES (NEW.customer_id) ON CONFLICT DO NOTHING; END IF; RETURN NULL; END $$",
    "CREATE TRIGGER customers_stale AFTER INSERT OR UPDATE OF language, do_not_contact, erased_at, birthday, address1, postal_code, city, first_name, name ON customers FOR EACH ROW EXECUTE FUNCTION mark_customer_stale()",
    "CREATE TRIGGER orders_stale AFTER INSERT OR UPDATE OR DELETE ON orders FOR EACH ROW EXECUTE FUNCTION mark_owner_stale()",
    "CREATE TRIGGER feedback_stale AFTER INSERT OR UPDATE OR DELETE ON feedback FOR EACH ROW EXECUTE FUNCTION mark_owner_stale()",
)

DROP_SQLITE = (
    "DROP TRIGGER customers_stale_insert",
    "DROP TRIGGER customers_stale_update",
    "DROP TRIGGER orders_stale_insert",
    "DROP TRIGGER orders_stale_update",
    "DROP TRIGGER orders_stale_delete",
    "DROP TRIGGER feedback_stale_insert",
    "DROP TRIGGER feedback_stale_update",
    "DROP TRIGGER feedback_stale_delete",
)

DROP_POSTGRESQL = (
    "DROP TRIGGER customers_stale ON customers",
    "DROP TRIGGER orders_stale ON orders",
    "DROP TRIGGER feedback_stale ON feedback",
)

ARRAYS_TRIGGER = (
    "CREATE TRIGGER customers_deleted_arrays AFTER DELETE ON customers BEGIN DELETE FROM summary_arrays; END"
)
DROP_ARRAYS_TRIGGER = "DROP TRIGGER customers_deleted_arrays"


def create() -> None:
    """Make the triggers on the database being migrated."""
    for statement in SQLITE if op.get_bind().dialect.name == "sqlite" else POSTGRESQL:
        op.get_bind().exec_driver_sql(statement)


def drop() -> None:
    """Drop the triggers from the database being migrated (not the summary arrays' one)."""
    for statement in DROP_SQLITE if op.get_bind().dialect.name == "sqlite" else DROP_POSTGRESQL:
        op.get_bind().exec_driver_sql(statement)
