import pytest
from django.utils import translation

from messaging.services import send_message
from payments.services import adjust_credits
from tests.factories import MemberFactory, staff_member

QUEUE = "/admin/moderation/report/"
ACCESS_LOG = "/admin/moderation/contentaccesslog/"


def give_credits(member, credits=100):
    adjust_credits(
        member=member, credits=credits, reason="test credits", staff=MemberFactory(is_staff=True)
    )


def send(sender, receiver, text="Hoi, hoe gaat het?"):
    return send_message(sender=sender, receiver=receiver, text=text)


def case_url(report) -> str:
    return f"{QUEUE}{report.pk}/change/"


@pytest.fixture(autouse=True)
def english(client):
    client.cookies["django_language"] = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def alice(member):
    """The reporter (the `member` fixture: username alice)."""
    give_credits(member)
    return member


@pytest.fixture
def bob(db):
    """The reported member: writes to alice."""
    bob = MemberFactory(username="bob", email="bob@example.org")
    give_credits(bob)
    return bob


@pytest.fixture
def moderator(db):
    return staff_member("Moderators", username="mod")


@pytest.fixture
def moderator_client(client, moderator):
    client.force_login(moderator)
    return client


@pytest.fixture
def second_moderator(db):
    """Decides appeals: another moderator than the one who decided first (DSA Art. 20(6))."""
    return staff_member("Moderators", username="mod2")


@pytest.fixture
def carol(db):
    """A second reporter (or a bystander)."""
    carol = MemberFactory(username="carol", email="carol@example.org")
    give_credits(carol)
    return carol


@pytest.fixture
def clock(monkeypatch):
    from .support import Clock

    return Clock(monkeypatch)
