"""Statements of reasons in admin and for the EU Transparency Database (DSA Art. 17(5), 24):
each statement becomes a record in the database's API schema (v2) holding no personal data;
the admin exports a period as JSON lines and shows the yearly summary (counts per category and
decision type, median handling time, appeals and reversals, notices and visitors), also as
CSV. Moderators read statements; nobody changes them; other staff see none of it."""

import csv
import io
import json
import re
from datetime import date, datetime, timedelta

import pytest
from django.utils import timezone

from moderation import services, transparency
from moderation.models import Appeal, Decision, Notice, Report, ReportDecision, Statement
from tests.factories import MemberFactory, staff_member

from .admin_helpers import (
    EXPORT,
    ILLEGAL,
    OTHER_ROLES,
    STATEMENTS,
    SUMMARY,
    TERMS,
    grant_moderator_role,
    reported,
    statement_input,
)
from .conftest import give_credits, send

pytestmark = pytest.mark.django_db

# The schema's enumerations (https://transparency.dsa.ec.europa.eu/page/api-documentation, v2).
VISIBILITY = {
    "DECISION_VISIBILITY_CONTENT_REMOVED",
    "DECISION_VISIBILITY_CONTENT_DISABLED",
    "DECISION_VISIBILITY_CONTENT_DEMOTED",
    "DECISION_VISIBILITY_CONTENT_AGE_RESTRICTED",
    "DECISION_VISIBILITY_CONTENT_INTERACTION_RESTRICTED",
    "DECISION_VISIBILITY_CONTENT_LABELLED",
    "DECISION_VISIBILITY_OTHER",
}
PROVISION = {
    "DECISION_PROVISION_PARTIAL_SUSPENSION",
    "DECISION_PROVISION_TOTAL_SUSPENSION",
    "DECISION_PROVISION_PARTIAL_TERMINATION",
    "DECISION_PROVISION_TOTAL_TERMINATION",
}
ACCOUNT = {"DECISION_ACCOUNT_SUSPENDED", "DECISION_ACCOUNT_TERMINATED"}
CATEGORIES = {
    f"STATEMENT_CATEGORY_{name}"
    for name in (
        "ANIMAL_WELFARE",
        "CONSUMER_INFORMATION",
        "CYBER_VIOLENCE",
        "CYBER_VIOLENCE_AGAINST_WOMEN",
        "DATA_PROTECTION_AND_PRIVACY_VIOLATIONS",
        "ILLEGAL_OR_HARMFUL_SPEECH",
        "INTELLECTUAL_PROPERTY_INFRINGEMENTS",
        "NEGATIVE_EFFECTS_ON_CIVIC_DISCOURSE_OR_ELECTIONS",
        "NOT_SPECIFIED_NOTICE",
        "OTHER_VIOLATION_TC",
        "PROTECTION_OF_MINORS",
        "RISK_FOR_PUBLIC_SECURITY",
        "SCAMS_AND_FRAUD",
        "SELF_HARM",
        "UNSAFE_AND_PROHIBITED_PRODUCTS",
        "VIOLENCE",
    )
}
CONTENT_TYPES = {
    f"CONTENT_TYPE_{name}"
    for name in ("APP", "AUDIO", "IMAGE", "PRODUCT", "SYNTHETIC_MEDIA", "TEXT", "VIDEO", "OTHER")
}
SOURCES = {"SOURCE_ARTICLE_16", "SOURCE_TRUSTED_FLAGGER", "SOURCE_VOLUNTARY"}
AUTOMATED = {
    "AUTOMATED_DECISION_FULLY",
    "AUTOMATED_DECISION_PARTIALLY",
    "AUTOMATED_DECISION_NOT_AUTOMATED",
}
REQUIRED = {
    "decision_ground",
    "category",
    "content_type",
    "content_date",
    "application_date",
    "decision_facts",
    "source_type",
    "automated_detection",
    "automated_decision",
    "territorial_scope",
    "puid",
}
DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def assert_valid_record(record: dict) -> None:
    """The rules of the database's statement API, as its documentation states them."""
    assert record.keys() >= REQUIRED
    assert all(value not in (None, "", []) for value in record.values()), record
    decisions = {"decision_visibility", "decision_monetary", "decision_provision"}
    assert (decisions | {"decision_account"}) & record.keys()
    assert set(record.get("decision_visibility", [])) <= VISIBILITY
    if "DECISION_VISIBILITY_OTHER" in record.get("decision_visibility", []):
        assert len(record["decision_visibility_other"]) <= 500
    assert record.get("decision_provision", "DECISION_PROVISION_TOTAL_SUSPENSION") in PROVISION
    assert record.get("decision_account", "DECISION_ACCOUNT_SUSPENDED") in ACCOUNT
    assert record["account_type"] in {"ACCOUNT_TYPE_BUSINESS", "ACCOUNT_TYPE_PRIVATE"}
    if record["decision_ground"] == "DECISION_GROUND_ILLEGAL_CONTENT":
        assert 0 < len(record["illegal_content_legal_ground"]) <= 500
        assert 0 < len(record["illegal_content_explanation"]) <= 2000
        assert "incompatible_content_ground" not in record
    else:
        assert record["decision_ground"] == "DECISION_GROUND_INCOMPATIBLE_CONTENT"
        assert 0 < len(record["incompatible_content_ground"]) <= 500
        assert 0 < len(record["incompatible_content_explanation"]) <= 2000
        assert record["incompatible_content_illegal"] in {"Yes", "No"}
    assert record["category"] in CATEGORIES
    assert record["content_type"] and set(record["content_type"]) <= CONTENT_TYPES
    for key in [k for k in record if k.endswith("_date") or k.startswith("end_date_")]:
        assert DAY.match(record[key]), (key, record[key])
        if key.startswith("end_date_"):
            assert record[key] >= record["application_date"]
    assert record["content_date"] >= "2000-01-01" and record["application_date"] >= "2020-01-01"
    assert 0 < len(record["decision_facts"]) <= 5000
    assert record["source_type"] in SOURCES
    assert record["automated_detection"] in {"Yes", "No"}
    assert record["automated_decision"] in AUTOMATED
    assert set(record["territorial_scope"]) == {"NL", "BE"}
    assert re.fullmatch(r"[A-Za-z0-9_-]{1,500}", record["puid"])


