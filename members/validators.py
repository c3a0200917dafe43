from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

USERNAME_PATTERN = r"^[A-Za-z0-9_.-]{3,30}$"

username_validator = RegexValidator(
    USERNAME_PATTERN,
    _("Use 3 to 30 letters, digits, or the characters _ - and . (no spaces)."),
    code="invalid_username",
)

# allauth reads this list through ACCOUNT_USERNAME_VALIDATORS.
username_validators = [username_validator]
