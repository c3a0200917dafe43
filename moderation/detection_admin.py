"""The list of blocked terms in admin (moderation.detection): moderators add the words and
phrases that send a new or changed profile text to the queue. Registered by importing this
module at the bottom of moderation/admin.py."""

from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from .detection import BLOCKED_TERMS, enabled_checks, normalise
from .models import BlockedTerm
from .signals import blocked_terms_added

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

    actions = ["recheck_shown_texts"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.added_by = request.user
        super().save_model(request, obj, form, change)
        if obj.active and (not change or {"term", "active"} & set(form.changed_data)):
            self._recheck(request, [obj.term])

    @admin.action(
        description=_("Check the profile texts shown now for the selected terms"),
        permissions=["change"],
    )
    def recheck_shown_texts(self, request, queryset):
        self._recheck(request, list(queryset.filter(active=True).values_list("term", flat=True)))

    def _recheck(self, request, terms):
        """Texts already on profiles are checked for `terms` in the background; matches wait
        in the queue (category "profile text") while the text stays shown."""
        if not terms:
            self.message_user(request, _("Only active terms are checked."), messages.WARNING)
            return
        if BLOCKED_TERMS not in enabled_checks():
            self.message_user(
                request,
                _("The blocked-terms check is switched off (MODERATION_TEXT_CHECKS)."),
                messages.WARNING,
            )
            return
        transaction.on_commit(lambda: blocked_terms_added.send(sender=BlockedTerm, terms=terms))
        self.message_user(
            request,
            _(
                "The profile texts shown now are being checked; those that hold the term go "
                "to the moderation queue as “Profile text matched a pattern”."
            ),
            messages.INFO,
        )
