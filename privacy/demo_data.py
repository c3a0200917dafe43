"""Demo data for `manage.py seed_demo`: every demo member consented to personalised
suggestions (at "sign-up"), so suggestions work at once in `make run` and the benchmarks.
Idempotent: members with any suggestions record already are left alone. Bulk inserts."""

from django.db import transaction

from .declaration import SOURCE_SIGNUP, consent
from .models import ConsentPurpose, ConsentRecord

BATCH = 5000


def seed_demo(*, members) -> str:
    declared = consent(ConsentPurpose.SUGGESTIONS)
    have = ConsentRecord.objects.filter(purpose=ConsentPurpose.SUGGESTIONS).values("member_id")
    todo = list(members.exclude(pk__in=have).order_by("pk").values_list("pk", "date_joined"))
    for start in range(0, len(todo), BATCH):
        with transaction.atomic():
            ConsentRecord.objects.bulk_create(
                [
                    ConsentRecord(
                        member_id=member_id,
                        purpose=ConsentPurpose.SUGGESTIONS,
                        granted=True,
                        wording_version=declared.wording_version,
                        source=SOURCE_SIGNUP,
                        created_at=joined,
                    )
                    for member_id, joined in todo[start : start + BATCH]
                ],
                batch_size=BATCH,
            )
    return f"{len(todo)} suggestion consents recorded"
