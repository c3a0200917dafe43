from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

from .models import Member


@require_POST
def set_language(request):
    """Django's language switch, which also remembers a logged-in member's choice so their
    mail comes in the same language."""
    response = django_set_language(request)
    language = request.POST.get("language")
    if request.user.is_authenticated and language in Member.Language.values:
        Member.objects.filter(pk=request.user.pk).update(language=language)
    return response
