"""The erasure benchmark (issue 6, R7.3), run by `python -m bench` after the other benchmarks,
or alone with `python -m bench.erasure`.

Makes BENCH_ERASURE_ACCOUNTS closed accounts (default 10000) whose erasure date has passed, each
with what an ordinary member leaves behind, in bulk inserts: a verified e-mail address, a
profile with three interests and own tags, three photo rows (no files: deleting a missing file
is no error, and the files' cost is the storage's, not ours), three consent records, a paid
order with its purchase and five spends in the ledger, a wallet, receiving settings, a
favourite, and two conversations of ten messages each (half theirs, encrypted as on the site)
with active partner members. Then it times `privacy.erasure.erase_due_accounts()`, the beat
task's work, and prints accounts per second; the queries one erasure takes are counted on the
first few accounts. Orders stay, detached (bookkeeping); the partners keep their conversations.
"""

import logging
import os
import random
import time
from datetime import timedelta

ACCOUNTS = int(os.environ.get("BENCH_ERASURE_ACCOUNTS", "10000"))
PARTNERS = 500
PREFIX = "erase_"
MESSAGES_PER_SIDE = 5
BATCH = 1000
COUNTED = 20


def run(bare_median: float) -> None:
    from django.test.utils import override_settings

    logging.disable(logging.INFO)
    try:
        with override_settings(DEBUG=False):
            seeded = timed(seed)
            measure(bare_median, seeded)
    finally:
        logging.disable(logging.NOTSET)


def main() -> None:
    """This benchmark alone: the database as __main__ makes it (no demo members needed), the
    bare view for the ratio, then run()."""
    from bench import __main__ as bench

    bench.recreate_database()
    bench.manage("migrate", "--noinput", "-v0")

    bare_median = bench.bare_view_median()
    run(bare_median)


def timed(func):
    start = time.perf_counter()
    func()
    return time.perf_counter() - start


def measure(bare_median: float, seeded: float) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from members.models import Member
    from payments.models import Order
    from privacy import erasure

    due = Member.objects.filter(username__startswith=PREFIX, status=Member.Status.CLOSED)
    total = due.count()
    print(f"erasure: {total} closed accounts due, seeded in {seeded:.1f} s")
    # Queries of one erasure, counted on the first few accounts (the rest run uncounted).
    counts = []
    for member_id in due.order_by("pk").values_list("pk", flat=True)[:COUNTED]:
        with CaptureQueriesContext(connection) as ctx:
            erasure.erase_member(member_id=member_id)
        counts.append(len(ctx.captured_queries))
    rest = total - len(counts)
    start = time.perf_counter()
    erased = erasure.erase_due_accounts(now=timezone.now())
    seconds = time.perf_counter() - start
    assert erased == rest, (erased, rest)
    assert not Member.objects.filter(username__startswith=PREFIX).exists()
    detached = Order.objects.filter(member=None, detached_at__isnull=False).count()
    per_account = seconds / max(erased, 1)
    print(
        f"{'erase_due_accounts':<28} {erased} accounts in {seconds:.1f} s: "
        f"{erased / seconds:.0f} accounts/s, {per_account * 1000:.1f} ms each "
        f"({per_account * 1000 / bare_median:.0f}x bare); "
        f"queries per account {min(counts)}-{max(counts)}; {detached} orders kept, detached"
    )


# --- Seeding -------------------------------------------------------------------------------------


def seed() -> None:
    from django.db import transaction

    from members.models import Member

    taken = set(
        Member.objects.filter(username__startswith=PREFIX).values_list("username", flat=True)
    )
    missing = [n for n in range(ACCOUNTS) if f"{PREFIX}{n:06d}" not in taken]
    if not missing:
        return
    rng = random.Random(61)
    with transaction.atomic():
        partners = _partners()
        for start in range(0, len(missing), BATCH):
            _seed_batch(missing[start : start + BATCH], partners, rng)


def _partners() -> list[int]:
    """Active members the closed accounts talked to (they stay)."""
    from django.contrib.auth.hashers import make_password

    from members.models import Member

    names = [f"partner_{i:04d}" for i in range(PARTNERS)]
    have = set(Member.objects.filter(username__in=names).values_list("username", flat=True))
    password = make_password(None)
    Member.objects.bulk_create(
        [
            Member(username=name, email=f"{name}@example.org", password=password)
            for name in names
            if name not in have
        ]
    )
    return list(Member.objects.filter(username__in=names).values_list("pk", flat=True))


