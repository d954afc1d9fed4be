"""Status, channel and item-type words in the languages exports come in.

Booking platforms translate cell values along with headers (Fresha exports in
the account's language, Booksy in Polish or Spanish, Square in the seller's).
These words are added to every profile's vocabulary, so a status reads the same
whichever platform wrote it: Spanish, French, Italian, German, Portuguese and
Polish beside English (profiles.py holds the English words). Masculine and
feminine forms are both listed because the platforms agree the word with
"appointment", "visit" or "booking" differently. A word that is not here is
still an error naming the cell, never read as completed.
"""

from __future__ import annotations

STATUS_WORDS: dict[str, list[str]] = {
    "completed": [
        "completado", "completada", "finalizado", "finalizada", "realizado", "realizada",
        "terminé", "terminée", "termine", "effectué", "effectuée",
        "completato", "completata", "concluso", "conclusa", "eseguito", "eseguita",
        "abgeschlossen", "erledigt", "durchgeführt",
        "concluído", "concluída", "concluido", "concluida", "realizado", "finalizado",
        "zakończona", "zakończony", "zrealizowana", "zrealizowane", "wykonana",
    ],
    "booked": [
        "nuevo", "nueva", "pendiente", "reservado", "reservada", "agendado", "agendada",
        "nouveau", "nouvelle", "en attente", "réservé", "réservée",
        "nuovo", "nuova", "in attesa", "prenotato", "prenotata",
        "neu", "ausstehend", "gebucht", "reserviert",
        "novo", "nova", "pendente", "marcado", "marcada",
        "nowa", "nowe", "oczekująca", "zarezerwowana", "zaplanowana",
    ],
    "confirmed": [
        "confirmado", "confirmada", "llegó", "en curso", "iniciado", "iniciada",
        "confirmé", "confirmée", "arrivé", "arrivée", "commencé", "commencée", "en cours",
        "confermato", "confermata", "arrivato", "arrivata", "iniziato", "iniziata", "in corso",
        "bestätigt", "angekommen", "begonnen", "läuft",
        "chegou", "em andamento", "iniciado",
        "potwierdzona", "potwierdzony", "przybył", "przybyła", "rozpoczęta", "w trakcie",
    ],
    "cancelled": [
        "cancelado", "cancelada", "anulado", "anulada",
        "annulé", "annulée", "annule",
        "annullato", "annullata", "cancellato", "cancellata", "disdetto", "disdetta",
        "storniert", "abgesagt", "annulliert",
        "desmarcado", "desmarcada",
        "anulowana", "anulowany", "odwołana", "odwołane",
    ],
    "no_show": [
        "no asistió", "no se presentó", "no presentado", "ausente", "inasistencia",
        "absent", "absente", "non présenté", "non présentée",
        "non presentato", "non presentata", "mancata presentazione", "assente",
        "nicht erschienen", "nichterscheinen",
        "não compareceu", "nao compareceu", "falta", "faltou",
        "nieobecny", "nieobecna", "nie przyszła", "nie stawił się", "nie stawiła się",
    ],
}  # fmt: skip

CHANNEL_WORDS: dict[str, list[str]] = {
    "online": ["en línea", "en linea", "reserva online", "en ligne", "réservation en ligne",
               "in linea", "prenotazione online", "internet", "rezerwacja online"],
    "phone": ["teléfono", "telefono", "téléphone", "telefon", "telefone", "telefonicznie",
              "personal", "équipe", "personale", "mitarbeiter", "equipe", "pracownik"],
    "walk_in": ["sin cita", "sans rendez-vous", "senza appuntamento", "ohne termin",
                "laufkundschaft", "sem marcação", "bez rezerwacji", "z ulicy"],
}  # fmt: skip

ITEM_TYPE_WORDS: dict[str, list[str]] = {
    "service": ["servicio", "servicios", "prestation", "prestations", "servizio", "servizi",
                "dienstleistung", "leistung", "serviço", "serviços", "usługa", "usługi"],
    "product": ["producto", "productos", "artículo físico", "produit", "produits", "prodotto",
                "prodotti", "produkt", "produkte", "artikel", "produto", "produtos"],
    "package": ["paquete", "forfait", "pacchetto", "paket", "pacote", "pakiet"],
    "gift_card": ["tarjeta regalo", "carte cadeau", "carte-cadeau", "carta regalo",
                  "buono regalo", "gutschein", "cartão presente", "vale presente",
                  "karta podarunkowa", "bon podarunkowy"],
    "tip": ["propina", "pourboire", "mancia", "trinkgeld", "gorjeta", "napiwek"],
    "tax": ["impuesto", "iva", "taxe", "tva", "imposta", "steuer", "mwst", "imposto",
            "podatek", "vat"],
    "discount": ["descuento", "remise", "réduction", "sconto", "rabatt", "desconto", "rabat",
                 "zniżka"],
}  # fmt: skip


def merged(english: dict[str, list[str]], other: dict[str, list[str]]) -> dict[str, list[str]]:
    """English words first, then the other languages', per canonical value."""
    return {key: [*english.get(key, []), *other.get(key, [])] for key in {*english, *other}}