@pytest.fixture(autouse=True)
def moderators_role(db):
    grant_moderator_role()


def today() -> str:
    return timezone.localdate().isoformat()


# -- one record ---------------------------------------------------------------------------------


def test_a_removal_against_the_terms_becomes_a_record(moderator, alice, bob):
    report, message = reported(alice, bob)
    services.decide_case(
        report=report, moderator=moderator, action="remove", statement=statement_input(TERMS)
    )
    statement = Statement.objects.get()

    record = transparency.transparency_record(statement)

    assert_valid_record(record)
    assert record == {
        "decision_visibility": ["DECISION_VISIBILITY_CONTENT_REMOVED"],
        "account_type": "ACCOUNT_TYPE_PRIVATE",
        "decision_ground": "DECISION_GROUND_INCOMPATIBLE_CONTENT",
        "incompatible_content_ground": TERMS["terms_clause"],
        "incompatible_content_explanation": TERMS["ground_explanation"],
        "incompatible_content_illegal": "No",
        "category": "STATEMENT_CATEGORY_SCAMS_AND_FRAUD",
        "content_type": ["CONTENT_TYPE_TEXT"],
        "content_date": timezone.localtime(message.created_at).date().isoformat(),
        "application_date": today(),
        "decision_facts": TERMS["facts"],
        "source_type": "SOURCE_ARTICLE_16",
        "automated_detection": "No",
        "automated_decision": "AUTOMATED_DECISION_NOT_AUTOMATED",
        "territorial_scope": ["NL", "BE"],
        "puid": statement.public_id,
    }


