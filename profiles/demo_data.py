"""Realistic demo profiles for `manage.py seed_demo` (idempotent, bulk inserts)."""

import random
from datetime import date, timedelta
from itertools import accumulate

from django.db import transaction
from django.utils import timezone

from .models import Interest, Place, Profile, RelationshipType

BATCH = 2000
DESCRIPTIONS = [
    "Houd van lange wandelingen langs het strand en een goed boek.",
    "Op zoek naar iemand om mee te lachen, koken en reizen.",
    "Rustig, nieuwsgierig en dol op muziek. Weekends vaak op de fiets.",
    "I love good food, old films and spontaneous trips.",
    "Nieuw in de stad en benieuwd wie ik hier tegenkom.",
    "Sportief, sociaal, en altijd in voor een terrasje.",
    "Liever een goed gesprek dan small talk.",
    "Kunst, musea en koffie: daar word ik blij van.",
]


def seed_demo(*, members) -> str:
    rng = random.Random(4242)
    places = list(
        Place.objects.order_by("geonameid").values_list("pk", "latitude", "longitude", "population")
    )
    interests = list(Interest.objects.values_list("slug", flat=True))
    if not places:
        return "no places loaded"
    cum_weights = list(accumulate(max(p[3], 1000) ** 0.5 for p in places))
    todo = members.filter(profile__isnull=True).order_by("pk").values_list("pk", "gender")
    today = timezone.localdate()
    made = 0
    pending = list(todo)
    for start in range(0, len(pending), BATCH):
        chunk = pending[start : start + BATCH]
        profiles, links = [], []
        for member_id, gender in chunk:
            place = rng.choices(places, cum_weights=cum_weights)[0]
            age = int(min(75, max(18, rng.gauss(38, 11))))
            birth = today - timedelta(days=int(age * 365.25) + rng.randint(1, 360))
            seeks = _sought(rng, gender)
            low = max(18, age - rng.randint(3, 12))
            high = min(99, age + rng.randint(3, 12))
            profiles.append(
                Profile(
                    member_id=member_id,
                    description=rng.choice(DESCRIPTIONS),
                    birth_date=min(birth, _adult_cutoff(today)),
                    place_id=place[0],
                    latitude=place[1],
                    longitude=place[2],
                    age_min=low,
                    age_max=high,
                    max_distance_km=rng.choice([10, 25, 50, 50, 100, 200]),
                    relationship_type=rng.choice(RelationshipType.values),
                    hidden_from_search=rng.random() < 0.03,
                    free_tags=[],
                    **{f"seeks_{g}": g in seeks for g in ("women", "men", "non_binary", "other")},
                )
            )
            for slug in rng.sample(interests, rng.randint(2, 7)):
                links.append(Profile.interests.through(profile_id=member_id, interest_id=slug))
        with transaction.atomic():
            Profile.objects.bulk_create(profiles, batch_size=BATCH)
            Profile.interests.through.objects.bulk_create(links, batch_size=BATCH * 4)
        made += len(profiles)
    photos, verified = _seed_photos_and_badges(members)
    return f"{made} profiles created, {photos} demo photos, {verified} verified"


# The first few demo members get a drawn portrait (no real person) and some the "verified"
# badge, so the badge, cards with photos and photo pages can be seen in `make run`.
PHOTO_MEMBERS = 12
VERIFIED_MEMBERS = 6
COLOURS = [(138, 28, 74), (26, 95, 122), (46, 125, 50), (183, 93, 16), (81, 45, 168)]


def _portrait(number: int):
    """A plain drawn figure on a coloured background: clearly not a photo of anyone."""
    from PIL import Image, ImageDraw

    background = COLOURS[number % len(COLOURS)]
    image = Image.new("RGB", (600, 800), background)
    draw = ImageDraw.Draw(image)
    draw.ellipse((200, 170, 400, 370), fill=(245, 222, 200))
    draw.rounded_rectangle((140, 400, 460, 800), radius=90, fill=(245, 222, 200))
    return image


def _seed_photos_and_badges(members) -> tuple[int, int]:
    from io import BytesIO

    from django.core.files.uploadedfile import SimpleUploadedFile

    from .models import Photo, VerificationGesture, VerificationRequest
    from .photos import _sync_main_and_has_photo, clean_image, photo_storage

    chosen = list(members.filter(profile__isnull=False).order_by("username")[:PHOTO_MEMBERS])
    storage = photo_storage()
    now = timezone.now()
    photos = verified = 0
    for number, member in enumerate(chosen):
        if Photo.objects.filter(member=member).exists():
            continue
        out = BytesIO()
        _portrait(number).save(out, format="JPEG")
        clean = clean_image(SimpleUploadedFile("demo.jpg", out.getvalue(), "image/jpeg"))
        with transaction.atomic():
            Photo.objects.create(
                member=member,
                image=storage.save(f"photos/demo-{member.public_id}.jpg", BytesIO(clean.full)),
                thumbnail=storage.save(
                    f"photos/demo-{member.public_id}_thumb.jpg", BytesIO(clean.thumbnail)
                ),
                width=clean.width,
                height=clean.height,
                status=Photo.Status.APPROVED,
                is_main=True,
                created_at=now - timedelta(days=30),
                reviewed_at=now - timedelta(days=30),
            )
            if number < VERIFIED_MEMBERS:
                VerificationRequest.objects.create(
                    member=member,
                    gesture=VerificationGesture.THUMB_UP,
                    status=VerificationRequest.Status.GRANTED,
                    created_at=now - timedelta(days=20),
                    decided_at=now - timedelta(days=19),
                )
                verified += 1
            # Sets has_photo and, from the grant and the photo, the badge.
            _sync_main_and_has_photo(member)
        photos += 1
    return photos, verified


def _adult_cutoff(today: date) -> date:
    """A birth date that makes the member at least 18 today (leap days included)."""
    return today - timedelta(days=int(18 * 365.25) + 2)


def _sought(rng, gender):
    roll = rng.random()
    opposite = {"woman": ["men"], "man": ["women"]}.get(gender, ["women", "men"])
    same = {"woman": ["women"], "man": ["men"]}.get(gender, ["non_binary"])
    if roll < 0.75:
        return opposite
    if roll < 0.9:
        return same
    return ["women", "men", "non_binary", "other"]
