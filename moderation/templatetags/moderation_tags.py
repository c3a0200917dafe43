"""Template helpers for moderation's links on content pages.

{% load moderation_tags %}
{% with url=photo|report_url %}
  {% if url %}<a href="{{ url }}">Report</a>{% endif %}
{% endwith %}
"""

from django import template

from .. import links, registry

register = template.Library()


@register.filter
def report_url(obj) -> str:
    """The report form's path for `obj`, or "" when its kind is not registered with
    moderation (yet): a page with a report link never breaks over it."""
    if obj is None or not registry.is_registered(type(obj)._meta.concrete_model):
        return ""
    return links.report_url(obj)
