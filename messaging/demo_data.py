"""Demo conversations for `manage.py seed_demo` and for the benchmark (bench/messaging.py).

Idempotent: conversations are only added between demo members who have none yet, until the
demo members have sent the wanted number of messages, so a re-run adds nothing. Everything the
pages read is filled in as `send_message` and `mark_read` would leave it: the conversation's
first_message_at and last_message, and per participant the read position, an unread count that
equals the delivered messages of the other after it, in_inbox and last_message_at.

Bulk inserts in batches of BATCH messages. Every message is encrypted on its own through the
model field (Fernet costs about 6 microseconds for a short text on the development machine,
six seconds per million), so no shared pool of ciphertexts is needed, not even for the
benchmark's million messages.

Demo members without a wallet are given DEMO_CREDITS credits: a ledger entry and the wallet
holding the same amount, written together, so balances equal the ledger (verify_balances).
"""

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Count, Exists, OuterRef
from django.utils import timezone

from payments.models import LedgerEntry, Wallet

from .models import Conversation, Message, Participant
from .services import text_digest

BATCH = 5000
MESSAGES_PER_MEMBER = 12  # the default total: 500 members (make run) get about 6000 messages
MAX_DEFAULT_MESSAGES = 6000
FEATURED_INBOX = 12  # the first demo member (the README's log-in) gets a full inbox
FEATURED_HISTORY = 60  # ... and one longer conversation
DEMO_CREDITS = 100
DEMO_CREDITS_REASON = "Demo credits"

GENDER_OF_SEEKS = {
    "seeks_women": "woman",
    "seeks_men": "man",
    "seeks_non_binary": "non_binary",
    "seeks_other": "other",
}

OPENERS = {
    "nl": [
        "Hoi! Leuk profiel, ik zag dat je ook van wandelen houdt.",
        "Hallo, hoe is je week tot nu toe?",
        "Hey, jouw foto bij de zee is prachtig. Waar is dat?",
        "Hoi, ik moest lachen om je beschrijving. Zin om te kletsen?",
        "Goedemiddag! Jij woont ook in de buurt, zag ik.",
        "Hoi, wat lees je op dit moment?",
        "Hey! Ook gek op koken? Wat is je specialiteit?",
        "Hallo, leuk dat je ook van musea houdt. Welke raad je aan?",
    ],
    "en": [
        "Hi! Your profile made me smile. How is your week going?",
        "Hello, I see you like hiking too. Any favourite trails?",
        "Hey, that photo by the sea looks lovely. Where was it?",
        "Hi there! What are you reading at the moment?",
        "Hello! Fellow coffee lover here. Favourite place in town?",
    ],
}
REPLIES = {
    "nl": [
        "Haha, dank je! Met mij gaat het goed, en met jou?",
        "Goed hoor, druk op werk maar het weekend komt eraan.",
        "Dat was in Zeeland, vorige zomer. Echt een aanrader.",
        "Ik ben net begonnen in een thriller, nog geen idee of hij goed is.",
        "Pasta! Mijn lasagne is beroemd in de familie.",
        "Het Rijksmuseum blijft mijn favoriet, maar Boijmans is ook mooi.",
        "Klinkt goed. Wat doe je zelf graag in het weekend?",
        "Fietsen, vrienden zien en soms lekker niks.",
        "Ik ben vaak op de markt op zaterdag, jij?",
        "Dat herken ik wel, ik ook!",
        "Wat voor muziek luister je?",
        "Van alles, maar vooral jazz en een beetje pop.",
        "Ben je al eens naar North Sea Jazz geweest?",
        "Nog nooit, staat wel op mijn lijstje.",
        "Zullen we een keer koffie drinken?",
        "Leuk idee! Zaterdagochtend kan ik.",
        "Top, zaterdag om tien uur bij het station?",
        "Afgesproken. Tot dan!",
        "Sorry voor mijn late reactie, was een drukke dag.",
        "Geen probleem, ik was ook onderweg.",
        "Slaap lekker alvast!",
        "Goedemorgen! Goed geslapen?",
        "Wat een weer vandaag, hè?",
        "Heb je plannen voor de vakantie?",
        "Misschien een week naar de Ardennen.",
        "Mooi! Daar ben ik vorig jaar ook geweest.",
    ],
    "en": [
        "Thanks! It's going well, and yours?",
        "Busy at work, but the weekend is nearly here.",
        "That was in Zeeland last summer. You should go.",
        "A detective novel, just started it.",
        "I make a mean risotto, if I say so myself.",
        "What do you like to do on weekends?",
        "Cycling, seeing friends and sometimes nothing at all.",
        "Same here, honestly.",
        "What kind of music are you into?",
        "Mostly jazz, some pop.",
        "Shall we grab a coffee sometime?",
        "I'd like that. Saturday morning?",
        "Great, Saturday at ten by the station?",
        "Deal. See you then!",
        "Sorry for the late reply, long day.",
        "No worries, I was out as well.",
        "Good morning! Sleep well?",
        "Any holiday plans?",
    ],
}


