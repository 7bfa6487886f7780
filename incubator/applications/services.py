"""What later domains call of applications (re-exports; the code is in the topic modules)."""

from incubator.applications.access import managed_application
from incubator.applications.moves import move
from incubator.applications.ranking import rank_of

__all__ = ["managed_application", "move", "rank_of"]
