"""The Dramatiq dashboard (dramatiq-dashboard, a WSGI app) over the service's broker.

The dashboard lists the queues its broker has declared; this process runs no actors, so the
service's queues are declared from the event routing table, each with its delayed and failed
(dead-letter) views.
"""

from __future__ import annotations

from dramatiq_dashboard import DashboardApp

from payout_service.application.event_routes import service_queues
from payout_service.infrastructure.broker import build_broker
from payout_service.infrastructure.settings import Settings


def dashboard_app(settings: Settings) -> DashboardApp:
    broker = build_broker(settings)
    for queue in service_queues():
        broker.declare_queue(queue)
    return DashboardApp(broker=broker, prefix="")
