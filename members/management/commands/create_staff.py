import getpass
import os

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from members.models import Member
from members.services import ROLE_GROUPS, create_staff_member


class Command(BaseCommand):
    help = (
        "Create a staff account with a verified e-mail address: a superuser or a member of "
        "one staff role. The password is asked for (or read from STAFF_PASSWORD). Two-factor is "
        "set up at the first visit to /admin/."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("email")
        parser.add_argument("--role", choices=["superuser", *ROLE_GROUPS], default="superuser")

    def handle(self, *args, username, email, role, **options):
        if Member.objects.filter(username__iexact=username).exists():
            raise CommandError("That username is taken.")
        if Member.objects.filter(email__iexact=email).exists():
            raise CommandError("That e-mail address is taken.")
        password = os.environ.get("STAFF_PASSWORD") or self._ask_password()
        try:
            validate_password(password, Member(username=username, email=email))
            member = create_staff_member(
                username=username, email=email, password=password, role=role
            )
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from error
        self.stdout.write(self.style.SUCCESS(f"Staff account {member.username} ({role}) made."))

    def _ask_password(self):
        first = getpass.getpass("Password: ")
        if first != getpass.getpass("Password (again): "):
            raise CommandError("The passwords differ.")
        return first