@dataclass
class _Plan:
    """One conversation to create: who starts, with whom, how many messages."""

    starter: int
    other: int
    length: int
    messages: list = field(default_factory=list)


def seed_demo(
    *,
    members,
    messages: int | None = None,
    featured_inbox: int = FEATURED_INBOX,
    featured_history: int = FEATURED_HISTORY,
    seed: int = 5150,
) -> str:
    """Conversations between demo `members` until they have sent `messages` in total (default:
    MESSAGES_PER_MEMBER per member, at most MAX_DEFAULT_MESSAGES). The member with the lowest
    id (demo_000001) gets at least `featured_inbox` conversations, one of them at least
    `featured_history` messages long. The benchmark asks for a million messages, an inbox of
    500 and a history of 50000."""
    credited = give_demo_credits(members)
    count = members.count()
    if count < 2:
        return f"{credited} members given demo credits; too few members for conversations"
    if messages is None:
        messages = min(count * MESSAGES_PER_MEMBER, MAX_DEFAULT_MESSAGES)
    featured = members.order_by("pk").values_list("pk", flat=True).first()
    inbox, longest = _featured_state(featured)
    have = Message.objects.filter(sender_id__in=members.values("pk")).count()
    if have >= messages and inbox >= featured_inbox and longest >= featured_history:
        return f"nothing to add ({have} messages), {credited} members given demo credits"
    people = _people(members)
    ids = sorted(people)
    rng = random.Random(seed)
    taken = set(
        Conversation.objects.filter(member_low_id__in=members.values("pk")).values_list(
            "member_low_id", "member_high_id"
        )
    )
    pairs = _Pairs(people, taken, rng)
    plans = _featured_plans(featured, pairs, featured_inbox - inbox, featured_history, longest)
    wanted = messages - have - sum(p.length for p in plans)
    failures = 0
    while wanted > 0 and failures < 1000:  # stops when (nearly) every allowed pair talks
        starter = rng.choice(ids)
        other = pairs.partner(starter)
        if other is None:
            failures += 1
            continue
        failures = 0
        length = min(wanted, _length(rng))
        plans.append(_Plan(starter, other, length))
        wanted -= length
    made_conversations = made_messages = 0
    chunk, size = [], 0
    for plan in plans:
        chunk.append(plan)
        size += plan.length
        if size >= BATCH:
            made_messages += _create(chunk, rng)
            made_conversations += len(chunk)
            chunk, size = [], 0
    if chunk:
        made_messages += _create(chunk, rng)
        made_conversations += len(chunk)
    return (
        f"{made_conversations} conversations with {made_messages} messages created, "
        f"{credited} members given {DEMO_CREDITS} demo credits"
    )


