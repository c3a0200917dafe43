"""Extra headers on queued mail (List-Unsubscribe on notification mail, RFC 8058)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0004_search_order_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="outgoingmail",
            name="headers",
            field=models.JSONField(blank=True, default=dict),
        ),
    ]
