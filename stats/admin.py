"""The statistics dashboard in the admin (R8.3), for the Management group and superusers: each
table as a chart drawn on the server (inline SVG, no script), its numbers in a table, when it
was computed, and CSV downloads.

The admin index links to it as "Statistics" (the model's list page is the dashboard). There is
no page of single rows and nothing to add, change or delete: the nightly computation writes
the tables (stats.services).
"""

from django.conf import settings
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from members.admin_mixins import ReadOnlyAdminMixin

from . import dashboard
from .models import Statistic, Table


@admin.register(Statistic)
class StatisticAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    class Media:
        css = {"all": ["stats/dashboard.css"]}

    def get_urls(self):
        info = f"{self.opts.app_label}_{self.opts.model_name}"
        wrap = self.admin_site.admin_view
        return [
            path("", wrap(self.dashboard_view), name=f"{info}_changelist"),
            path("csv/", wrap(self.csv_view), name=f"{info}_csv_all"),
            path("csv/<slug:table>/", wrap(self.csv_view), name=f"{info}_csv"),
        ]

    def _check(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied

    def dashboard_view(self, request):
        self._check(request)
        minimum = settings.STATS_MIN_CELL
        sections = dashboard.sections(minimum=minimum)
        for section in sections:
            section.computed_label = dashboard.computed_label(section)
            section.csv_url = reverse("admin:stats_statistic_csv", args=[section.table])
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "media": self.media,
            "title": _("Anonymised statistics"),
            "sections": sections,
            "minimum": minimum,
            "suppressed_text": dashboard.suppressed_text(),
            "computed": any(section.computed_at for section in sections),
            "csv_all_url": reverse("admin:stats_statistic_csv_all"),
        }
        return TemplateResponse(request, "admin/stats/dashboard.html", context)

    def csv_view(self, request, table=None):
        self._check(request)
        if table is not None and table not in Table.values:
            raise Http404("no such table")
        tables = [table] if table else list(Table.values)
        name = table or "all"
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = (
            f'attachment; filename="statistics-{name}-{timezone.localdate():%Y-%m-%d}.csv"'
        )
        dashboard.write_csv(response, tables=tables)
        return response
