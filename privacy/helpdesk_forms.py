"""The helpdesk contact form (R7.6): address, subject, description, request type, up to
CONTACT_ATTACHMENTS_MAX files checked by content, and a honeypot field.

A logged-in member's address is their account's, shown read-only (whatever is posted for it is
ignored). Every refused file gets its own error naming it;
the typed text stays, the files must be chosen again (browsers never keep them)."""

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from . import requests
from .models import RequestType

HONEYPOT_FIELD = "website"


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class AttachmentsField(forms.FileField):
    """Zero or more files in one input; each is checked by content, and every refusal is
    reported with the file's name (not only the first)."""

    widget = MultipleFileInput

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_python(self, data):
        return data

    def clean(self, data, initial=None):
        files = [item for item in (data or []) if item]
        if not isinstance(data, list | tuple) and data:
            files = [data]
        if len(files) > settings.CONTACT_ATTACHMENTS_MAX:
            raise forms.ValidationError(requests.too_many_message(len(files)), code="too_many")
        errors, checked = [], []
        for upload in files:
            try:
                checked.append(requests.check_attachment(upload))
            except requests.AttachmentRefused as refused:
                errors.append(forms.ValidationError(refused.message, code=refused.code))
        if errors:
            raise forms.ValidationError(errors)
        # Checked and drawn again once: create_request stores these as they are.
        return checked


class ContactForm(forms.Form):
    email = forms.EmailField(
        label=_("Your e-mail address"),
        max_length=254,
        help_text=_("We send the confirmation and our answer to this address."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    type = forms.ChoiceField(
        label=_("What is your message about?"),
        choices=RequestType.choices,
        initial=RequestType.QUESTION,
        widget=forms.RadioSelect(attrs={"class": "choices"}),
    )
    subject = forms.CharField(label=_("Subject"), max_length=200)
    description = forms.CharField(
        label=_("Your question or request"),
        max_length=5000,
        help_text=_(
            "Describe what you would like us to do. Do not send us copies of identity "
            "documents: we never need them."
        ),
        widget=forms.Textarea(attrs={"rows": 8}),
    )
    attachments = AttachmentsField(label=_("Attachments (optional)"))
    website = forms.CharField(
        label=_("Leave this field empty"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
        help_text=_("This field is a trap for spam robots; people leave it empty."),
    )

    def __init__(self, *args, member=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.member = member
        limit = settings.CONTACT_ATTACHMENTS_MAX
        self.fields["attachments"].help_text = _(
            "Up to %(count)s files of at most %(size)s each: images (JPEG, PNG, WebP, GIF) or PDF."
        ) % {"count": limit, "size": filesizeformat(settings.CONTACT_ATTACHMENT_MAX_BYTES)}
        self.fields["attachments"].widget.attrs["accept"] = requests.ACCEPT_ATTRIBUTE
        if member is not None:
            # Read-only rather than disabled: a screen reader still reads it in the form.
            email = self.fields["email"]
            email.required = False
            email.initial = member.email
            email.widget.attrs["readonly"] = True
            email.help_text = _(
                "Your account's address: we answer you there. You can change it under My account."
            )

    def clean_email(self):
        if self.member is not None:
            return self.member.email  # whatever was posted: a member's answer goes to the account
        return self.cleaned_data["email"]

    @property
    def is_spam(self) -> bool:
        """A filled honeypot: a robot, which gets a pretended success and nothing stored."""
        return bool(self.cleaned_data.get(HONEYPOT_FIELD))

    @property
    def files_chosen(self) -> bool:
        return bool(self.files and self.files.getlist("attachments"))
