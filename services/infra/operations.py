"""Entrypoints every service offers its operators and the gateway's health check."""

from services.infra import messaging
from services.infra.entrypoints import rpc


class OperatorEntrypoints:
    """Mixed into each service class (nameko picks up inherited entrypoints).

    The class using it declares ``db = Database()`` and ``inbox = EventInbox()``.
    """

    @rpc
    def ping(self):
        return {"service": self.name, "status": "ok"}

    @rpc
    def list_parked_events(self, status=None):
        return messaging.parked_events(self.db, status=status)

    @rpc
    def replay_parked_event(self, parked_id, payload=None):
        with self.db.begin():
            return messaging.replay_parked_event(self.db, parked_id, payload)

    @rpc
    def discard_parked_event(self, parked_id):
        with self.db.begin():
            return messaging.discard_parked_event(self.db, parked_id)
