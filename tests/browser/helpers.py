from __future__ import annotations

from typing import Any

from relais.tenancy import permissions as perms
from tests import factories
from tests.factories import PASSWORD

f: Any = factories  # factory calls return model instances


def log_in(page: Any, live_server: Any, email: str, password: str = PASSWORD) -> None:
    page.goto(f"{live_server.url}/connexion/")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_load_state("networkidle")


# The people of the « Permanence Azur » the journeys share.


def azur_doctor(perm: Any, **fields: Any) -> Any:
    """Dr Cécile Lemoine, general practitioner; `fields` add to or replace her coordinates."""
    coordinates = {
        "name": "Dr Cécile Lemoine",
        "trade": "Médecin généraliste",
        "email": "cecile.lemoine@cabinet.test",
        "mobile": "+33612345678",
        "phone": "+33491234567",
    }
    return f.ClientFactory(permanence=perm, **(coordinates | fields))


def azur_operator(perm: Any) -> Any:
    return f.StaffFactory(
        permanence=perm,
        role_kind=perms.OPERATEUR,
        email="operateur@azur.test",
        first_name="Léa",
        last_name="Martin",
    )


def azur_supervisor(perm: Any) -> Any:
    return f.StaffFactory(
        permanence=perm,
        role_kind=perms.SUPERVISEUR,
        email="superviseur@azur.test",
        first_name="Sophie",
        last_name="Bernard",
    )


def azur_client_user(doctor: Any) -> Any:
    return f.ClientUserFactory(
        client=doctor, email="client@azur.test", first_name="Cécile", last_name="Lemoine"
    )
