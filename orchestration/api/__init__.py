"""HTTP APIs: the native REST API (v1) and compatibility layers (camunda7)."""
