"""Platform profiles: what each booking platform calls things, kept as data.

A profile is a TOML file in ``resources/profiles`` (header synonyms per
canonical field, date and money conventions, status and item vocabularies).
Supporting a new platform, or a renamed column, is an edit to a data file, not
new code; the mapping step in the app writes the same structure.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from barberbi_desktop.errors import InputError
from barberbi_desktop.ingest.vocab import CHANNEL_WORDS, ITEM_TYPE_WORDS, STATUS_WORDS, merged

# Every field a profile may map a column to, with what it means.
FIELDS: dict[str, str] = {
    "appointment_id": "the platform's id of the appointment",
    "transaction_id": "the id that ties a payment to its line items",
    "start": "date and time the appointment starts",
    "start_date": "date the appointment starts (time in another column)",
    "start_time": "time the appointment starts",
    "time_range": "start and end time as one range, e.g. 15:30-16:00",
    "end": "date and time the appointment ends",
    "duration": "length of the appointment",
    "status": "the appointment's status",
    "cancelled": "a cancelled flag or date",
    "no_show": "a no-show flag",
    "event_type": "payment, refund, void",
    "client_id": "the platform's id of the client",
    "client_name": "client's full name",
    "client_first_name": "client's first name",
    "client_last_name": "client's last name",
    "client_email": "client's email",
    "client_phone": "client's phone",
    "phone_country": "country calling code of the phone",
    "barber": "the barber (staff member)",
    "service": "the service booked",
    "item_name": "the item sold",
    "item_type": "service, product, tip, tax or discount line",
    "category": "service category",
    "quantity": "quantity",
    "price": "price (money)",
    "discount": "discount (money)",
    "tax": "tax (money)",
    "tip": "tip (money)",
    "payment_method": "card, cash, ...",
    "card": "amount paid by card",
    "cash": "amount paid in cash",
    "channel": "online, phone, walk-in",
    "booked_at": "when the appointment was booked",
    "cancelled_at": "when a cancelled appointment was cancelled",
    "location": "the shop location",
    "timezone": "the time zone of the times in the row",
    "first_visit": "the client's first visit",
    "referral_source": "how the client found the shop",
    # Fields of client, service and staff lists.
    "client_phone_2": "another phone of the client (used where the first is blank)",
    "added": "when the client or staff member was added to the platform",
    "marketing_consent": "whether the client agreed to marketing messages",
    "birthday": "the client's birthday, with or without the year",
    "service_id": "the platform's id of the service",
    "staff_id": "the platform's id of the staff member",
    "staff_first_name": "the staff member's first name",
    "staff_last_name": "the staff member's last name",
    "active": "whether the staff member still works there (active, inactive)",
}

# What a file holds, by profile kind: the first three are booking exports, the rest lists.
BOOKING_KINDS = ("appointments", "lines", "payments")
LIST_KINDS = ("clients", "services", "staff")


def batch_kind(profile_kind: str) -> str:
    """The kind a report and a batch state: bookings, clients, services or staff."""
    return profile_kind if profile_kind in LIST_KINDS else "bookings"


STATUSES: dict[str, list[str]] = {
    "completed": [
        "completed", "complete", "done", "show", "showed", "checked out", "checkout",
        "paid", "finished", "closed", "served", "zakończone",
    ],
    "booked": ["booked", "new", "pending", "scheduled", "accept", "accepted", "upcoming",
               "reserved", "requested"],
    "confirmed": ["confirmed", "confirm", "in progress", "started", "arrived", "checked in"],
    "cancelled": ["cancelled", "canceled", "cancel", "cancellation", "deny", "denied",
                  "declined", "void", "voided", "rescheduled", "late cancel", "late cancellation"],
    "no_show": ["no show", "no-show", "noshow", "missed", "did not show", "no showed"],
}
CHANNELS: dict[str, list[str]] = {
    "online": ["online", "web", "website", "app", "online booking", "customer", "client",
               "booking site", "instagram", "google", "marketplace", "invitee"],
    "phone": ["phone", "call", "staff", "admin", "by phone", "calendar", "host"],
    "walk_in": ["walk-in", "walk in", "walkin", "pos", "point of sale", "register", "in person"],
}
ITEM_TYPES: dict[str, list[str]] = {
    "service": ["service", "services", "appointment"],
    "product": ["product", "retail", "physical item"],
    "package": ["package", "membership"],
    "gift_card": ["gift card", "gc", "gift certificate"],
    "tip": ["tip", "gratuity"],
    "tax": ["tax", "sales tax"],
    "discount": ["discount"],
}
# The same words in the other languages exports come in.
STATUSES = merged(STATUSES, STATUS_WORDS)
CHANNELS = merged(CHANNELS, CHANNEL_WORDS)
ITEM_TYPES = merged(ITEM_TYPES, ITEM_TYPE_WORDS)
# Rows the platform marks as refunds: their money lands as a negative adjustment line.
REFUND_EVENTS = {"refund", "partial refund", "refunded", "return", "reembolso",
                 "reembolso parcial", "remboursement", "remboursement partiel", "rimborso",
                 "erstattung", "rückerstattung", "zwrot"}

_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)


def normalise_header(text: str) -> str:
    """Case, punctuation, BOM and spacing do not distinguish two headers."""
    return _NON_WORD.sub(" ", text.replace("\ufeff", "").lower()).strip()


def normalise_word(text: str) -> str:
    return " ".join(text.lower().replace("_", " ").split())


@dataclass(frozen=True)
class Profile:
    name: str
    title: str
    kind: str  # appointments, lines, payments (bookings); clients, services, staff (lists)
    columns: dict[str, list[str]]
    signature: list[str]
    family: str | None = None
    # The signature in the other languages the platform exports in ("it" -> headers).
    signatures: dict[str, list[str]] = field(default_factory=dict)
    decimal: str = "auto"
    date_order: str = "ask"  # dmy, mdy or ask
    id_scope: str = "visit"  # visit, or series (the id names a recurring series)
    phone_country: str | None = None
    # The platform has no "completed" state: a confirmed visit in the past is one that happened.
    past_confirmed_is_completed: bool = False
    # The price column is the line's total (Square's Gross Sales), not the price of one.
    price_is_total: bool = False
    datetime_formats: list[str] = field(default_factory=list)
    statuses: dict[str, list[str]] = field(default_factory=dict)
    channels: dict[str, list[str]] = field(default_factory=dict)
    item_types: dict[str, list[str]] = field(default_factory=dict)

    def vocabulary(self, base: dict[str, list[str]], own: dict[str, list[str]]) -> dict[str, str]:
        words = {normalise_word(w): key for key, ws in base.items() for w in ws}
        words.update({normalise_word(w): key for key, ws in own.items() for w in ws})
        return words

    @property
    def status_words(self) -> dict[str, str]:
        return self.vocabulary(STATUSES, self.statuses)

    @property
    def channel_words(self) -> dict[str, str]:
        return self.vocabulary(CHANNELS, self.channels)

    @property
    def item_type_words(self) -> dict[str, str]:
        return self.vocabulary(ITEM_TYPES, self.item_types)


def _profile(data: dict[str, Any]) -> Profile:
    unknown = set(data.get("columns", {})) - set(FIELDS)
    if unknown:
        raise ValueError(f"profile {data['name']} maps to unknown fields {sorted(unknown)}")
    if data.get("kind") not in (*BOOKING_KINDS, *LIST_KINDS):
        raise ValueError(f"profile {data['name']} has an unknown kind {data.get('kind')!r}")
    return Profile(**data)


@cache
def profiles() -> dict[str, Profile]:
    folder = resources.files("barberbi_desktop.resources") / "profiles"
    out = {}
    for entry in sorted(folder.iterdir(), key=lambda p: p.name):
        if entry.name.endswith(".toml"):
            profile = _profile(tomllib.loads(entry.read_text(encoding="utf-8")))
            out[profile.name] = profile
    return out


def known_headers(saved: dict[str, Profile] | None = None) -> set[str]:
    """Every header any profile recognises, normalised (used to find the header row)."""
    every = [*profiles().values(), *(saved or {}).values()]
    return {normalise_header(h) for p in every for hs in p.columns.values() for h in hs}


@dataclass(frozen=True)
class Detection:
    profile: Profile
    confidence: float
    mapping: dict[str, str]  # canonical field -> the file's header


def _map(profile: Profile, header: list[str]) -> dict[str, str]:
    by_norm: dict[str, str] = {}
    for h in header:
        by_norm.setdefault(normalise_header(h), h)
    mapping = {}
    for fld, synonyms in profile.columns.items():
        for syn in synonyms:
            if normalise_header(syn) in by_norm:
                mapping[fld] = by_norm[normalise_header(syn)]
                break
    return mapping


def score(profile: Profile, header: list[str]) -> Detection:
    """How sure we are the file is this profile's layout, from 0 to 1.

    Mostly the share of the profile's signature headers present, partly the
    share of the file's headers the profile understands, so a file with a
    handful of generic columns ("Date", "Status") does not look like Square.
    """
    norm = {normalise_header(h) for h in header if h and not h.startswith("(column ")}
    sigs = [{normalise_header(s) for s in ss}
            for ss in [profile.signature, *profile.signatures.values()]]  # fmt: skip
    known = {normalise_header(s) for ss in profile.columns.values() for s in ss}
    known = known.union(*sigs)
    # The file is in one language: the best-matching signature is the one that counts.
    sig_share = max((len(sig & norm) / len(sig) for sig in sigs if sig), default=0.0)
    coverage = len(norm & known) / len(norm) if norm else 0.0
    return Detection(profile, round(0.75 * sig_share + 0.25 * coverage, 3), _map(profile, header))


def platform_title(name: str | None) -> str:
    """A platform by the name owners know it by ("Square item sales"), not its key; a
    saved mapping's name is the owner's own and is shown as it is."""
    if not name:
        return "unknown platform"
    found = profiles().get(name)
    return found.title if found is not None else name


def detect(header: list[str], saved: dict[str, Profile] | None = None) -> list[Detection]:
    """Every profile (built in, and ``saved`` mappings) scored against the header, best first."""
    return sorted(
        (score(p, header) for p in (profiles() | (saved or {})).values()),
        key=lambda d: (-d.confidence, d.profile.name),
    )


def resolve(
    file_name: str,
    header: list[str],
    platform: str | None = None,
    overrides: dict[str, str] | None = None,
    min_confidence: float = 0.5,
    saved: dict[str, Profile] | None = None,
) -> Detection:
    """The profile and column mapping to use for a file, or one sentence saying why none fits.

    ``saved`` are the shop's saved mappings (`saved_profiles`), named and detected like
    the built-in platforms.
    """
    table = profiles() | (saved or {})
    if platform is not None:
        name = {"template": "barberbi", "square": "square_transactions"}.get(platform, platform)
        if name not in table:
            raise InputError(
                f"{platform!r} is not a platform BarberBI knows; choose one of "
                f"{', '.join(sorted(table))}."
            )
        found = score(table[name], header)
    else:
        found = detect(header, saved)[0]
        if found.confidence < min_confidence and not overrides:
            # A line break inside a quoted header cell must not break the sentence over lines.
            shown = ", ".join(re.sub(r"[\x00-\x1f\x7f]+", " ", h) for h in header[:8] if h)
            raise InputError(
                f"{file_name}: the columns ({shown}{', ...' if len(header) > 8 else ''}) do not "
                "match any platform BarberBI knows; use the BarberBI template, or map the "
                "columns with --platform barberbi --map FIELD=COLUMN."
            )
    mapping = dict(found.mapping)
    for fld, column in (overrides or {}).items():
        if fld not in FIELDS:
            raise InputError(f"--map {fld}=...: {fld!r} is not a field BarberBI imports.")
        if not column.strip():  # an empty column name un-maps the field
            mapping.pop(fld, None)
            continue
        match = next((h for h in header if normalise_header(h) == normalise_header(column)), None)
        if match is None:
            raise InputError(f"{file_name} has no column called {column!r} (for {fld}).")
        mapping[fld] = match
    return Detection(found.profile, found.confidence, mapping)
