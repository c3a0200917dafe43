import pytest


@pytest.fixture(autouse=True)
def _small_audiences_allowed(settings):
    """The tests of this package mail audiences of a few members: CAMPAIGN_MIN_AUDIENCE
    (default 50) would hide their counts and refuse to schedule them. Tests of the minimum
    itself set it higher again."""
    settings.CAMPAIGN_MIN_AUDIENCE = 1
