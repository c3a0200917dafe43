"""Finding each other (R2.3): search, suggestions, profile pages, favourites and blocks.

Who may be seen is decided in profiles/selectors.py. Members hidden from search are left out of
search and suggestions only: their profile page still opens by direct link (and from
favourites), as hiding is about not being listed, not about locking out people one knows.
"""

import logging
import math

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from members.models import Member
from members.services import has_confirmed_email
from moderation.sanctions import hidden_member_exists
from privacy import declaration as privacy_declaration
from privacy import services as privacy_services
from privacy.models import ConsentPurpose

from . import photos as photo_services
from . import profile_texts, selectors, services
from .discovery_forms import MemberActionForm, SearchForm
from .models import Block, Favourite, Profile

logger = logging.getLogger(__name__)

PAGE_SIZE = 20


def own_profile(member) -> Profile | None:
    return Profile.objects.filter(member=member).select_related("place").first()


# Counting every match of a wide search costs a scan of all members; nobody pages past 50.
MAX_RESULTS = 1000


class CappedPaginator(Paginator):
    """Counts at most MAX_RESULTS matches (a LIMITed count stops early); the page says
    "1000+" when there are more."""

    @cached_property
    def count(self):
        if isinstance(self.object_list, QuerySet):
            return self.object_list[: MAX_RESULTS + 1].count()
        return min(len(self.object_list), MAX_RESULTS + 1)

    @cached_property
    def num_pages(self):
        return max(1, math.ceil(min(self.count, MAX_RESULTS) / self.per_page))

    @property
    def capped(self) -> bool:
        return self.count > MAX_RESULTS

    @property
    def limit(self) -> int:
        return MAX_RESULTS


def paginate(request, queryset):
    """The asked page; a wrong page number (abc, 99999) gives the first or the last page."""
    page = CappedPaginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = selectors.label_cards(page.object_list)
    return page


@login_required
@require_GET
def search(request):
    mine = own_profile(request.user)
    form = SearchForm(request.GET, own_place=mine.place if mine else None)
    page = None
    origin = None
    if form.is_valid():
        data = form.cleaned_data
        origin = data["origin"]
        results = selectors.search_profiles(
            viewer=request.user,
            genders=data["gender"],
            age_min=data["age_min"],
            age_max=data["age_max"],
            origin=origin,
            distance_km=data["distance"],
            with_photo=data["photo"],
            active_recently=data["active"],
            interests=data["interests"],
            sort=data["sort"] or selectors.SORT_LAST_ACTIVE,
        )
        page = paginate(request, results)
    return render(request, "profiles/search.html", {"form": form, "page": page, "origin": origin})


@login_required
@require_http_methods(["GET", "POST"])
def suggestions(request):
    if request.method == "POST":
        # The one-click "Turn on personalised suggestions" (R7.1: as easy to give as to
        # withdraw), recorded with where it was given.
        privacy_services.set_consent(
            member=request.user,
            purpose=ConsentPurpose.SUGGESTIONS,
            granted=True,
            source=privacy_declaration.SOURCE_SUGGESTIONS_PAGE,
        )
        messages.success(request, _("Personalised suggestions are on."))
        return redirect(back_to(request, reverse("profiles:suggestions")))
    found = selectors.suggestions_for(request.user)
    page = paginate(request, found.profiles) if found.profiles is not None else None
    return render(request, "profiles/suggestions.html", {"suggestions": found, "page": page})


def top_suggestions(member, count=6):
    """For the home page: the best few suggestions, or why there are none."""
    found = selectors.suggestions_for(member)
    cards = selectors.label_cards(found.profiles[:count]) if found.profiles is not None else []
    return found, cards


def findable_member(viewer, public_id, *, allow_blocked_by_viewer=False) -> Member:
    """The member behind a public id if the viewer may see them (findable, with a confirmed
    e-mail address, no block), else 404 (logged). With `allow_blocked_by_viewer`, members the
    viewer blocked count too (to undo the block). Members with an account restriction in force
    (moderation.sanctions) are not shown to others, but can still be blocked and unblocked."""
    member = (
        Member.objects.filter(public_id=public_id)
        .annotate(sanctioned=hidden_member_exists("pk"))
        .first()
    )
    if member is not None and member.pk == viewer.pk:
        return member
    visible = (
        member is not None
        and member.is_findable
        and (allow_blocked_by_viewer or not member.sanctioned)
        and has_confirmed_email(member)
        and not Block.objects.filter(blocker=member, blocked=viewer).exists()
        and (
            allow_blocked_by_viewer
            or not Block.objects.filter(blocker=viewer, blocked=member).exists()
        )
    )
    if not visible:
        logger.warning("access.denied profile member=%s", viewer.pk)
        raise Http404
    return member


