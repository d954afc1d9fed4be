"""BarberBI Desktop: business intelligence for barbershop owners."""

__version__ = "0.1.0"
