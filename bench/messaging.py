"""The chat benchmark (issue 5), run by `python -m bench` after the search benchmarks.

Tops the demo data up to BENCH_MESSAGES messages (default 1000000) with
messaging.demo_data.seed_demo, so a reused database (BENCH_REUSE=1) is seeded only once. The
first demo member gets the long history: BENCH_HEAVY_INBOX conversations (default 500), one of
them BENCH_HEAVY_HISTORY messages long (default 50000). Then it measures:

- messages sent per second through messaging.services.send_message: BENCH_SENDS sends
  (default 2000) from 500 members, half of them replies in a conversation the sender has, half
  to a member picked at random (mostly new conversations); credits are given first through
  payments.services.adjust_credits. Rate limits and the mass-sending check stay on (no sender
  sends more than a few). The notification task is enqueued on Celery's broker, as in
  production, not run in-process (see __main__: CELERY_TASK_ALWAYS_EAGER=0).
- the inbox and the conversation pages, logged in as 40 members picked at random and as the
  heavy member: median and 95th percentile server time over BENCH_REQUESTS requests, and the
  queries per page (the same for a history of 5 or 50000 messages).

`python -m bench.messaging` runs this part alone (with BENCH_REUSE=1 on the database a full
run left, it skips straight to the measurements).
"""

import logging
import os
import random
import time

MESSAGES = int(os.environ.get("BENCH_MESSAGES", "1000000"))
HEAVY_INBOX = int(os.environ.get("BENCH_HEAVY_INBOX", "500"))
HEAVY_HISTORY = int(os.environ.get("BENCH_HEAVY_HISTORY", "50000"))
SENDS = int(os.environ.get("BENCH_SENDS", "2000"))
SENDERS = 500
PAGE_MEMBERS = 40


def run(bare_median: float, requests: int) -> None:
    from members.models import Member

    # Thousands of "message.sent" lines would bury the figures; kombu warns that the in-memory
    # broker has no host name.
    logging.disable(logging.INFO)
    logging.getLogger("kombu.connection").setLevel(logging.ERROR)
    try:
        members = Member.objects.filter(username__startswith="demo_")
        seed(members)
        heavy = members.order_by("pk").first()
        send_benchmark(members)
        page_benchmarks(members, heavy, bare_median, requests)
    finally:
        logging.disable(logging.NOTSET)


def main() -> None:
    """This benchmark alone: the database as __main__ makes it, members seeded, then run()."""
    from bench import __main__ as bench

    members = int(os.environ.get("BENCH_MEMBERS", "100000"))
    bench.recreate_database()
    bench.manage("migrate", "--noinput", "-v0")
    bench.manage("seed_demo", "--members", str(members))

    bare_median = bench.bare_view_median()
    run(bare_median, bench.REQUESTS)


def seed(members) -> None:
    from django.db import connection
    from django.test.utils import override_settings

    from messaging import demo_data
    from messaging.models import Conversation, Message

    # DEBUG keeps the SQL of the last 9000 queries: bulk inserts of 5000 rows would fill memory.
    with override_settings(DEBUG=False):
        start = time.perf_counter()
        summary = demo_data.seed_demo(
            members=members,
            messages=MESSAGES,
            featured_inbox=HEAVY_INBOX,
            featured_history=HEAVY_HISTORY,
        )
        seconds = time.perf_counter() - start
        if not summary.startswith("0 conversations"):
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
    print(
        f"chat demo data up to {MESSAGES} messages: {seconds:.1f} s ({summary}); in the "
        f"database now {Message.objects.count()} messages in "
        f"{Conversation.objects.count()} conversations"
    )


