"""The SMS connector as the registry lists it."""

from __future__ import annotations

from ..registry import Connector
from .checks import check, configured
from .config import ENV
from .standin import start

PLUGIN = Connector(name="sms", title="SMS gateway", configured=configured, check=check, standin=start, env=ENV)
