"""Admin building blocks any app may use (members is imported by all of them)."""


class ReadOnlyAdminMixin:
    """Staff with the view permission may look; nobody, superusers included, adds, changes
    or deletes here (records written only through the app's services)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
