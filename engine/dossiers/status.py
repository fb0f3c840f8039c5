"""Dossier statuses and the national portal's codes for them (see shared domain notes)."""

from __future__ import annotations

from typing import Final

STATUS_CODES: Final[dict[str, int]] = {
    "registered": 1,
    "received": 2,
    "refused": 3,
    "processing": 4,
    "supplement_requested": 5,
    "payment_required": 6,
    "withdrawal_requested": 7,
    "stopped": 8,
    "processed": 9,
    "returned": 10,
}
FINAL_STATUSES: Final = frozenset({"refused", "stopped", "processed", "returned"})
CHANNELS: Final[dict[str, int]] = {"counter": 1, "online": 2, "postal": 3}
# An end event may carry this property to say how the dossier ended (e.g. "refused", "returned").
END_STATUS_PROPERTY: Final = "dossierStatus"