def send_benchmark(members) -> None:
    from django.conf import settings
    from django.db import reset_queries

    from bench.__main__ import ms
    from members.models import Member
    from messaging.demo_data import REPLIES
    from messaging.models import Participant
    from messaging.services import SendRefused, send_message
    from payments.services import adjust_credits, get_balance

    rng = random.Random(11)
    ids = list(members.values_list("pk", flat=True))
    senders = list(Member.objects.filter(pk__in=rng.sample(ids, SENDERS)).order_by("pk"))
    per_sender = max(1, SENDS // SENDERS)
    staff, _created = Member.objects.get_or_create(
        username="bench_finance",
        defaults={"email": "bench_finance@bench.invalid", "is_staff": True},
    )
    need = per_sender * settings.MESSAGE_PRICE_CREDITS
    for sender in senders:
        balance = get_balance(member=sender)
        if balance < need:
            adjust_credits(member=sender, credits=need - balance, reason="benchmark", staff=staff)
    partners = dict(
        Participant.objects.filter(member__in=senders, other__isnull=False)
        .order_by("member_id", "-last_message_at")
        .distinct("member_id")
        .values_list("member_id", "other_id")
    )
    jobs = []
    for sender in senders:
        for number in range(per_sender):
            if number % 2 == 0 and sender.pk in partners:
                receiver_id = partners[sender.pk]
            else:
                receiver_id = rng.choice(ids)
                while receiver_id == sender.pk:
                    receiver_id = rng.choice(ids)
            jobs.append((sender, receiver_id, rng.choice(REPLIES[rng.choice(["nl", "en"])])))
    receivers = Member.objects.in_bulk({job[1] for job in jobs})
    rng.shuffle(jobs)
    times, refused = [], {}
    start = time.perf_counter()
    for sender, receiver_id, text in jobs:
        reset_queries()
        began = time.perf_counter()
        try:
            send_message(sender=sender, receiver=receivers[receiver_id], text=text)
        except SendRefused as refusal:
            refused[refusal.code] = refused.get(refusal.code, 0) + 1
            continue
        times.append(time.perf_counter() - began)
    total = time.perf_counter() - start
    print(
        f"{'send_message':<28} {len(times) / total:7.0f} messages/s  "
        f"({len(times)} sent by {len(senders)} members in {total:.1f} s; per send median "
        f"{ms(times):.1f} ms, p95 {ms(times, 0.95):.1f} ms; refused {refused or 'none'})"
    )


def page_benchmarks(members, heavy, bare_median: float, requests: int) -> None:
    from django.db.models import Count
    from django.test import Client
    from django.urls import reverse

    from messaging.models import Message, Participant

    inbox_url = reverse("messaging:inbox")
    probe = Client()
    probe.force_login(heavy)
    status = probe.get(inbox_url).status_code
    if status != 200:
        print(f"inbox and conversation pages: skipped, the inbox answers {status}")
        return

    def conversation_url(conversation):
        return reverse("messaging:conversation", args=[conversation.public_id])

    rng = random.Random(13)
    sides = list(
        Participant.objects.filter(member__in=members, in_inbox=True)
        .exclude(member=heavy)
        .select_related("conversation", "member")
        .order_by("?")[:PAGE_MEMBERS]
    )
    clients = []
    for side in sides:
        client = Client()
        client.force_login(side.member)
        clients.append((client, side))
    heavy_sides = Participant.objects.filter(member=heavy).select_related("conversation")
    longest = (
        Message.objects.filter(conversation__in=heavy_sides.values("conversation"))
        .values("conversation")
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()
    )
    long_side = heavy_sides.get(conversation_id=longest["conversation"])
    short_side = rng.choice(list(heavy_sides.exclude(pk=long_side.pk)[:50]))
    inbox_size = heavy_sides.filter(in_inbox=True).count()

    measure(
        f"inbox, {len(clients)} members",
        [(client, inbox_url) for client, _side in clients],
        bare_median,
        requests,
    )
    measure(f"inbox of {inbox_size} conversations", [(probe, inbox_url)], bare_median, requests)
    measure(
        f"conversation, {len(clients)} members",
        [(client, conversation_url(side.conversation)) for client, side in clients],
        bare_median,
        requests,
    )
    short_count = Message.objects.filter(conversation=short_side.conversation).count()
    measure(
        f"conversation of {short_count} messages",
        [(probe, conversation_url(short_side.conversation))],
        bare_median,
        requests,
    )
    long_url = conversation_url(long_side.conversation)
    measure(f"conversation of {longest['n']} messages", [(probe, long_url)], bare_median, requests)

    # What htmx asks every few seconds while the pages are open, and scrolling back far.
    htmx = {"HX-Request": "true"}
    last_id = long_side.conversation.last_message_id
    args = [long_side.conversation.public_id]
    poll = reverse("messaging:new_messages", args=args) + f"?after={last_id}&seen={last_id}"
    measure("poll, new messages (none)", [(probe, poll)], bare_median, requests, htmx)
    badge = reverse("messaging:unread_badge")
    measure("poll, unread badge", [(probe, badge)], bare_median, requests, htmx)
    inbox_list = reverse("messaging:inbox_list")
    measure("poll, inbox list", [(probe, inbox_list)], bare_median, requests, htmx)
    middle = (
        Message.objects.filter(conversation_id=long_side.conversation_id)
        .order_by("id")
        .values_list("id", flat=True)[longest["n"] // 2]
    )
    older = reverse("messaging:older_messages", args=args) + f"?before={middle}"
    measure("older messages, 25000 back", [(probe, older)], bare_median, requests, htmx)


def measure(label, jobs, bare_median, requests, headers=None) -> None:
    """Like __main__.measure_page, with a logged-in client per URL (`headers`: HX-Request for
    the parts htmx polls)."""
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    from bench.__main__ import ms

    times, queries = [], []
    for i in range(requests):
        reset_queries()
        client, url = jobs[i % len(jobs)]
        with CaptureQueriesContext(connection) as ctx:
            start = time.perf_counter()
            response = client.get(url, headers=headers)
            times.append(time.perf_counter() - start)
        assert response.status_code == 200, (url, response.status_code)
        queries.append(len(ctx.captured_queries))
    print(
        f"{label:<36} median {ms(times):7.1f} ms  p95 {ms(times, 0.95):7.1f} ms  "
        f"({ms(times) / bare_median:5.0f}x bare)  queries/page {min(queries)}-{max(queries)}"
    )


if __name__ == "__main__":
    main()
