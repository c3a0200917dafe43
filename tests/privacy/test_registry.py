"""The personal-data registry covers every model that is or references the member."""

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import models

from privacy import registry
from tests.factories import MemberFactory


def references_member(model) -> bool:
    member_model = get_user_model()
    if model is member_model:
        return True
    return any(
        isinstance(field, models.ForeignKey | models.OneToOneField | models.ManyToManyField)
        and field.related_model is member_model
        for field in model._meta.get_fields()
        if not field.auto_created or field.concrete
    )


def test_every_model_holding_member_data_is_declared():
    """R7.3, R7.4: a model that references a member is registered (export and erase) or
    explicitly declared as holding no personal data."""
    undeclared = [
        model._meta.label
        for model in apps.get_models(include_auto_created=True)
        if references_member(model) and not registry.is_declared(model)
    ]
    assert undeclared == []


def test_the_walk_does_find_member_models():
    """The walk above would notice a new model: it sees the ones we know of."""
    labels = {
        m._meta.label for m in apps.get_models(include_auto_created=True) if references_member(m)
    }
    assert {"members.Member", "members.OutgoingMail", "account.EmailAddress"} <= labels


def test_registering_needs_export_and_erase():
    class Incomplete:
        def export(self, member):
            return []

    with pytest.raises(TypeError):
        registry.register(
            models.Model,
            category=registry.Category.NECESSARY,
            purpose="x",
            basis=registry.Basis.CONTRACT,
        )(Incomplete)


def test_every_entry_has_a_category_and_basis():
    for entry in registry.entries():
        assert entry.category in registry.Category
        assert entry.basis in registry.Basis
        assert entry.purpose


@pytest.mark.django_db
def test_export_and_erase_cover_the_member():
    member = MemberFactory(username="markeer", email="markeer@example.org")

    exported = registry.export_member(member)
    assert exported["members.member"][0]["username"] == "markeer"
    assert exported["account.emailaddress"][0]["email"] == "markeer@example.org"

    registry.erase_member_data(member)
    registry.erase_member_data(member)  # idempotent: a second run after a crash is harmless

    from allauth.account.models import EmailAddress

    assert not get_user_model().objects.filter(username="markeer").exists()
    assert not EmailAddress.objects.filter(email="markeer@example.org").exists()
