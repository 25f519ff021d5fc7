"""A deal's stage belongs to its pipeline: composite FK deal(stage, pipeline) → stage(id, pipeline).

Django has no composite foreign keys, so PostgreSQL gets it as SQL. SQLite (the zero-setup
default of `make run` only) cannot add constraints to an existing table and relies on
Deal.clean() and the services, which check the same rule.
"""

from django.db import migrations

ADD = """
ALTER TABLE deals_deal
  ADD CONSTRAINT deal_stage_in_pipeline
  FOREIGN KEY (stage_id, pipeline_id) REFERENCES pipelines_stage (id, pipeline_id)
  DEFERRABLE INITIALLY DEFERRED
"""
DROP = "ALTER TABLE deals_deal DROP CONSTRAINT deal_stage_in_pipeline"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(ADD)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [
        ("deals", "0001_initial"),
        ("pipelines", "0001_initial"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
