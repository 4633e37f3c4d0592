"""The catalogue of named rights, in the original product's style, and the default roles."""

from __future__ import annotations

MESSAGES_ADD = "MESSAGES / Entité / Ajout message"
MESSAGES_READ = "MESSAGES / Entité / Lecture"
MESSAGES_REMARKS = "MESSAGES / Remarques clients"
MESSAGES_TASKS_FOLLOW = "MESSAGES / Suivi des tâches"
MESSAGES_ON_CALL = "MESSAGES / Astreinte"
CONTACTS_ADD = "CONTACTS / Entité / Ajout contact"
CLIENTS_SETTINGS = "COMPTES / Clients / Paramètres"
CLIENTS_EDIT = "COMPTES / Clients / Modification"
ROLES_EDIT = "COMPTES / Rôles / Modification"
TEMPLATES = "TEMPLATE / Messages"
DELIVERY_OUTBOX = "MESSAGES / Boîte d'envoi"
PLANNING_VIEW = "PLANNING / Semaine / Planning avec rendez-vous"
PLANNING_ADD = "PLANNING / Rendez-vous / Ajout rendez-vous"
PLANNING_TYPES = "PLANNING / Motifs de rendez-vous"
PLANNING_NOTICE = "PLANNING / Semaine / Possibilité de prévenir d'un retard ou d'une absence"
AUDIT_READ = "SÉCURITÉ / Traces et consultations"
DATA_POLICY = "SÉCURITÉ / Conservation, effacement et accès"
MESSAGES_HELD_REPLIES = "MESSAGES / Réponses à vérifier"
CALLS_JOURNAL = "APPELS / Journal"

CATALOGUE: dict[str, str] = {
    MESSAGES_READ: "Lire les messages des dossiers clients",
    MESSAGES_ADD: "Écrire un message sur un dossier client",
    MESSAGES_TASKS_FOLLOW: "Voir le suivi des tâches de la permanence",
    MESSAGES_REMARKS: "Lire les remarques des clients",
    MESSAGES_ON_CALL: "Régler l'astreinte, la prise en compte et l'escalade d'un client",
    DELIVERY_OUTBOX: "Consulter les copies envoyées (e-mail, SMS, fax)",
    MESSAGES_HELD_REPLIES: "Rattacher ou écarter les réponses reçues d'expéditeurs inconnus",
    CONTACTS_ADD: "Ajouter un contact à un dossier client",
    PLANNING_VIEW: "Voir le planning et les mouvements d'un dossier client",
    PLANNING_ADD: "Prendre, déplacer et annuler des rendez-vous",
    PLANNING_TYPES: "Gérer les motifs de rendez-vous",
    PLANNING_NOTICE: "Prévenir les patients d'un retard ou d'une absence",
    CALLS_JOURNAL: "Consulter le journal des appels de la permanence",
    CLIENTS_EDIT: "Modifier les coordonnées d'un client",
    CLIENTS_SETTINGS: "Modifier les paramètres du compte d'un client",
    TEMPLATES: "Gérer les modèles de messages",
    ROLES_EDIT: "Modifier les droits des rôles",
    AUDIT_READ: "Voir qui a lu quels messages et le journal de sécurité",
    DATA_POLICY: "Régler les durées de conservation, effacer un message, exporter les données",
}

OPERATEUR = "operateur"
SUPERVISEUR = "superviseur"
GERANT = "gerant"

ROLE_LABELS = {OPERATEUR: "Opérateur", SUPERVISEUR: "Superviseur", GERANT: "Gérant"}

DEFAULT_ROLE_PERMISSIONS: dict[str, list[str]] = {
    OPERATEUR: [
        MESSAGES_READ,
        MESSAGES_ADD,
        MESSAGES_TASKS_FOLLOW,
        CONTACTS_ADD,
        PLANNING_VIEW,
        PLANNING_ADD,
        PLANNING_NOTICE,
    ],
    SUPERVISEUR: [
        MESSAGES_READ,
        MESSAGES_ADD,
        MESSAGES_TASKS_FOLLOW,
        MESSAGES_REMARKS,
        DELIVERY_OUTBOX,
        MESSAGES_HELD_REPLIES,
        CONTACTS_ADD,
        CLIENTS_EDIT,
        PLANNING_VIEW,
        PLANNING_ADD,
        PLANNING_NOTICE,
        CALLS_JOURNAL,
    ],
    GERANT: list(CATALOGUE),
}

# A gérant can never lock himself out of the roles page.
LOCKED: dict[str, set[str]] = {GERANT: {ROLES_EDIT}}
