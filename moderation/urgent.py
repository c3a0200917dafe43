"""Urgent notices without making moderation a weapon (DSA Art. 16, 22).

An urgent notice (a suspected minor, a threat) hides the reported item at once where the
content app can hide it (a photo, a message, a profile text). A profile, a message or a
profile text also stands for the whole account, and one notice never hides an account: the
case waits, urgent, for a moderator's first look (target MODERATION_URGENT_FIRST_LOOK_MINUTES).
The account is hidden at once, pending review, only when

- at least MODERATION_ACCOUNT_HIDE_REPORTERS independent reporters sent urgent notices about
  the member on open cases, or
- a trusted flagger (`TrustedFlagger`) did: a member account registered as one, or an e-mail
  address or domain registered as one whose notice was confirmed through its receipt, or
- a moderator opened the case.

"Independent" (`independent_reporters`): notices of one member account are one reporter, and
so are accounts of one mailbox (`+tags` and case ignored). Visitors' notices from the same
address (compared by a keyed hash, never stored in clear) or with the same e-mail address are
one reporter, transitively (A and B from one address, B and C with one e-mail address: one),
and a visitor's notice sharing its address or e-mail address with a reporting member is that
member's. Visitor notices with neither an address nor an e-mail address count as one together.
Two members are not joined by an address alone (a household, a mobile network's NAT).
"""

import ipaddress
from datetime import timedelta

from django.conf import settings
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.crypto import salted_hmac

from .models import Notice, Report, TrustedFlagger
from .reasons import URGENT_CATEGORIES, Priority

DIGEST_SALT = "moderation.notice.source"


def account_hide_reporters() -> int:
    # Never below 2, even if a test or a setting says so: one reporter never hides an account.
    return max(2, int(getattr(settings, "MODERATION_ACCOUNT_HIDE_REPORTERS", 2)))


def first_look_minutes() -> int:
    return int(getattr(settings, "MODERATION_URGENT_FIRST_LOOK_MINUTES", 60))


def source_digest(rate_key: str) -> str:
    """A keyed hash of the address a notice came from: compared, never reversed. An IPv6
    address counts by its /64 network, which one connection gets whole: otherwise one person
    would be as many reporters as addresses they care to pick from it."""
    if not rate_key or rate_key == "unknown":
        return ""
    try:
        address = ipaddress.ip_address(rate_key.strip())
    except ValueError:
        source = rate_key
    else:
        if address.version == 6 and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        if address.version == 6:
            source = str(ipaddress.ip_network(f"{address}/64", strict=False))
        else:
            source = str(address)
    return salted_hmac(DIGEST_SALT, source, algorithm="sha256").hexdigest()


def normalised_email(address: str) -> str:
    """One mailbox, one value: lower case, without a `+tag`."""
    local, at, domain = (address or "").strip().lower().partition("@")
    if not at or not local or not domain:
        return ""
    return f"{local.split('+', 1)[0]}@{domain}"


# -- trusted flaggers ---------------------------------------------------------------------------


def trusted_flagger_for(*, reporter=None, email: str = "") -> TrustedFlagger | None:
    """The active trusted flagger a notice comes from: the reporting member's account, or
    (for a visitor) the exact address first, then its domain."""
    active = TrustedFlagger.objects.filter(active=True).order_by("pk")
    if reporter is not None:
        return active.filter(member=reporter).first()
    address = (email or "").strip().lower()
    if "@" not in address:
        return None
    domain = address.rsplit("@", 1)[1]
    return (
        active.filter(email__iexact=address).first()
        or active.filter(email_domain__iexact=domain).first()
    )


def is_trusted(notice: Notice) -> bool:
    flagger = notice.trusted_flagger
    if flagger is None or not flagger.active:
        return False
    if flagger.member_id is not None and flagger.member_id == notice.reporter_id:
        return True
    return notice.confirmed_at is not None


# -- independent reporters ----------------------------------------------------------------------


