"""Admin for the reviews: tracks, feedback, votes and conflicts are read-only; ops configure panels
and their members here."""

from django.contrib import admin

from core.admin import ReadOnlyAdmin, ReadOnlyInline
from workflow.models import (
    ConflictOfInterest,
    FeedbackItem,
    FeedbackRequest,
    Panel,
    PanelMembership,
    PreApprovedMatch,
    ReviewTrack,
    Vote,
)
from workflow.sittings.services import refresh_due_dates


@admin.register(ReviewTrack)
class ReviewTrackAdmin(ReadOnlyAdmin):
    list_display = ["application", "kind", "organisation", "state", "outcome", "due_date"]
    list_filter = ["kind", "state", "outcome"]


class FeedbackItemInline(ReadOnlyInline):
    model = FeedbackItem
    fields = ["section", "text", "response", "responded_at"]


@admin.register(FeedbackRequest)
class FeedbackRequestAdmin(ReadOnlyAdmin):
    list_display = ["application", "round", "stage", "requested_by", "requested_at", "resolved_at"]
    inlines = [FeedbackItemInline]


class PanelMembershipInline(admin.TabularInline):
    model = PanelMembership
    extra = 0
    fields = ["user", "is_chair", "is_independent", "is_lay", "joined_on", "left_on"]
    readonly_fields = ["joined_on"]
    autocomplete_fields = ["user"]


@admin.register(Panel)
class PanelAdmin(admin.ModelAdmin):
    """Ops configure panels here: quorum, rule, independent and lay votes, a blind first round,
    members (lay, independent), chair. The API's ``PUT /panels/{id}/rule/`` also refuses a rule
    the panel as seated could never meet; here the database constraints hold (a lay member is
    independent; the minimums stay within the quorum; the DEA panel's three votes, one
    independent)."""

    list_display = [
        "name",
        "track_kind",
        "quorum",
        "decision_rule",
        "min_independent_votes",
        "min_lay_votes",
        "blind_first_round",
        "mode",
        "is_active",
    ]
    list_filter = ["track_kind", "is_active", "mode"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [PanelMembershipInline]

    def has_delete_permission(self, request, obj=None):
        # Tracks cite their panel; retire a panel by making it inactive.
        return False

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and "mode" in form.changed_data:
            # Rolling or sitting: the open tracks' due dates follow at once (workflow.sittings).
            refresh_due_dates(obj)


@admin.register(Vote)
class VoteAdmin(ReadOnlyAdmin):
    list_display = ["track", "member", "choice", "cast_at", "changed_at"]
    list_filter = ["choice"]


@admin.register(ConflictOfInterest)
class ConflictOfInterestAdmin(ReadOnlyAdmin):
    list_display = ["application", "user", "declared_at"]


@admin.register(PreApprovedMatch)
class PreApprovedMatchAdmin(ReadOnlyAdmin):
    list_display = ["track", "dataset", "category_version", "matched_at"]
