"""R8.3: the Management group (and superusers) see the statistics as charts drawn on the server,
with their numbers in text and CSV downloads; no other role sees them, and Management sees
nothing else."""

import csv
import io
import re

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command

from members.models import Member
from stats.models import Table
from stats.services import compute_statistics
from tests.factories import MemberFactory, staff_member
from tests.helpers import every_admin_url

from .helpers import LAST_WEEK, NOW, at, buy, make_members, send

pytestmark = pytest.mark.django_db

DASHBOARD = "/admin/stats/statistic/"
CSV_ALL = f"{DASHBOARD}csv/"


def csv_of(table):
    return f"{DASHBOARD}csv/{table}/"


@pytest.fixture
def computed():
    """20 members in North Holland, 12 in Utrecht and 3 in Zeeland, with messages and a
    purchase: enough for shown and suppressed cells in every kind of table."""
    members = make_members(20, place="Haarlem", gender="woman", age=30)
    members += make_members(12, place="Utrecht", gender="man", age=50)
    members += make_members(3, place="Middelburg", gender="woman", age=30)
    for sender in members[:12]:
        send(sender, members[-1], when=at(LAST_WEEK))
    buy(members[0], when=at(LAST_WEEK))
    compute_statistics(now=NOW)
    return members


@pytest.fixture
def management(client):
    client.force_login(staff_member("Management"))
    return client


def body(response) -> str:
    return response.content.decode()


def test_management_group_holds_the_statistics_permission_only():
    group = Group.objects.get(name="Management")

    held = {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()}

    assert held == {"stats.view_statistic"}


def test_the_dashboard_draws_every_table_as_an_svg_chart_with_its_numbers(management, computed):
    response = management.get(DASHBOARD)

    assert response.status_code == 200
    page = body(response)
    charts = re.findall(r"<svg class=\"stats-chart\"[^>]*>.*?</svg>", page, flags=re.S)
    assert len(charts) == len(Table.values)
    for chart in charts:
        assert 'role="img"' in chart
        assert re.search(r'aria-labelledby="([\w-]+)-title \1-desc"', chart)
        assert "<title" in chart and "<desc" in chart
        assert "<rect" in chart
        # SVG coordinates are never localised ("12,5" would break the drawing).
        assert not re.search(r'(x|y|width|height)="[\d.]*,\d', chart)
    # Each chart has its numbers in a table, and when it was computed.
    content = page[page.index('id="content-main"') :]
    assert content.count("<table>") == len(Table.values)
    assert content.count("Computed: ") == len(Table.values)
    # North Holland's 20 are shown; Zeeland's 3 and Utrecht's 12 are suppressed, in words.
    north_holland = re.search(r"<th scope=\"row\">North Holland</th><td>(.*?)</td>", page)
    assert north_holland.group(1) == "20"
    zeeland = re.search(r"<th scope=\"row\">Zeeland</th><td>(.*?)</td>", page)
    assert "suppressed" in zeeland.group(1)
    assert '<th scope="row">Utrecht</th><td><span class="stats-suppressed">suppressed' in page
    # In the chart a suppressed cell is a dashed outline with a written marker, not a colour.
    assert 'stroke-dasharray="3 2"' in page
    assert "* suppressed" in page
    # The CSP allows no inline style and no script on this page of ours.
    assert " style=" not in content
    assert "<script" not in content
    assert "<style" not in content


def test_the_dashboard_says_when_nothing_is_computed_yet(management):
    page = body(management.get(DASHBOARD))

    assert "have not been computed yet" in page
    assert "stats-chart" not in page


def test_the_dashboard_speaks_dutch_too(client, computed):
    client.cookies["django_language"] = "nl"
    client.force_login(staff_member("Management"))

    response = client.get(DASHBOARD)

    assert response.status_code == 200
    assert 'lang="nl"' in body(response)
    # Numbers in the text are Dutch; the drawing's coordinates still use a point.
    assert not re.search(r'<rect[^>]* (x|y|width|height)="[\d.]*,\d', body(response))


