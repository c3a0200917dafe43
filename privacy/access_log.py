"""The staff access log (R9.2, issue 7): every staff view of a member's personal data in admin is
recorded as a StaffAccessLog row (who, whom, what, when), readable by superusers only.

`StaffAccessLogMiddleware` writes one row after a successful (200) GET of a Django admin page
of a model with personal data (registered in privacy.registry, the member model included):

- a list (`<app>_<model>_changelist`): whom is empty, what = "list of members (search: yes)";
  the search term itself is never stored (it may be a name or an address);
- one object (`<app>_<model>_change`, `_history`, `_delete`, and the extra views an admin
  class names in `access_log_views`): what = "member 42", "order 7 (history)"; whom is the
  member the object belongs to (`member_of`).

Admin classes may add, without any other change:

    access_log_views = ("review",)    # custom views of one object (URL kwarg `object_id`),
                                      # named "<app>_<model>_review"
    def access_log_member(self, obj): # the member `obj` belongs to, when the rule of
        return obj.request.member     # `member_of` does not find it (a Member or an id)
    access_log = False                # this admin's pages are not logged (the log's own)

Not logged: non-admin pages, static files, other methods than GET, anything but a 200 (403,
redirects), the add page, and the staff member's own data (their own account pages).

One INSERT per view: the object is taken from the page's context (`original`, `object`) and its
member from the foreign key column, so a list costs nothing more and an object page at most
one SELECT when a custom view has no such context. Logging fails closed: if the row cannot be
written, the page is not shown (the error propagates). Log lines hold ids only.
"""

import logging

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.utils import translation

from . import registry
from .models import StaffAccessLog

logger = logging.getLogger(__name__)

# Fields that point at the member an object belongs to, in this order (the object itself when
# it is a member).
MEMBER_FIELDS = ("member", "user", "sender", "reported_member", "author")
# Standard admin views that show one object; the list is "changelist".
OBJECT_VIEWS = {"change": "", "history": " (history)", "delete": " (delete page)"}
LIST_VIEW = "changelist"
WHAT_MAX = StaffAccessLog._meta.get_field("what").max_length
PATH_MAX = StaffAccessLog._meta.get_field("path").max_length


def member_of(obj) -> int | None:
    """The id of the member whose data `obj` is: the object itself for the member model,
    else its first foreign key to a member among MEMBER_FIELDS; None when it has none (or it
    is empty). Reads the key column, never loads the member."""
    if obj is None:
        return None
    member_model = get_user_model()
    if isinstance(obj, member_model):
        return obj.pk
    for name in MEMBER_FIELDS:
        try:
            field = obj._meta.get_field(name)
        except FieldDoesNotExist:
            continue
        if field.is_relation and field.concrete and field.related_model is member_model:
            return getattr(obj, field.attname)
    return None


def _member_id(value) -> int | None:
    if value is None or isinstance(value, int):
        return value
    return getattr(value, "pk", None)


def holds_personal_data(model) -> bool:
    return model is get_user_model() or registry.entry_for(model) is not None


def admin_for_url_name(url_name: str, site=admin.site):
    """(model admin, view suffix) for an admin URL name "<app>_<model>_<view>", or (None, "").
    The longest "<app>_<model>" prefix wins (one model's name may start with another's)."""
    found, suffix = None, ""
    for model, model_admin in site._registry.items():
        prefix = f"{model._meta.app_label}_{model._meta.model_name}_"
        if url_name.startswith(prefix) and (found is None or len(prefix) > len(found[0])):
            found, suffix = (prefix, model_admin), url_name[len(prefix) :]
    return (found[1], suffix) if found else (None, "")


def _english(text) -> str:
    """The log is read by superusers as a record: one language, whoever looked."""
    with translation.override("en"):
        return str(text)


def _the_object(model_admin, response, object_id):
    """The object the page showed: from its context when the admin view put it there (no
    query), else by its id."""
    context = getattr(response, "context_data", None) or {}
    for key in ("original", "object"):
        obj = context.get(key)
        if isinstance(obj, model_admin.model):
            return obj
    if object_id is None:
        return None
    try:
        return model_admin.model._default_manager.filter(pk=unquote(str(object_id))).first()
    except (ValueError, TypeError, ValidationError):
        return None


def entry_for_view(request, response) -> StaffAccessLog | None:
    """The unsaved log row for this request, or None when it is not a logged view."""
    if request.method != "GET" or response.status_code != 200:
        return None
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_active or not user.is_staff:
        return None
    match = getattr(request, "resolver_match", None)
    if match is None or match.namespace != admin.site.name or not match.url_name:
        return None
    model_admin, view = admin_for_url_name(match.url_name)
    if model_admin is None or not getattr(model_admin, "access_log", True):
        return None
    opts = model_admin.model._meta
    if not holds_personal_data(model_admin.model):
        return None

    if view == LIST_VIEW:
        searched = "yes" if request.GET.get("q", "").strip() else "no"
        what = f"list of {_english(opts.verbose_name_plural)} (search: {searched})"
        member_id = None
    elif view in OBJECT_VIEWS or view in getattr(model_admin, "access_log_views", ()):
        object_id = match.kwargs.get("object_id")
        obj = _the_object(model_admin, response, object_id)
        custom = getattr(model_admin, "access_log_member", None)
        member_id = _member_id(custom(obj)) if custom and obj is not None else member_of(obj)
        reference = obj.pk if obj is not None else object_id
        label = OBJECT_VIEWS.get(view, f" ({view})")
        what = f"{_english(opts.verbose_name)} {reference}{label}"
    else:
        return None
    if member_id is not None and member_id == user.pk:
        return None  # one's own account pages
    return StaffAccessLog(
        staff=user, member_id=member_id, what=what[:WHAT_MAX], path=request.path[:PATH_MAX]
    )


def log_staff_view(request, response) -> StaffAccessLog | None:
    entry = entry_for_view(request, response)
    if entry is None:
        return None
    entry.save(force_insert=True)
    logger.info(
        "staff_access.logged entry=%s staff=%s member=%s", entry.pk, entry.staff_id, entry.member_id
    )
    return entry


class StaffAccessLogMiddleware:
    """Writes the access log row after the admin page was made (see the module's text). Put
    after AuthenticationMiddleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        log_staff_view(request, response)
        return response