@login_required
@require_GET
def profile_page(request, public_id):
    member = findable_member(request.user, public_id)
    is_own = member.pk == request.user.pk
    profile = (
        Profile.objects.filter(member=member)
        .select_related("place")
        .prefetch_related("interests")
        .first()
    )
    photos = photo_services.approved_photos(member=member)
    distance_label = None
    if profile is not None and not is_own:
        mine = Profile.objects.filter(member=request.user).only("latitude", "longitude").first()
        if mine is not None:
            distance_label = selectors.distance_bucket(
                selectors.distance_between(
                    mine.latitude, mine.longitude, profile.latitude, profile.longitude
                )
            )
    context = {
        "shown": member,
        "profile": profile,
        "photos": list(photos),
        # R2.4: premium photos show as a placeholder to members who have not paid.
        "sees_premium": is_own or photo_services.can_see_premium(request.user),
        "is_own": is_own,
        # Issue 11: the member's own new text while it waits for review (others never see it).
        "pending_text": profile_texts.pending_revision(member) if is_own else None,
        "distance_label": distance_label,
        "last_active": selectors.last_active_range(member.last_active_at),
        "is_favourite": (
            not is_own and Favourite.objects.filter(member=request.user, target=member).exists()
        ),
    }
    return render(request, "profiles/profile_page.html", context)


def back_to(request, fallback: str) -> str:
    """The validated `next` URL (same site only), or the fallback."""
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


@login_required
@require_POST
def toggle_favourite(request, public_id):
    target = findable_member(request.user, public_id)
    profile_url = reverse("profiles:profile", args=[target.public_id])
    if target.pk == request.user.pk:
        messages.error(request, _("You cannot add yourself to your favourites."))
        return redirect(back_to(request, profile_url))
    form = MemberActionForm(request.POST)
    action = form.cleaned_data["action"] if form.is_valid() else ""
    exists = Favourite.objects.filter(member=request.user, target=target).exists()
    if action == "remove" or (not action and exists):
        services.remove_favourite(member=request.user, target=target)
        messages.success(
            request, _("%(name)s is no longer in your favourites.") % {"name": target.username}
        )
    else:
        services.add_favourite(member=request.user, target=target)
        messages.success(
            request, _("%(name)s is now in your favourites.") % {"name": target.username}
        )
    return redirect(back_to(request, profile_url))


@login_required
@require_POST
def toggle_block(request, public_id):
    target = findable_member(request.user, public_id, allow_blocked_by_viewer=True)
    profile_url = reverse("profiles:profile", args=[target.public_id])
    blocks_url = reverse("profiles:blocks")
    if target.pk == request.user.pk:
        messages.error(request, _("You cannot block yourself."))
        return redirect(back_to(request, profile_url))
    form = MemberActionForm(request.POST)
    action = form.cleaned_data["action"] if form.is_valid() else ""
    exists = Block.objects.filter(blocker=request.user, blocked=target).exists()
    if action == "remove" or (not action and exists):
        services.unblock_member(member=request.user, target=target)
        messages.success(request, _("%(name)s is no longer blocked.") % {"name": target.username})
        return redirect(back_to(request, blocks_url))
    services.block_member(member=request.user, target=target)
    messages.success(
        request,
        _("You blocked %(name)s: you no longer see or find each other.")
        % {"name": target.username},
    )
    destination = back_to(request, blocks_url)
    if destination.split("?")[0] == profile_url:  # that page is closed to us now
        destination = blocks_url
    return redirect(destination)


@login_required
@require_GET
def favourites(request):
    page = paginate(request, selectors.favourite_profiles(request.user))
    return render(request, "profiles/favourites.html", {"page": page})


@login_required
@require_GET
def blocks(request):
    made = (
        Block.objects.filter(blocker=request.user)
        .select_related("blocked")
        .order_by("-created_at", "pk")
    )
    page = Paginator(made, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "profiles/blocks.html", {"page": page})
