"""Notification channels (通知渠道): where a community's messages go outside the app.

* ``webhook``: a URL that receives ``{"msgtype": "text", "text": {"content": ...}}`` as JSON,
  the format of a WeCom group robot (企业微信群机器人);
* ``smtp``: an SMTP server (host, port, optional login, STARTTLS) and the community's list of
  addresses ``to``.

Safety: only http/https URLs; hosts that resolve to private, loopback, link-local or reserved
addresses are refused (at creation and again before each send, as DNS may change) unless the
service's config ``ALLOW_PRIVATE_CHANNEL_HOSTS`` is true (tests, local runs); no redirects are
followed. Secrets (the SMTP password, a webhook URL's query such as a robot's ``key``) are
never answered back. What goes out, and how, is ``delivery``'s.
"""

import ipaddress
import socket
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy import select, update

from services.crm.notifications.models import Channel, Delivery
from services.crm.notifications.schemas import CHANNEL_INPUT
from services.infra.db import get_in_community, utcnow
from services.infra.errors import invalid
from services.infra.schemas import load

MAX_CHANNELS = 10


# --- addresses -------------------------------------------------------------------------------


def _public(address):
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_reserved
        or ip.is_multicast
        or ip.is_unspecified
    )


def host_problem(host, port, allow_private):
    """Why ``host`` may not be used (``None`` if it may)."""
    if allow_private:
        return None
    try:
        addresses = {
            info[4][0] for info in socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
        }
    except (OSError, UnicodeError):
        return "The host cannot be resolved."
    if not addresses or not all(_public(address) for address in addresses):
        return "Private, loopback and reserved addresses are not allowed."
    return None


def check_url(url, allow_private):
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "Only http and https URLs."
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return "Not a valid port."
    return host_problem(parts.hostname, port, allow_private)


def masked_url(url):
    """The URL without its secrets: the robot's ``key`` (the query) and any user info."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "***" if parts.query else "", ""))


# --- channels --------------------------------------------------------------------------------


def channel_view(channel):
    config = channel.config or {}
    view = {
        "id": channel.id,
        "type": channel.type,
        "name": config.get("name"),
        "created_at": channel.created_at.isoformat(),
    }
    if channel.type == "webhook":
        view["url"] = masked_url(config["url"])
    else:
        view.update(
            {
                "host": config["host"],
                "port": config["port"],
                "username": config.get("username"),
                "from": config["from"],
                "to": config["to"],
                "starttls": config["starttls"],
                "password_set": bool(config.get("password")),
            }
        )
    return view


def add_channel(session, caller, payload, allow_private=False):
    caller.require_leader("Only the leader manages the community's channels.")
    data = load(CHANNEL_INPUT, payload)
    if data["type"] == "webhook":
        problem = check_url(data["url"], allow_private)
        if problem:
            raise invalid({"url": [problem]})
        config = {"url": data["url"]}
    else:
        problem = host_problem(data["host"], data["port"], allow_private)
        if problem:
            raise invalid({"host": [problem]})
        config = {
            "host": data["host"],
            "port": data["port"],
            "username": data.get("username"),
            "password": data.get("password"),
            "from": data["sender"],
            "to": data["to"],
            "starttls": data["starttls"],
        }
    config["name"] = data.get("name")
    count = len(
        session.scalars(select(Channel.id).where(Channel.tenant_id == caller.tenant_id)).all()
    )
    if count >= MAX_CHANNELS:
        raise invalid({"type": [f"At most {MAX_CHANNELS} channels."]})
    channel = Channel(
        tenant_id=caller.tenant_id, type=data["type"], config=config, created_at=utcnow()
    )
    session.add(channel)
    session.flush()
    return channel_view(channel)


def list_channels(session, caller):
    caller.require_leader("Only the leader manages the community's channels.")
    rows = session.scalars(
        select(Channel)
        .where(Channel.tenant_id == caller.tenant_id)
        .order_by(Channel.created_at, Channel.id)
    )
    return {"items": [channel_view(channel) for channel in rows]}


def remove_channel(session, caller, channel_id):
    """The channel goes; what it still had to send is failed, never sent elsewhere."""
    caller.require_leader("Only the leader manages the community's channels.")
    channel = get_in_community(
        session, Channel, channel_id, caller.tenant_id, "No such channel.", "channel_id"
    )
    session.execute(
        update(Delivery)
        .where(Delivery.channel_id == channel.id, Delivery.status == "pending")
        .values(status="failed", last_error="The channel was removed.")
        .execution_options(synchronize_session=False)
    )
    session.delete(channel)
    session.flush()
    return {"id": channel_id, "deleted": True}
