"""Editing one's own profile. (Being built in issue 3: these placeholders answer 404.)"""

from django.http import Http404


def edit_profile(request):
    raise Http404


def edit_sensitive(request):
    raise Http404


def place_autocomplete(request):
    raise Http404
