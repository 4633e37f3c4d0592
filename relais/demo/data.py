"""What the demo permanences contain, as plain data. relais.demo.seed turns it into rows.

Times are relative to the moment of seeding: `Ago(minutes=…)` for today, `At(days, "HH:MM")`
for a past day (Europe/Paris). Phone numbers are written the French way and normalised by the
same helper the services use.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from relais.tenancy import permissions as perms


@dataclass(frozen=True)
class Ago:
    minutes: int


@dataclass(frozen=True)
class At:
    days: int
    hm: str


Moment = Ago | At


@dataclass
class Staff:
    key: str
    email: str
    first_name: str
    last_name: str
    role: str
    mobile: str = ""


@dataclass
class ClientUser:
    key: str
    email: str
    first_name: str
    last_name: str
    mobile: str = ""


@dataclass
class ContactSpec:
    name: str
    phone: str = ""
    phone2: str = ""
    email: str = ""
    note: str = ""


@dataclass
class ClientSpec:
    key: str
    name: str
    trade: str
    email: str = ""
    mobile: str = ""
    phone: str = ""
    fax: str = ""
    address: str = ""
    company: str = ""
    default_copy_email: bool = False
    default_copy_sms: bool = False
    default_copy_fax: bool = False
    message_info: str = ""
    default_template: str = ""
    users: list[ClientUser] = field(default_factory=list)
    contacts: list[ContactSpec] = field(default_factory=list)


@dataclass
class TemplateSpec:
    key: str
    name: str
    subject: str
    body: str
    consigne: str = ""
    auto_vad: bool = False
    auto_circle: bool = False
    clients: list[str] = field(default_factory=list)


@dataclass
class ReplySpec:
    author: str
    body: str
    after: int  # minutes after the previous step
    make_task: bool = False


@dataclass
class TaskSpec:
    action: str  # todo / done / cancel
    user: str
    after: int  # minutes after the previous step


@dataclass
class MessageSpec:
    key: str
    client: str
    author: str
    when: Moment
    subject: str
    body: str
    contact: str = ""
    template: str = ""
    cc: list[str] = field(default_factory=list)
    is_task: bool = False
    due_in_days: int | None = None  # a day task: due today + n days
    is_urgent: bool = False
    is_private: bool = False
    is_vad: bool = False
    is_client_remark: bool = False
    copy_circle: bool = False
    copy_email: bool = False
    copy_sms: bool = False
    # Steps after the send, in order: replies, task changes and reads.
    steps: list[ReplySpec | TaskSpec | str] = field(default_factory=list)


@dataclass
class InstructionSpec:
    client: str
    text: str
    show_message: bool = True
    show_agenda: bool = False
    show_sheet: bool = False


@dataclass
class PermanenceSpec:
    slug: str
    name: str
    staff: list[Staff]
    companies: dict[str, tuple[str, list[str]]]  # key -> (name, circle user keys)
    clients: list[ClientSpec]
    shares: list[tuple[str, str]]  # (client key, user key)
    templates: list[TemplateSpec]
    messages: list[MessageSpec]
    instructions: list[InstructionSpec] = field(default_factory=list)
    phrases: list[str] = field(default_factory=list)  # Aide à la saisie, in order
    banners: list[str] = field(default_factory=list)  # Bandeau message on the staff home


def azur(today: dt.date) -> PermanenceSpec:
    back = today + dt.timedelta(days=9)
    return PermanenceSpec(
        slug="azur",
        name="Permanence Azur",
        staff=[
            Staff(
                "gerant", "gerant@azur.example", "Philippe", "Roux", perms.GERANT, "06 11 22 33 44"
            ),
            Staff(
                "superviseur",
                "superviseur@azur.example",
                "Sophie",
                "Garnier",
                perms.SUPERVISEUR,
                "06 22 33 44 55",
            ),
            Staff("op1", "operateur@azur.example", "Léa", "Fontaine", perms.OPERATEUR),
            Staff("op2", "operateur2@azur.example", "Karim", "Benali", perms.OPERATEUR),
            Staff("op3", "operateur3@azur.example", "Émilie", "Chevalier", perms.OPERATEUR),
        ],
        companies={
            "calanques": (
                "Cabinet dentaire des Calanques",
                ["roche_u", "nguyen_u", "marchetti_u"],
            )
        },
        clients=[
            ClientSpec(
                "lemoine",
                "Dr Cécile Lemoine",
                "Médecin généraliste",
                email="cecile.lemoine@cabinet-lemoine.example",
                mobile="06 12 34 56 78",
                phone="04 91 54 32 10",
                fax="04 91 54 32 11",
                address="12 rue Paradis, 13001 Marseille",
                default_copy_email=True,
                message_info=f"Absente jusqu'au {back:%d/%m} – remplacée par le Dr Girard",
                users=[
                    ClientUser(
                        "lemoine_u", "client@azur.example", "Cécile", "Lemoine", "06 12 34 56 78"
                    )
                ],
                contacts=[
                    ContactSpec("Hélène Moreau", "06 71 23 45 89", note="Patiente depuis 2015."),
                    ContactSpec("Jean-François Lefèvre", "04 91 23 45 67", "06 45 12 78 90"),
                    ContactSpec("Françoise Bézier", "06 33 21 54 76"),
                    ContactSpec("Noël Durand", "07 81 23 45 67"),
                    ContactSpec("Maëlle Girardot", "06 98 76 54 32", email="maelle.g@mail.example"),
                    ContactSpec("Pharmacie du Prado", "04 91 76 54 32", note="Demander M. Aubert."),
                    ContactSpec("Laboratoire Bioalliance", "04 91 37 82 10"),
                ],
            ),
            ClientSpec(
                "girard",
                "Dr Thomas Girard",
                "Médecin remplaçant",
                email="thomas.girard@medecin.example",
                mobile="06 87 65 43 21",
                users=[
                    ClientUser(
                        "girard_u", "remplacant@azur.example", "Thomas", "Girard", "06 87 65 43 21"
                    )
                ],
                contacts=[ContactSpec("Cabinet du Dr Lemoine", "04 91 54 32 10")],
            ),
            ClientSpec(
                "roche",
                "Dr Antoine Roche",
                "Chirurgien-dentiste",
                email="dr.roche@calanques-dentaire.example",
                phone="04 91 33 12 40",
                mobile="06 50 12 34 56",
                address="5 rue Sainte, 13007 Marseille",
                company="calanques",
                users=[ClientUser("roche_u", "dr.roche@azur.example", "Antoine", "Roche")],
                contacts=[
                    ContactSpec("Bastien Lefort", "06 24 68 13 57"),
                    ContactSpec("Sébastien Perrin", "06 13 57 92 46"),
                    ContactSpec("Anaïs Ould-Ali", "07 66 12 34 56"),
                ],
            ),
            ClientSpec(
                "nguyen",
                "Dr Camille Nguyen",
                "Chirurgien-dentiste",
                email="dr.nguyen@calanques-dentaire.example",
                phone="04 91 33 12 41",
                company="calanques",
                users=[ClientUser("nguyen_u", "dr.nguyen@azur.example", "Camille", "Nguyen")],
                contacts=[
                    ContactSpec("Gaëlle Roussel", "06 31 42 53 64"),
                    ContactSpec("Eaux de Marseille", "04 91 83 17 00"),
                ],
            ),
            ClientSpec(
                "marchetti",
                "Dr Élodie Marchetti",
                "Orthodontiste",
                email="dr.marchetti@calanques-dentaire.example",
                phone="04 91 33 12 42",
                company="calanques",
                users=[
                    ClientUser("marchetti_u", "dr.marchetti@azur.example", "Élodie", "Marchetti")
                ],
                contacts=[
                    ContactSpec("Inès Belkacem", "06 72 83 94 05", note="Maman de Yanis (12 ans)."),
                    ContactSpec("Théo Lambert", "06 14 25 36 47"),
                ],
            ),
            ClientSpec(
                "plombier",
                "Plomberie Bérard & Fils",
                "Plombier chauffagiste",
                email="contact@plomberie-berard.example",
                mobile="06 09 87 65 43",
                phone="04 91 47 20 30",
                address="88 avenue de la Capelette, 13010 Marseille",
                default_copy_sms=True,
                users=[
                    ClientUser(
                        "plombier_u", "yannick@plomberie-berard.example", "Yannick", "Bérard"
                    )
                ],
                contacts=[
                    ContactSpec("Agnès Lacroix", "06 41 52 63 74", note="Locataire, 3e étage."),
                    ContactSpec("Rémi Chabert", "07 52 63 74 85"),
                    ContactSpec("Syndic Méditerranée Gestion", "04 91 90 80 70"),
                ],
            ),
            ClientSpec(
                "avocat",
                "Maître Laurence Dufour-Aubert",
                "Avocate en droit de la famille",
                email="cabinet@dufour-aubert-avocat.example",
                phone="04 91 55 66 77",
                fax="04 91 55 66 78",
                address="40 rue Grignan, 13001 Marseille",
                default_copy_email=True,
                users=[
                    ClientUser(
                        "avocat_u", "laurence@dufour-aubert-avocat.example", "Laurence", "Dufour"
                    )
                ],
                contacts=[
                    ContactSpec("Stéphanie Lebœuf", "06 58 69 70 81"),
                    ContactSpec("Greffe du tribunal judiciaire", "04 91 15 50 50"),
                    ContactSpec("Maître Olivier Pagès", "04 91 02 03 04"),
                ],
            ),
            ClientSpec(
                "kine",
                "Cabinet de kinésithérapie Vauban",
                "Masseur-kinésithérapeute",
                email="secretariat@kine-vauban.example",
                phone="04 91 37 48 59",
                address="3 boulevard Vauban, 13006 Marseille",
                default_template="rdv",
                users=[ClientUser("kine_u", "julien@kine-vauban.example", "Julien", "Ménard")],
                contacts=[
                    ContactSpec("Léon Fabre", "06 36 47 58 69"),
                    ContactSpec("Océane Dumas", "07 85 96 07 18"),
                    ContactSpec("Clément Noël", "06 19 28 37 46"),
                ],
            ),
            ClientSpec(
                "veto",
                "Clinique vétérinaire des Goudes",
                "Vétérinaire",
                email="accueil@veto-goudes.example",
                phone="04 91 73 21 09",
                mobile="06 77 88 99 00",
                users=[ClientUser("veto_u", "margaux@veto-goudes.example", "Margaux", "Lopez")],
                contacts=[
                    ContactSpec("Grégory Sanchez", "06 81 92 03 14"),
                    ContactSpec("Haras de la Gineste", "04 42 01 23 45"),
                ],
            ),
            ClientSpec(
                "serrurier",
                "Serrurerie Provençale",
                "Serrurier – dépannage 7j/7",
                mobile="07 81 45 67 89",
                phone="04 91 62 73 84",
                contacts=[
                    ContactSpec("Chloé Vidal", "06 27 38 49 50"),
                    ContactSpec("Agence Immo Prado", "04 91 79 80 81"),
                ],
            ),
            ClientSpec(
                "infirmiere",
                "Isabelle Caron",
                "Infirmière libérale",
                email="isabelle.caron@soins.example",
                mobile="06 63 74 85 96",
                users=[
                    ClientUser("infirmiere_u", "isabelle.caron@soins.example", "Isabelle", "Caron")
                ],
                contacts=[
                    ContactSpec("Lucienne Barbier", "04 91 26 37 48", note="Code porte 2580."),
                    ContactSpec("René Bonnet", "06 48 59 60 71"),
                ],
            ),
        ],
        shares=[("lemoine", "girard_u")],
        templates=[
            TemplateSpec(
                "rappel",
                "Rappel patient",
                "Rappel patient",
                "Merci de rappeler le patient au numéro indiqué.\nMotif de l'appel : \n"
                "Disponibilités : ",
                consigne="Noter le numéro de rappel et les heures où le patient est joignable.",
            ),
            TemplateSpec(
                "rdv",
                "Demande de rendez-vous",
                "Demande de rendez-vous",
                "Demande de rendez-vous.\nMotif : \nDisponibilités : ",
                consigne="Proposer d'abord les créneaux libres du planning.",
            ),
            TemplateSpec(
                "degat",
                "Urgence dégât des eaux",
                "URGENCE – dégât des eaux",
                "Fuite signalée.\nAdresse exacte et étage : \nL'eau est-elle coupée : \n"
                "Voisins touchés : ",
                consigne="Demander l'adresse, l'étage et si l'arrivée d'eau est coupée. "
                "Cocher Urgent.",
                clients=["plombier"],
            ),
            TemplateSpec(
                "vad",
                "Visite à domicile",
                "Demande de VAD",
                "Demande de visite à domicile.\nAdresse, étage et code d'accès : \nMotif : ",
                consigne="Toujours demander le code d'accès et l'étage.",
                auto_vad=True,
                clients=["lemoine", "girard", "infirmiere", "veto"],
            ),
            TemplateSpec(
                "cercle",
                "Information au cabinet",
                "Information pour tout le cabinet",
                "Information à transmettre à l'ensemble des praticiens : ",
                auto_circle=True,
                clients=["roche", "nguyen", "marchetti"],
            ),
        ],
        messages=_azur_messages(),
        instructions=[
            InstructionSpec("lemoine", "Ne jamais communiquer le numéro personnel du Dr Lemoine."),
            InstructionSpec(
                "lemoine",
                "Pendant son absence, les visites à domicile sont assurées par le Dr Girard.",
                show_agenda=True,
            ),
            InstructionSpec(
                "plombier",
                "Dégât des eaux : après l'envoi du message, appeler Yannick au 06 09 87 65 43.",
                show_sheet=True,
            ),
            InstructionSpec(
                "roche", "Pas de rendez-vous le mercredi après-midi.", show_agenda=True
            ),
            InstructionSpec("kine", "Toujours demander si le patient a une ordonnance."),
            InstructionSpec(
                "veto",
                "Urgence vitale la nuit : orienter vers la clinique de garde au 04 91 73 21 09.",
            ),
        ],
        phrases=[
            "Merci de rappeler au numéro indiqué.",
            "Demande à être rappelé(e) en fin de matinée.",
            "Ne peut pas se déplacer.",
            "A déjà laissé un message hier.",
            "Rappellera plus tard.",
            "Souhaite un rendez-vous dès que possible.",
        ],
        banners=["Réunion d'équipe vendredi à 14h : le standard est assuré par Karim et Émilie."],
    )


def _azur_messages() -> list[MessageSpec]:
    return [
        MessageSpec(
            "m01",
            "lemoine",
            "op1",
            At(4, "08:42"),
            "Rappel patient",
            "Mme Moreau souhaite être rappelée au sujet des résultats de sa prise de sang.\n"
            "Disponible ce matin jusqu'à 11h.",
            contact="Hélène Moreau",
            template="rappel",
            steps=[
                "lemoine_u",
                ReplySpec("lemoine_u", "Rappelée ce matin, les résultats sont normaux.", 50),
                "op1",
            ],
        ),
        MessageSpec(
            "m02",
            "lemoine",
            "op2",
            At(3, "10:05"),
            "Demande de VAD",
            "M. Lefèvre, 84 ans, a de la fièvre depuis hier soir et ne peut pas se déplacer.\n"
            "Adresse : 27 boulevard Baille, 13005 Marseille, 3e étage.",
            contact="Jean-François Lefèvre",
            template="vad",
            is_task=True,
            is_vad=True,
            steps=[
                "girard_u",
                ReplySpec("girard_u", "Je passe chez lui en fin de matinée.", 40),
                "op2",
                TaskSpec("done", "op2", 300),
            ],
        ),
        MessageSpec(
            "m03",
            "lemoine",
            "op1",
            At(2, "14:30"),
            "Pharmacie : posologie illisible",
            "La pharmacie du Prado ne parvient pas à lire la posologie de l'amoxicilline sur "
            "l'ordonnance de M. Noël Durand.\nMerci de les rappeler au 04 91 76 54 32.",
            contact="Pharmacie du Prado",
            is_task=True,
        ),
        MessageSpec(
            "m04",
            "lemoine",
            "op3",
            At(1, "09:20"),
            "Résultat d'analyse anormal",
            "Le laboratoire Bioalliance signale une kaliémie à 6,1 pour Mme Françoise Bézier.\n"
            "Ils demandent un rappel rapide du médecin.",
            contact="Laboratoire Bioalliance",
            is_urgent=True,
            steps=["girard_u"],
        ),
        MessageSpec(
            "m05",
            "lemoine",
            "op2",
            At(2, "11:50"),
            "Appel personnel",
            "Votre notaire, Maître Olivier Pagès, a appelé à titre personnel.\n"
            "Il vous rappellera lundi, inutile de le rappeler.",
            is_private=True,
            steps=["lemoine_u"],
        ),
        MessageSpec(
            "m06",
            "lemoine",
            "op1",
            Ago(95),
            "Renouvellement d'ordonnance",
            "Mme Girardot passera récupérer son ordonnance de renouvellement (Levothyrox) "
            "cet après-midi.\nMerci de la préparer à l'accueil.",
            contact="Maëlle Girardot",
            is_task=True,
            due_in_days=0,
        ),
        MessageSpec(
            "m07",
            "lemoine",
            "op3",
            Ago(35),
            "Demande de rendez-vous",
            "Demande un rendez-vous en urgence pour sa fille (douleur à l'oreille, fièvre).\n"
            "Disponible toute la journée.",
            contact="Hélène Moreau",
            template="rdv",
            is_urgent=True,
        ),
        MessageSpec(
            "m08",
            "lemoine",
            "lemoine_u",
            At(2, "18:10"),
            "Absence et remplacement",
            "Je serai absente à partir de jeudi. Le Dr Girard me remplace : merci de lui "
            "transmettre les demandes de visite à domicile.",
            steps=[
                ReplySpec("superviseur", "Bien noté, l'équipe est prévenue. Bonnes vacances !", 25),
                "lemoine_u",
            ],
        ),
        MessageSpec(
            "m09",
            "lemoine",
            "lemoine_u",
            At(1, "19:45"),
            "Code d'accès oublié",
            "Le message concernant M. Lefèvre ne mentionnait pas le code d'accès de "
            "l'immeuble : le Dr Girard a attendu dix minutes en bas. Merci d'y être attentifs.",
            is_client_remark=True,
            steps=[
                "gerant",
                ReplySpec(
                    "gerant",
                    "Merci pour votre retour. Nous avons rappelé la consigne à toute l'équipe.",
                    90,
                ),
            ],
        ),
        MessageSpec(
            "m10",
            "girard",
            "op2",
            At(1, "16:00"),
            "Confirmation de remplacement",
            "Le secrétariat du Dr Lemoine confirme votre remplacement.\n"
            "Les clés du cabinet sont à récupérer à la pharmacie du Prado.",
            contact="Cabinet du Dr Lemoine",
            steps=["girard_u"],
        ),
        MessageSpec(
            "m11",
            "roche",
            "op1",
            At(3, "11:15"),
            "Urgence dentaire",
            "M. Lefort a une douleur intense depuis deux jours, la joue gonflée.\n"
            "Il demande un rendez-vous aujourd'hui.",
            contact="Bastien Lefort",
            is_urgent=True,
            is_task=True,
            steps=[
                "roche_u",
                ReplySpec("roche_u", "Je le prends à 17h30.", 20),
                ReplySpec("op3", "Rendez-vous confirmé à M. Lefort pour 17h30.", 15),
                TaskSpec("done", "op3", 1),
            ],
        ),
        MessageSpec(
            "m12",
            "nguyen",
            "op2",
            At(2, "09:00"),
            "Information pour tout le cabinet",
            "La société des Eaux de Marseille annonce une coupure d'eau jeudi de 8h à 12h "
            "rue Sainte.\nLes rendez-vous du matin sont à décaler.",
            contact="Eaux de Marseille",
            template="cercle",
            copy_circle=True,
            steps=["nguyen_u", "roche_u"],
        ),
        MessageSpec(
            "m13",
            "marchetti",
            "op3",
            At(1, "15:40"),
            "Demande de devis orthodontie",
            "Mme Belkacem souhaite un devis pour un appareil dentaire pour son fils Yanis "
            "(12 ans).\nElle préfère être rappelée après 17h.",
            contact="Inès Belkacem",
            cc=["roche_u"],
        ),
        MessageSpec(
            "m14",
            "roche",
            "op1",
            Ago(20),
            "Annulation de rendez-vous",
            "M. Perrin annule son rendez-vous de demain 10h (raison professionnelle) et "
            "demande un nouveau créneau la semaine prochaine.",
            contact="Sébastien Perrin",
            is_task=True,
            due_in_days=1,
        ),
        MessageSpec(
            "m15",
            "plombier",
            "op2",
            At(4, "07:55"),
            "URGENCE – dégât des eaux",
            "Fuite importante sous l'évier, l'eau coule chez le voisin du dessous.\n"
            "Adresse : 14 rue d'Italie, 13006 Marseille, 3e étage.\n"
            "L'arrivée d'eau est coupée.",
            contact="Agnès Lacroix",
            template="degat",
            is_urgent=True,
            is_task=True,
            copy_sms=True,
            steps=[
                "plombier_u",
                ReplySpec(
                    "plombier_u",
                    "Intervention faite : joint du siphon remplacé. Devis envoyé à la locataire.",
                    150,
                ),
                TaskSpec("done", "op1", 10),
                "op2",
            ],
        ),
        MessageSpec(
            "m16",
            "plombier",
            "op1",
            At(1, "11:30"),
            "Demande de devis salle de bain",
            "Rénovation complète d'une salle de bain (douche à l'italienne).\n"
            "M. Chabert est disponible le samedi matin pour la visite.",
            contact="Rémi Chabert",
            is_task=True,
            due_in_days=1,
            steps=["plombier_u"],
        ),
        MessageSpec(
            "m17",
            "plombier",
            "op3",
            Ago(10),
            "Chaudière collective en panne",
            "Le syndic signale une chaudière collective en panne au 22 rue d'Italie : "
            "12 logements sans chauffage ni eau chaude.",
            contact="Syndic Méditerranée Gestion",
            is_urgent=True,
            is_task=True,
        ),
        MessageSpec(
            "m18",
            "avocat",
            "op1",
            At(3, "15:10"),
            "Demande de rendez-vous",
            "Mme Lebœuf souhaite un premier rendez-vous pour une procédure de divorce.\n"
            "Disponible les mardis après-midi.",
            contact="Stéphanie Lebœuf",
            template="rdv",
            copy_email=True,
            steps=[
                "avocat_u",
                ReplySpec("avocat_u", "Proposez-lui mardi à 15h.", 90),
                ReplySpec("op2", "Rendez-vous confirmé avec Mme Lebœuf mardi à 15h.", 30),
                "avocat_u",
            ],
        ),
        MessageSpec(
            "m19",
            "avocat",
            "op2",
            At(1, "17:50"),
            "Appel du greffe",
            "Le greffe du tribunal judiciaire de Marseille a appelé : l'audience Garcia "
            "est reportée.\nMerci de rappeler le 04 91 15 50 50.",
            contact="Greffe du tribunal judiciaire",
            is_task=True,
            due_in_days=0,
            steps=["avocat_u"],
        ),
        MessageSpec(
            "m20",
            "kine",
            "op3",
            At(2, "10:25"),
            "Demande de rendez-vous",
            "Rééducation du genou après ligamentoplastie, ordonnance de 15 séances.\n"
            "Disponible en fin de journée.",
            contact="Léon Fabre",
            template="rdv",
            steps=["kine_u"],
        ),
        MessageSpec(
            "m21",
            "kine",
            "op1",
            Ago(60),
            "Annulation de séance",
            "Mme Dumas annule sa séance de 18h ce soir (enfant malade).",
            contact="Océane Dumas",
        ),
        MessageSpec(
            "m22",
            "kine",
            "kine_u",
            At(2, "12:40"),
            "Temps d'attente au téléphone",
            "Plusieurs patients nous disent avoir attendu longtemps avant que vous ne "
            "décrochiez lundi matin.",
            is_client_remark=True,
        ),
        MessageSpec(
            "m23",
            "veto",
            "op2",
            At(1, "21:40"),
            "Urgence : chien intoxiqué",
            "Le chien de M. Sanchez (labrador, 4 ans) a mangé du chocolat noir il y a une "
            "heure. Vomissements.",
            contact="Grégory Sanchez",
            is_urgent=True,
            steps=[
                "veto_u",
                ReplySpec("veto_u", "Vu en urgence à la clinique, il va bien.", 45),
            ],
        ),
        MessageSpec(
            "m24",
            "veto",
            "op3",
            Ago(150),
            "Visite au haras",
            "Une jument boite depuis ce matin (antérieur gauche).\n"
            "Le haras demande une visite dans la journée.",
            contact="Haras de la Gineste",
            template="vad",
            is_vad=True,
            is_task=True,
            due_in_days=0,
        ),
        MessageSpec(
            "m25",
            "serrurier",
            "op1",
            At(2, "23:15"),
            "Porte claquée",
            "Clés restées à l'intérieur, 8 rue Paradis, 2e étage.\n"
            "Mme Vidal attend devant la porte.",
            contact="Chloé Vidal",
            is_urgent=True,
            is_task=True,
            steps=[TaskSpec("done", "op2", 45)],
        ),
        MessageSpec(
            "m26",
            "serrurier",
            "op2",
            Ago(5),
            "Changement de serrure",
            "Changement de cylindre après le départ d'un locataire, à planifier cette semaine.",
            contact="Agence Immo Prado",
            is_task=True,
        ),
        MessageSpec(
            "m27",
            "infirmiere",
            "op3",
            At(1, "07:30"),
            "Soins à domicile",
            "Pansement quotidien après une opération de la hanche, à partir de demain.\n"
            "45 avenue de la Capelette, rez-de-chaussée.",
            contact="Lucienne Barbier",
            template="vad",
            is_vad=True,
            is_task=True,
            due_in_days=1,
            steps=["infirmiere_u"],
        ),
        MessageSpec(
            "m28",
            "infirmiere",
            "op1",
            At(3, "12:00"),
            "Prise de sang à jeun",
            "Prise de sang à domicile demandée jeudi à 7h30 (bilan lipidique).",
            contact="René Bonnet",
            is_task=True,
            steps=["infirmiere_u", TaskSpec("done", "infirmiere_u", 1200)],
        ),
    ]


def horizon(today: dt.date) -> PermanenceSpec:
    return PermanenceSpec(
        slug="horizon",
        name="Permanence Horizon",
        staff=[
            Staff(
                "gerant",
                "gerant@horizon.example",
                "Nathalie",
                "Perrin",
                perms.GERANT,
                "06 58 12 34 56",
            )
        ],
        companies={},
        clients=[
            ClientSpec(
                "taxi",
                "Taxis Horizon Provence",
                "Taxi conventionné",
                email="resa@taxis-horizon.example",
                mobile="06 70 80 90 10",
                phone="04 42 27 38 49",
                contacts=[
                    ContactSpec("Gérard Aubanel", "06 21 32 43 54"),
                    ContactSpec("Clinique de l'Étang", "04 42 11 22 33"),
                ],
            ),
            ClientSpec(
                "renaud",
                "Dr Paul Renaud",
                "Ophtalmologiste",
                email="secretariat@dr-renaud.example",
                phone="04 42 55 66 70",
                contacts=[
                    ContactSpec("Josiane Féraud", "06 35 46 57 68"),
                    ContactSpec("Mathéo Blanc", "07 73 84 95 06"),
                ],
            ),
        ],
        shares=[],
        templates=[],
        messages=[
            MessageSpec(
                "h01",
                "taxi",
                "gerant",
                At(1, "08:15"),
                "Réservation transport",
                "Transport assis vers la clinique de l'Étang demain à 8h, retour vers 11h.",
                contact="Gérard Aubanel",
                is_task=True,
                due_in_days=1,
            ),
            MessageSpec(
                "h02",
                "renaud",
                "gerant",
                Ago(45),
                "Demande de rendez-vous",
                "Mme Féraud souhaite avancer son rendez-vous de contrôle.",
                contact="Josiane Féraud",
            ),
        ],
    )


# Numéros dédiés of the demo clients, in the order of their permanence's list (the first
# Azur client, Dr Lemoine, is 04 91 00 00 01), and the PBX extensions of the operators.
DEMO_LINES = {"azur": "+33491000{:03d}", "horizon": "+33494000{:03d}"}
DEMO_EXTENSIONS = {
    "operateur@azur.example": "201",
    "operateur2@azur.example": "202",
    "operateur3@azur.example": "203",
    "superviseur@azur.example": "210",
}