def test_a_suspension_on_illegal_grounds_has_its_end_dates(moderator, alice, bob):
    report, _message = reported(alice, bob, "Ik maak je af", reason="harassment")
    services.decide_case(
        report=report,
        moderator=moderator,
        action="suspend",
        statement=statement_input(ILLEGAL),
        days=7,
    )

    record = transparency.transparency_record(Statement.objects.get())

    assert_valid_record(record)
    until = (timezone.localdate() + timedelta(days=7)).isoformat()
    assert record["decision_provision"] == "DECISION_PROVISION_TOTAL_SUSPENSION"
    assert record["decision_account"] == "DECISION_ACCOUNT_SUSPENDED"
    assert record["end_date_account_restriction"] == until
    assert record["end_date_service_restriction"] == until
    assert "end_date_visibility_restriction" not in record
    assert record["illegal_content_legal_ground"] == ILLEGAL["legal_ground"]
    assert record["category"] == "STATEMENT_CATEGORY_CYBER_VIOLENCE"
    assert record["category_specification"] == ["KEYWORD_CYBER_HARASSMENT"]


def test_the_strike_ladders_warning_is_a_fully_automated_record(settings, moderator, alice, bob):
    settings.MODERATION_STRIKE_LADDER = [(2, "warning", None)]
    for text in ("Eerste bericht", "Tweede bericht"):
        report, _message = reported(alice, bob, text)
        services.decide_case(
            report=report, moderator=moderator, action="remove", statement=statement_input()
        )
    warning = Statement.objects.get(decision__decision=Decision.MEMBER_WARNED)

    record = transparency.transparency_record(warning)

    assert_valid_record(record)
    assert record["automated_decision"] == "AUTOMATED_DECISION_FULLY"
    assert record["decision_visibility"] == ["DECISION_VISIBILITY_OTHER"]
    assert record["decision_visibility_other"] == transparency.VISIBILITY_OTHER_TEXT


def test_content_the_site_held_itself_was_detected_automatically(moderator, alice):
    give_credits(alice)
    text = "Verdien snel geld met mijn geweldige methode, mail me"
    for n in range(5):
        send(alice, MemberFactory(username=f"lid{n}"), text)
    held = Report.objects.get(reason="mass_sending")
    services.decide_case(
        report=held, moderator=moderator, action="remove", statement=statement_input()
    )

    record = transparency.transparency_record(Statement.objects.get())

    assert_valid_record(record)
    assert record["source_type"] == "SOURCE_VOLUNTARY"
    assert record["automated_detection"] == "Yes"
    assert record["category"] == "STATEMENT_CATEGORY_OTHER_VIOLATION_TC"


# -- the export ---------------------------------------------------------------------------------


def test_the_export_streams_the_periods_statements_without_personal_data(
    settings, moderator_client, moderator, alice, bob
):
    """One JSON line per statement of the period, each a valid record; nothing identifies the
    member, the reporter or the moderator; a statement kept after the member's erasure is in."""
    settings.MODERATION_STRIKE_LADDER = []  # one statement per decision here
    first, _m = reported(alice, bob, "Stuur me je bankgegevens")
    services.decide_case(
        report=first, moderator=moderator, action="remove", statement=statement_input()
    )
    old, _m = reported(alice, bob, "Een oud bericht")
    services.decide_case(
        report=old, moderator=moderator, action="remove", statement=statement_input()
    )
    second, _m = reported(alice, bob, "Nog een keer geld", reason="spam")
    services.decide_case(
        report=second, moderator=moderator, action="restrict", statement=statement_input(), days=5
    )
    last_year = timezone.now() - timedelta(days=400)
    Statement.objects.filter(decision__report=old).update(application_date=last_year)
    kept = Statement.objects.get(decision__report=first)
    Statement.objects.filter(pk=kept.pk).update(member=None, language="")  # as erasure does

    response = moderator_client.get(
        EXPORT,
        {
            "start": (timezone.localdate() - timedelta(days=30)).isoformat(),
            "end": today(),
            "download": "1",
        },
    )

    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"].startswith("application/jsonl")
    assert response["Content-Disposition"].startswith("attachment")
    body = b"".join(response.streaming_content).decode()
    lines = body.splitlines()
    records = [json.loads(line) for line in lines]
    assert len(lines) == 2 and body.endswith("\n")
    for record in records:
        assert_valid_record(record)
    assert {r["puid"] for r in records} == set(
        Statement.objects.exclude(decision__report=old).values_list("public_id", flat=True)
    )
    identifying = []
    for person in (alice, bob, moderator):
        identifying += [person.username, person.email, person.public_id]
    identifying += [first.public_id, second.public_id]  # case references lead to the member
    for value in identifying:
        assert value not in body
    ids = {alice.pk, bob.pk, moderator.pk}
    for record in records:
        assert not {"member", "member_id", "user", "username", "email"} & record.keys()
        assert not ids & {v for v in record.values() if isinstance(v, int)}
    everything = b"".join(moderator_client.get(EXPORT, {"download": "1"}).streaming_content)
    assert len(everything.decode().splitlines()) == 3


