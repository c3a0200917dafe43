"""Reads that the discovery pages share (search, suggestions, profile page, favourites).

Every list is built from `visible_profiles`, so one place decides who may be found. Each list
select_related's the member and place and prefetches the main approved photo and the interests,
so the number of queries does not grow with the number of members on a page.

Distances are computed in SQL between place centres (Profile.latitude/longitude: Profile.save()
copies them from the place, whatever a caller set, so no finer point is ever stored) with an
equirectangular approximation: exact enough within the Netherlands and Belgium (well under 1% at
500 km) and built only from functions both PostgreSQL and SQLite have in Django (Radians, Cos,
Sqrt, Power). The number is used to filter and sort; pages only ever get a bucket label
(`distance_bucket`).
"""

import math
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import (
    Count,
    F,
    FloatField,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce, Cos, Power, Radians, Sqrt
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from members.services import confirmed_email_exists
from moderation.sanctions import hidden_member_exists
from privacy import services as privacy_services

from .models import Block, Favourite, Photo, Place, Profile

EARTH_RADIUS_KM = 6371.0
KM_PER_DEGREE_LATITUDE = 111.2
ACTIVE_RECENTLY = timedelta(days=7)

SEEKS_FIELD_BY_GENDER = {
    "woman": "seeks_women",
    "man": "seeks_men",
    "non_binary": "seeks_non_binary",
    "other": "seeks_other",
}

# The only form in which a distance is ever shown (issue 11, SECURITY: no trilateration):
# "under 5 km", "5 to 10 km", "10 to 25 km" (upper bounds exclusive), then the distance rounded
# to the nearest 10 km ("about 30 km" for 25 up to 35 km), and "more than 200 km" from 205 km:
# nobody plans a date by the exact kilometre that far away. A distance is always between place
# centres, so a label tells no more than the place the profile shows anyway.
NEAR_BUCKETS = [
    (5, _("under 5 km")),
    (10, _("5 to 10 km")),
    (25, _("10 to 25 km")),
]
ROUNDING_KM = 10
FARTHEST_ROUNDED_KM = 200
FAR_BUCKET = _("more than %(km)s km")
ROUNDED_BUCKET = _("about %(km)s km")


def distance_bucket(distance_km: float | None):
    """The coarse label for a distance; None when the distance is unknown."""
    if distance_km is None:
        return None
    for upper, label in NEAR_BUCKETS:
        if distance_km < upper:
            return label
    rounded = int(math.floor(distance_km / ROUNDING_KM + 0.5)) * ROUNDING_KM
    if rounded > FARTHEST_ROUNDED_KM:
        return FAR_BUCKET % {"km": FARTHEST_ROUNDED_KM}
    return ROUNDED_BUCKET % {"km": rounded}


def last_active_range(when, now=None):
    """'today', 'this week', 'this month' or 'longer ago': never a timestamp."""
    if when is None:
        return _("longer ago")
    now = now or timezone.now()
    if timezone.localdate(when) == timezone.localdate(now):
        return _("today")
    if now - when < timedelta(days=7):
        return _("this week")
    if now - when < timedelta(days=31):
        return _("this month")
    return _("longer ago")


def years_before(today: date, years: int) -> date:
    """The same day `years` years earlier (28 February for 29 February in a common year)."""
    try:
        return today.replace(year=today.year - years)
    except ValueError:
        return today.replace(year=today.year - years, day=28)


def birth_date_range_q(age_min: int | None, age_max: int | None, today: date | None = None) -> Q:
    """Q for profiles whose age (on `today`) is within age_min..age_max (either may be None)."""
    today = today or timezone.localdate()
    q = Q()
    if age_min is not None:
        q &= Q(birth_date__lte=years_before(today, age_min))
    if age_max is not None:
        q &= Q(birth_date__gt=years_before(today, age_max + 1))
    return q


def distance_expression(latitude: float, longitude: float):
    """km between each profile's place centre and the given point (equirectangular)."""
    lat0 = Value(float(latitude), output_field=FloatField())
    lon0 = Value(float(longitude), output_field=FloatField())
    d_lat = Radians(F("latitude") - lat0)
    d_lon = Radians(F("longitude") - lon0) * Cos(Radians((F("latitude") + lat0) / 2.0))
    return Value(EARTH_RADIUS_KM, output_field=FloatField()) * Sqrt(
        Power(d_lon, 2) + Power(d_lat, 2), output_field=FloatField()
    )


def distance_between(a_lat, a_lon, b_lat, b_lon) -> float | None:
    """The same formula in Python, for one pair (the profile page)."""
    if None in (a_lat, a_lon, b_lat, b_lon):
        return None
    d_lat = math.radians(b_lat - a_lat)
    d_lon = math.radians(b_lon - a_lon) * math.cos(math.radians((a_lat + b_lat) / 2))
    return EARTH_RADIUS_KM * math.sqrt(d_lon**2 + d_lat**2)


def within_distance(qs: QuerySet, *, latitude: float, longitude: float, km: float) -> QuerySet:
    """Profiles within `km` of the point: a bounding box first (it can use the profile_coords
    index), then the exact distance."""
    d_lat = km / KM_PER_DEGREE_LATITUDE
    d_lon = km / (KM_PER_DEGREE_LATITUDE * max(math.cos(math.radians(latitude)), 0.01))
    return qs.filter(
        latitude__range=(latitude - d_lat, latitude + d_lat),
        longitude__range=(longitude - d_lon, longitude + d_lon),
        distance_km__lte=km,
    )


def card_prefetches():
    """What a member card needs, fetched once per page, not once per member."""
    return [
        Prefetch(
            "member__photos",
            queryset=Photo.objects.filter(
                is_main=True, status=Photo.Status.APPROVED, is_premium=False, hidden_at=None
            ),
            to_attr="main_photos",
        ),
        "interests",
    ]


def blocked_member_ids(viewer) -> set[int]:
    """Members with a block between them and the viewer, either way. A member has few blocks,
    so one small query here is far cheaper than a subquery per candidate row."""
    pairs = Block.objects.filter(Q(blocker=viewer) | Q(blocked=viewer)).values_list(
        "blocker_id", "blocked_id"
    )
    return {other for pair in pairs for other in pair} - {viewer.pk}


# Wide columns no card needs: left out of the rows a search sorts.
CARD_DEFERRED = (
    "sexual_preferences_encrypted",
    "free_tags",
    "place__aliases",
    "place__search_name",
    "member__password",
)


def visible_profiles(viewer) -> QuerySet:
    """Profiles of members the viewer may see: active, not restricted, with a confirmed
    primary e-mail address (fair play: every profile is a person who signed up and confirmed
    it), no account restriction in force (moderation.sanctions: restricted, suspended or
    hidden pending review; an Exists in the same query), no block either way, not the viewer.
    Hidden-from-search members are included (they are viewable by link)."""
    return (
        Profile.objects.filter(
            confirmed_email_exists("member_id"),
            member__status="active",
            member__is_active=True,
            member__processing_restricted=False,
        )
        .exclude(hidden_member_exists("member_id"))
        .exclude(member_id__in=[viewer.pk, *blocked_member_ids(viewer)])
        .select_related("member", "place")
        .defer(*CARD_DEFERRED)
        .prefetch_related(*card_prefetches())
    )


def searchable_profiles(viewer) -> QuerySet:
    """Who search and suggestions may show. Only members with a birth date and a place are
    searchable: every filter (age, distance) and every card (age, place) needs them."""
    return visible_profiles(viewer).filter(
        hidden_from_search=False,
        birth_date__isnull=False,
        place__isnull=False,
        latitude__isnull=False,
        longitude__isnull=False,
    )


def with_distance_from(qs: QuerySet, origin_latitude, origin_longitude) -> QuerySet:
    if origin_latitude is None or origin_longitude is None:
        return qs.annotate(distance_km=Value(None, output_field=FloatField()))
    return qs.annotate(distance_km=distance_expression(origin_latitude, origin_longitude))


SORT_LAST_ACTIVE = "active"
SORT_NEWEST = "newest"
SORT_DISTANCE = "distance"


def search_profiles(
    *,
    viewer,
    genders=(),
    age_min=None,
    age_max=None,
    origin: Place | None = None,
    distance_km=None,
    with_photo=False,
    active_recently=False,
    interests=(),
    sort=SORT_LAST_ACTIVE,
) -> QuerySet:
    """Search results, filtered and sorted as asked. `origin` is where distances are measured
    from (needed for a distance filter or sort)."""
    qs = searchable_profiles(viewer)
    if origin is not None:
        qs = with_distance_from(qs, origin.latitude, origin.longitude)
    else:
        qs = with_distance_from(qs, None, None)
    if genders:
        qs = qs.filter(member__gender__in=list(genders))
    if age_min is not None or age_max is not None:
        qs = qs.filter(birth_date_range_q(age_min, age_max))
    if distance_km is not None and origin is not None:
        qs = within_distance(
            qs, latitude=origin.latitude, longitude=origin.longitude, km=distance_km
        )
    if with_photo:
        qs = qs.filter(has_photo=True)
    if active_recently:
        qs = qs.filter(member__last_active_at__gte=timezone.now() - ACTIVE_RECENTLY)
    if interests:
        picked = Profile.interests.through.objects.filter(interest__in=list(interests))
        qs = qs.filter(pk__in=picked.values("profile_id"))
    # The orderings end on member__id (the same value as pk) so they match the member indexes
    # (member_active_order, member_joined_order) and a page needs no sort of every row.
    if sort == SORT_NEWEST:
        return qs.order_by("-member__date_joined", "-member__id")
    if sort == SORT_DISTANCE and origin is not None:
        return qs.order_by("distance_km", F("member__last_active_at").desc(nulls_last=True), "pk")
    return qs.order_by(
        F("member__last_active_at").desc(nulls_last=True), "-member__date_joined", "-member__id"
    )


@dataclass
class Suggestions:
    """Suggested profiles, or why there are none (`missing`: what to fill in; `paused`:
    processing restricted; `consent_needed`: no consent to personalised suggestions;
    `objected`: the member objects to profiling)."""

    profiles: QuerySet | None = None
    missing: list = field(default_factory=list)
    paused: bool = False
    consent_needed: bool = False
    objected: bool = False


def suggestions_for(member) -> Suggestions:
    """Mutual fit (R2.3): they fit what I look for (gender, age, my maximum distance) and I fit
    what they look for (my gender, my age, their maximum distance). Best first: most shared
    interests, then nearest, then most recently active.

    Matching is profiling, on both sides (R7.1, R7.4): it runs only for a member who consented
    to personalised suggestions and does not object to profiling, and suggests only members
    who did the same."""
    if member.processing_restricted:
        # Matching uses the member's own data: restricted processing pauses it (R7.4).
        return Suggestions(paused=True)
    profiling = privacy_services.profiling_state(member)
    if profiling.objection:
        return Suggestions(objected=True)
    if not profiling.consent:
        return Suggestions(consent_needed=True)
    profile = Profile.objects.filter(member=member).prefetch_related("interests").first()
    missing = []
    if profile is None or profile.birth_date is None:
        missing.append(_("your date of birth"))
    if profile is None or profile.place_id is None or profile.latitude is None:
        missing.append(_("your place of residence"))
    if profile is None or not profile.sought_genders:
        missing.append(_("who you are looking for"))
    if member.gender not in SEEKS_FIELD_BY_GENDER:
        missing.append(_("your gender"))
    if missing:
        return Suggestions(missing=missing)

    my_age = profile.age
    qs = with_distance_from(searchable_profiles(member), profile.latitude, profile.longitude)
    qs = privacy_services.only_profiling_allowed(qs, member_field="member_id")
    # They fit what I look for...
    qs = qs.filter(member__gender__in=profile.sought_genders).filter(
        birth_date_range_q(profile.age_min, profile.age_max)
    )
    qs = within_distance(
        qs, latitude=profile.latitude, longitude=profile.longitude, km=profile.max_distance_km
    )
    # ...and I fit what they look for.
    qs = qs.filter(
        **{SEEKS_FIELD_BY_GENDER[member.gender]: True},
        age_min__lte=my_age,
        age_max__gte=my_age,
        max_distance_km__gte=F("distance_km"),
    )
    my_interests = [interest.pk for interest in profile.interests.all()]
    if my_interests:
        shared = (
            Profile.interests.through.objects.filter(
                profile_id=OuterRef("pk"), interest_id__in=my_interests
            )
            .order_by()
            .values("profile_id")
            .annotate(n=Count("interest_id"))
            .values("n")
        )
        qs = qs.annotate(
            shared_interests=Coalesce(Subquery(shared, output_field=IntegerField()), 0)
        )
    else:
        qs = qs.annotate(shared_interests=Value(0, output_field=IntegerField()))
    qs = qs.order_by(
        "-shared_interests",
        "distance_km",
        F("member__last_active_at").desc(nulls_last=True),
        "pk",
    )
    return Suggestions(profiles=qs)


def favourite_profiles(viewer) -> QuerySet:
    """The viewer's favourites who are still findable, most recently added first (hidden
    members stay: a favourite is like a direct link)."""
    own = Profile.objects.filter(member=viewer).only("latitude", "longitude").first()
    added = Favourite.objects.filter(member=viewer, target=OuterRef("member_id"))
    qs = visible_profiles(viewer).annotate(favourited_at=Subquery(added.values("created_at")[:1]))
    qs = qs.filter(favourited_at__isnull=False)
    qs = with_distance_from(qs, own and own.latitude, own and own.longitude)
    return qs.order_by("-favourited_at", "pk")


def label_cards(profiles):
    """Gives each profile on a page its distance bucket (the only distance a template sees)."""
    profiles = list(profiles)
    for profile in profiles:
        profile.distance_label = distance_bucket(getattr(profile, "distance_km", None))
        photos = getattr(profile.member, "main_photos", None) or []
        profile.main_photo = photos[0] if photos else None
    return profiles
