from django.urls import path

from . import discovery_views, photo_views, verification_views, views

app_name = "profiles"

urlpatterns = [
    # Editing one's own profile (views.py)
    path("profile/", views.edit_profile, name="edit"),
    path("profile/sensitive/", views.edit_sensitive, name="sensitive"),
    path("places/", views.place_autocomplete, name="place_autocomplete"),
    # Photos (photo_views.py)
    path("profile/photos/", photo_views.manage_photos, name="photos"),
    path("profile/photos/<str:public_id>/main/", photo_views.set_main, name="photo_main"),
    path("profile/photos/<str:public_id>/move/", photo_views.move_photo, name="photo_move"),
    path("profile/photos/<str:public_id>/delete/", photo_views.delete_photo, name="photo_delete"),
    path(
        "profile/photos/<str:public_id>/premium/", photo_views.toggle_premium, name="photo_premium"
    ),
    path("photos/<str:public_id>/<str:size>.jpg", photo_views.serve_photo, name="photo_file"),
    # The verified badge (verification_views.py)
    path("profile/verification/", verification_views.verification_page, name="verification"),
    path(
        "profile/verification/withdraw/",
        verification_views.withdraw_request,
        name="verification_withdraw",
    ),
    path(
        "verification/<str:public_id>/selfie.jpg",
        verification_views.serve_selfie,
        name="verification_selfie",
    ),
    # Finding each other (discovery_views.py)
    path("search/", discovery_views.search, name="search"),
    path("suggestions/", discovery_views.suggestions, name="suggestions"),
    path("members/<str:public_id>/", discovery_views.profile_page, name="profile"),
    path("members/<str:public_id>/favourite/", discovery_views.toggle_favourite, name="favourite"),
    path("members/<str:public_id>/block/", discovery_views.toggle_block, name="block"),
    path("favourites/", discovery_views.favourites, name="favourites"),
    path("blocks/", discovery_views.blocks, name="blocks"),
]