def test_the_export_page_asks_for_a_period(moderator_client):
    page = moderator_client.get(EXPORT)
    wrong = moderator_client.get(
        EXPORT, {"start": "2026-05-01", "end": "2026-04-01", "download": "1"}
    )

    assert page.status_code == 200 and "Transparency Database" in page.content.decode()
    assert wrong.status_code == 200 and not wrong.streaming
    assert "The end comes before the start." in wrong.content.decode()


def test_statements_jsonl_filters_on_the_day_the_decision_applied(moderator, alice, bob):
    report, _m = reported(alice, bob)
    services.decide_case(
        report=report, moderator=moderator, action="remove", statement=statement_input()
    )
    day = timezone.localdate()

    assert len(list(transparency.statements_jsonl(day, day))) == 1
    assert list(transparency.statements_jsonl(day + timedelta(days=1), None)) == []
    assert list(transparency.statements_jsonl(None, day - timedelta(days=1))) == []


# -- the yearly summary -------------------------------------------------------------------------


def _at(year, month, day, hour=12):
    return timezone.make_aware(datetime(year, month, day, hour))


def test_the_yearly_summary_counts_and_medians(settings, moderator, alice, bob):
    settings.MODERATION_STRIKE_LADDER = [(2, "warning", None)]
    year = timezone.localdate().year - 1
    carol = MemberFactory(username="carol")
    give_credits(carol)
    one, _m = reported(alice, bob, "Eén")
    two, _m = reported(carol, bob, "Twee", reason="harassment")
    three, message = reported(alice, bob, "Drie")
    services.submit_notice(
        item=message,
        category="scam",
        explanation="Gezien als bezoeker",
        good_faith=True,
        name="Vera",
        email="vera@example.net",
    )
    removal = services.decide_case(
        report=one, moderator=moderator, action="remove", statement=statement_input()
    )
    services.decide_case(report=two, moderator=moderator, action="dismiss")
    services.decide_case(
        report=three, moderator=moderator, action="suspend", statement=statement_input(), days=3
    )
    appeal = services.file_appeal(decision=removal, appellant=bob, explanation="Oneens")
    services.decide_appeal(
        appeal=appeal, moderator=staff_member("Moderators"), reverse=True, reasons="Terecht"
    )
    # Into last year: cases opened at noon and decided 2, 4 and 10 hours later.
    for report, (month, hours) in zip((one, two, three), ((3, 2), (6, 4), (9, 10)), strict=True):
        opened = _at(year, month, 1)
        Report.objects.filter(pk=report.pk).update(
            created_at=opened, decided_at=opened + timedelta(hours=hours)
        )
        ReportDecision.objects.filter(report=report).update(
            created_at=opened + timedelta(hours=hours)
        )
        Notice.objects.filter(report=report).update(created_at=opened)
        Statement.objects.filter(decision__report=report).update(created_at=opened)
    Appeal.objects.filter(pk=appeal.pk).update(
        created_at=_at(year, 4, 1), decided_at=_at(year, 4, 2)
    )
    ReportDecision.objects.filter(report=appeal.case).update(created_at=_at(year, 4, 2))

    summary = transparency.yearly_summary(year)

    assert summary["notices"]["total"] == 4
    assert summary["notices"]["from_visitors"] == 1
    per_category = {row["value"]: row["count"] for row in summary["decisions"]["per_category"]}
    # Case three: the suspension, and the strike ladder's warning (bob's second strike).
    assert per_category["scam"] == 3 and per_category["harassment"] == 1
    per_decision = {row["value"]: row["count"] for row in summary["decisions"]["per_decision"]}
    assert per_decision[Decision.CONTENT_REMOVED] == 1
    assert per_decision[Decision.DISMISSED] == 1
    assert per_decision[Decision.MEMBER_SUSPENDED] == 1
    assert per_decision[Decision.MEMBER_WARNED] == 1
    assert Decision.APPEAL_REVERSED not in per_decision
    assert (summary["decisions"]["total"], summary["decisions"]["automated"]) == (4, 1)
    assert summary["statements"] == 3
    assert summary["handling"]["cases"] == 3
    assert summary["handling"]["median"] == timedelta(hours=4)
    assert summary["appeals"] == {
        "filed": 1,
        "decided": 1,
        "upheld": 0,
        "reversed": 1,
        "median": timedelta(days=1),
        "median_hours": 24.0,
    }
    assert transparency.yearly_summary(year - 1)["notices"]["total"] == 0


