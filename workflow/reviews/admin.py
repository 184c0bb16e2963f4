"""Admin for the reviews: tracks, feedback, votes and conflicts are read-only; ops configure panels
and their members here."""

from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html

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
from workflow.reviews.services import panel_rule_errors

# A panel's rule and how it decides change only on the ops pages (/ops/panels/), through the
# services the API uses: the rule is checked against the panel as seated, a switch to rolling is
# refused (409) while a sitting has its papers issued, and each change is audited. The admin
# shows them read-only (rather than a ModelForm re-running the checks): its membership inline is
# saved after the panel's form is cleaned, so a clean() there would judge the rule against the
# seats as they were, and a mode change saved by the admin would bypass the service's actor,
# audit event and notices.
SERVICE_FIELDS = [
    "quorum",
    "decision_rule",
    "min_independent_votes",
    "min_lay_votes",
    "blind_first_round",
    "mode",
]


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
    """Ops add panels and seat members (lay, independent, chair) here. A panel's rule (quorum,
    how it decides, independent and lay votes, a blind first round) and its mode (rolling or
    sittings) are read-only once it exists: they change on the ops pages, through the services
    (see ``SERVICE_FIELDS``). A new panel takes its first rule here, held by the database's
    constraints (the minimums within the quorum; the DEA panel's three votes, one independent),
    since nobody is seated yet to check it against."""

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

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return [*SERVICE_FIELDS, "change_on_the_ops_pages"]

    def get_fields(self, request, obj=None):
        fields = [
            "name",
            "slug",
            "track_kind",
            "description",
            "is_active",
            *SERVICE_FIELDS,
        ]
        return fields if obj is None else [*fields, "change_on_the_ops_pages"]

    @admin.display(description="Rule and mode")
    def change_on_the_ops_pages(self, obj: Panel) -> str:
        if obj.pk is None:
            return ""
        return format_html(
            'Changed on the ops pages, where they are checked: <a href="{}">change the rule</a>'
            ' · <a href="{}">change how the panel decides</a>.',
            reverse("workflow:panel-rule", args=[obj.pk]),
            reverse("workflow:panel-mode", args=[obj.pk]),
        )

    def has_delete_permission(self, request, obj=None):
        # Tracks cite their panel; retire a panel by making it inactive.
        return False

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        panel = form.instance
        if not change or panel.is_consumer_panel:
            return
        # Members seated or gone here can leave the rule beyond the panel: say so, with where to
        # change it (the rule check is the one the ops page and the API run).
        errors = panel_rule_errors(
            panel,
            quorum=panel.quorum,
            decision_rule=panel.decision_rule,
            min_independent_votes=panel.min_independent_votes,
            min_lay_votes=panel.min_lay_votes,
        )
        if errors:
            said = " ".join(m for messages_ in errors.values() for m in messages_)
            self.message_user(
                request,
                format_html(
                    '{} <a href="{}">Change the rule</a>.',
                    said,
                    reverse("workflow:panel-rule", args=[panel.pk]),
                ),
                level=messages.WARNING,
            )


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
