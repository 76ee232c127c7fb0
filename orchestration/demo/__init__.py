"""Demo processes and their handlers (used by `manage.py demo`)."""
