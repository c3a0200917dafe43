"""Photos. (Being built in issue 3: these placeholders answer 404.)"""

from django.http import Http404


def manage_photos(request):
    raise Http404


def set_main(request, public_id):
    raise Http404


def move_photo(request, public_id):
    raise Http404


def delete_photo(request, public_id):
    raise Http404


def serve_photo(request, public_id, size):
    raise Http404
