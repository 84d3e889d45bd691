"""The quality action log: every complaint on receipt, root causes, corrective actions,
lessons learned; and the review of each procedure."""
