"""Models of the workflow, one module per topic; import them from here."""

from .application import *  # noqa: F403
from .application import __all__ as _application
from .panels import *  # noqa: F403
from .panels import __all__ as _panels

__all__ = [*_application, *_panels]