def give_demo_credits(members, *, credits: int = DEMO_CREDITS) -> int:
    """Members without a wallet and without ledger entries get `credits`: one adjustment in the
    ledger and a wallet with the same balance, in one transaction (the ledger's own invariant,
    payments.services.verify_balances, holds). Returns how many members were credited."""
    todo = list(
        members.filter(wallet__isnull=True)
        .exclude(Exists(LedgerEntry.objects.filter(member_id=OuterRef("pk"))))
        .values_list("pk", flat=True)
    )
    for start in range(0, len(todo), BATCH):
        chunk = todo[start : start + BATCH]
        with transaction.atomic():
            LedgerEntry.objects.bulk_create(
                [
                    LedgerEntry(
                        member_id=pk,
                        kind=LedgerEntry.Kind.ADJUSTMENT,
                        credits=credits,
                        reason=DEMO_CREDITS_REASON,
                    )
                    for pk in chunk
                ],
                batch_size=BATCH,
            )
            Wallet.objects.bulk_create(
                [Wallet(member_id=pk, balance=credits) for pk in chunk], batch_size=BATCH
            )
    return len(todo)


def _people(members) -> dict[int, tuple[str, list[str]]]:
    """Member id -> (gender, genders they seek); no profile: they seek anyone."""
    rows = members.values_list("pk", "gender", *(f"profile__{f}" for f in GENDER_OF_SEEKS))
    people = {}
    for pk, gender, *seeks in rows:
        sought = [g for wanted, g in zip(seeks, GENDER_OF_SEEKS.values(), strict=True) if wanted]
        people[pk] = (gender, sought)
    return people


class _Pairs:
    """Finds conversation partners: a member of a gender the starter seeks (any gender when
    they have no profile), never a pair that talks already."""

    def __init__(self, people: dict[int, tuple[str, list[str]]], taken: set, rng):
        self.people, self.taken, self.rng = people, taken, rng
        self.by_gender: dict[str, list[int]] = {}
        for pk, (gender, _sought) in sorted(people.items()):
            self.by_gender.setdefault(gender, []).append(pk)

    def partner(self, starter: int, tries: int = 30, anyone: bool = False) -> int | None:
        """The partner, now marked taken; None when `tries` draws found none. `anyone`: when
        no one of a sought gender is free, anyone will do (the featured member's inbox)."""
        sought = [g for g in self.people[starter][1] if g in self.by_gender]
        sought = sought or list(self.by_gender)
        for _ in range(tries):
            other = self.rng.choice(self.by_gender[self.rng.choice(sought)])
            pair = (min(starter, other), max(starter, other))
            if other != starter and pair not in self.taken:
                self.taken.add(pair)
                return other
        if anyone:
            free = [
                pk
                for pk in self.people
                if pk != starter and (min(starter, pk), max(starter, pk)) not in self.taken
            ]
            if free:
                other = self.rng.choice(free)
                self.taken.add((min(starter, other), max(starter, other)))
                return other
        return None


def _length(rng) -> int:
    """Most conversations are short, a few run to hundreds of messages (mean about 24)."""
    if rng.random() < 0.05:
        return rng.randint(50, 400)
    return int(rng.expovariate(1 / 12)) + 1


def _featured_state(featured: int) -> tuple[int, int]:
    """The featured member's number of conversations and the length of their longest."""
    sides = Participant.objects.filter(member_id=featured)
    longest = (
        Message.objects.filter(conversation__in=sides.values("conversation"))
        .values("conversation")
        .annotate(n=Count("id"))
        .order_by("-n")
        .values_list("n", flat=True)
        .first()
    )
    return sides.count(), longest or 0


def _featured_plans(featured: int, pairs: _Pairs, more: int, history: int, longest: int):
    """What the featured member still lacks: one conversation `history` messages long (when
    their longest is shorter), and `more` conversations in all."""
    plans = []
    if history and longest < history:
        other = pairs.partner(featured, tries=200, anyone=True)
        if other is not None:
            plans.append(_Plan(featured, other, history))
    while len(plans) < more:
        other = pairs.partner(featured, tries=200, anyone=True)
        if other is None:
            break
        starts = pairs.rng.random() < 0.4
        starter, receiver = (featured, other) if starts else (other, featured)
        plans.append(_Plan(starter, receiver, _length(pairs.rng)))
    return plans