class _Groups:
    """Union-find over traits: notices sharing a trait end up in one group."""

    def __init__(self):
        self.parent: dict[str, str] = {}

    def root(self, trait: str) -> str:
        while self.parent.setdefault(trait, trait) != trait:
            self.parent[trait] = self.parent[self.parent[trait]]
            trait = self.parent[trait]
        return trait

    def join(self, traits) -> str:
        first, *others = sorted(traits)
        for other in others:
            self.parent[self.root(other)] = self.root(first)
        return self.root(first)

    def components(self, trait_sets) -> list[set[str]]:
        roots = [self.join(traits) for traits in trait_sets]
        found: dict[str, set[str]] = {}
        for root, traits in zip(roots, trait_sets, strict=True):
            found.setdefault(self.root(root), set()).update(traits)
        return list(found.values())


def independent_reporters(notices) -> int:
    """How many independent reporters sent `notices` (see the module docstring).

    Members are told apart by their accounts (and accounts of one mailbox, `+tags` ignored,
    are one). Visitors are told apart by the keyed hash of their address and their e-mail
    address; a visitor's notice sharing either with a reporting member is that member's. Two
    members are not joined by a shared address alone: a household or a mobile network's NAT
    shares one, and every account has its own confirmed address."""
    member_traits, visitor_traits = [], []
    for notice in notices:
        email = normalised_email(notice.email)
        address = f"address:{notice.source_digest}" if notice.source_digest else ""
        if notice.reporter_id is not None:
            own = normalised_email(getattr(notice.reporter, "email", ""))
            member_traits.append(
                {f"member:{notice.reporter_id}"} | ({f"email:{own}"} if own else set()),
            )
            if address:
                # Matched against visitors only (below), never between members.
                member_traits[-1].add(address)
        else:
            traits = {t for t in (f"email:{email}" if email else "", address) if t}
            visitor_traits.append(traits or {"unknown"})
    members = _Groups().components(
        [{t for t in traits if not t.startswith("address:")} for traits in member_traits]
    )
    known_to_members = set().union(*member_traits) if member_traits else set()
    visitors = [
        group for group in _Groups().components(visitor_traits) if not group & known_to_members
    ]
    return len(members) + len(visitors)


def urgent_notices_about(member):
    """The urgent notices on the member's open first-instance cases. A member whose reports
    are repeatedly unfounded (handled last, DSA Art. 23(2)) does not count: their notices
    still reach the queue, urgent, but never help hide an account."""
    return (
        Notice.objects.filter(
            report__reported_member=member,
            report__status=Report.Status.OPEN,
            report__appeal_of__isnull=True,
            reason__in=URGENT_CATEGORIES,
        )
        .exclude(reporter__reporter_standing__deprioritised_at__isnull=False)
        .select_related("reporter", "trusted_flagger")
    )


def account_hide_reason(member) -> str:
    """Why urgent notices about `member` hide the account at once ("trusted flagger",
    "N independent reporters"), or "" when it must wait for a moderator."""
    notices = list(urgent_notices_about(member))
    if any(is_trusted(notice) for notice in notices):
        return "trusted flagger"
    count = independent_reporters(notices)
    if count >= account_hide_reporters():
        return f"{count} independent reporters"
    return ""


# -- the urgent queue ---------------------------------------------------------------------------


def first_look_overdue_before(now=None):
    """Urgent cases opened before this moment and not yet looked at missed the target."""
    return (now or timezone.now()) - timedelta(minutes=first_look_minutes())


def urgent_open_cases():
    return Report.objects.filter(status=Report.Status.OPEN, priority=Priority.URGENT)


def urgent_overdue_cases(now=None):
    """Open urgent cases no moderator has looked at, waiting longer than the target."""
    return urgent_open_cases().filter(
        first_looked_at__isnull=True, created_at__lte=first_look_overdue_before(now)
    )


def urgent_queue_counts(now=None) -> dict:
    return {
        "waiting": urgent_open_cases().count(),
        "overdue": urgent_overdue_cases(now).count(),
        "minutes": first_look_minutes(),
    }


def has_trusted_notice():
    """An Exists() for Report querysets: a trusted flagger sent a notice on the case (marked,
    whether confirmed yet or not)."""
    return Exists(Notice.objects.filter(report=OuterRef("pk"), trusted_flagger__isnull=False))
