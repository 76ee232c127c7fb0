"""The runtime: behaviours per element family over an in-memory working set."""
