"""``abeja.exceptions``: abeja-services' errors, and abeja-sdk's, under abeja-sdk's import path.

The classes are defined in `abeja.services.errors`; this package only re-exports
them, so abeja-sdk's clients and this SDK raise and catch the same classes.
"""

from abeja.services.errors import *  # noqa: F403
from abeja.services.errors import __all__ as __all__
