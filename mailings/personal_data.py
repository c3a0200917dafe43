"""How the mailings app's personal data is exported and erased (see privacy.registry).

Export (R7.4): which campaigns went out to the member and when (the campaign, its subject in
the member's language, what became of it), when suggestion mails went out and whom they
suggested. Nothing about other recipients.

Erasure (R7.3): the member's delivery rows, their suggestion-mail state, the suggestions
mailed to them, and every row that suggested them to someone else: an erased member leaves
no trace in others' lists. Whether they wanted these mails is the consent ledger's
(privacy.personal_data), and their undeliverable addresses are members'.
"""

from members.models import OutgoingMail
from members.services import mail_language
from privacy.registry import Basis, Category, register, register_no_personal_data

from .models import Campaign, Delivery, MailedSuggestion, MailKind, SuggestionMailState
from .services import OUTGOING_KIND


def _iso(value):
    return value.isoformat() if value else None


@register(Delivery, category=Category.VOLUNTARY, purpose="promotional_mail", basis=Basis.CONSENT)
class DeliveryData:
    def export(self, member):
        subject = "subject_en" if mail_language(member.language) == "en" else "subject_nl"
        return [
            {
                "subject": getattr(delivery.campaign, subject),
                "status": delivery.status,
                "sent_at": _iso(delivery.sent_at),
            }
            for delivery in Delivery.objects.filter(member=member)
            .select_related("campaign")
            .only(
                "status",
                "sent_at",
                "campaign__subject_nl",
                "campaign__subject_en",
            )
            .order_by("created_at", "pk")
        ]

    def erase(self, member):
        Delivery.objects.filter(member=member).delete()


@register(
    SuggestionMailState,
    category=Category.VOLUNTARY,
    purpose="suggestion_mail",
    basis=Basis.CONSENT,
)
class SuggestionMailStateData:
    def export(self, member):
        return [
            {"last_sent_at": _iso(state.last_sent_at)}
            for state in SuggestionMailState.objects.filter(member=member)
        ]

    def erase(self, member):
        SuggestionMailState.objects.filter(member=member).delete()


@register(
    MailedSuggestion, category=Category.VOLUNTARY, purpose="suggestion_mail", basis=Basis.CONSENT
)
class MailedSuggestionData:
    def export(self, member):
        return [
            {"member": row.suggested.username, "mailed_at": _iso(row.mailed_at)}
            for row in MailedSuggestion.objects.filter(member=member)
            .select_related("suggested")
            .only("mailed_at", "suggested__username")
            .order_by("mailed_at", "pk")
        ]

    def erase(self, member):
        # Both ways: the suggestions mailed to the member, and the member in others' lists,
        # including suggestion mails naming them that are not sent (yet): those are cancelled
        # and emptied (a sent one keeps no body).
        recipients = MailedSuggestion.objects.filter(suggested=member).values("member_id")
        OutgoingMail.objects.filter(
            kind=OUTGOING_KIND[MailKind.SUGGESTIONS], member_id__in=recipients
        ).exclude(status=OutgoingMail.Status.SENT).update(
            status=OutgoingMail.Status.CANCELLED, body_text="", body_html="", headers={}
        )
        MailedSuggestion.objects.filter(member=member).delete()
        MailedSuggestion.objects.filter(suggested=member).delete()


register_no_personal_data(
    Campaign,
    reason="A mailing written by staff, with its audience as conditions (language, region, "
    "...), never a list of members. `created_by` is set to empty when the staff account goes; "
    "who received it is in Delivery (DeliveryData).",
)
