"""People, organisations and roles.

Global roles (researcher, analyst, reviewer, panel member, data owner, ops) are rows of
``RoleAssignment``. What a role may do *to a particular object* never comes from permission rows:
it comes from our own relations (organisation membership in a data-owner capacity, named analyst
of a dataset, panel membership, project membership), read by ``access.policy``.
"""

from __future__ import annotations

from typing import ClassVar

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models.functions import Lower


class Role(models.TextChoices):
    RESEARCHER = "researcher", "Researcher"
    ANALYST = "analyst", "Data analyst"
    REVIEWER = "reviewer", "Governance reviewer"
    PANEL_MEMBER = "panel_member", "Panel member"
    DATA_OWNER = "data_owner", "Data owner"
    OPS = "ops", "Operations"
    ACCREDITATION_OFFICER = "accreditation_officer", "Accreditation officer"
    OUTPUT_CHECKER = "output_checker", "Output checker"


class TreUserManager(UserManager["User"]):
    def get_by_natural_key(self, username: str | None) -> User:
        # Log in by email (case-insensitive) or by username. An address is tried as an email
        # first; usernames are looked up exactly, as Django does.
        if username and "@" in username:
            try:
                return self.get(email__iexact=username.strip())
            except self.model.DoesNotExist:
                pass
        return self.get(username=username)


class Organisation(models.Model):
    class Kind(models.TextChoices):
        RESEARCH = "research", "Research institution"
        DATA_PROVIDER = "data_provider", "Data-providing body"
        BOTH = "both", "Research institution and data provider"

    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=80, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    ror_id = models.CharField(
        "ROR identifier", max_length=40, blank=True, help_text="Research Organization Registry id"
    )
    sector = models.CharField(max_length=80, blank=True, help_text="e.g. academic, NHS, government")
    has_health_service_functions = models.BooleanField(
        default=False,
        help_text=(
            "Bodies with health or adult social care functions cannot share data under the "
            "Digital Economy Act research power."
        ),
    )
    website = models.URLField(blank=True)
    # Safe settings: the lead organisation's own information-security assurance (the Five Safes
    # check "settings.security_assurance" reads these).
    security_assurance = models.CharField(
        max_length=200,
        blank=True,
        help_text="e.g. 'ISO/IEC 27001 certificate', 'NHS DSP Toolkit: standards met'",
    )
    security_assurance_reference = models.CharField(max_length=100, blank=True)
    security_assurance_expires_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def provides_data(self) -> bool:
        return self.kind in {self.Kind.DATA_PROVIDER, self.Kind.BOTH}


class User(AbstractUser):
    email = models.EmailField(unique=True)
    full_name = models.CharField(max_length=200)
    affiliation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="affiliated_users",
    )
    # How the account came to be (docs/identity.md): an account an administrator made was
    # vouched for when it was made; one that registered itself, or was made on a first
    # sign-in through a provider or an invitation, needs its organisation's confirmation.
    origin = models.CharField(
        max_length=20,
        choices=[
            ("admin", "Made by an administrator"),
            ("registration", "Registered themselves"),
            ("provider", "First signed in through an identity provider"),
        ],
        default="admin",
    )
    orcid = models.CharField(
        "ORCID iD", max_length=19, blank=True, help_text="e.g. 0000-0002-1825-0097"
    )
    # True only when ORCID itself said so (a sign-in through ORCID); typed in, it is unverified.
    orcid_verified = models.BooleanField(default=False)
    # first_name/last_name from AbstractUser are unused: people's names do not split cleanly.
    first_name = None  # type: ignore[assignment]
    last_name = None  # type: ignore[assignment]

    objects: ClassVar[TreUserManager] = TreUserManager()

    REQUIRED_FIELDS = ["email", "full_name"]

    class Meta:
        ordering = ["full_name"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="access_user_email_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.full_name or self.username

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.username

    def set_password(self, raw_password: str | None) -> None:
        super().set_password(raw_password)
        self._password_changed = True

    def set_unusable_password(self) -> None:
        super().set_unusable_password()
        self._password_changed = True

    def save(self, *args, **kwargs) -> None:
        self.email = self.email.strip().lower() if self.email else self.email
        super().save(*args, **kwargs)
        # A new password or a deactivated account ends every way in that was opened before:
        # API tokens and signed-in sessions (access/sessions.py). Not a rule of the domain:
        # the guarantee that a credential dies with the password it was opened with.
        if getattr(self, "_password_changed", False) or not self.is_active:
            from access.sessions import revoke_all

            revoke_all(self)
            self._password_changed = False

    @property
    def role_names(self) -> set[str]:
        """The user's global roles (cached per instance)."""
        cached = getattr(self, "_role_cache", None)
        if cached is None:
            cached = set(self.role_assignments.values_list("role", flat=True))
            self._role_cache = cached
        return cached

    def has_role(self, role: Role | str) -> bool:
        return self.is_active and str(role) in self.role_names


class RoleAssignment(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="role_assignments")
    role = models.CharField(max_length=32, choices=Role.choices)
    granted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "role"], name="access_role_once_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.user} as {self.get_role_display()}"


class OrganisationMembership(models.Model):
    """A person acting for an organisation in a capacity.

    A ``data_owner`` membership of a data-providing body makes the person an owner of that
    body's datasets (pre-approved categories, sign-off). A ``signatory`` signs agreements for
    the organisation.
    """

    class Capacity(models.TextChoices):
        MEMBER = "member", "Member"
        DATA_OWNER = "data_owner", "Data owner"
        SIGNATORY = "signatory", "Authorised signatory"
        # Delegated by the organisation to confirm and end its people's affiliations (NHS
        # England's "user managers"; docs/identity.md).
        USER_MANAGER = "user_manager", "User manager"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships"
    )
    capacity = models.CharField(max_length=20, choices=Capacity.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organisation", "capacity"], name="access_membership_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_capacity_display()} of {self.organisation}"


# Safe people (accreditation, agreements, access grants) are their own topic
# (access/safe_people/); their models are this app's, so they are imported here.
# Identity (affiliations vouched for by organisations, registrations): access/identity/.
from access.identity.models import *  # noqa: E402, F403
from access.safe_people.models import *  # noqa: E402, F403


class UserSession(models.Model):
    """A signed-in browser session, so that its person can see it and end it
    (``access/sessions.py``; the session itself is Django's, in the database)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="signed_in_sessions")
    session_key = models.CharField(max_length=40, unique=True)
    created_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()
    user_agent = models.CharField(max_length=200, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-last_seen_at"]

    def __str__(self) -> str:
        return f"Session of {self.user} since {self.created_at:%Y-%m-%d %H:%M}"