def _times(rng, length: int, now: datetime) -> list[datetime]:
    """Increasing send times: the last within the past weeks, the first further back the longer
    the conversation (at most two years)."""
    end = now - timedelta(minutes=rng.expovariate(1 / (60 * 24 * 5)))
    span = min(timedelta(minutes=length * rng.uniform(5, 240)), timedelta(days=730))
    start = end - span
    seconds = span.total_seconds()
    offsets = sorted(rng.random() * seconds for _ in range(length - 1))
    times = [start + timedelta(seconds=s) for s in offsets] + [end]
    for i in range(1, len(times)):  # strictly increasing, like ids
        if times[i] <= times[i - 1]:
            times[i] = times[i - 1] + timedelta(microseconds=1)
    return times


_digests: dict[str, str] = {}


def _text(rng, language: str, first: bool) -> tuple[str, str]:
    text = rng.choice(OPENERS[language] if first else REPLIES[language])
    if rng.random() < 0.15:
        text = f"{text} {rng.choice(REPLIES[language])}"
    if text not in _digests:
        _digests[text] = text_digest(text)
    return text, _digests[text]


def _create(plans: list[_Plan], rng) -> int:
    """Creates the planned conversations with their messages and both participants' state."""
    now = timezone.now()
    with transaction.atomic():
        conversations, messages = [], []
        for plan in plans:
            times = _times(rng, plan.length, now)
            low, high = sorted((plan.starter, plan.other))
            conversation = Conversation(
                member_low_id=low,
                member_high_id=high,
                started_by_id=plan.starter,
                created_at=times[0],
                first_message_at=times[0],
            )
            conversations.append(conversation)
            language = "en" if rng.random() < 0.25 else "nl"
            sender, other = plan.starter, plan.other
            for number, sent_at in enumerate(times):
                if number and rng.random() < 0.6:
                    sender, other = other, sender
                text, digest = _text(rng, language, first=number == 0)
                message = Message(
                    conversation=conversation,
                    sender_id=sender,
                    text=text,
                    text_digest=digest,
                    created_at=sent_at,
                )
                plan.messages.append(message)
                messages.append(message)
        Conversation.objects.bulk_create(conversations, batch_size=BATCH)
        Message.objects.bulk_create(messages, batch_size=BATCH)
        sides = []
        for conversation, plan in zip(conversations, plans, strict=True):
            conversation.last_message = plan.messages[-1]
            sides.extend(_sides(conversation, plan.messages, rng))
        Conversation.objects.bulk_update(conversations, ["last_message"], batch_size=1000)
        Participant.objects.bulk_create(sides, batch_size=BATCH)
    for plan in plans:
        plan.messages = []  # free the memory of this batch
    return len(messages)


def _sides(conversation, messages, rng) -> list[Participant]:
    """Both participants: the sender of the last message has read everything; the other has
    read it all too, or (one in three) not yet the last few messages."""
    last = messages[-1]
    writer = last.sender_id
    low, high = conversation.member_low_id, conversation.member_high_id
    reader = high if writer == low else low
    trailing = 0
    for message in reversed(messages):
        if message.sender_id != writer:
            break
        trailing += 1
    unread = rng.randint(1, trailing) if rng.random() < 0.35 else 0
    seen = messages[-1 - unread] if unread < len(messages) else None
    common = {"conversation": conversation, "in_inbox": True, "last_message_at": last.created_at}
    return [
        Participant(
            member_id=writer,
            other_id=reader,
            last_read_message_id=last.pk,
            last_read_at=last.created_at,
            **common,
        ),
        Participant(
            member_id=reader,
            other_id=writer,
            last_read_message_id=seen.pk if seen else 0,
            last_read_at=seen.created_at if seen else None,
            unread_count=unread,
            **common,
        ),
    ]
