"""What later domains use of the Fablab (reports: utilization); the Fablab's own code imports
its topic modules (labs, machines, certificates, bookings, utilization, ...) directly."""

from incubator.fablab.labs import labs_of
from incubator.fablab.utilization import Period, lab_figures, percent, utilization_query

__all__ = ["Period", "lab_figures", "labs_of", "percent", "utilization_query"]
