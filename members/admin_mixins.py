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


class SuperuserLogAdminMixin(ReadOnlyAdminMixin):
    """A log that only superusers may read (least privilege: no staff role needs it): every
    field read-only, no actions, and no full count on long lists."""

    list_per_page = 100
    show_full_result_count = False
    actions = None

    def get_fields(self, request, obj=None):
        return self.list_display

    def get_readonly_fields(self, request, obj=None):
        return self.list_display

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser
