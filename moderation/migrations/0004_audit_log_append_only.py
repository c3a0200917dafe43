"""On PostgreSQL the database itself keeps the moderation audit log append-only: UPDATE and
DELETE are refused, except the SET NULL that erasing a staff account makes."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION moderation_audit_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE'
       AND NEW.staff_id IS NULL AND OLD.staff_id IS NOT NULL
       AND NEW.action = OLD.action AND NEW.report_id IS NOT DISTINCT FROM OLD.report_id
       AND NEW.content_type_id IS NOT DISTINCT FROM OLD.content_type_id
       AND NEW.object_id IS NOT DISTINCT FROM OLD.object_id
       AND NEW.statement_reference = OLD.statement_reference
       AND NEW.detail = OLD.detail AND NEW.created_at = OLD.created_at THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'the moderation audit log is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER moderation_audit_append_only
    BEFORE UPDATE OR DELETE ON moderation_moderationaction
    FOR EACH ROW EXECUTE FUNCTION moderation_audit_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS moderation_audit_append_only ON moderation_moderationaction;
DROP FUNCTION IF EXISTS moderation_audit_append_only();
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("moderation", "0003_dsa_cases_statements_appeals")]
    operations = [migrations.RunPython(create, drop)]
