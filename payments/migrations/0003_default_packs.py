from django.db import migrations

PACKS = [
    ("Starter", 50, 995),
    ("Plus", 120, 1995),
    ("Max", 300, 3995),
]


def create_packs(apps, schema_editor):
    CreditPack = apps.get_model("payments", "CreditPack")
    if CreditPack.objects.exists():
        return
    for position, (name, credits, price) in enumerate(PACKS):
        CreditPack.objects.create(name=name, credits=credits, price_cents=price, position=position)


class Migration(migrations.Migration):
    dependencies = [("payments", "0002_finance_role")]

    operations = [migrations.RunPython(create_packs, migrations.RunPython.noop)]
