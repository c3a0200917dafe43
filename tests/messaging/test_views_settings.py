"""The receiving settings page (R3.2, R7.2): stop messages, only matching members, a daily
maximum of new conversations and how to be told; saved through the service, clear errors."""

import pytest
from django.urls import reverse

from messaging.models import Notify, ReceivingSettings
from tests.messaging.test_views_support import client_for, inbox_url, person

SETTINGS = reverse("messaging:settings")


@pytest.fixture
def alice(db):
    return person("alice", credits=0)


def test_settings_show_the_defaults_with_a_labelled_choice_of_notifications(alice):
    page = client_for(alice).get(SETTINGS).content.decode()

    assert '<input type="checkbox" name="accepts_messages"' in page
    assert "checked" in page.split('name="accepts_messages"')[1].split(">")[0]
    assert "<legend>E-mail me about new messages" in page
    for value in Notify.values:
        assert f'type="radio" name="notify" value="{value}"' in page
    assert 'name="max_new_per_day"' in page and "Leave empty for no limit." in page
    assert not ReceivingSettings.objects.exists()  # looking saves nothing


def test_saving_settings_stores_them_and_says_so(alice):
    """R3.2: stop receiving, only matching members, at most 3 new a day, a daily summary."""
    client = client_for(alice)
    response = client.post(
        SETTINGS,
        {"only_matching": "on", "max_new_per_day": "3", "notify": Notify.DAILY},
        follow=True,
    )

    assert response.redirect_chain[-1][0] == SETTINGS
    assert "Your message settings are saved." in response.content.decode()
    wishes = ReceivingSettings.objects.get(member=alice)
    assert wishes.accepts_messages is False
    assert wishes.only_matching is True
    assert wishes.max_new_per_day == 3
    assert wishes.notify == Notify.DAILY

    client.post(SETTINGS, {"accepts_messages": "on", "max_new_per_day": "", "notify": "never"})
    wishes.refresh_from_db()
    assert wishes.accepts_messages is True and wishes.max_new_per_day is None
    assert wishes.notify == Notify.NEVER


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"max_new_per_day": "0", "notify": "daily"}, "Enter at least 1"),
        ({"max_new_per_day": "51", "notify": "daily"}, "Enter at most 50"),
        ({"max_new_per_day": "veel", "notify": "daily"}, "Enter a whole number"),
        ({"notify": "hourly"}, "Select a valid choice."),
        ({}, "Choose how you want to be told about new messages."),
    ],
)
def test_wrong_settings_are_explained_and_not_saved(alice, data, error):
    response = client_for(alice).post(SETTINGS, {"accepts_messages": "on", **data})
    html = response.content.decode()

    assert response.status_code == 400
    assert error in html and 'role="alert"' in html
    assert not ReceivingSettings.objects.exists()


def test_fields_the_form_does_not_declare_are_ignored(alice):
    """SECURITY: forms bind only the fields they declare."""
    other = person("bram", credits=0)
    client_for(alice).post(
        SETTINGS, {"accepts_messages": "on", "notify": "never", "member": other.pk}
    )
    assert ReceivingSettings.objects.get().member == alice


def test_the_inbox_links_to_the_settings(alice):
    assert f'href="{SETTINGS}"' in client_for(alice).get(inbox_url()).content.decode()


def test_settings_need_log_in(client, db):
    response = client.get(SETTINGS)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
