"""The workflow's admin pages, one module per topic (imported here so the admin finds them)."""

from workflow.amendments import admin as amendments_admin
from workflow.involvement import admin as involvement_admin
from workflow.lifecycle import admin as lifecycle_admin
from workflow.output_checks import admin as output_checks_admin
from workflow.provisioning import admin as provisioning_admin
from workflow.reviews import admin as reviews_admin
from workflow.route import admin as route_admin
from workflow.safes import admin as safes_admin
from workflow.sittings import admin as sittings_admin
from workflow.turnaround import admin as turnaround_admin

__all__ = [
    "amendments_admin",
    "involvement_admin",
    "lifecycle_admin",
    "output_checks_admin",
    "provisioning_admin",
    "reviews_admin",
    "route_admin",
    "safes_admin",
    "sittings_admin",
    "turnaround_admin",
]
