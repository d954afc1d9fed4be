"""Time-zone names as exports write them, mapped to IANA zones.

Platforms rarely write ``America/New_York``: Square writes Rails' display
names (``Eastern Time (US & Canada)``), Calendly its own
(``Central Time - US & Canada``, ``Arizona, Yukon Time``), Windows-made files
the Windows names (``W. Europe Standard Time``). A name that is in none of
these tables and is not an IANA zone is unknown, never guessed: the caller
names the cell and refuses it.
"""

from __future__ import annotations

import re
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from tzlocal.windows_tz import win_tz

# ActiveSupport::TimeZone::MAPPING (Rails), which Square's exports use; keys lower case.
# A few spellings of older Rails versions ("kyev") sit beside the current ones.
RAILS_ZONES: dict[str, str] = {
    "international date line west": "Etc/GMT+12",
    "midway island": "Pacific/Midway",
    "american samoa": "Pacific/Pago_Pago",
    "hawaii": "Pacific/Honolulu",
    "alaska": "America/Juneau",
    "pacific time (us & canada)": "America/Los_Angeles",
    "tijuana": "America/Tijuana",
    "mountain time (us & canada)": "America/Denver",
    "arizona": "America/Phoenix",
    "chihuahua": "America/Chihuahua",
    "mazatlan": "America/Mazatlan",
    "central time (us & canada)": "America/Chicago",
    "saskatchewan": "America/Regina",
    "guadalajara": "America/Mexico_City",
    "mexico city": "America/Mexico_City",
    "monterrey": "America/Monterrey",
    "central america": "America/Guatemala",
    "eastern time (us & canada)": "America/New_York",
    "indiana (east)": "America/Indiana/Indianapolis",
    "bogota": "America/Bogota",
    "lima": "America/Lima",
    "quito": "America/Lima",
    "atlantic time (canada)": "America/Halifax",
    "caracas": "America/Caracas",
    "la paz": "America/La_Paz",
    "santiago": "America/Santiago",
    "newfoundland": "America/St_Johns",
    "brasilia": "America/Sao_Paulo",
    "buenos aires": "America/Argentina/Buenos_Aires",
    "montevideo": "America/Montevideo",
    "georgetown": "America/Guyana",
    "puerto rico": "America/Puerto_Rico",
    "greenland": "America/Godthab",
    "mid-atlantic": "Atlantic/South_Georgia",
    "azores": "Atlantic/Azores",
    "cape verde is.": "Atlantic/Cape_Verde",
    "dublin": "Europe/Dublin",
    "edinburgh": "Europe/London",
    "lisbon": "Europe/Lisbon",
    "london": "Europe/London",
    "casablanca": "Africa/Casablanca",
    "monrovia": "Africa/Monrovia",
    "utc": "UTC",
    "gmt": "UTC",
    "belgrade": "Europe/Belgrade",
    "bratislava": "Europe/Bratislava",
    "budapest": "Europe/Budapest",
    "ljubljana": "Europe/Ljubljana",
    "prague": "Europe/Prague",
    "sarajevo": "Europe/Sarajevo",
    "skopje": "Europe/Skopje",
    "warsaw": "Europe/Warsaw",
    "zagreb": "Europe/Zagreb",
    "brussels": "Europe/Brussels",
    "copenhagen": "Europe/Copenhagen",
    "madrid": "Europe/Madrid",
    "paris": "Europe/Paris",
    "amsterdam": "Europe/Amsterdam",
    "berlin": "Europe/Berlin",
    "bern": "Europe/Zurich",
    "zurich": "Europe/Zurich",
    "rome": "Europe/Rome",
    "stockholm": "Europe/Stockholm",
    "vienna": "Europe/Vienna",
    "west central africa": "Africa/Algiers",
    "bucharest": "Europe/Bucharest",
    "cairo": "Africa/Cairo",
    "helsinki": "Europe/Helsinki",
    "kyiv": "Europe/Kiev",
    "kyev": "Europe/Kiev",
    "riga": "Europe/Riga",
    "sofia": "Europe/Sofia",
    "tallinn": "Europe/Tallinn",
    "vilnius": "Europe/Vilnius",
    "athens": "Europe/Athens",
    "istanbul": "Europe/Istanbul",
    "minsk": "Europe/Minsk",
    "jerusalem": "Asia/Jerusalem",
    "harare": "Africa/Harare",
    "pretoria": "Africa/Johannesburg",
    "kaliningrad": "Europe/Kaliningrad",
    "moscow": "Europe/Moscow",
    "st. petersburg": "Europe/Moscow",
    "volgograd": "Europe/Volgograd",
    "samara": "Europe/Samara",
    "kuwait": "Asia/Kuwait",
    "riyadh": "Asia/Riyadh",
    "nairobi": "Africa/Nairobi",
    "baghdad": "Asia/Baghdad",
    "tehran": "Asia/Tehran",
    "abu dhabi": "Asia/Muscat",
    "muscat": "Asia/Muscat",
    "baku": "Asia/Baku",
    "tbilisi": "Asia/Tbilisi",
    "yerevan": "Asia/Yerevan",
    "kabul": "Asia/Kabul",
    "ekaterinburg": "Asia/Yekaterinburg",
    "islamabad": "Asia/Karachi",
    "karachi": "Asia/Karachi",
    "tashkent": "Asia/Tashkent",
    "chennai": "Asia/Kolkata",
    "kolkata": "Asia/Kolkata",
    "mumbai": "Asia/Kolkata",
    "new delhi": "Asia/Kolkata",
    "kathmandu": "Asia/Kathmandu",
    "astana": "Asia/Dhaka",
    "dhaka": "Asia/Dhaka",
    "sri jayawardenepura": "Asia/Colombo",
    "almaty": "Asia/Almaty",
    "novosibirsk": "Asia/Novosibirsk",
    "rangoon": "Asia/Rangoon",
    "bangkok": "Asia/Bangkok",
    "hanoi": "Asia/Bangkok",
    "jakarta": "Asia/Jakarta",
    "krasnoyarsk": "Asia/Krasnoyarsk",
    "beijing": "Asia/Shanghai",
    "chongqing": "Asia/Chongqing",
    "hong kong": "Asia/Hong_Kong",
    "urumqi": "Asia/Urumqi",
    "kuala lumpur": "Asia/Kuala_Lumpur",
    "singapore": "Asia/Singapore",
    "taipei": "Asia/Taipei",
    "perth": "Australia/Perth",
    "irkutsk": "Asia/Irkutsk",
    "ulaanbaatar": "Asia/Ulaanbaatar",
    "ulaan bataar": "Asia/Ulaanbaatar",
    "seoul": "Asia/Seoul",
    "osaka": "Asia/Tokyo",
    "sapporo": "Asia/Tokyo",
    "tokyo": "Asia/Tokyo",
    "yakutsk": "Asia/Yakutsk",
    "darwin": "Australia/Darwin",
    "adelaide": "Australia/Adelaide",
    "canberra": "Australia/Melbourne",
    "melbourne": "Australia/Melbourne",
    "sydney": "Australia/Sydney",
    "brisbane": "Australia/Brisbane",
    "hobart": "Australia/Hobart",
    "vladivostok": "Asia/Vladivostok",
    "guam": "Pacific/Guam",
    "port moresby": "Pacific/Port_Moresby",
    "magadan": "Asia/Magadan",
    "srednekolymsk": "Asia/Srednekolymsk",
    "solomon is.": "Pacific/Guadalcanal",
    "new caledonia": "Pacific/Noumea",
    "fiji": "Pacific/Fiji",
    "kamchatka": "Asia/Kamchatka",
    "marshall is.": "Pacific/Majuro",
    "auckland": "Pacific/Auckland",
    "wellington": "Pacific/Auckland",
    "nuku'alofa": "Pacific/Tongatapu",
    "tokelau is.": "Pacific/Fakaofo",
    "chatham is.": "Pacific/Chatham",
    "samoa": "Pacific/Apia",
}

