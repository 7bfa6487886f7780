"""Every table, so that `Base.metadata` is complete (Alembic, tests): the shared ones and each
domain's `models` module, in DOMAINS order."""

from incubator import audit, mail, once, scheduler  # noqa: F401  (audit log, outbox, sent marks, form tokens)
from incubator.db import Base
from incubator.domains import domain_modules

for _module in domain_modules("models"):
    pass  # importing the module declares its tables

metadata = Base.metadata
