"""Search stays fast on a large site: it counts at most MAX_RESULTS matches."""

import pytest

pytestmark = pytest.mark.django_db


def test_search_counts_at_most_a_thousand_and_says_so(client, settings):
    """Speed: a wide search does not count every member; it says there are more."""
    from profiles import discovery_views
    from tests.factories import MemberFactory, make_profile

    settings_cap = discovery_views.MAX_RESULTS
    discovery_views.MAX_RESULTS = 3
    try:
        searcher = MemberFactory(username="searcher", gender="man")
        make_profile(searcher, place="Utrecht", birth_date="1990-01-01", seeks_women=True)
        for n in range(5):
            other = MemberFactory(username=f"w{n}", gender="woman")
            make_profile(other, place="Utrecht", birth_date="1991-01-01", seeks_men=True)
        client.force_login(searcher)
        client.cookies["django_language"] = "en"

        response = client.get("/search/")
        page = response.context["page"]

        assert page.paginator.capped
        assert page.paginator.num_pages == 1
        assert "More than 3 members found" in response.content.decode()
    finally:
        discovery_views.MAX_RESULTS = settings_cap
