"""Forms for editing one's own profile. Each declares its fields: none names a member, so a
posted `member=` or `sexual_preferences_encrypted=` is ignored."""

from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse_lazy
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from . import services
from .models import (
    DESCRIPTION_MAX_LENGTH,
    FREE_TAG_MAX_LENGTH,
    MAX_AGE,
    MAX_DISTANCE_KM,
    MAX_FREE_TAGS,
    MIN_AGE,
    MIN_DISTANCE_KM,
    Interest,
    Place,
    Profile,
    RelationshipType,
    SexualPreference,
)
from .places import place_label, resolve_place

SOUGHT_GENDERS = [
    ("women", _("Women")),
    ("men", _("Men")),
    ("non_binary", _("Non-binary people")),
    ("other", _("Other")),
]
_SEEKS_FIELDS = {
    "women": "seeks_women",
    "men": "seeks_men",
    "non_binary": "seeks_non_binary",
    "other": "seeks_other",
}
# `gettext_lazy(...) % values` would translate once, at import: this waits for the request.
interpolate_lazy = lazy(lambda message, values: message % values, str)
FREE_TAGS_INPUT_MAX_LENGTH = MAX_FREE_TAGS * (FREE_TAG_MAX_LENGTH + 2) + 100


class PlainTextField(forms.CharField):
    """Browsers send a newline as CRLF but count it as one character for `maxlength`: count it
    the way the member saw it."""

    def to_python(self, value):
        value = super().to_python(value)
        return value.replace("\r\n", "\n") if value else value


class InterestsField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return obj.name  # in the current language


