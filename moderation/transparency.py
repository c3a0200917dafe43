"""Transparency (DSA Art. 17(5), 24): statements of reasons as records of the EU Transparency
Database, exported as JSON lines, and the yearly summary of moderation.

A record follows the database's API schema (v2, July 2025; see
https://transparency.dsa.ec.europa.eu/page/api-documentation): the enumerated values are stored
on the Statement already, dates are "YYYY-MM-DD" (Europe/Amsterdam, the same day as Brussels),
"Yes"/"No" where the schema asks for them, and the statement's own reference as the platform's
unique id (`puid`). Optional fields without a value are left out rather than sent empty (the
database refuses an empty value where it wants one of a list).

A record holds NO personal data: never the member (id, username, e-mail), never the case, its
notices or reporters; only the statement's fields, whose free texts are written without personal
data by rule (the decision form says so). `content_language` is left out: the site does not know
the language a photo or a text is in (a member's interface language is not it).
"""

import csv
import json
import statistics
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta

from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import Appeal, Decision, Notice, Report, ReportDecision, Statement
from .reasons import TDB_CATEGORY, TDB_KEYWORDS, Category

ACCOUNT_TYPE = "ACCOUNT_TYPE_PRIVATE"  # members are private persons, never businesses
# What DECISION_VISIBILITY_OTHER (a warning by the strike ladder) stands for; the schema wants
# a text with it.
VISIBILITY_OTHER_TEXT = "Formal warning to the account holder after repeated violations"
CONTENT_TYPE_OTHER_TEXT = "Account"
APPEAL_DECISIONS = (Decision.APPEAL_UPHELD, Decision.APPEAL_REVERSED)
EXPORT_CHUNK = 500


def _day(value) -> str | None:
    if value is None:
        return None
    return timezone.localtime(value).date().isoformat()


def transparency_record(statement: Statement) -> dict:
    """The Transparency Database record of one statement of reasons (a dict ready for JSON).
    Expects `statement.decision.report` to be loadable (select_related it for many)."""
    record: dict = {}
    if statement.decision_visibility:
        record["decision_visibility"] = list(statement.decision_visibility)
        if "DECISION_VISIBILITY_OTHER" in statement.decision_visibility:
            record["decision_visibility_other"] = VISIBILITY_OTHER_TEXT
    for field in ("decision_monetary", "decision_provision", "decision_account"):
        if getattr(statement, field):
            record[field] = getattr(statement, field)
    record["account_type"] = ACCOUNT_TYPE
    record["decision_ground"] = statement.decision_ground
    if statement.decision_ground == Statement.Ground.ILLEGAL:
        record["illegal_content_legal_ground"] = statement.legal_ground
        record["illegal_content_explanation"] = statement.ground_explanation
    else:
        record["incompatible_content_ground"] = statement.terms_clause
        record["incompatible_content_explanation"] = statement.ground_explanation
        # A moderator who names a law as well says the content is also illegal.
        record["incompatible_content_illegal"] = "Yes" if statement.legal_ground else "No"
    record["category"] = TDB_CATEGORY.get(
        statement.category, "STATEMENT_CATEGORY_OTHER_VIOLATION_TC"
    )
    if TDB_KEYWORDS.get(statement.category):
        record["category_specification"] = list(TDB_KEYWORDS[statement.category])
    record["content_type"] = list(statement.content_type) or ["CONTENT_TYPE_OTHER"]
    if "CONTENT_TYPE_OTHER" in record["content_type"]:
        record["content_type_other"] = CONTENT_TYPE_OTHER_TEXT
    # Required; when the content is gone (erased) it was posted before the case was opened.
    record["content_date"] = _day(statement.content_date or statement.decision.report.created_at)
    record["application_date"] = _day(statement.application_date)
    if statement.end_date is not None:
        end = _day(statement.end_date)
        if statement.decision_visibility:
            record["end_date_visibility_restriction"] = end
        if statement.decision_monetary:
            record["end_date_monetary_restriction"] = end
        if statement.decision_provision:
            record["end_date_service_restriction"] = end
        if statement.decision_account:
            record["end_date_account_restriction"] = end
    record["decision_facts"] = statement.decision_facts
    record["source_type"] = statement.source_type
    record["automated_detection"] = "Yes" if statement.automated_detection else "No"
    record["automated_decision"] = statement.automated_decision
    record["territorial_scope"] = list(statement.territorial_scope)
    record["puid"] = statement.public_id
    return record


def _bounds(start: date | None, end: date | None):
    """Aware datetimes for the local days `start` to `end`, both included."""
    zone = timezone.get_current_timezone()
    since = timezone.make_aware(datetime.combine(start, time.min), zone) if start else None
    until = (
        timezone.make_aware(datetime.combine(end + timedelta(days=1), time.min), zone)
        if end
        else None
    )
    return since, until


def statements_in(start: date | None = None, end: date | None = None):
    """Statements that applied from a day between `start` and `end` (both included), oldest
    first."""
    since, until = _bounds(start, end)
    statements = Statement.objects.select_related("decision__report")
    if since is not None:
        statements = statements.filter(application_date__gte=since)
    if until is not None:
        statements = statements.filter(application_date__lt=until)
    return statements.order_by("application_date", "pk")


def statements_jsonl(start: date | None = None, end: date | None = None) -> Iterator[str]:
    """One JSON line per statement of the period, streamed from the database in chunks."""
    for statement in statements_in(start, end).iterator(chunk_size=EXPORT_CHUNK):
        yield json.dumps(transparency_record(statement), ensure_ascii=False) + "\n"


