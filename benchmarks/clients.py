"""Test clients that treat the database connection as a production worker does.

Django's test client disconnects ``close_old_connections`` from request_started and
request_finished, so one connection serves every request with no health check. A
production worker runs it at both ends of every request: with ``CONN_MAX_AGE`` (60 s in
pipelinecrm/settings.py) the connection is kept, but ``CONN_HEALTH_CHECKS`` pings it on
the request's first query, and it is reopened once it is older than ``CONN_MAX_AGE``.
"""

from django.db import close_old_connections
from django.test import Client
from rest_framework.test import APIClient


class ProductionConnections:
    def request(self, **request):
        close_old_connections()
        try:
            return super().request(**request)
        finally:
            close_old_connections()


class BenchClient(ProductionConnections, Client):
    pass


class BenchAPIClient(ProductionConnections, APIClient):
    pass