class ProfileForm(forms.Form):
    description = PlainTextField(
        label=_("About me"),
        required=False,
        max_length=DESCRIPTION_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=interpolate_lazy(
            _("Plain text, up to %(max)s characters."), {"max": DESCRIPTION_MAX_LENGTH}
        ),
        error_messages={
            "max_length": _(
                "Keep this to %(limit_value)d characters at most (it has %(show_value)d)."
            )
        },
    )
    birth_date = forms.DateField(
        label=_("Date of birth"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("You must be 18 or older. Other members see your age, never this date."),
        error_messages={"invalid": _("Enter a real date, for example 1990-05-31.")},
    )
    place = forms.CharField(
        label=_("Place of residence"),
        required=False,
        max_length=150,
        # htmx refreshes the <datalist> as the member types; without JavaScript the typed name
        # is resolved on the server when the form is sent.
        widget=forms.TextInput(
            attrs={
                "list": "place-options",
                "autocomplete": "off",
                "hx-get": reverse_lazy("profiles:place_autocomplete"),
                "hx-trigger": "keyup changed delay:250ms, search",
                "hx-target": "#place-options",
                "hx-swap": "innerHTML",
            }
        ),
        help_text=_(
            "Type the name of your town or village and pick it from the list. Others see only "
            "a rough distance, never where you live."
        ),
    )
    # Offered only when the typed name exists in both countries (Zwijndrecht).
    place_choice = forms.CharField(
        label=_("Which place do you mean?"),
        required=False,
        widget=forms.RadioSelect(attrs={"class": "choices"}),
    )
    seeks = forms.MultipleChoiceField(
        label=_("I am looking for"),
        required=False,
        choices=SOUGHT_GENDERS,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "choices"}),
    )
    age_min = forms.IntegerField(
        label=_("From age"),
        min_value=MIN_AGE,
        max_value=MAX_AGE,
        error_messages={
            "required": _("Enter the lowest age you are looking for."),
            "min_value": _("Ages start at %(limit_value)s: all members are adults."),
            "max_value": _("The highest age you can choose is %(limit_value)s."),
        },
    )
    age_max = forms.IntegerField(
        label=_("To age"),
        min_value=MIN_AGE,
        max_value=MAX_AGE,
        error_messages={
            "required": _("Enter the highest age you are looking for."),
            "min_value": _("Ages start at %(limit_value)s: all members are adults."),
            "max_value": _("The highest age you can choose is %(limit_value)s."),
        },
    )
    max_distance_km = forms.IntegerField(
        label=_("Maximum distance (km)"),
        min_value=MIN_DISTANCE_KM,
        max_value=MAX_DISTANCE_KM,
        help_text=interpolate_lazy(
            _("From %(min)s to %(max)s km."), {"min": MIN_DISTANCE_KM, "max": MAX_DISTANCE_KM}
        ),
        error_messages={
            "required": _("Enter a distance in kilometres."),
            "min_value": _("Choose a distance of at least %(limit_value)s km."),
            "max_value": _("Choose a distance of at most %(limit_value)s km."),
        },
    )
    relationship_type = forms.ChoiceField(
        label=_("Kind of relationship"),
        required=False,
        choices=[("", _("Not said"))] + list(RelationshipType.choices),
    )
    interests = InterestsField(
        label=_("Interests"),
        required=False,
        queryset=Interest.objects.all(),
        widget=forms.CheckboxSelectMultiple(attrs={"class": "choices choices-columns"}),
    )
    free_tags = forms.CharField(
        label=_("Own tags"),
        required=False,
        max_length=FREE_TAGS_INPUT_MAX_LENGTH,
        help_text=interpolate_lazy(
            _("Separate them with commas: at most %(count)s tags of %(length)s characters each."),
            {"count": MAX_FREE_TAGS, "length": FREE_TAG_MAX_LENGTH},
        ),
        error_messages={"max_length": _("That is too much text for your tags.")},
    )
    hidden_from_search = forms.BooleanField(
        label=_("Hide me from search and suggestions"),
        required=False,
        help_text=_("Other members will not find you in search results or suggestions."),
    )

    def __init__(self, *args, profile: Profile | None = None, pending_text=None, **kwargs):
        if profile is not None and "initial" not in kwargs and not args:
            kwargs["initial"] = initial_from(profile, pending_text=pending_text)
        super().__init__(*args, **kwargs)
        self.fields["interests"].error_messages["invalid_choice"] = _(
            "Pick interests from the list."
        )
        self.place_candidates: list[Place] = []
        if self.is_bound:
            resolution = resolve_place(self.data.get("place", "") or "")
            if resolution.ambiguous:
                self.place_candidates = resolution.candidates
                self.fields["place_choice"].widget.choices = [
                    (str(place.pk), f"{place.name}, {place.get_country_display()}")
                    for place in resolution.candidates
                ]
        elif profile is not None and profile.place_id:
            self.place_candidates = [profile.place]

    def place_options(self) -> list[str]:
        """The options the <datalist> starts with (before any typing)."""
        return [place_label(place) for place in self.place_candidates]

    def clean_place(self):
        text = self.cleaned_data["place"].strip()
        if not text:
            return None
        resolution = resolve_place(text)
        if resolution.place is not None:
            return resolution.place
        if resolution.ambiguous:
            picked = str(self.data.get("place_choice") or "")
            for place in resolution.candidates:
                if picked == str(place.pk):
                    return place
            raise ValidationError(
                _("There is a %(name)s in the Netherlands and in Belgium: choose one below.")
                % {"name": resolution.candidates[0].name},
                code="ambiguous",
            )
        raise ValidationError(
            _("We don't know this place; pick one from the list."), code="unknown"
        )

    def clean_place_choice(self):
        return ""  # only read by clean_place, for the name typed with it

    def clean_birth_date(self):
        birth_date = self.cleaned_data["birth_date"]
        if birth_date is not None:
            services.check_birth_date(birth_date)
        return birth_date

    def clean_free_tags(self):
        return services.clean_free_tags(self.cleaned_data["free_tags"].split(","))

    def clean(self):
        cleaned = super().clean()
        age_min, age_max = cleaned.get("age_min"), cleaned.get("age_max")
        if age_min is not None and age_max is not None and age_min > age_max:
            self.add_error(
                "age_max",
                _("The highest age must be at least the lowest age (%(min)s).") % {"min": age_min},
            )
        return cleaned

    def profile_fields(self) -> dict:
        """The cleaned values as update_profile takes them."""
        data = self.cleaned_data
        fields = {
            name: data[name]
            for name in (
                "description",
                "birth_date",
                "place",
                "age_min",
                "age_max",
                "max_distance_km",
                "relationship_type",
                "interests",
                "free_tags",
                "hidden_from_search",
            )
        }
        for choice, field_name in _SEEKS_FIELDS.items():
            fields[field_name] = choice in data["seeks"]
        return fields


def initial_from(profile: Profile, *, pending_text=None) -> dict:
    """The form's values from the profile; the self-description and own tags from the
    member's text waiting for review (`pending_text`), if any: that is what they last wrote."""
    text = pending_text or profile
    return {
        "description": text.description,
        "birth_date": profile.birth_date,
        "place": place_label(profile.place) if profile.place_id else "",
        "seeks": [choice for choice, name in _SEEKS_FIELDS.items() if getattr(profile, name)],
        "age_min": profile.age_min,
        "age_max": profile.age_max,
        "max_distance_km": profile.max_distance_km,
        "relationship_type": profile.relationship_type,
        "interests": list(profile.interests.all()) if not profile._state.adding else [],
        "free_tags": ", ".join(text.free_tags or []),
        "hidden_from_search": profile.hidden_from_search,
    }


class SpecialCategoryConsentForm(forms.Form):
    consent = forms.BooleanField(
        label=_("I give explicit consent to store my sexual preferences as described above."),
        error_messages={
            "required": _("Tick the box to give your consent. Without it nothing is stored.")
        },
    )


class SexualPreferencesForm(forms.Form):
    preferences = forms.MultipleChoiceField(
        label=_("My sexual preferences"),
        required=False,
        choices=SexualPreference.choices,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "choices"}),
        help_text=_("Choose none, one or more. Only you see this."),
        error_messages={"invalid_choice": _("Pick from the list.")},
    )
