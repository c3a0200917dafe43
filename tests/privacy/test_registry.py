"""The personal-data registry covers every model that is or references the member."""

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import models
from django.utils import translation

from privacy import declaration, registry
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


# --- The declaration the registry points to (R8.1, R8.2) -----------------------------------------


class Handler:
    def export(self, member):
        return []

    def erase(self, member):
        pass


def test_every_registered_model_has_a_category_and_a_declared_purpose_with_its_basis():
    """R8.1: each registered model is in one of the three categories and serves a purpose of
    the declaration, on that purpose's legal basis; the "my data" page says what it holds."""
    for entry in registry.entries():
        assert entry.category in declaration.CATEGORIES, entry.label
        assert entry.purpose in declaration.PURPOSES, entry.label
        assert entry.basis == declaration.PURPOSES[entry.purpose].basis, entry.label
        assert entry.label in declaration.HOLDINGS, f"{entry.label}: declare what it holds"


def test_the_declaration_describes_no_model_that_is_not_registered():
    registered = {entry.label for entry in registry.entries()}
    assert set(declaration.HOLDINGS) <= registered
    for special in declaration.SPECIAL_HOLDINGS:
        assert special.model_label in registered
        assert special.purpose in declaration.PURPOSES


def test_register_refuses_an_undeclared_purpose_another_basis_or_no_category():
    from privacy.models import PrivacyStatement as Unregistered  # holds no member's data

    with pytest.raises(ValueError, match="not declared"):
        registry.register(
            Unregistered,
            category=registry.Category.VOLUNTARY,
            purpose="selling data",
            basis=registry.Basis.CONSENT,
        )(Handler)
    with pytest.raises(ValueError, match="differs"):
        registry.register(
            Unregistered,
            category=registry.Category.NECESSARY,
            purpose="account",
            basis=registry.Basis.CONSENT,
        )(Handler)
    with pytest.raises(ValueError):
        registry.register(
            Unregistered, category="secret", purpose="account", basis=registry.Basis.CONTRACT
        )(Handler)
    assert registry.entry_for(Unregistered) is None


def test_the_declaration_is_complete_and_its_links_lead_somewhere(settings):
    """Every category, purpose and consent has its plain words; retention periods are filled
    in from the settings; every rectification link resolves."""
    from django.urls import reverse

    from privacy.models import ConsentPurpose

    settings.ACCOUNT_ERASURE_AFTER = 1
    assert set(declaration.CATEGORIES) == set(registry.Category)
    for category in declaration.CATEGORIES.values():
        assert str(category.label) and str(category.heading) and str(category.description)
    for purpose in declaration.PURPOSES.values():
        assert str(purpose.label) and str(purpose.why)
        retention = purpose.retention_text()
        assert retention and "%(" not in retention
        if purpose.change_url:
            reverse(purpose.change_url)
            assert str(purpose.change_label)
    with translation.override("en"):
        assert "within 1 month after you close your account" in str(
            declaration.PURPOSES["account"].retention_text()
        )
    for holding in declaration.HOLDINGS.values():
        assert str(holding.what)
        if holding.change_url:
            reverse(holding.change_url)
    assert set(declaration.CONSENTS) == set(ConsentPurpose)
    for consent in declaration.CONSENTS.values():
        assert consent.wording_version
        assert str(consent.means) and str(consent.on_withdraw)
        if consent.give_url:
            reverse(consent.give_url)


def test_categories_and_bases_are_the_declarations_and_still_import_from_the_registry():
    assert registry.Category is declaration.Category
    assert registry.Basis is declaration.Basis
