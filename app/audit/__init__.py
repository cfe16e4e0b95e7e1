"""The audit log: who did what, to what, when, from where. Read by the operator in admin."""
