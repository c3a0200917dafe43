"""Demo data for `make run` and the benchmarks: idempotent, and fast enough for 100000 members
(one password hash shared by all demo members, bulk inserts)."""

import random
from datetime import timedelta
from importlib import import_module

from allauth.account.models import EmailAddress
from django.apps import apps
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from members.models import Member

DEMO_PASSWORD = "demo-wachtwoord-2026"  # noqa: S105  (demo data only; refused in production)
BATCH = 2000


def demo_username(number: int) -> str:
    return f"demo_{number:06d}"


class Command(BaseCommand):
    help = "Create demo members (idempotent). Every demo member's password is in the README."

    def add_arguments(self, parser):
        parser.add_argument("--members", type=int, default=50, help="number of demo members")
        parser.add_argument(
            "--force", action="store_true", help="also run when DEBUG is off (benchmarks)"
        )

    def handle(self, *args, **options):
        if not (settings.DEBUG or settings.TESTING or options["force"]):
            raise CommandError("seed_demo makes accounts with a known password: DEBUG only.")
        count = options["members"]
        if count < 0:
            raise CommandError("--members must be 0 or more")
        created = seed_members(count=count)
        # Other apps add their demo data in their own `demo_data.py` (a `seed_demo(members=)`
        # function), in INSTALLED_APPS order; members imports none of them.
        for app_config in apps.get_app_configs():
            try:
                module = import_module(f"{app_config.name}.demo_data")
            except ModuleNotFoundError as error:
                if error.name != f"{app_config.name}.demo_data":
                    raise
                continue
            summary = module.seed_demo(members=Member.objects.filter(username__startswith="demo_"))
            self.stdout.write(f"{app_config.label}: {summary}")
        # Fresh planner statistics after bulk inserts, so pages use their indexes at once.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        self.stdout.write(
            f"Demo members: {count} wanted, {created} created. Log in as {demo_username(1)} "
            f"(or any demo_NNNNNN) with password {DEMO_PASSWORD}"
        )


def seed_members(*, count: int, seed: int = 2026) -> int:
    wanted = [demo_username(n) for n in range(1, count + 1)]
    existing = set(
        Member.objects.filter(username__startswith="demo_").values_list("username", flat=True)
    )
    missing = [name for name in wanted if name not in existing]
    if not missing:
        return 0
    rng = random.Random(seed)
    password = make_password(DEMO_PASSWORD)
    now = timezone.now()
    genders = Member.Gender.values
    created = 0
    for start in range(0, len(missing), BATCH):
        names = missing[start : start + BATCH]
        with transaction.atomic():
            members = Member.objects.bulk_create(
                [
                    Member(
                        username=name,
                        email=f"{name}@demo.invalid",
                        password=password,
                        gender=rng.choice(genders),
                        language=rng.choice(["nl", "nl", "en"]),
                        date_joined=now - timedelta(days=rng.randint(0, 730)),
                        last_active_at=now - timedelta(minutes=rng.randint(0, 60 * 24 * 60)),
                        confirmed_adult_at=now,
                        terms_version=settings.TERMS_VERSION,
                        terms_accepted_at=now,
                        privacy_version=settings.PRIVACY_STATEMENT_VERSION,
                        privacy_accepted_at=now,
                    )
                    for name in names
                ],
                batch_size=BATCH,
            )
            if not all(m.pk for m in members):  # SQLite before returning ids: fetch them
                members = list(Member.objects.filter(username__in=names))
            EmailAddress.objects.bulk_create(
                [EmailAddress(user=m, email=m.email, verified=True, primary=True) for m in members],
                batch_size=BATCH,
            )
        created += len(names)
    return created
