"""Load a small SAIL-like demo TRE: organisations, people in every role, a catalogue of Welsh
datasets and data owners' pre-approved categories. Idempotent: run it as often as you like;
existing rows are left alone, passwords are reset, and the logins are printed every time.

Datasets, variables and categories are written through ``catalogue.services`` (as ops and as
each data owner), so the demo obeys the same rules as the API.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from access.identity.services import affiliation_confirm, affiliation_request
from access.models import (
    Accreditation,
    Affiliation,
    Organisation,
    OrganisationMembership,
    Role,
    RoleAssignment,
    User,
)
from access.safe_people.selectors import agreement_current
from access.safe_people.services import (
    accreditation_accredit,
    accreditation_apply,
    agreement_publish,
)
from catalogue import services
from catalogue.models import Dataset, PreApprovedCategory, Variable
from core.text import in_sentence
from notifications.services import latest_notification_id, notifications_archive_since
from workflow.management.demo_data import (
    ACCREDITATIONS,
    ADMIN,
    AGREEMENT,
    CATEGORIES,
    DATASETS,
    DEMO_PASSWORD,
    NEWCOMER,
    ORGANISATIONS,
    PANEL_MEMBERS,
    PANELS,
    SIGNATORIES,
    USER_MANAGER,
    USERS,
)
from workflow.models import Panel, PanelMembership, PanelMode, Sitting
from workflow.sittings import services as sittings


class Command(BaseCommand):
    help = "Load (or refresh) the demo TRE and print its logins."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--sittings",
            action="store_true",
            help="The IGRP meets: switch it to sittings and plan its next two (the DEA panel "
            "keeps reviewing on a rolling basis). Without it the IGRP reviews on a rolling "
            "basis, as the README's walk expects.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        with transaction.atomic():
            # What setting up the demo raises (accreditation notices, say) is not news.
            marker = latest_notification_id()
            counts = self._load()
            if options.get("sittings"):
                self._sittings()
            notifications_archive_since(after_id=marker)
        self._print_logins(counts)

    def _sittings(self) -> None:
        """Idempotently: the IGRP sits, with two sittings planned (in two and six weeks, each
        with a cut-off a week before) unless it already has upcoming ones."""
        ops = User.objects.get(username="owain.ops")
        igrp = Panel.objects.get(slug="igrp")
        sittings.panel_mode_set(panel=igrp, by=ops, mode=PanelMode.SITTING)
        today = timezone.localdate()
        if Sitting.objects.filter(panel=igrp, date__gte=today).exists():
            return
        for weeks in (2, 6):
            day = today + datetime.timedelta(weeks=weeks)
            sittings.sitting_create(
                panel=igrp,
                by=ops,
                date=day,
                cut_off=day - datetime.timedelta(days=7),
                location="Data Science Building, Swansea University",
            )

    # --- loading ------------------------------------------------------------------------------

    def _load(self) -> dict[str, int]:
        organisations = {}
        for fields in ORGANISATIONS:
            organisations[fields["slug"]], _ = Organisation.objects.update_or_create(
                slug=fields["slug"], defaults=fields
            )

        users: dict[str, User] = {}
        for username, full_name, email, affiliation, roles, owner_of, _ in USERS:
            user = self._user(username, full_name, email, organisations[affiliation], roles)
            if owner_of:
                OrganisationMembership.objects.get_or_create(
                    user=user,
                    organisation=organisations[owner_of],
                    capacity=OrganisationMembership.Capacity.DATA_OWNER,
                )
            users[username] = user
        for username, full_name, _, _ in PANEL_MEMBERS:
            users[username] = self._user(
                username, full_name, f"{username}@tre.example", None, [Role.PANEL_MEMBER]
            )
        admin = self._user(ADMIN[0], ADMIN[1], ADMIN[2], None, [])
        if not (admin.is_staff and admin.is_superuser):
            admin.is_staff = admin.is_superuser = True
            admin.save(update_fields=["is_staff", "is_superuser"])

        for username, full_name, org_slug, _office in SIGNATORIES:
            users[username] = self._user(
                username, full_name, f"{username}@{org_slug}.example", organisations[org_slug], []
            )
            OrganisationMembership.objects.get_or_create(
                user=users[username],
                organisation=organisations[org_slug],
                capacity=OrganisationMembership.Capacity.SIGNATORY,
            )
        self._identity(users, organisations)
        if agreement_current() is None:
            agreement_publish(by=users["owain.ops"], **AGREEMENT)
        today = timezone.localdate()
        for username, kind, issuer, number, days_ago in ACCREDITATIONS:
            person = users[username]
            if Accreditation.objects.filter(person=person, kind=kind).exists():
                continue
            award = accreditation_apply(
                by=person,
                kind=kind,
                issuer=issuer,
                certificate_number=number,
                issued_on=today - datetime.timedelta(days=days_ago),
            )
            accreditation_accredit(accreditation=award, by=users["nia.accreditation"])

        lay_members = {username for username, _, _, lay in PANEL_MEMBERS if lay}
        for panel_spec in PANELS:
            fields = {name: value for name, value in panel_spec.items() if name != "members"}
            panel, _ = Panel.objects.update_or_create(slug=panel_spec["slug"], defaults=fields)
            for username, is_chair in panel_spec["members"]:
                PanelMembership.objects.update_or_create(
                    panel=panel,
                    user=users[username],
                    defaults={
                        "is_chair": is_chair,
                        "is_independent": username in lay_members,
                        "is_lay": username in lay_members,
                        "left_on": None,
                    },
                )

        ops = users["owain.ops"]
        datasets_created = variables_created = 0
        for spec in DATASETS:
            dataset = Dataset.objects.filter(slug=spec["slug"]).first()
            if dataset is None:
                primary, backup = spec["analysts"]
                start, end = spec["coverage"]
                dataset = services.dataset_create(
                    by=ops,
                    slug=spec["slug"],
                    title=spec["title"],
                    description=spec["description"],
                    provider=organisations[spec["provider"]],
                    sensitivity=spec["sensitivity"],
                    coverage_start_year=start,
                    coverage_end_year=end,
                    population=spec["population"],
                    collection_method=spec["collection_method"],
                    asset_owner=users[spec["asset_owner"]] if spec["asset_owner"] else None,
                    asset_owner_contact=spec["contact"],
                    primary_analyst=users[primary] if primary else None,
                    backup_analyst=users[backup] if backup else None,
                    dea_gateway_permitted=spec.get("dea", False),
                    synthetic_sample_url=spec.get("synthetic", ""),
                )
                datasets_created += 1
            existing = set(dataset.variables.values_list("name", flat=True))
            for name, description, data_type, identifying, sensitive in spec["variables"]:
                if name in existing:
                    continue
                services.variable_create(
                    dataset=dataset,
                    by=ops,
                    name=name,
                    description=description,
                    data_type=data_type,
                    is_identifying=bool(identifying),
                    is_sensitive_category=bool(sensitive),
                )
                variables_created += 1

        categories_created = 0
        for category_spec in CATEGORIES:
            dataset = Dataset.objects.get(slug=category_spec["dataset"])
            title = category_spec["terms"]["title"]
            # A category is "the same" when its first version has this title on this dataset.
            if PreApprovedCategory.objects.filter(
                dataset=dataset, versions__version=1, versions__title=title
            ).exists():
                continue
            owner = users[category_spec["by"]]
            category = services.category_create(
                dataset=dataset, by=owner, **self._terms(dataset, category_spec["terms"])
            )
            for revision in category_spec.get("revisions", ()):
                services.category_revise(
                    category=category, by=owner, **self._terms(dataset, revision)
                )
            if category_spec.get("retire"):
                services.category_retire(
                    category=category, by=owner, reason=category_spec["retire"]
                )
            categories_created += 1

        return {
            "datasets_created": datasets_created,
            "variables_created": variables_created,
            "categories_created": categories_created,
        }

    def _user(
        self,
        username: str,
        full_name: str,
        email: str,
        affiliation: Organisation | None,
        roles: list[Role],
    ) -> User:
        user, _ = User.objects.update_or_create(
            username=username,
            defaults={
                "full_name": full_name,
                "email": email,
                "affiliation": affiliation,
                "is_active": True,
            },
        )
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
        for role in roles:
            RoleAssignment.objects.get_or_create(user=user, role=role)
        return user

    def _identity(self, users: dict[str, User], organisations: dict[Any, Organisation]) -> None:
        """Organisations vouch for their people (docs/identity.md): each researcher's
        affiliation confirmed by their university's signatory; a user manager Swansea
        delegated; a newly registered person waiting for Swansea's confirmation."""
        signatory_of = {org_slug: users[username] for username, _, org_slug, _ in SIGNATORIES}
        for user in users.values():
            org = user.affiliation
            vouch = signatory_of.get(org.slug) if org is not None else None
            if vouch is None or vouch.pk == user.pk or org is None:
                continue
            if Affiliation.objects.filter(person=user, organisation=org).exists():
                continue
            affiliation = affiliation_request(person=user, organisation=org, by=user)
            affiliation_confirm(affiliation=affiliation, by=vouch)
        username, full_name, org_slug = USER_MANAGER
        manager = self._user(
            username, full_name, f"{username}@{org_slug}.example", organisations[org_slug], []
        )
        OrganisationMembership.objects.get_or_create(
            user=manager,
            organisation=organisations[org_slug],
            capacity=OrganisationMembership.Capacity.USER_MANAGER,
        )
        users[username] = manager
        username, full_name, org_slug = NEWCOMER
        newcomer = self._user(username, full_name, f"{username}@{org_slug}.example", None, [])
        if newcomer.origin != "registration":
            newcomer.origin = "registration"
            newcomer.save(update_fields=["origin"])
        if not Affiliation.objects.filter(person=newcomer).exists():
            affiliation_request(
                person=newcomer,
                organisation=organisations[org_slug],
                by=newcomer,
                position="PhD student",
            )
        users[username] = newcomer

    @staticmethod
    def _terms(dataset: Dataset, terms: dict[str, Any]) -> dict[str, Any]:
        """Demo terms name variables; the services take Variable rows."""
        terms = dict(terms)
        if "permitted_variables" in terms:
            by_name = {v.name: v for v in Variable.objects.filter(dataset=dataset)}
            terms["permitted_variables"] = [by_name[name] for name in terms["permitted_variables"]]
        return terms

    # --- output -------------------------------------------------------------------------------

    def _print_logins(self, counts: dict[str, int]) -> None:
        out = self.stdout
        out.write(
            self.style.SUCCESS(
                f"Demo TRE loaded: {Organisation.objects.count()} organisations, "
                f"{Dataset.objects.count()} datasets, {Variable.objects.count()} variables, "
                f"{PreApprovedCategory.objects.count()} pre-approved categories "
                f"(this run created {counts['datasets_created']} datasets, "
                f"{counts['variables_created']} variables, "
                f"{counts['categories_created']} categories)."
            )
        )
        out.write(f"Every login below has the password: {DEMO_PASSWORD}")
        out.write("Log in with the username or the email address.\n")
        rows = [("username", "email", "role", "what to try")]
        for username, _, email, _, roles, _, what in USERS:
            rows.append((username, email, ", ".join(str(r) for r in roles), what))
        for username, _, org_slug, office in SIGNATORIES:
            rows.append(
                (
                    username,
                    f"{username}@{org_slug}.example",
                    "signatory",
                    f"{office}: signs the data access agreement for the institution",
                )
            )
        rows.append(
            (
                USER_MANAGER[0],
                f"{USER_MANAGER[0]}@{USER_MANAGER[2]}.example",
                "user manager",
                "confirms Swansea's people: /organisations/swansea-university/people/",
            )
        )
        rows.append(
            (
                NEWCOMER[0],
                f"{NEWCOMER[0]}@{NEWCOMER[2]}.example",
                "(none)",
                "registered; waits for Swansea to confirm her (Your account)",
            )
        )
        seats: dict[str, list[str]] = {}
        for spec in PANELS:
            for username, is_chair in spec["members"]:
                seats.setdefault(username, []).append(
                    f"{'chair of ' if is_chair else ''}{spec['slug'].upper()}"
                )
        for username, _, seat, lay in PANEL_MEMBERS:
            note = f"{seat}; {', '.join(seats.get(username, []))}" + (
                "; independent, lay" if lay else ""
            )
            rows.append((username, f"{username}@tre.example", Role.PANEL_MEMBER.value, note))
        rows.append(
            (
                ADMIN[0],
                ADMIN[2],
                "superuser",
                "Django admin at /admin/ (category writes there still need a data owner)",
            )
        )
        widths = [max(len(row[i]) for row in rows) for i in range(3)]
        for index, row in enumerate(rows):
            out.write(
                "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:3])) + "  " + row[3]
            )
            if index == 0:
                out.write("  ".join("-" * w for w in widths) + "  " + "-" * 11)
        out.write("")
        for panel in Panel.objects.prefetch_related("memberships__user"):
            chair = next((m.user.username for m in panel.memberships.all() if m.is_chair), "none")
            rule = in_sentence(panel.get_decision_rule_display())
            if panel.is_consumer_panel:
                out.write(f"{panel.name}: answers teams' consultations, chair {chair}.")
                continue
            blind = ", a blind first round" if panel.blind_first_round else ""
            out.write(
                f"{panel.name}: quorum {panel.quorum}, {rule}, at least "
                f"{panel.min_independent_votes} independent vote(s) and "
                f"{panel.min_lay_votes} lay vote(s){blind}, chair {chair}; "
                f"{panel.get_mode_display().split(' (')[0].lower()}."
            )