# Calendly's display names (its time-zone picker and the "Invitee Time Zone" column).
# Where one name covers several places, they keep the same clock all year, so any of
# them gives the same instants. Zones Calendly has no name for it writes as IANA ids
# with spaces ("America/Santa Isabel"), which `zone_name` also reads.
CALENDLY_ZONES: dict[str, str] = {
    "pacific time - us & canada": "America/Los_Angeles",
    "mountain time - us & canada": "America/Denver",
    "central time - us & canada": "America/Chicago",
    "eastern time - us & canada": "America/New_York",
    "alaska time": "America/Anchorage",
    "arizona, yukon time": "America/Phoenix",
    "arizona time": "America/Phoenix",
    "newfoundland time": "America/St_Johns",
    "hawaii time": "Pacific/Honolulu",
    "atlantic time": "America/Halifax",
    "saskatchewan, guatemala, costa rica time": "America/Regina",
    "vancouver time": "America/Vancouver",
    "mexico city time": "America/Mexico_City",
    "bogota, jamaica, lima time": "America/Bogota",
    "caracas time": "America/Caracas",
    "asuncion time": "America/Asuncion",
    "santiago time": "America/Santiago",
    "brasilia time": "America/Sao_Paulo",
    "buenos aires time": "America/Argentina/Buenos_Aires",
    "montevideo time": "America/Montevideo",
    "west africa time": "Africa/Lagos",
    "central africa time": "Africa/Maputo",
    "south africa time": "Africa/Johannesburg",
    "east africa time": "Africa/Nairobi",
    "baghdad, east africa time": "Asia/Baghdad",
    "egypt time": "Africa/Cairo",
    "uk, ireland, lisbon time": "Europe/London",
    "central european time": "Europe/Berlin",
    "eastern european time": "Europe/Athens",
    "turkey time": "Europe/Istanbul",
    "minsk time": "Europe/Minsk",
    "moscow time": "Europe/Moscow",
    "jordan time": "Asia/Amman",
    "lebanon time": "Asia/Beirut",
    "syria time": "Asia/Damascus",
    "israel time": "Asia/Jerusalem",
    "dubai time": "Asia/Dubai",
    "tehran time": "Asia/Tehran",
    "kabul time": "Asia/Kabul",
    "pakistan, maldives time": "Asia/Karachi",
    "india, sri lanka time": "Asia/Kolkata",
    "kathmandu time": "Asia/Kathmandu",
    "bangladesh time": "Asia/Dhaka",
    "yekaterinburg time": "Asia/Yekaterinburg",
    "indochina time": "Asia/Bangkok",
    "krasnoyarsk time": "Asia/Krasnoyarsk",
    "china, singapore, perth": "Asia/Shanghai",
    "japan, korea time": "Asia/Tokyo",
    "adelaide time": "Australia/Adelaide",
    "brisbane time": "Australia/Brisbane",
    "sydney, melbourne time": "Australia/Sydney",
    "darwin time": "Australia/Darwin",
    "auckland time": "Pacific/Auckland",
    "azores time": "Atlantic/Azores",
    "cape verde time": "Atlantic/Cape_Verde",
    "utc time": "UTC",
}

