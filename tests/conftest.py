import pytest
from django.core.cache import cache

from tests.factories import MemberFactory


@pytest.fixture(autouse=True)
def _no_rate_limits_unless_asked(settings, request):
    """Rate limits are on in the site; tests that check them ask for them with
    @pytest.mark.rate_limits. Others run without, so they cannot trip over each other."""
    if "rate_limits" not in request.keywords:
        settings.ACCOUNT_RATE_LIMITS = False
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def member(db):
    return MemberFactory(username="alice", email="alice@example.org")


@pytest.fixture
def member_client(client, member):
    client.force_login(member)
    return client


@pytest.fixture
def committing_client(client, django_capture_on_commit_callbacks):
    """A test client whose requests run their on-commit callbacks (the Celery tasks that send
    mail) as a real commit would, inside the test's transaction."""

    class CommittingClient:
        def __getattr__(self, name):
            attribute = getattr(client, name)
            if name not in {"get", "post"}:
                return attribute

            def call(*args, **kwargs):
                with django_capture_on_commit_callbacks(execute=True):
                    return attribute(*args, **kwargs)

            return call

    return CommittingClient()
