"""The member's inbox (消息): every message crm sends a member lands here first, stored as a
catalogue key and its parameters and rendered in the reader's language when read."""

from sqlalchemy import select

from services.crm.community import settings
from services.crm.notifications import messages
from services.crm.notifications.models import InboxMessage
from services.infra.db import newest_first
from services.infra.schemas import PageSchema, decode_cursor, load, page

INBOX_QUERY = PageSchema()


def post(session, tenant_id, member_id, kind, params, dedupe_key, now=None):
    """A message in the member's inbox, once per ``dedupe_key``: the new message, or ``None``
    if the member already has that one."""
    present = session.scalars(
        select(InboxMessage.id).where(
            InboxMessage.member_id == member_id, InboxMessage.dedupe_key == dedupe_key
        )
    ).first()
    if present is not None:
        return None
    message = InboxMessage(
        tenant_id=tenant_id, member_id=member_id, kind=kind, params=params, dedupe_key=dedupe_key
    )
    if now is not None:
        message.created_at = now
    session.add(message)
    session.flush()
    return message


def list_inbox(session, caller, query, locale=messages.DEFAULT_LOCALE):
    """The member's messages, newest first, in the reader's language."""
    caller.require_member()
    params = load(INBOX_QUERY, query)
    timezone = settings.community_timezone(session, caller.tenant_id)
    statement = select(InboxMessage).where(
        InboxMessage.tenant_id == caller.tenant_id, InboxMessage.member_id == caller.member_id
    )
    statement = newest_first(
        statement, InboxMessage, decode_cursor(params["cursor"]), params["limit"]
    )
    items = [
        {
            "id": message.id,
            "kind": message.kind,
            "created_at": message.created_at.isoformat(),
            "read": message.read_at is not None,
            "order_id": message.params.get("order_id"),
            **messages.render(message.kind, message.params, timezone, locale),
        }
        for message in session.scalars(statement)
    ]
    return page(items, params["limit"])