def test_the_csv_of_a_table_has_suppressed_cells_empty_and_marked(management, computed):
    response = management.get(csv_of(Table.REGIONS))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(body(response))))
    by_group = {row["group"]: row for row in rows}
    assert by_group["NL-07"]["value"] == "20"
    assert by_group["NL-07"]["suppressed"] == "false"
    assert by_group["NL-07"]["label"] == "North Holland"
    assert by_group["NL-10"]["value"] == ""
    assert by_group["NL-10"]["suppressed"] == "true"
    assert by_group["total"]["value"] == "35"
    assert {row["table"] for row in rows} == {Table.REGIONS}


def test_the_csv_of_all_tables(management, computed):
    response = management.get(CSV_ALL)

    rows = list(csv.DictReader(io.StringIO(body(response))))
    assert {row["table"] for row in rows} == set(Table.values)
    assert list(rows[0]) == ["table", "period", "group", "group2", "label", "value", "suppressed"]
    messages = [row for row in rows if row["table"] == Table.MESSAGES and row["value"]]
    assert [(row["period"], row["value"]) for row in messages] == [(LAST_WEEK.isoformat(), "12")]
    for row in rows:
        assert (row["value"] == "") == (row["suppressed"] == "true")


def test_an_unknown_table_is_not_found(management):
    assert management.get(csv_of("members")).status_code == 404


def test_management_sees_the_statistics_and_no_member_order_or_message(client, computed):
    """Least privilege: every admin page Management can open is about statistics; member,
    order and message pages are refused, and none shows a member's name."""
    manager = staff_member("Management")
    client.force_login(manager)

    for path in (DASHBOARD, CSV_ALL, csv_of(Table.SIGNUPS), "/admin/", "/admin/stats/"):
        assert client.get(path).status_code == 200, path
    for path in (
        "/admin/members/member/",
        f"/admin/members/member/{computed[0].pk}/change/",
        "/admin/payments/order/",
        "/admin/members/outgoingmail/",
        "/admin/moderation/report/",
        "/admin/mailings/campaign/",
    ):
        assert client.get(path).status_code == 403, path
    assert client.get("/admin/messaging/message/").status_code in {403, 404}
    index = body(client.get("/admin/"))
    assert DASHBOARD in index
    assert "/admin/members/member/" not in index

    usernames = set(Member.objects.exclude(pk=manager.pk).values_list("username", flat=True))
    reached = []
    for path in every_admin_url():
        response = client.get(path)
        if response.status_code == 200:
            reached.append(path)
            page = body(response)
            assert not [name for name in usernames if f">{name}<" in page], path
    assert set(reached) <= {"/admin/", "/admin/stats/", DASHBOARD, CSV_ALL}


@pytest.mark.parametrize("role", ["Moderators", "Helpdesk", "Finance", "Marketing"])
def test_other_roles_cannot_see_the_statistics(client, computed, role):
    client.force_login(staff_member(role))

    assert client.get(DASHBOARD).status_code == 403
    assert client.get(CSV_ALL).status_code == 403
    assert client.get(csv_of(Table.REGIONS)).status_code == 403
    assert DASHBOARD not in body(client.get("/admin/"))


def test_a_member_is_sent_to_log_in(client, computed):
    client.force_login(MemberFactory())

    for path in (DASHBOARD, CSV_ALL):
        response = client.get(path)
        assert response.status_code == 302
        assert "/login" in response.url


def test_a_superuser_sees_the_dashboard(client, computed):
    client.force_login(staff_member("superuser"))

    assert client.get(DASHBOARD).status_code == 200
    assert DASHBOARD in body(client.get("/admin/"))


def test_create_staff_makes_a_management_account(monkeypatch):
    monkeypatch.setenv("STAFF_PASSWORD", "Een-heel-sterk-wachtwoord-9")

    call_command("create_staff", "directie", "directie@example.org", "--role", "management")

    staff = Member.objects.get(username="directie")
    assert staff.is_staff and not staff.is_superuser
    assert list(staff.groups.values_list("name", flat=True)) == ["Management"]
