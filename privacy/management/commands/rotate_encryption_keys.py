"""Re-encrypts every value encrypted at rest under the newest key of FIELD_ENCRYPTION_KEYS.

Rotation: put a new key first in FIELD_ENCRYPTION_KEYS (keep the old ones after it), deploy,
run this command, then drop the old keys. Safe to run again or to stop midway: every value
stays readable with the configured keys throughout.

Covers every `EncryptedTextField` of every model, and text columns named `*_encrypted` that
hold a Fernet token written by `privacy.crypto` (the profile's special-category data).
"""

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import models, transaction

from privacy import crypto
from privacy.fields import EncryptedTextField

BATCH = 1000


def encrypted_columns():
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, EncryptedTextField) or (
                isinstance(field, models.TextField) and field.name.endswith("_encrypted")
            ):
                yield model, field


def rotate_column(model, field) -> int:
    """Rotates one column batch by batch, in primary-key order. Returns rows rewritten."""
    manager = model._base_manager
    rotated = 0
    last_pk = None
    fernet = crypto.fernet()
    while True:
        rows = manager.exclude(**{field.name: ""}).exclude(**{f"{field.name}__isnull": True})
        if last_pk is not None:
            rows = rows.filter(pk__gt=last_pk)
        batch = list(rows.order_by("pk").values_list("pk", flat=True)[:BATCH])
        if not batch:
            return rotated
        with transaction.atomic():
            for obj in manager.select_for_update().filter(pk__in=batch).only("pk", field.name):
                value = getattr(obj, field.attname)
                if isinstance(field, EncryptedTextField):
                    # Read decrypted with any key, written back under the newest one.
                    manager.filter(pk=obj.pk).update(**{field.name: value})
                else:
                    token = fernet.rotate(value.encode()).decode()
                    manager.filter(pk=obj.pk).update(**{field.name: token})
                rotated += 1
        last_pk = batch[-1]


class Command(BaseCommand):
    help = "Re-encrypts data encrypted at rest under the newest FIELD_ENCRYPTION_KEYS key."

    def handle(self, *args, **options):
        for model, field in encrypted_columns():
            count = rotate_column(model, field)
            self.stdout.write(f"{model._meta.label}.{field.name}: {count} re-encrypted")
