import pytest


@pytest.fixture(autouse=True)
def _english(client):
    """The dashboard's words are asserted in English."""
    client.cookies["django_language"] = "en"
