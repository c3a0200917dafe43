"""Consents (R2.2, R7.1): each grant and withdrawal is a record; the latest one counts."""

import logging

from django.db import transaction
from django.dispatch import Signal

from .models import ConsentPurpose, ConsentRecord

logger = logging.getLogger(__name__)

# The hook content apps listen to: sent after a withdrawal commits, with `member` and `purpose`.
# A receiver removes the data that rested on the consent (profiles erases sexual preferences).
consent_withdrawn = Signal()


def has_consent(*, member, purpose: str) -> bool:
    latest = (
        ConsentRecord.objects.filter(member=member, purpose=purpose)
        .order_by("-created_at", "-pk")
        .values_list("granted", flat=True)
        .first()
    )
    return bool(latest)


def grant_consent(*, member, purpose: str, wording_version: str, source: str) -> ConsentRecord:
    record = ConsentRecord.objects.create(
        member=member,
        purpose=ConsentPurpose(purpose),
        granted=True,
        wording_version=wording_version,
        source=source,
    )
    logger.info("consent.granted member=%s purpose=%s", member.pk, purpose)
    return record


def withdraw_consent(*, member, purpose: str, wording_version: str, source: str) -> ConsentRecord:
    """Records the withdrawal and, in the same transaction, lets the apps remove the data."""
    with transaction.atomic():
        record = ConsentRecord.objects.create(
            member=member,
            purpose=ConsentPurpose(purpose),
            granted=False,
            wording_version=wording_version,
            source=source,
        )
        consent_withdrawn.send(sender=ConsentRecord, member=member, purpose=purpose)
    logger.info("consent.withdrawn member=%s purpose=%s", member.pk, purpose)
    return record
