import getpass
import os

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from members.models import Member
from members.services import ROLE_GROUPS, create_staff_member
from members.staff_two_factor import ENROLMENT_LINK_VALID_FOR, has_totp, issue_enrolment_link


class Command(BaseCommand):
    help = (
        "Create a staff account with a verified e-mail address: a superuser or a member of "
        "one staff role. The password is asked for (or read from STAFF_PASSWORD). Two-factor is "
        "set up with a one-time enrolment link, mailed to the address and printed here. "
        "--enrolment-link USERNAME mails and prints a new link for an existing staff account."
    )

    def add_arguments(self, parser):
        parser.add_argument("username", nargs="?")
        parser.add_argument("email", nargs="?")
        parser.add_argument("--role", choices=["superuser", *ROLE_GROUPS], default="superuser")
        parser.add_argument(
            "--enrolment-link",
            metavar="USERNAME",
            help="Mail and print a new two-factor enrolment link for this staff account "
            "(its older links stop working).",
        )

    def handle(self, *args, username, email, role, enrolment_link, **options):
        if enrolment_link:
            return self._new_enrolment_link(enrolment_link)
        if not username or not email:
            raise CommandError("Give a username and an e-mail address.")
        if Member.objects.filter(username__iexact=username).exists():
            raise CommandError("That username is taken.")
        if Member.objects.filter(email__iexact=email).exists():
            raise CommandError("That e-mail address is taken.")
        password = os.environ.get("STAFF_PASSWORD") or self._ask_password()
        try:
            validate_password(password, Member(username=username, email=email))
            with transaction.atomic():
                member = create_staff_member(
                    username=username, email=email, password=password, role=role
                )
                url = issue_enrolment_link(member=member)
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from error
        self.stdout.write(self.style.SUCCESS(f"Staff account {member.username} ({role}) made."))
        self._print_link(url)

    def _new_enrolment_link(self, username):
        member = Member.objects.filter(username__iexact=username, is_staff=True).first()
        if member is None:
            raise CommandError("No staff account has that username.")
        if has_totp(member):
            raise CommandError(
                f"{member.username} already uses two-factor authentication: a link only serves "
                "to set it up."
            )
        self._print_link(issue_enrolment_link(member=member))

    def _print_link(self, url):
        hours = int(ENROLMENT_LINK_VALID_FOR.total_seconds() // 3600)
        self.stdout.write(
            f"Two-factor enrolment link (mailed to the account's address; works once, for "
            f"{hours} hours, after logging in with this account):\n{url}"
        )

    def _ask_password(self):
        first = getpass.getpass("Password: ")
        if first != getpass.getpass("Password (again): "):
            raise CommandError("The passwords differ.")
        return first
