"""The smaller findings of issue 14, checked in headless Chromium as a person meets them: the campaign page's
layout on a desktop screen, and the web chat's language switch, empty send and old buttons in a second tab."""

from __future__ import annotations

import pytest

from tests.web import test_browser as shared
from tests.web.conftest import Server
from tests.web.test_browser_workflows import logged_in

CHROMIUM = shared.CHROMIUM
browser = shared.browser  # the same headless Chromium fixture

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is missing (apt-get install chromium)"),
]

# Boxes of every fact (term and value) and of the links column, in page coordinates.
BOXES = """() => {
  const box = (el) => { const r = el.getBoundingClientRect(); return {left: r.left, right: r.right, top: r.top,
                                                                      bottom: r.bottom, text: el.textContent.trim()}; };
  const links = document.querySelector('section[aria-labelledby="links-h"]');
  const linkParts = [links, ...links.querySelectorAll('h2, p, figure, a')].map(box);
  return {facts: [...document.querySelectorAll('dl.facts dt, dl.facts dd')].map(box), links: linkParts,
          factsSection: box(document.querySelector('section[aria-labelledby="facts-h"]'))};
}"""


def _overlap(a: dict[str, float], b: dict[str, float]) -> bool:
    return a["left"] < b["right"] and b["left"] < a["right"] and a["top"] < b["bottom"] and b["top"] < a["bottom"]


@pytest.mark.parametrize("width", [1280, 1920])
async def test_campaign_facts_never_overlap_the_links_column(server: Server, browser, width: int) -> None:
    campaign = await server.campaign("Hjemmetjenesten Øst", languages="nb,nn,sv,en", channels="telegram,web,staff")
    await server.user("leder@kommune.no", "manager", "Hjemmetjenesten Øst")
    context, page = await logged_in(browser, server, "leder@kommune.no")
    await page.set_viewport_size({"width": width, "height": 1000})
    await page.goto(f"{server.url}/campaigns/{campaign.id}")
    boxes = await page.evaluate(BOXES)
    unit = next(box for box in boxes["facts"] if box["text"] == "Hjemmetjenesten Øst")
    links = boxes["links"][0]
    assert unit["right"] <= links["left"], (unit, links)
    for fact in boxes["facts"]:
        assert fact["right"] <= boxes["factsSection"]["right"] + 0.5, fact  # nothing sticks out of its column
        for part in boxes["links"]:
            assert not _overlap(fact, part), (fact, part)
    await context.close()
