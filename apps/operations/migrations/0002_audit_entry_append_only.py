from django.db import migrations

FORBID = """
CREATE OR REPLACE FUNCTION operations_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'operations_auditentry is append-only (% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER operations_audit_no_update BEFORE UPDATE OR DELETE ON operations_auditentry
    FOR EACH ROW EXECUTE FUNCTION operations_audit_append_only();
"""

ALLOW = """
DROP TRIGGER IF EXISTS operations_audit_no_update ON operations_auditentry;
DROP FUNCTION IF EXISTS operations_audit_append_only();
"""


class Migration(migrations.Migration):
    dependencies = [("operations", "0001_initial")]

    operations = [migrations.RunSQL(FORBID, ALLOW)]
