"""Demo data for `manage.py seed_demo`: one demo member in four (demo_000001, demo_000005, ...)
opted in to suggestion e-mails and promotional e-mail at "sign-up", through the consent ledger,
so `manage.py send_due_mailings` shows a suggestion mail in the console in `make run`.

Idempotent: a member with any record of a purpose already is left alone. Bulk inserts."""

from django.db import transaction

from privacy.declaration import SOURCE_SIGNUP, consent
from privacy.models import ConsentPurpose, ConsentRecord

from .services import CONSENT_FOR_KIND

BATCH = 5000
EVERY = 4


def _opted_in(username: str) -> bool:
    number = username.removeprefix("demo_")
    return number.isdigit() and int(number) % EVERY == 1


def seed_demo(*, members) -> str:
    wanted = [
        (member_id, joined)
        for member_id, username, joined in members.order_by("pk").values_list(
            "pk", "username", "date_joined"
        )
        if _opted_in(username)
    ]
    recorded = 0
    for purpose in CONSENT_FOR_KIND.values():
        declared = consent(purpose)
        have = set(
            ConsentRecord.objects.filter(
                purpose=purpose, member_id__in=members.values("pk")
            ).values_list("member_id", flat=True)
        )
        todo = [(member_id, joined) for member_id, joined in wanted if member_id not in have]
        for start in range(0, len(todo), BATCH):
            with transaction.atomic():
                ConsentRecord.objects.bulk_create(
                    [
                        ConsentRecord(
                            member_id=member_id,
                            purpose=ConsentPurpose(purpose),
                            granted=True,
                            wording_version=declared.wording_version,
                            source=SOURCE_SIGNUP,
                            created_at=joined,
                        )
                        for member_id, joined in todo[start : start + BATCH]
                    ],
                    batch_size=BATCH,
                )
        recorded += len(todo)
    return f"{recorded} suggestion and promotional e-mail consents recorded"
