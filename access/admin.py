from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db import models

from access.models import Organisation, OrganisationMembership, RoleAssignment, User


class RoleAssignmentInline(admin.TabularInline):
    model = RoleAssignment
    extra = 0


class MembershipInline(admin.TabularInline):
    model = OrganisationMembership
    extra = 0
    autocomplete_fields = ["organisation"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "full_name", "email", "affiliation", "is_active"]
    list_filter = ["is_active", "is_staff", "role_assignments__role"]
    search_fields = ["username", "full_name", "email"]
    ordering = ["full_name"]
    inlines = [RoleAssignmentInline, MembershipInline]
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("Person", {"fields": ("full_name", "email", "affiliation", "orcid", "orcid_verified")}),
        ("Identity", {"fields": ("origin",)}),
        (
            "Status",
            {"fields": ("is_active", "is_staff", "is_superuser", "last_login", "date_joined")},
        ),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("username", "full_name", "email", "password1", "password2"),
            },
        ),
    )
    readonly_fields = ["last_login", "date_joined"]


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "sector", "has_health_service_functions"]
    list_filter = ["kind", "has_health_service_functions"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]
    # Scheme-less web addresses are https (Django 6's default; explicit now, without warnings).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


# The safe-people topic's admin pages register themselves on import.
from access.identity import admin as identity_admin  # noqa: E402, F401
from access.safe_people import admin as safe_people_admin  # noqa: E402, F401
