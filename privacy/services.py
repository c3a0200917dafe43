"""The member's privacy choices and what follows from them (R2.2, R7.1, R7.4, R8.2, R9.3).

- Consents: each grant and withdrawal is an append-only ConsentRecord with the wording version
  shown, the time and where it happened; the latest record of a purpose is its state.
- Processing limits (restriction, objection to profiling, objection to direct marketing): the
  same, in ProcessingLimitRecord; restriction is mirrored on Member.processing_restricted.
- Privacy statement versions: the latest published one is current; members record which one
  they accepted.
- What is held: the "my data" overview, generated from the registry and the declaration.
"""

import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import transaction
from django.db.models import (
    BooleanField,
    Exists,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.dispatch import Signal
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import mark_safe

from . import declaration
from .models import (
    ConsentPurpose,
    ConsentRecord,
    PrivacyStatement,
    ProcessingLimit,
    ProcessingLimitRecord,
    StatementAcceptance,
)

logger = logging.getLogger(__name__)

# The hook content apps listen to: sent after a withdrawal commits, with `member` and `purpose`.
# A receiver removes the data that rested on the consent (profiles erases sexual preferences).
consent_withdrawn = Signal()


# --- Consents ---------------------------------------------------------------------------------


def _latest(queryset, value_field):
    return queryset.order_by("-created_at", "-pk").values(value_field)[:1]


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


def set_consent(*, member, purpose: str, granted: bool, source: str) -> ConsentRecord | None:
    """Gives or withdraws a consent with the declared wording version (R7.1: one call either
    way, effective at once). Returns the new record, or None when the state was already so
    (nothing to record)."""
    declared = declaration.consent(purpose)
    if has_consent(member=member, purpose=declared.purpose) == granted:
        return None
    change = grant_consent if granted else withdraw_consent
    return change(
        member=member,
        purpose=declared.purpose,
        wording_version=declared.wording_version,
        source=source,
    )


def record_consent(
    *, member, purpose: str, granted: bool, wording_version: str, source: str
) -> ConsentRecord | None:
    """Records a grant or withdrawal under `wording_version` unless the latest record says the
    same under that same version. Unlike `set_consent`, an answer repeated under a new version
    is recorded (cookie consents: a new cookie policy version needs a new answer, even when it
    is the old one). Returns the new record, or None."""
    latest = (
        ConsentRecord.objects.filter(member=member, purpose=purpose)
        .order_by("-created_at", "-pk")
        .values_list("granted", "wording_version")
        .first()
    )
    if latest == (granted, wording_version):
        return None
    change = grant_consent if granted else withdraw_consent
    return change(member=member, purpose=purpose, wording_version=wording_version, source=source)


def consent_states(member) -> dict[str, ConsentRecord | None]:
    """The latest record of every consent purpose (None: never given), in one query."""
    latest_pk = _latest(
        ConsentRecord.objects.filter(member=member, purpose=OuterRef("purpose")), "pk"
    )
    records = ConsentRecord.objects.filter(member=member, pk=Subquery(latest_pk))
    states: dict[str, ConsentRecord | None] = dict.fromkeys(ConsentPurpose.values)
    for record in records:
        states[record.purpose] = record
    return states


# --- Processing limits (restriction, objection) ------------------------------------------------


def has_limit(*, member, kind: str) -> bool:
    latest = (
        ProcessingLimitRecord.objects.filter(member=member, kind=kind)
        .order_by("-created_at", "-pk")
        .values_list("active", flat=True)
        .first()
    )
    return bool(latest)


def limit_states(member) -> dict[str, ProcessingLimitRecord | None]:
    """The latest record of every kind of limit (None: never set), in one query."""
    latest_pk = _latest(
        ProcessingLimitRecord.objects.filter(member=member, kind=OuterRef("kind")), "pk"
    )
    records = ProcessingLimitRecord.objects.filter(member=member, pk=Subquery(latest_pk))
    states: dict[str, ProcessingLimitRecord | None] = dict.fromkeys(ProcessingLimit.values)
    for record in records:
        states[record.kind] = record
    return states


def set_processing_limit(
    *, member, kind: str, active: bool, source: str
) -> ProcessingLimitRecord | None:
    """Puts a limit in force or lifts it, at once (R7.4). Restriction is mirrored on
    `Member.processing_restricted` in the same transaction, so search, suggestions, messaging
    and mail (which filter on the flag) follow it from the next query on. Returns the new
    record, or None when the limit was already so."""
    kind = ProcessingLimit(kind)
    member_model = get_user_model()
    with transaction.atomic():
        # The member row is the lock: two clicks at once record one change, in order.
        member_model.objects.select_for_update().filter(pk=member.pk).first()
        if has_limit(member=member, kind=kind) == active:
            record = None
        else:
            record = ProcessingLimitRecord.objects.create(
                member=member, kind=kind, active=active, source=source
            )
        if kind == ProcessingLimit.RESTRICTION:
            member_model.objects.filter(pk=member.pk).update(processing_restricted=active)
            member.processing_restricted = active
    if record is not None:
        logger.info(
            "processing_limit.%s member=%s kind=%s", "on" if active else "off", member.pk, kind
        )
    return record


def _state_of(member, *, consent: str | None = None, limits: tuple[str, ...] = ()) -> dict:
    """The latest consent and limit states asked for, in one query."""
    annotations = {}
    if consent is not None:
        annotations["consent"] = Coalesce(
            Subquery(
                _latest(
                    ConsentRecord.objects.filter(member=OuterRef("pk"), purpose=consent), "granted"
                ),
                output_field=BooleanField(),
            ),
            Value(False),
        )
    for kind in limits:
        annotations[kind] = Coalesce(
            Subquery(
                _latest(
                    ProcessingLimitRecord.objects.filter(member=OuterRef("pk"), kind=kind),
                    "active",
                ),
                output_field=BooleanField(),
            ),
            Value(False),
        )
    return (
        get_user_model()
        .objects.filter(pk=member.pk)
        .annotate(**annotations)
        .values(*annotations)
        .first()
        or {}
    )


@dataclass(frozen=True)
class ProfilingState:
    consent: bool
    objection: bool
    restricted: bool

    @property
    def allowed(self) -> bool:
        return self.consent and not self.objection and not self.restricted


def profiling_state(member) -> ProfilingState:
    """The suggestions consent, the objection to profiling and the restriction, in one query."""
    state = _state_of(
        member, consent=ConsentPurpose.SUGGESTIONS, limits=(ProcessingLimit.OBJECT_PROFILING,)
    )
    return ProfilingState(
        consent=bool(state.get("consent")),
        objection=bool(state.get(ProcessingLimit.OBJECT_PROFILING)),
        restricted=bool(member.processing_restricted),
    )


def may_profile(member) -> bool:
    """May the member's data be used for suggestions (matching)? Only with their consent, no
    objection to profiling, and processing not restricted (R7.1, R7.4)."""
    if member.processing_restricted:
        return False
    return profiling_state(member).allowed


def may_send_direct_marketing(member) -> bool:
    """May the member get promotional mail? Only an active account, with their consent, no
    objection to direct marketing, and processing not restricted (R5.2, R7.2, R7.4)."""
    member_model = get_user_model()
    if member.processing_restricted or not member.is_active:
        return False
    if getattr(member, "status", member_model.Status.ACTIVE) != member_model.Status.ACTIVE:
        return False
    state = _state_of(
        member,
        consent=ConsentPurpose.PROMOTIONAL_EMAIL,
        limits=(ProcessingLimit.OBJECT_DIRECT_MARKETING,),
    )
    return bool(state.get("consent")) and not state.get(ProcessingLimit.OBJECT_DIRECT_MARKETING)


def _latest_records(model, **match):
    """The records of `model` matching `match` that no later record of the same member and
    kind overrides: the current state, computed for all members at once."""
    later = model.objects.filter(member=OuterRef("member"), **match).filter(
        Q(created_at__gt=OuterRef("created_at"))
        | Q(created_at=OuterRef("created_at"), pk__gt=OuterRef("pk"))
    )
    return model.objects.filter(**match).exclude(Exists(later))


def members_consenting(purpose: str):
    """Member ids whose latest record for `purpose` is a grant (a subquery for `__in`)."""
    return (
        _latest_records(ConsentRecord, purpose=ConsentPurpose(purpose))
        .filter(granted=True)
        .values("member_id")
    )


def members_limited(kind: str):
    """Member ids with the processing limit `kind` in force (a subquery for `__in`)."""
    return (
        _latest_records(ProcessingLimitRecord, kind=ProcessingLimit(kind))
        .filter(active=True)
        .values("member_id")
    )


def only_profiling_allowed(queryset, *, member_field: str = "member_id"):
    """Narrows a queryset (profiles, members) to the rows whose member may be used for
    matching: suggestions consent given and no objection to profiling. Restriction is a column
    (`processing_restricted`) the caller filters on already.

    Written as two semi-joins (members whose latest suggestions record is a grant; members
    whose latest profiling record is an objection) rather than a lookup per candidate row:
    PostgreSQL hashes each set once, which keeps wide searches flat (bench: 100000 members)."""
    consenting = _latest_records(ConsentRecord, purpose=ConsentPurpose.SUGGESTIONS).filter(
        granted=True
    )
    objecting = _latest_records(
        ProcessingLimitRecord, kind=ProcessingLimit.OBJECT_PROFILING
    ).filter(active=True)
    return queryset.filter(**{f"{member_field}__in": consenting.values("member_id")}).exclude(
        **{f"{member_field}__in": objecting.values("member_id")}
    )


# --- Privacy statement versions ----------------------------------------------------------------

CURRENT_VERSION_CACHE_KEY = "privacy:statement:current-version"
CURRENT_VERSION_SECONDS = 60


def current_statement() -> PrivacyStatement | None:
    """The latest published version of the privacy statement (None before the first)."""
    return (
        PrivacyStatement.objects.filter(published_at__isnull=False)
        .order_by("-published_at", "-pk")
        .first()
    )


def current_statement_version() -> str:
    """The version members must have accepted: the latest published one, cached briefly (the
    statement middleware asks on every page); settings.PRIVACY_STATEMENT_VERSION before any
    version is published. Members asks it through settings.CURRENT_PRIVACY_STATEMENT_VERSION."""
    version = cache.get(CURRENT_VERSION_CACHE_KEY)
    if version is None:
        statement = current_statement()
        version = statement.version if statement else settings.PRIVACY_STATEMENT_VERSION
        cache.set(CURRENT_VERSION_CACHE_KEY, version, CURRENT_VERSION_SECONDS)
    return version


def _forget_current_version():
    cache.delete(CURRENT_VERSION_CACHE_KEY)


def publish_statement(*, statement: PrivacyStatement, staff=None) -> bool:
    """Publishes a draft: from now on it is the current statement, and members who accepted an
    older one are asked to read it on their next visit. A published version is never changed
    again. Returns False when it was published already."""
    with transaction.atomic():
        updated = PrivacyStatement.objects.filter(
            pk=statement.pk, published_at__isnull=True
        ).update(published_at=timezone.now())
        transaction.on_commit(_forget_current_version)
    _forget_current_version()
    statement.refresh_from_db(fields=["published_at"])
    if updated:
        logger.info(
            "privacy_statement.published version_id=%s staff=%s",
            statement.pk,
            getattr(staff, "pk", None),
        )
    return bool(updated)


def accept_statement(*, member, version: str, source: str) -> StatementAcceptance:
    """Records that the member read and accepted `version`, and keeps it on the member."""
    now = timezone.now()
    with transaction.atomic():
        acceptance = StatementAcceptance.objects.create(
            member=member, version=version, source=source, accepted_at=now
        )
        get_user_model().objects.filter(pk=member.pk).update(
            privacy_version=version, privacy_accepted_at=now
        )
    member.privacy_version = version
    member.privacy_accepted_at = now
    logger.info("privacy_statement.accepted member=%s", member.pk)
    return acceptance


def needs_to_accept(member) -> bool:
    """Has the member accepted a version of the statement before, but not the current one?
    Staff are not asked (they work under their contract). Accounts that never recorded a
    version (made by staff tools, not through sign-up) are not asked either: sign-up records
    the version, so every member who joined has one."""
    return (
        not member.is_staff
        and bool(member.privacy_version)
        and member.privacy_version != current_statement_version()
    )


# Placeholders a statement text may hold, filled in (escaped) when it is shown, so the
# texts name the data protection officer and helpdesk the site is configured with.
STATEMENT_PLACEHOLDERS = {
    "{{ DPO_EMAIL }}": lambda: settings.DPO_EMAIL,
    "{{ DPO_NAME }}": lambda: settings.DPO_NAME,
    "{{ HELPDESK_EMAIL }}": lambda: settings.HELPDESK_EMAIL,
    "{{ SITE_NAME }}": lambda: settings.SITE_NAME,
}


def statement_html(text: str) -> str:
    """A statement text (HTML written by those allowed to publish, in admin) ready to show.
    It is trusted as HTML the way a template is; the strict Content-Security-Policy still
    refuses any script or inline style in it."""
    for placeholder, value in STATEMENT_PLACEHOLDERS.items():
        text = text.replace(placeholder, escape(value()))
    return mark_safe(text)  # noqa: S308  (staff-written, publish permission only; see above)


def statement_text(statement: PrivacyStatement, language: str) -> str:
    return statement_html(statement.text_en if language == "en" else statement.text_nl)


def statement_changes(statement: PrivacyStatement, language: str) -> str:
    return statement.changes_en if language == "en" else statement.changes_nl


# --- Sign-up ------------------------------------------------------------------------------------


def record_signup_choices(*, member, consents: dict[str, bool]) -> None:
    """At sign-up: the statement version accepted (as a StatementAcceptance, beside
    Member.privacy_version) and the optional consents the member ticked. Unticked boxes record
    nothing: every purpose is off until given."""
    if member.privacy_version:
        StatementAcceptance.objects.create(
            member=member,
            version=member.privacy_version,
            source=declaration.SOURCE_SIGNUP,
            accepted_at=member.privacy_accepted_at or timezone.now(),
        )
    for purpose, given in consents.items():
        if given:
            declared = declaration.consent(purpose)
            grant_consent(
                member=member,
                purpose=declared.purpose,
                wording_version=declared.wording_version,
                source=declaration.SOURCE_SIGNUP,
            )


# --- What is held (R7.4 access, R8.2) ----------------------------------------------------------


@dataclass
class HeldItem:
    label: str
    what: str
    summary: str
    basis_label: str
    change_url: str | None = None
    change_label: str | None = None


@dataclass
class PurposeGroup:
    purpose: declaration.Purpose
    items: list[HeldItem] = field(default_factory=list)


@dataclass
class CategorySection:
    category: declaration.CategoryDeclaration
    groups: list[PurposeGroup] = field(default_factory=list)


def _url(name: str | None) -> str | None:
    if not name:
        return None
    try:
        return reverse(name)
    except NoReverseMatch:
        logger.warning("privacy.declaration unknown url name=%s", name)
        return None


def _model_label(model) -> str:
    return f"{model._meta.app_label}.{model._meta.model_name}"


def _count_subquery(model, fields):
    """The number of `model` rows whose any of `fields` is the outer member: one scalar
    subquery, so every count of the page comes from one query."""
    condition = Q()
    for name in fields:
        condition |= Q(**{name: OuterRef("pk")})
    counted = (
        model._default_manager.filter(condition)
        .order_by()
        .annotate(n=Func(F("pk"), function="COUNT"))
        .values("n")
    )
    return Subquery(counted, output_field=IntegerField())


def holding_for(entry) -> declaration.Holding:
    return declaration.HOLDINGS.get(entry.label) or declaration.Holding(
        str(entry.model._meta.verbose_name_plural).capitalize()
    )


def what_is_held(member) -> list[CategorySection]:
    """Per category, per purpose: every registered kind of data, why it is held, on which
    basis, how long, a short summary for this member, and where to correct it. Counts come
    from one query; small one-row models (account, profile, wallet) from their export."""
    from .registry import entries

    registered = entries()
    counted = {}
    for index, entry in enumerate(registered):
        holding = holding_for(entry)
        if holding.counted_by:
            counted[f"n{index}"] = _count_subquery(entry.model, holding.counted_by)
    counts = {}
    if counted:
        counts = (
            get_user_model().objects.filter(pk=member.pk).annotate(**counted).values(*counted)
        ).first() or {}

    exports: dict[str, list[dict]] = {}

    def exported(entry):
        if entry.label not in exports:
            exports[entry.label] = list(entry.export(member))  # may be a generator
        return exports[entry.label]

    sections = {
        key: CategorySection(category=value) for key, value in declaration.CATEGORIES.items()
    }
    groups: dict[tuple, PurposeGroup] = {}
    purpose_order = list(declaration.PURPOSES)

    def add(category, purpose, item):
        key = (category, purpose.key)
        if key not in groups:
            groups[key] = PurposeGroup(purpose=purpose)
            sections[category].groups.append(groups[key])
        groups[key].items.append(item)

    for index, entry in enumerate(registered):
        purpose = entry.declared_purpose
        holding = holding_for(entry)
        if holding.counted_by:
            number = counts.get(f"n{index}") or 0
            if purpose.key == "staff" and not number:
                continue  # staff-only records: not shown to members who have none
            summary = str(holding.unit % {"count": number}) if holding.unit else str(number)
        elif holding.summary is not None:
            summary = holding.summary(exported(entry))
        else:
            rows = exported(entry)
            summary = str(holding.unit % {"count": len(rows)}) if holding.unit else str(len(rows))
        change_name = holding.change_url or purpose.change_url
        add(
            entry.category,
            purpose,
            HeldItem(
                label=str(entry.model._meta.verbose_name_plural).capitalize(),
                what=holding.what,
                summary=summary,
                basis_label=declaration.BASIS_LABELS[entry.basis],
                change_url=_url(change_name),
                change_label=(holding.change_label if holding.change_url else purpose.change_label),
            ),
        )

    by_label = {entry.label: entry for entry in registered}
    for special in declaration.SPECIAL_HOLDINGS:
        entry = by_label.get(special.model_label)
        rows = exported(entry) if entry is not None else []
        purpose = declaration.purpose(special.purpose)
        add(
            declaration.Category.SPECIAL,
            purpose,
            HeldItem(
                label=str(purpose.label),
                what=special.what,
                summary=special.summary(rows),
                basis_label=purpose.basis_label,
                change_url=_url(purpose.change_url),
                change_label=purpose.change_label,
            ),
        )

    for section in sections.values():
        section.groups.sort(key=lambda group: purpose_order.index(group.purpose.key))
    return list(sections.values())
