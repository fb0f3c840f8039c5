"""The place name written before an administrative document's date ("An Xuyên, ngày … tháng … năm …"): by the
national rules for administrative documents (Decree 30/2020), the official name of the administrative unit where
the issuing body sits, without its level ("phường", "xã", "tỉnh"). A centre works in its People's Committee's
name, so the place comes from the unit's `authority`; without one, the unit's own name is written."""

from __future__ import annotations

import re

from .models import Unit

# "Ủy ban nhân dân phường An Xuyên" -> "An Xuyên"; both spellings of "Ủy"/"Uỷ", any letter case
AUTHORITY = re.compile(r"^\s*(?:ủy|uỷ)\s+ban\s+nhân\s+dân\s+(?:tỉnh|thành\s+phố|phường|xã|đặc\s+khu|thị\s+trấn|"
                       r"thị\s+xã|quận|huyện)\s+(?P<place>\S.{0,100}?)\s*$", re.IGNORECASE)


def place_name(unit: Unit | None) -> str | None:
    if unit is None:
        return None
    found = AUTHORITY.match(unit.authority or "")
    return found.group("place") if found else unit.name