# Windows time-zone ids ("Eastern Standard Time"), from tzlocal's copy of CLDR's table.
WINDOWS_ZONES: dict[str, str] = {name.lower(): zone for name, zone in win_tz.items()}

# "(UTC-05:00) Eastern Time (US & Canada)": Windows display names and Rails' to_s.
_OFFSET_PREFIX = re.compile(r"^\((?:utc|gmt)\s*(?:[+-]\d{1,2}(?::?\d\d)?)?\)\s*")
_FIXED_OFFSET = re.compile(r"^(?:utc|gmt)\s*([+-])\s*(\d{1,2})(?::?(00))?$")


@cache
def _iana_by_lower() -> dict[str, str]:
    return {name.lower(): name for name in available_timezones()}


def _iana(key: str) -> str | None:
    for candidate in (key, key.replace(" ", "_")):
        found = _iana_by_lower().get(candidate.lower())
        if found:
            return found
    if "/" not in key or ".." in key:
        return None
    try:
        ZoneInfo(key)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        # OSError: Python 3.11 opens a region folder ("America") from the tzdata
        # package as if it were a zone and fails with IsADirectoryError.
        return None
    return key


def _named(low: str) -> str | None:
    for table in (RAILS_ZONES, CALENDLY_ZONES, WINDOWS_ZONES):
        if low in table:
            return table[low]
    # Calendly is not consistent about the trailing "Time" ("China, Singapore, Perth").
    if low.endswith(" time"):
        return CALENDLY_ZONES.get(low[: -len(" time")])
    return CALENDLY_ZONES.get(low + " time")


def zone_name(text: str) -> str | None:
    """The IANA zone a cell names, or None when it names none BarberBI can be sure of."""
    key = " ".join(str(text).split())
    if not key:
        return None
    low = key.lower()
    found = _named(low)
    if found is None:
        bare = _OFFSET_PREFIX.sub("", low)
        if bare != low and bare:
            found = _named(bare)
    if found is None:
        found = _iana(key)
    if found is None:
        # A fixed offset ("UTC+01:00", "GMT-5") is what the file says, without DST rules.
        m = _FIXED_OFFSET.match(low.replace(" ", ""))
        if m and int(m.group(2)) <= 14:
            hours = int(m.group(2))
            # Etc/GMT signs are inverted: Etc/GMT+5 is five hours *behind* UTC.
            behind = "+" if m.group(1) == "-" else "-"
            found = f"Etc/GMT{behind}{hours}" if hours else "UTC"
    return found
