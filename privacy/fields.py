"""An encrypted text field: the database holds a Fernet token, Python sees the text.

Built on `privacy.crypto` (MultiFernet over FIELD_ENCRYPTION_KEYS, newest key first), so old
rows stay readable after a key is added and `manage.py rotate_encryption_keys` re-encrypts
them under the newest key. The column cannot be filtered or sorted on: that is the point.
"""

from django.db import models

from . import crypto


class EncryptedTextField(models.TextField):
    description = "Text encrypted at rest (Fernet)"

    def from_db_value(self, value, expression, connection):
        if value is None:
            return value
        return crypto.decrypt_text(value)

    def to_python(self, value):
        return value

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None:
            return value
        return crypto.encrypt_text(str(value))