def test_the_summary_page_and_its_csv(moderator_client, moderator, alice, bob):
    report, _m = reported(alice, bob)
    services.decide_case(
        report=report, moderator=moderator, action="remove", statement=statement_input()
    )
    year = timezone.localdate().year

    page = moderator_client.get(SUMMARY, {"year": year})
    download = moderator_client.get(SUMMARY, {"year": year, "format": "csv"})

    assert page.status_code == 200
    html = page.content.decode()
    assert f"Moderation in {year}" in html
    assert 'id="summary-notices">1<' in html and 'id="summary-statements">1<' in html
    assert "Scam or fake profile" in html
    assert download["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(download.content.decode())))
    assert rows[0] == ["Section", "Item", "Value"]
    assert ["Summary", "Year", str(year)] in rows
    assert ["Decisions per type", "Content removed", "1"] in rows
    assert ["Notices per category", "Scam or fake profile", "1"] in rows
    assert moderator_client.get(SUMMARY, {"year": "1999"}).status_code == 404
    assert moderator_client.get(SUMMARY, {"year": "abc"}).status_code == 404


# -- the statements in admin --------------------------------------------------------------------


def test_moderators_read_statements_and_nobody_changes_them(
    moderator_client, moderator, alice, bob
):
    report, _m = reported(alice, bob)
    services.decide_case(
        report=report, moderator=moderator, action="remove", statement=statement_input()
    )
    statement = Statement.objects.get()
    url = f"{STATEMENTS}{statement.pk}/change/"

    listing = moderator_client.get(STATEMENTS)
    detail = moderator_client.get(url)

    assert listing.status_code == 200
    assert statement.public_id in listing.content.decode()
    assert 'id="statement-export-link"' in listing.content.decode()
    page = detail.content.decode()
    assert detail.status_code == 200
    assert TERMS["facts"] in page and "STATEMENT_CATEGORY_SCAMS_AND_FRAUD" in page
    assert "bob" not in page and "@example.org" not in page
    assert 'name="_save"' not in page
    assert moderator_client.post(url, {"decision_facts": "anders"}).status_code == 403
    assert moderator_client.get(f"{STATEMENTS}add/").status_code == 403
    assert (
        moderator_client.post(f"{url.replace('change', 'delete')}", {"post": "yes"}).status_code
        == 403
    )
    statement.refresh_from_db()
    assert statement.decision_facts == TERMS["facts"]


@pytest.mark.parametrize("role", OTHER_ROLES)
def test_other_staff_see_no_statements_export_or_summary(client, role):
    client.force_login(staff_member(role))

    for url in (STATEMENTS, EXPORT, f"{EXPORT}?download=1", SUMMARY, f"{SUMMARY}?format=csv"):
        assert client.get(url).status_code == 403


def test_dates_are_local_days(moderator, alice, bob):
    """Half past midnight in Amsterdam is still the day before in UTC: the record says the local
    day, as the database's dates are Brussels days."""
    report, _m = reported(alice, bob)
    services.decide_case(
        report=report, moderator=moderator, action="remove", statement=statement_input()
    )
    just_after_midnight = timezone.make_aware(datetime(2026, 3, 2, 0, 30))  # 23:30 UTC, 1 March
    Statement.objects.update(application_date=just_after_midnight, content_date=just_after_midnight)

    record = transparency.transparency_record(Statement.objects.get())

    assert record["application_date"] == record["content_date"] == date(2026, 3, 2).isoformat()
