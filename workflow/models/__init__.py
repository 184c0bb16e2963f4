"""Models of the workflow, one module per topic; import them from here."""

from .application import *  # noqa: F403
from .application import __all__ as _application
from .turnaround import *  # noqa: F403
from .turnaround import __all__ as _turnaround

__all__ = [*_application, *_turnaround]
