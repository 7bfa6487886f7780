"""Every domain's models, imported so that `Base.metadata` is complete (Alembic, tests)."""

from incubator import audit, mail  # noqa: F401
from incubator.accounts import models as accounts  # noqa: F401
from incubator.applications import models as applications  # noqa: F401
from incubator.centers import models as centers  # noqa: F401
from incubator.db import Base
from incubator.programs import models as programs  # noqa: F401
from incubator.reviews import models as reviews  # noqa: F401
from incubator.startups import models as startups  # noqa: F401

metadata = Base.metadata
