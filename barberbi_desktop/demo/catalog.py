"""The demo shop's menu, products, names and price history.

Kept as data so the simulation reads like a description of a shop, and so
tests can refer to the same truth the generator used.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MenuItem:
    name: str
    category: str
    price_cents: int
    duration_min: int
    premium: bool
    elasticity: float  # true own-price elasticity of demand used by the simulation
    role: str  # "primary" (the visit's main service), "addon" or "kids"
    popularity: float  # relative base choice weight among its role


MENU: tuple[MenuItem, ...] = (
    MenuItem("Line Up", "cut", 1500, 15, False, -0.5, "primary", 0.6),
    MenuItem("Kids Cut", "cut", 2500, 30, False, -0.8, "kids", 1.0),
    MenuItem("Classic Cut", "cut", 3500, 45, False, -0.4, "primary", 3.0),
    MenuItem("Skin Fade", "cut", 4500, 45, False, -0.5, "primary", 2.4),
    MenuItem("Scissor Cut", "cut", 5000, 60, False, -0.6, "primary", 1.0),
    MenuItem("Cut & Beard", "package", 6000, 60, False, -0.6, "primary", 1.6),
    MenuItem("Hot Towel Shave", "beard", 4500, 45, True, -0.9, "primary", 0.5),
    MenuItem("The Executive", "package", 11000, 90, True, -0.7, "primary", 0.5),
    MenuItem("Royal Treatment", "package", 13500, 105, True, -0.8, "primary", 0.3),
    MenuItem("Beard Trim", "beard", 2000, 20, False, -1.0, "addon", 1.0),
    MenuItem("Grey Blending", "colour", 4000, 30, True, -1.1, "addon", 0.35),
    MenuItem("Scalp Treatment", "treatment", 3000, 20, False, -1.2, "addon", 0.45),
)

# (service, day offset from the start of the history, new price in cents)
PRICE_CHANGES: tuple[tuple[str, int, int], ...] = (
    ("Classic Cut", 300, 4000),
    ("Skin Fade", 330, 5200),
    ("Cut & Beard", 420, 6900),
    ("Beard Trim", 380, 2400),
    ("The Executive", 480, 12500),
)

PRODUCTS: tuple[tuple[str, int], ...] = (
    ("Matte Clay", 2600),
    ("Classic Pomade", 2400),
    ("Beard Oil", 2200),
    ("Daily Shampoo", 1800),
    ("Sea Salt Spray", 2000),
)

FIRST_NAMES = (
    "James",
    "Marcus",
    "Andre",
    "Luis",
    "Tyrone",
    "Kevin",
    "Omar",
    "Diego",
    "Ethan",
    "Noah",
    "Liam",
    "Mason",
    "Elijah",
    "Jamal",
    "Carlos",
    "Darnell",
    "Mateo",
    "Aiden",
    "Lucas",
    "Jayden",
    "Xavier",
    "Isaiah",
    "Malik",
    "Hector",
    "Victor",
    "Samuel",
    "Caleb",
    "Gabriel",
    "Julian",
    "Adrian",
    "Dominic",
    "Marco",
    "Terrence",
    "Rashad",
    "Devon",
    "Andres",
    "Felix",
    "Hugo",
    "Leon",
    "Theo",
    "Kai",
    "Zion",
    "Rafael",
    "Miguel",
    "Jordan",
    "Tristan",
    "Owen",
    "Cole",
    "Brandon",
    "Derek",
)
LAST_NAMES = (
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Perez",
    "Thompson",
    "White",
    "Harris",
    "Sanchez",
    "Clark",
    "Ramirez",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Torres",
    "Nguyen",
    "Hill",
    "Flores",
    "Green",
    "Adams",
    "Nelson",
    "Baker",
    "Hall",
    "Rivera",
    "Campbell",
    "Mitchell",
    "Carter",
    "Roberts",
    "Okafor",
    "Mensah",
)
BARBER_NAMES = (
    "Marcus Reed",
    "Tony Alvarez",
    "Dre Whitfield",
    "Sam Okoro",
    "Luis Navarro",
    "Keisha Grant",
    "Jay Patel",
    "Rico Santos",
    "Ben Fowler",
    "Malik Ware",
    "Chris Dunn",
    "Eddie Morales",
)

LOCATION_NAMES = (
    "Downtown",
    "Eastside",
    "Harbor",
    "Midtown",
    "Northgate",
    "Riverside",
    "Southpark",
    "Uptown",
    "Westfield",
    "Old Town",
)
TIMEZONES = (
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "America/New_York",
    "America/Chicago",
    "America/Phoenix",
    "America/New_York",
    "America/Los_Angeles",
    "America/Chicago",
)

REFERRAL_SOURCES = ("referral", "walk_by", "instagram", "google", "booking_app")
REFERRAL_WEIGHTS = (0.28, 0.18, 0.2, 0.22, 0.12)
CHANNELS = ("online", "phone", "walk_in")
PAYMENT_METHODS = ("card", "cash", "mobile")
