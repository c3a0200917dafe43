"""Finding each other. (Being built in issue 3: these placeholders answer 404.)"""

from django.http import Http404


def search(request):
    raise Http404


def suggestions(request):
    raise Http404


def profile_page(request, public_id):
    raise Http404


def toggle_favourite(request, public_id):
    raise Http404


def toggle_block(request, public_id):
    raise Http404


def favourites(request):
    raise Http404


def blocks(request):
    raise Http404
