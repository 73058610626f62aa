"""The dashboard shows a domain error's own reason, in the staff member's language, rather than a generic one."""

from __future__ import annotations

from tests.web.conftest import Client, Server


async def test_adding_a_unit_that_exists_names_it_in_bokmal_and_in_english(server: Server, client: Client) -> None:
    await server.campaign("Hjemmetjenesten Øst")  # creates the unit
    await server.user("admin@kommune.no", "admin", None)
    await client.login("admin@kommune.no")
    await client.get("/admin/users")
    response = await client.post("/admin/units", {"name": "Hjemmetjenesten Øst"})
    assert response.status == 400
    assert "Det finnes allerede en enhet som heter «Hjemmetjenesten Øst»." in client.last_html
    await client.post("/account/language", {"language": "en"})
    await client.get("/admin/users")
    await client.post("/admin/units", {"name": "   "})
    assert "a unit needs a name" in client.last_html
