"""The urgent queue on the admin index: how many urgent cases wait, and how many have waited
longer than the target for a first look (MODERATION_URGENT_FIRST_LOOK_MINUTES), each a link
to the queue filtered on them. Shown to staff who may see the queue.

{% load moderation_admin %}{% urgent_queue_summary %}
"""

from django import template
from django.urls import reverse

from .. import services, urgent

register = template.Library()


@register.inclusion_tag("admin/moderation/urgent_summary.html", takes_context=True)
def urgent_queue_summary(context):
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_active or not user.has_perm(services.VIEW_PERMISSION):
        return {"show": False}
    queue = reverse("admin:moderation_report_changelist")
    return {
        "show": True,
        **urgent.urgent_queue_counts(),
        "waiting_url": f"{queue}?status__exact=open&priority__exact=0",
        "overdue_url": f"{queue}?first_look=overdue",
    }
