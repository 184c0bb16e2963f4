"""Every model of the workflow app, from its topic's ``models.py``; import them from here.

The app label stays ``workflow`` whichever topic a model lives in, so tables and migrations
did not move when the code was grouped by topic.
"""

from workflow.amendments.models import *  # noqa: F403
from workflow.amendments.models import __all__ as _amendments
from workflow.audit import Event
from workflow.involvement.models import *  # noqa: F403
from workflow.involvement.models import __all__ as _involvement
from workflow.lifecycle.models import *  # noqa: F403
from workflow.lifecycle.models import __all__ as _lifecycle
from workflow.output_checks.models import *  # noqa: F403
from workflow.output_checks.models import __all__ as _output_checks
from workflow.provisioning.models import *  # noqa: F403
from workflow.provisioning.models import __all__ as _provisioning
from workflow.reviews.models import *  # noqa: F403
from workflow.reviews.models import __all__ as _reviews
from workflow.route.models import *  # noqa: F403
from workflow.route.models import __all__ as _route
from workflow.safes.models import *  # noqa: F403
from workflow.safes.models import __all__ as _safes
from workflow.sittings.models import *  # noqa: F403
from workflow.sittings.models import __all__ as _sittings
from workflow.transparency.models import *  # noqa: F403
from workflow.transparency.models import __all__ as _transparency
from workflow.turnaround.models import *  # noqa: F403
from workflow.turnaround.models import __all__ as _turnaround

__all__ = [
    "Event",
    *_route,
    *_reviews,
    *_safes,
    *_transparency,
    *_turnaround,
    *_provisioning,
    *_output_checks,
    *_involvement,
    *_sittings,
    *_lifecycle,
    *_amendments,
]
