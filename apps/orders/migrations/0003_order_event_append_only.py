from django.db import migrations

FORBID = """
CREATE OR REPLACE FUNCTION orders_event_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'orders_orderevent is append-only (% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER orders_event_no_update BEFORE UPDATE OR DELETE ON orders_orderevent
    FOR EACH ROW EXECUTE FUNCTION orders_event_append_only();
"""

ALLOW = """
DROP TRIGGER IF EXISTS orders_event_no_update ON orders_orderevent;
DROP FUNCTION IF EXISTS orders_event_append_only();
"""


class Migration(migrations.Migration):
    dependencies = [("orders", "0002_initial")]

    operations = [migrations.RunSQL(FORBID, ALLOW)]
