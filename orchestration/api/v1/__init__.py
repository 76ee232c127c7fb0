"""The native REST API, version 1 (see docs/api.md)."""
