"""Forms for finding each other: the search filters (a GET form, so a search is a shareable URL
that survives the back button) and the small POST forms behind favourite and block buttons."""

from django import forms
from django.utils.translation import gettext_lazy as _

from members.models import Member

from .models import MAX_AGE, MAX_DISTANCE_KM, MIN_AGE, MIN_DISTANCE_KM, Interest
from .places import place_label, resolve_place
from .selectors import SORT_DISTANCE, SORT_LAST_ACTIVE, SORT_NEWEST


class InterestChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return obj.name  # in the page's language


class SearchForm(forms.Form):
    gender = forms.MultipleChoiceField(
        label=_("Gender"),
        choices=Member.Gender.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Leave all unticked to see everyone."),
    )
    age_min = forms.IntegerField(
        label=_("From age"),
        required=False,
        min_value=MIN_AGE,
        max_value=MAX_AGE,
        error_messages={
            "min_value": _("Ages start at %(limit_value)s."),
            "max_value": _("Ages go up to %(limit_value)s."),
            "invalid": _("Enter an age as a whole number."),
        },
    )
    age_max = forms.IntegerField(
        label=_("To age"),
        required=False,
        min_value=MIN_AGE,
        max_value=MAX_AGE,
        error_messages={
            "min_value": _("Ages start at %(limit_value)s."),
            "max_value": _("Ages go up to %(limit_value)s."),
            "invalid": _("Enter an age as a whole number."),
        },
    )
    place = forms.CharField(
        label=_("Near place"),
        required=False,
        max_length=120,
        help_text=_("A town in the Netherlands or Belgium. Empty: your own place."),
    )
    distance = forms.IntegerField(
        label=_("Within (km)"),
        required=False,
        min_value=MIN_DISTANCE_KM,
        max_value=MAX_DISTANCE_KM,
        help_text=_("From 1 to 500 km. Empty: any distance."),
        error_messages={
            "min_value": _("Choose a distance of at least %(limit_value)s km."),
            "max_value": _("Choose a distance of at most %(limit_value)s km."),
            "invalid": _("Enter a distance in whole kilometres."),
        },
    )
    # A checkbox's label reads as a statement: no colon after it.
    photo = forms.BooleanField(
        label=_("Only members with a photo"), required=False, label_suffix=""
    )
    active = forms.BooleanField(
        label=_("Only members active in the last 7 days"), required=False, label_suffix=""
    )
    interests = InterestChoiceField(
        label=_("Interests"),
        queryset=Interest.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Members with any of the ticked interests."),
        error_messages={"invalid_choice": _("Choose interests from the list.")},
    )
    sort = forms.ChoiceField(
        label=_("Sort by"),
        required=False,
        choices=[
            (SORT_LAST_ACTIVE, _("Last active")),
            (SORT_NEWEST, _("Newest members")),
            (SORT_DISTANCE, _("Distance")),
        ],
        error_messages={"invalid_choice": _("Choose a sort order from the list.")},
    )

    def __init__(self, *args, own_place=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.own_place = own_place
        if own_place is not None:
            self.fields["place"].widget.attrs["placeholder"] = own_place.name

    def clean(self):
        cleaned = super().clean()
        age_min, age_max = cleaned.get("age_min"), cleaned.get("age_max")
        if age_min is not None and age_max is not None and age_min > age_max:
            self.add_error("age_max", _("The “to” age must not be lower than the “from” age."))
        typed = cleaned.get("place") or ""
        origin = None
        if typed.strip():
            # The same resolution as the profile form: exact name, biggest place first.
            resolution = resolve_place(typed)
            origin = resolution.place
            if resolution.ambiguous:
                self.add_error(
                    "place",
                    _("There is a %(name)s in both countries: type %(options)s.")
                    % {
                        "name": resolution.candidates[0].name,
                        "options": " {} ".format(_("or")).join(
                            place_label(p) for p in resolution.candidates
                        ),
                    },
                )
            elif origin is None:
                self.add_error(
                    "place",
                    _("We do not know that place. Type a Dutch or Belgian town, e.g. Utrecht."),
                )
        else:
            origin = self.own_place
        cleaned["origin"] = origin
        if origin is None and not self.has_error("place"):
            if cleaned.get("distance") is not None:
                self.add_error(
                    "place", _("Type a place to search by distance, or set your own place.")
                )
            if cleaned.get("sort") == SORT_DISTANCE:
                self.add_error("place", _("Type a place to sort by distance."))
        return cleaned


class MemberActionForm(forms.Form):
    """The favourite and block buttons: what to do, and where to go back to."""

    action = forms.ChoiceField(choices=[("add", "add"), ("remove", "remove")], required=False)
    next = forms.CharField(required=False, max_length=2000)