def _seed_batch(numbers, partners, rng) -> None:
    from allauth.account.models import EmailAddress
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from members.models import Member
    from messaging.models import ReceivingSettings
    from payments.models import CreditPack, LedgerEntry, Order, Wallet
    from privacy.models import ConsentRecord
    from profiles.models import Favourite, Interest, Photo, Place, Profile

    now = timezone.now()
    closed_at = now - timedelta(days=61 * 30)
    password = make_password(None)
    places = list(Place.objects.order_by("-population")[:200])
    interests = list(Interest.objects.values_list("slug", flat=True))
    pack = CreditPack.objects.order_by("price_cents").first()

    members = Member.objects.bulk_create(
        [
            Member(
                username=f"{PREFIX}{n:06d}",
                email=f"{PREFIX}{n:06d}@example.org",
                password=password,
                gender=rng.choice(["woman", "man", "non_binary"]),
                confirmed_adult_at=closed_at - timedelta(days=400),
                date_joined=closed_at - timedelta(days=400),
                status=Member.Status.CLOSED,
                closed_at=closed_at,
                erasure_due_at=now - timedelta(days=1),
            )
            for n in numbers
        ]
    )
    EmailAddress.objects.bulk_create(
        [EmailAddress(user=m, email=m.email, verified=True, primary=True) for m in members]
    )
    profiles = []
    for m in members:
        place = rng.choice(places)
        profiles.append(
            Profile(
                member=m,
                description="Ik fiets graag langs de rivier en kook voor vrienden. " * 4,
                birth_date=(now - timedelta(days=365 * rng.randint(20, 60))).date(),
                place=place,
                latitude=place.latitude,
                longitude=place.longitude,
                seeks_women=rng.random() < 0.5,
                seeks_men=rng.random() < 0.5,
                free_tags=["koffie", "vinyl", "bergwandelen"],
                has_photo=True,
            )
        )
    Profile.objects.bulk_create(profiles)
    Profile.interests.through.objects.bulk_create(
        [
            Profile.interests.through(profile_id=m.pk, interest_id=slug)
            for m in members
            for slug in rng.sample(interests, 3)
        ]
    )
    Photo.objects.bulk_create(
        [
            Photo(
                member=m,
                image=f"photos/bench-{m.pk}-{i}.jpg",
                thumbnail=f"photos/bench-{m.pk}-{i}_t.jpg",
                width=1200,
                height=900,
                status=Photo.Status.APPROVED,
                is_main=i == 0,
                position=i,
            )
            for m in members
            for i in range(3)
        ]
    )
    ConsentRecord.objects.bulk_create(
        [
            ConsentRecord(
                member=m, purpose=purpose, granted=True, wording_version="1", source="signup"
            )
            for m in members
            for purpose in ("promotional_email", "suggestions", "special_category")
        ]
    )
    orders = Order.objects.bulk_create(
        [
            Order(
                member=m,
                pack=pack,
                credits=pack.credits,
                amount_cents=pack.price_cents,
                method="ideal",
                status=Order.Status.PAID,
                mollie_payment_id=f"tr_bench_{m.pk}",
                paid_at=closed_at - timedelta(days=100),
            )
            for m in members
        ]
    )
    ledger = []
    for m, order in zip(members, orders, strict=True):
        ledger.append(LedgerEntry(member=m, kind="purchase", credits=order.credits, order=order))
        ledger += [
            LedgerEntry(member=m, kind="spend", credits=-2, reason="message", reference="x")
            for _ in range(5)
        ]
    LedgerEntry.objects.bulk_create(ledger)
    Wallet.objects.bulk_create([Wallet(member=m, balance=pack.credits - 10) for m in members])
    ReceivingSettings.objects.bulk_create([ReceivingSettings(member=m) for m in members])
    Favourite.objects.bulk_create(
        [Favourite(member=m, target_id=rng.choice(partners)) for m in members]
    )
    _conversations(members, partners, rng, now)


def _conversations(members, partners, rng, now) -> None:
    from messaging.models import Conversation, Message, Participant

    pairs = []
    for m in members:
        for partner in rng.sample(partners, 2):
            pairs.append((partner, m.pk))  # partners were made first: the lower id
    conversations = Conversation.objects.bulk_create(
        [
            Conversation(
                member_low_id=low,
                member_high_id=high,
                started_by_id=high,
                first_message_at=now - timedelta(days=800),
            )
            for low, high in pairs
        ]
    )
    messages = []
    for conversation, (low, high) in zip(conversations, pairs, strict=True):
        for i in range(2 * MESSAGES_PER_SIDE):
            sender = high if i % 2 == 0 else low
            messages.append(
                Message(
                    conversation=conversation,
                    sender_id=sender,
                    text=f"Bericht {i} in een gesprek dat lang geleden begon.",
                    text_digest="",
                    created_at=now - timedelta(days=800 - i),
                )
            )
    Message.objects.bulk_create(messages, batch_size=5000)
    last = {m.conversation_id: m for m in messages}
    for conversation in conversations:
        conversation.last_message = last[conversation.pk]
    Conversation.objects.bulk_update(conversations, ["last_message"], batch_size=5000)
    Participant.objects.bulk_create(
        [
            Participant(
                conversation=conversation,
                member_id=member_id,
                other_id=other_id,
                in_inbox=True,
                last_message_at=last[conversation.pk].created_at,
                last_read_message_id=last[conversation.pk].pk,
            )
            for conversation, (low, high) in zip(conversations, pairs, strict=True)
            for member_id, other_id in ((low, high), (high, low))
        ],
        batch_size=5000,
    )


if __name__ == "__main__":
    main()
