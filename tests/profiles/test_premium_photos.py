"""R2.4: premium photos ("performer content") are seen only by paying members."""

import pytest
from django.core.files.base import ContentFile

from payments.models import CreditPack, Order
from profiles.models import Photo
from profiles.photos import PhotoRefused, set_main_photo, set_photo_premium
from tests.factories import MemberFactory, make_profile

pytestmark = pytest.mark.django_db


@pytest.fixture
def private_storage(settings, tmp_path, monkeypatch):
    from tests.profiles.images import use_private_storage

    return use_private_storage(tmp_path, settings, monkeypatch)


def approved_photo(member, **fields):
    photo = Photo(member=member, width=10, height=10, status=Photo.Status.APPROVED, **fields)
    photo.image.save(f"photos/{member.pk}-{photo.public_id}.jpg", ContentFile(b"\xff\xd8jpeg"))
    photo.thumbnail.save(f"photos/{member.pk}-{photo.public_id}-t.jpg", ContentFile(b"\xff\xd8t"))
    photo.save()
    return photo


def make_paying(member):
    Order.objects.create(
        member=member,
        pack=CreditPack.objects.first(),
        credits=50,
        amount_cents=995,
        method="ideal",
        status=Order.Status.PAID,
        mollie_payment_id=f"tr_p{member.pk}",
    )


@pytest.fixture
def performer(private_storage):
    member = MemberFactory(username="performer")
    make_profile(member, place="Utrecht", birth_date="1990-01-01")
    approved_photo(member, is_main=True)
    premium = approved_photo(member, is_premium=True, position=1)
    return member, premium


def test_non_paying_member_gets_a_placeholder_and_no_file(client, performer):
    member, premium = performer
    viewer = MemberFactory(username="viewer")
    client.force_login(viewer)

    page = client.get(f"/members/{member.public_id}/").content.decode()
    file = client.get(f"/photos/{premium.public_id}/thumb.jpg")

    assert "premium-placeholder.svg" in page
    assert premium.public_id not in page
    assert file.status_code == 404


def test_paying_member_sees_the_premium_photo(client, performer):
    member, premium = performer
    viewer = MemberFactory(username="payer")
    make_paying(viewer)
    client.force_login(viewer)

    page = client.get(f"/members/{member.public_id}/").content.decode()
    file = client.get(f"/photos/{premium.public_id}/full.jpg")

    assert premium.public_id in page
    assert file.status_code == 200
    assert file["Content-Type"] == "image/jpeg"


def test_a_refunded_member_loses_premium_access(client, performer):
    member, premium = performer
    viewer = MemberFactory(username="refunded")
    make_paying(viewer)
    Order.objects.filter(member=viewer).update(refunded_cents=995)
    client.force_login(viewer)

    assert client.get(f"/photos/{premium.public_id}/full.jpg").status_code == 404


def test_anonymous_never_gets_a_premium_photo(client, performer):
    _member, premium = performer

    assert client.get(f"/photos/{premium.public_id}/full.jpg").status_code == 404


def test_owner_marks_a_photo_premium_and_it_stops_being_the_main_photo(client, private_storage):
    owner = MemberFactory(username="owner")
    make_profile(owner, place="Utrecht", birth_date="1990-01-01")
    main = approved_photo(owner, is_main=True)
    other = approved_photo(owner, position=1)
    client.force_login(owner)

    client.post(f"/profile/photos/{main.public_id}/premium/", {"premium": "1"})

    main.refresh_from_db()
    other.refresh_from_db()
    assert main.is_premium and not main.is_main
    assert other.is_main
    with pytest.raises(PhotoRefused):
        set_main_photo(photo=main)
    set_photo_premium(photo=main, premium=False)
    main.refresh_from_db()
    assert not main.is_premium


def test_another_members_photo_cannot_be_made_premium(client, performer):
    _member, premium = performer
    client.force_login(MemberFactory(username="intruder"))

    response = client.post(f"/profile/photos/{premium.public_id}/premium/", {"premium": "0"})

    assert response.status_code == 404
    premium.refresh_from_db()
    assert premium.is_premium