# -- the yearly summary -------------------------------------------------------------------------


def _year_bounds(year: int):
    return _bounds(date(year, 1, 1), date(year, 12, 31))


def _median(durations: list[timedelta]) -> timedelta | None:
    if not durations:
        return None
    seconds = statistics.median(d.total_seconds() for d in durations)
    return timedelta(seconds=round(seconds))


def _rows(choices, counts: dict) -> list[dict]:
    return [
        {"value": value, "label": str(label), "count": counts.get(value, 0)}
        for value, label in choices
    ]


def yearly_summary(year: int) -> dict:
    """What moderation did in `year` (local time): notices received (of which from visitors
    without an account), decisions per category and per type (automated ones counted apart),
    statements of reasons, the median time from a case being opened to its decision, and
    appeals filed, upheld and reversed. Counts only, about nobody in particular."""
    since, until = _year_bounds(year)
    notices = Notice.objects.filter(created_at__gte=since, created_at__lt=until)
    notice_counts = dict(notices.values_list("reason").annotate(n=Count("pk")))
    decisions = ReportDecision.objects.filter(created_at__gte=since, created_at__lt=until).exclude(
        decision__in=APPEAL_DECISIONS
    )
    per_category = dict(decisions.values_list("report__reason").annotate(n=Count("pk")))
    per_decision = dict(decisions.values_list("decision").annotate(n=Count("pk")))
    decided_cases = (
        Report.objects.filter(appeal_of__isnull=True, decided_at__gte=since, decided_at__lt=until)
        .exclude(status=Report.Status.OPEN)
        .values_list("created_at", "decided_at")
    )
    handling = [decided - created for created, decided in decided_cases]
    appeals_decided = Appeal.objects.filter(decided_at__gte=since, decided_at__lt=until).exclude(
        outcome=""
    )
    appeal_times = [
        decided - created
        for created, decided in appeals_decided.values_list("created_at", "decided_at")
    ]
    outcomes = dict(appeals_decided.values_list("outcome").annotate(n=Count("pk")))
    median = _median(handling)
    appeal_median = _median(appeal_times)
    return {
        "year": year,
        "notices": {
            "total": notices.count(),
            # Reports without an account (a member who was erased since counts here too).
            "from_visitors": notices.filter(reporter__isnull=True).count(),
            "per_category": _rows(Category.choices, notice_counts),
        },
        "decisions": {
            "total": sum(per_decision.values()),
            "automated": decisions.filter(automated=True).count(),
            "per_category": _rows(Category.choices, per_category),
            "per_decision": _rows(
                [(v, label) for v, label in Decision.choices if v not in APPEAL_DECISIONS],
                per_decision,
            ),
        },
        "statements": Statement.objects.filter(created_at__gte=since, created_at__lt=until).count(),
        "handling": {
            "cases": len(handling),
            "median": median,
            "median_hours": round(median.total_seconds() / 3600, 1) if median else None,
        },
        "appeals": {
            "filed": Appeal.objects.filter(created_at__gte=since, created_at__lt=until).count(),
            "decided": sum(outcomes.values()),
            "upheld": outcomes.get(Appeal.Outcome.UPHELD, 0),
            "reversed": outcomes.get(Appeal.Outcome.REVERSED, 0),
            "median": appeal_median,
            "median_hours": (
                round(appeal_median.total_seconds() / 3600, 1) if appeal_median else None
            ),
        },
    }


def summary_rows(summary: dict) -> list[tuple[str, str, object]]:
    """The summary as (section, item, value) rows, in the active language (for the CSV)."""
    notices, decisions = summary["notices"], summary["decisions"]
    handling, appeals = summary["handling"], summary["appeals"]
    rows = [
        (_("Notices"), _("Received"), notices["total"]),
        (_("Notices"), _("Of which from visitors without an account"), notices["from_visitors"]),
    ]
    rows += [(_("Notices per category"), r["label"], r["count"]) for r in notices["per_category"]]
    rows += [
        (_("Decisions"), _("Taken"), decisions["total"]),
        (_("Decisions"), _("Of which automated"), decisions["automated"]),
    ]
    rows += [
        (_("Decisions per category"), r["label"], r["count"]) for r in decisions["per_category"]
    ]
    rows += [(_("Decisions per type"), r["label"], r["count"]) for r in decisions["per_decision"]]
    rows += [
        (_("Statements of reasons"), _("Written"), summary["statements"]),
        (_("Handling time"), _("Cases decided"), handling["cases"]),
        (_("Handling time"), _("Median hours from report to decision"), handling["median_hours"]),
        (_("Appeals"), _("Filed"), appeals["filed"]),
        (_("Appeals"), _("Decided"), appeals["decided"]),
        (_("Appeals"), _("Upheld"), appeals["upheld"]),
        (_("Appeals"), _("Reversed"), appeals["reversed"]),
        (_("Appeals"), _("Median hours from appeal to outcome"), appeals["median_hours"]),
    ]
    return rows


def write_summary_csv(out, summary: dict) -> None:
    writer = csv.writer(out)
    writer.writerow([_("Section"), _("Item"), _("Value")])
    writer.writerow([_("Summary"), _("Year"), summary["year"]])
    for section, item, value in summary_rows(summary):
        writer.writerow([section, item, "" if value is None else value])
