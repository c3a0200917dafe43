"""Finding places by what members type: the autocomplete and the server-side resolution that
also serves members without JavaScript."""

import re
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .models import Place, normalise_name

AUTOCOMPLETE_LIMIT = 10
# Longer input is no place name; cut it before it reaches the database.
MAX_QUERY_LENGTH = 120
# "Zwijndrecht (BE)": the form the autocomplete offers, so a picked option resolves exactly.
_WITH_COUNTRY = re.compile(r"^(?P<name>.+?)\s*\((?P<country>nl|be)\)$", re.IGNORECASE)
# NUL and other control characters: PostgreSQL refuses NUL in text, and no name has them.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def clean_query(text: str) -> str:
    return normalise_name(_CONTROL.sub("", text or "")[:MAX_QUERY_LENGTH])


def place_label(place: Place) -> str:
    """What the member sees in the input and picks from the list: 'Zwijndrecht (NL)'."""
    return f"{place.name} ({place.country})"


def find_places(query: str, *, limit: int = AUTOCOMPLETE_LIMIT) -> list[Place]:
    """Places whose name starts with what was typed, biggest first ('Liège' finds 'liege')."""
    typed = clean_query(query)
    match = _WITH_COUNTRY.match(typed)
    if match:
        typed = match["name"].strip()
    if not typed:
        return []
    limit = max(0, min(limit, 50))
    # Official names by prefix; another name ("Antwerp", "Den Bosch") only when typed in full
    # and no official name starts with it.
    for condition in (Q(search_name__startswith=typed), Q(aliases__contains=f"|{typed}|")):
        places = Place.objects.filter(condition)
        if match:
            places = places.filter(country=match["country"].upper())
        found = list(places.order_by("-population", "name", "geonameid")[:limit])
        if found:
            return found
    return []


@dataclass
class PlaceResolution:
    place: Place | None = None
    # Set when the typed name exists in both countries: the member must pick one.
    candidates: list[Place] = field(default_factory=list)

    @property
    def ambiguous(self) -> bool:
        return self.place is None and len(self.candidates) > 1


def resolve_place(text: str) -> PlaceResolution:
    """The place a typed name means: an exact name match, the biggest of its country. A name
    found in the Netherlands and in Belgium (Zwijndrecht) is ambiguous unless the country is
    typed too ('Zwijndrecht (BE)'): then the biggest place of each country is offered."""
    typed = clean_query(text)
    match = _WITH_COUNTRY.match(typed)
    name = match["name"].strip() if match else typed
    if not name:
        return PlaceResolution()
    country = match["country"].upper() if match else None
    # The official name wins; another name ("Antwerp", "Luik") counts only when none matches.
    for condition in (Q(search_name=name), Q(aliases__contains=f"|{name}|")):
        places = Place.objects.filter(condition)
        if country:
            places = places.filter(country=country)
        if places.exists():
            break
    biggest_per_country: dict[str, Place] = {}
    for place in places.order_by("-population", "geonameid"):
        biggest_per_country.setdefault(place.country, place)
    candidates = list(biggest_per_country.values())
    if len(candidates) == 1:
        return PlaceResolution(place=candidates[0])
    return PlaceResolution(candidates=candidates)


# The provinces of the Netherlands and the regions of Belgium, by GeoNames admin1 code (the
# `Place.region` column), keyed "NL-07" / "BE-VLG" (campaign audiences, statistics).
REGIONS = {
    "NL-01": _("Drenthe"),
    "NL-02": _("Friesland"),
    "NL-03": _("Gelderland"),
    "NL-04": _("Groningen"),
    "NL-05": _("Limburg (NL)"),
    "NL-06": _("North Brabant"),
    "NL-07": _("North Holland"),
    "NL-09": _("Utrecht"),
    "NL-10": _("Zeeland"),
    "NL-11": _("South Holland"),
    "NL-15": _("Overijssel"),
    "NL-16": _("Flevoland"),
    "BE-BRU": _("Brussels-Capital Region"),
    "BE-VLG": _("Flanders"),
    "BE-WAL": _("Wallonia"),
}


def region_q(keys, *, place_field: str = "place") -> Q:
    """A filter on profiles (or on a relation to a place via `place_field`) for the regions
    `keys` ("NL-07"); unknown keys match nothing."""
    condition = Q(pk__in=[])
    for key in keys:
        if key not in REGIONS:
            continue
        country, region = key.split("-", 1)
        condition |= Q(**{f"{place_field}__country": country, f"{place_field}__region": region})
    return condition
