"""The list of blocked terms in admin (moderation.detection): moderators add the words and
phrases that send a new or changed profile text to the queue. Registered by importing this
module at the bottom of moderation/admin.py."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .detection import normalise
from .models import BlockedTerm

MIN_TERM_LENGTH = 2


class BlockedTermForm(forms.ModelForm):
    class Meta:
        model = BlockedTerm
        fields = ("term", "note", "active")
        help_texts = {
            "term": _(
                "Matched as whole words, ignoring capitals, accents and extra spaces: "
                "“sugar baby” also finds “Sugar  Baby”, not “sugarbabys”."
            ),
        }

    def clean_term(self):
        term = " ".join(self.cleaned_data["term"].split())
        if len(normalise(term)) < MIN_TERM_LENGTH:
            raise forms.ValidationError(
                _("Use at least %(count)s letters: a shorter term would match almost every text.")
                % {"count": MIN_TERM_LENGTH}
            )
        return term


@admin.register(BlockedTerm)
class BlockedTermAdmin(admin.ModelAdmin):
    form = BlockedTermForm
    list_display = ("term", "active", "note", "added_by_name", "created_at")
    list_filter = ("active",)
    search_fields = ("term", "note")
    list_per_page = 100
    readonly_fields = ("added_by_name", "created_at")

    def get_fields(self, request, obj=None):
        fields = ["term", "note", "active"]
        return fields if obj is None else [*fields, "added_by_name", "created_at"]

    @admin.display(description=_("added by"), ordering="added_by__username")
    def added_by_name(self, obj):
        return obj.added_by.username if obj.added_by else "-"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("added_by")

    def save_model(self, request, obj, form, change):
        if not change:
            obj.added_by = request.user
        super().save_model(request, obj, form, change)
