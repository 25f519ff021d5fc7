"""Forward jumps per pipeline (docs/hardening/forward-jumps.md).

Existing pipelines get "allowed", which is how every pipeline behaved until now; only the
default for pipelines created from here on is "strict".
"""

from django.db import migrations, models

CHOICES = [
    ("allowed", "Allowed: skipped stages impose nothing"),
    ("strict", "Need the skipped stages' required items"),
]


class Migration(migrations.Migration):
    dependencies = [("pipelines", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="pipeline",
            name="forward_jumps",
            field=models.CharField(choices=CHOICES, default="allowed", max_length=10),
        ),
        migrations.AlterField(
            model_name="pipeline",
            name="forward_jumps",
            field=models.CharField(choices=CHOICES, default="strict", max_length=10),
        ),
        migrations.AddConstraint(
            model_name="pipeline",
            constraint=models.CheckConstraint(
                condition=models.Q(forward_jumps__in=["allowed", "strict"]),
                name="pipeline_forward_jumps_valid",
            ),
        ),
    ]
