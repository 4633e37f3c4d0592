"""Demo data: two French permanences to log in to and try every feature.

This module stays free of Django imports so a run script can print LOGINS before setup.
The seeding itself is relais.demo.seed.demo_seed (called by `manage.py seed_demo`).
"""

PASSWORD = "relais-demo"

LOGINS: list[tuple[str, str]] = [
    ("gerant@azur.example", "Gérant de la Permanence Azur (tous les droits)"),
    ("superviseur@azur.example", "Superviseure de la Permanence Azur (voit les remarques clients)"),
    ("operateur@azur.example", "Opératrice de la Permanence Azur"),
    ("operateur2@azur.example", "Opérateur de la Permanence Azur"),
    ("operateur3@azur.example", "Opératrice de la Permanence Azur"),
    ("client@azur.example", "Compte client du Dr Cécile Lemoine (médecin généraliste)"),
    ("remplacant@azur.example", "Compte client du Dr Thomas Girard, remplaçant du Dr Lemoine"),
    ("dr.roche@azur.example", "Compte client du Cabinet dentaire des Calanques (Dr Roche)"),
    ("gerant@horizon.example", "Gérante de la Permanence Horizon (autre permanence)"),
]
