"""Camunda 7 engine-rest compatibility layer, mounted at /engine-rest/.

The subset of Camunda 7's REST API that the public Python clients use, with its
paths, JSON shapes, status codes and error body, so existing workers and clients
run unchanged. See docs/camunda7-migration.md.
"""
