"""Models of the workflow, one module per topic; import them from here."""

from .application import *  # noqa: F403
from .application import __all__ as _application
from .conditions import *  # noqa: F403
from .conditions import __all__ as _conditions
from .panels import *  # noqa: F403
from .panels import __all__ as _panels
from .register import *  # noqa: F403
from .register import __all__ as _register
from .safes import *  # noqa: F403
from .safes import __all__ as _safes
from .turnaround import *  # noqa: F403
from .turnaround import __all__ as _turnaround

__all__ = [*_application, *_conditions, *_panels, *_register, *_safes, *_turnaround]
