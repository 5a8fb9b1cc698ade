"""The demo desk of the fictional city of Port Alder, as plain data.

Every name, address, phone number and e-mail here is invented (e-mail domains end in
``.example``, phone numbers are in the 555-01xx range). A loader turns these into records
through the domain layer; nothing here touches the database.

Conventions:

- Enumerations are given by their string values (``db.enums``).
- Staff are referred to by initials (``STAFF``), outlets by name (``OUTLETS``), feeds by
  file name (``deskterm/demo/feeds``).
- Times are relative to *now* (requests: minutes; tasks: hours) or to *today* (events:
  a day offset plus a local "HH:MM" start in the event's time zone).
- The feed files are dated on ``ANCHOR_DATE`` (and the day before); the loader shifts
  them by ``today - ANCHOR_DATE``.
- Day offsets of events were written with today = ``ANCHOR_DATE`` (a Tuesday), so a
  recurring event's ``day`` falls on its rule's weekday then. On another weekday the
  loader should move a recurring event to the first day on or after ``today + day`` that
  matches its ``BYDAY``.
"""

from __future__ import annotations

from datetime import date
from typing import Any

ANCHOR_DATE = date(2026, 1, 6)  # a Tuesday
TIMEZONE = "America/New_York"

MAYOR = "Mayor Elena Castellanos"
DEPUTY = "Deputy Mayor Marcus Bell"

HOUR = 60  # minutes
DAY = 24 * HOUR

# --- staff --------------------------------------------------------------------------------

STAFF: tuple[dict[str, Any], ...] = (
    {
        "initials": "MR",
        "name": "Maya Rodriguez",
        "role": "press_secretary",
        "can_approve": True,
        "email": "mrodriguez@portalder.example",
    },
    {
        "initials": "DK",
        "name": "Daniel Kessler",
        "role": "comms_director",
        "can_approve": True,
        "email": "dkessler@portalder.example",
    },
    {
        "initials": "JO",
        "name": "Jordan Oyelaran",
        "role": "pio",
        "can_approve": False,
        "email": "joyelaran@portalder.example",
    },
    {
        "initials": "TN",
        "name": "Thu Nguyen",
        "role": "pio",
        "can_approve": False,
        "email": "tnguyen@portalder.example",
    },
    {
        "initials": "LB",
        "name": "Luis Baptiste",
        "role": "constituent_engagement",
        "can_approve": False,
        "email": "lbaptiste@portalder.example",
    },
)

# --- outlets ------------------------------------------------------------------------------

OUTLETS: tuple[dict[str, Any], ...] = (
    {
        "name": "Alder Daily Herald",
        "type": "print",
        "language": "en",
        "reach": 48_000,
        "website": "https://www.alderherald.example",
        "notes": "The city's daily. Print deadline 9 p.m.; web around the clock.",
    },
    {
        "name": "The Alder Weekly",
        "type": "print",
        "language": "en",
        "reach": 21_000,
        "website": "https://www.alderweekly.example",
        "notes": "Free alt-weekly, out Thursdays. Politics column is often critical.",
    },
    {
        "name": "KPAC News",
        "type": "tv",
        "language": "en",
        "reach": 210_000,
        "website": "https://www.kpac.example",
        "notes": "Channel 7. Newscasts at 5, 6 and 11 p.m.; Morning Show 5-9 a.m.",
    },
    {
        "name": "WPAL 12",
        "type": "tv",
        "language": "en",
        "reach": 165_000,
        "website": "https://www.wpal12.example",
        "notes": "Sunday Close-Up public affairs show tapes Fridays.",
    },
    {
        "name": "Alder Public Radio",
        "type": "radio",
        "language": "en",
        "reach": 95_000,
        "website": "https://www.alderpublicradio.example",
        "notes": "89.7 FM. Hosts The Mayor's Hour, Thursdays 9 a.m.",
    },
    {
        "name": "NewsTalk 1340 WALD",
        "type": "radio",
        "language": "en",
        "reach": 40_000,
        "website": "https://www.newstalk1340.example",
        "notes": "Talk radio. Bookings need the communications director's approval.",
    },
    {
        "name": "Eastside Neighbors",
        "type": "online",
        "language": "en",
        "reach": 6_500,
        "website": "https://eastsideneighbors.example",
        "notes": "Volunteer neighbourhood blog; widely shared on Nextdoor.",
    },
    {
        "name": "Port Alder Now",
        "type": "online",
        "language": "en",
        "reach": 58_000,
        "website": "https://www.portaldernow.example",
        "notes": "Nonprofit digital newsroom; strong on data and public records.",
    },
    {
        "name": "La Voz del Puerto",
        "type": "community_ethnic",
        "language": "es",
        "reach": 22_000,
        "website": "https://www.lavozdelpuerto.example",
        "notes": "Spanish-language weekly and website. Send materials in Spanish.",
    },
    {
        "name": "Báo Cảng Alder",
        "type": "community_ethnic",
        "language": "vi",
        "reach": 9_000,
        "website": "https://www.baocangalder.example",
        "notes": "Vietnamese-language weekly, out Fridays. TN handles relations.",
    },
    {
        "name": "Alder Chinese Weekly",
        "type": "community_ethnic",
        "language": "zh",
        "reach": 7_500,
        "website": "https://www.alderchineseweekly.example",
        "notes": "Chinese-language weekly; co-sponsors the Lunar New Year Festival.",
    },
    {
        "name": "Port Alder Business Journal",
        "type": "trade",
        "language": "en",
        "reach": 12_000,
        "website": "https://www.pabj.example",
        "notes": "Weekly business paper; real estate and port coverage.",
    },
    {
        "name": "Lakeshore Wire",
        "type": "national",
        "language": "en",
        "reach": 2_500_000,
        "website": "https://www.lakeshorewire.example",
        "notes": "Wire service; its stories run in the Herald and on KPAC.",
    },
    {
        "name": "City of Port Alder Press Office",
        "type": "government",
        "language": "en",
        "reach": None,
        "website": "https://www.portalder.example/news",
        "notes": "Our own releases and department PIOs.",
    },
    {
        "name": "Port Alder City Council",
        "type": "government",
        "language": "en",
        "reach": None,
        "website": "https://www.portalder.example/council",
        "notes": "Clerk's office publishes agendas the Monday before each meeting.",
    },
)

# --- contacts -----------------------------------------------------------------------------


def _contact(
    name: str,
    outlet: str,
    beat: str,
    email: str,
    phone: str | None,
    *,
    language: str = "en",
    do_not_contact: bool = False,
    notes: str = "",
    social: str | None = None,
) -> dict[str, Any]:
    return {
        "name": name,
        "outlet": outlet,
        "beat": beat,
        "email": email,
        "phone": phone,
        "social": social,
        "language": language,
        "do_not_contact": do_not_contact,
        "notes": notes,
    }


CONTACTS: tuple[dict[str, Any], ...] = (
    # Alder Daily Herald
    _contact("Ana Ruiz", "Alder Daily Herald", "housing", "aruiz@alderherald.example",
             "555-0101", social="@anaruiz_herald", notes="Bilingual (es). Prefers email."),
    _contact("Cara Lindqvist", "Alder Daily Herald", "City Hall", "clindqvist@alderherald.example",
             "555-0102", notes="Covers council meetings; files by 10 p.m."),
    _contact("Marcus Webb", "Alder Daily Herald", "transit and general assignment",
             "mwebb@alderherald.example", "555-0103"),
    _contact("Priya Desai", "Alder Daily Herald", "education", "pdesai@alderherald.example",
             "555-0104"),
    _contact("Owen Hartley", "Alder Daily Herald", "business and the port",
             "ohartley@alderherald.example", "555-0105"),
    _contact("Jamie Fontaine", "Alder Daily Herald", "arts and culture",
             "jfontaine@alderherald.example", "555-0106"),
    _contact("Dana Whitfield", "Alder Daily Herald", "editorial page editor",
             "dwhitfield@alderherald.example", "555-0107",
             notes="Op-ed submissions: 700 words, exclusive to the Herald."),
    # The Alder Weekly
    _contact("Sasha Greer", "The Alder Weekly", "politics column", "sgreer@alderweekly.example",
             "555-0108", notes="Columnist; always asks for on-the-record answers."),
    # KPAC News
    _contact("Tasha Greene", "KPAC News", "City Hall", "tgreene@kpac.example", "555-0110",
             social="@TashaGreeneKPAC"),
    _contact("Miguel Arroyo", "KPAC News", "investigations", "marroyo@kpac.example", "555-0111",
             notes="Files public-records requests often."),
    _contact("Ryan Pham", "KPAC News", "assignment desk", "desk@kpac.example", "555-0112",
             notes="Desk staffed 4 a.m. to midnight."),
    _contact("Brooke Ellison", "KPAC News", "Morning Show producer", "bellison@kpac.example",
             "555-0113", notes="Books live guests; needs names by 3 p.m. the day before."),
    # WPAL 12
    _contact("Derek Simmons", "WPAL 12", "anchor, Sunday Close-Up", "dsimmons@wpal12.example",
             "555-0120"),
    _contact("Alicia Moreno", "WPAL 12", "general assignment", "amoreno@wpal12.example",
             "555-0121", language="es", notes="Also reports for WPAL's Spanish-language segment."),
    _contact("Nate Fischer", "WPAL 12", "assignment manager", "nfischer@wpal12.example",
             "555-0122"),
    _contact("Hollis Grant", "WPAL 12", "consumer reporter", "hgrant@wpal12.example", "555-0123",
             do_not_contact=True, notes="Left WPAL in December 2025; kept for the history."),
    # Alder Public Radio
    _contact("Hannah Osei", "Alder Public Radio", "housing and health",
             "hosei@alderpublicradio.example", "555-0130"),
    _contact("Felix Amador", "Alder Public Radio", "City Hall and policing",
             "famador@alderpublicradio.example", "555-0131"),
    _contact("Grace Kim", "Alder Public Radio", "transportation",
             "gkim@alderpublicradio.example", "555-0132"),
    _contact("Ruth Abernathy", "Alder Public Radio", "host, The Mayor's Hour",
             "rabernathy@alderpublicradio.example", "555-0133",
             notes="Topics for Thursday's show by Tuesday noon."),
    # NewsTalk 1340 WALD
    _contact("Bill Kavanagh", "NewsTalk 1340 WALD", "afternoon talk host",
             "bill@newstalk1340.example", "555-0140", do_not_contact=True,
             notes="Aired an off-the-record call in 2024. No bookings without DK."),
    _contact("Denise Holt", "NewsTalk 1340 WALD", "news director", "dholt@newstalk1340.example",
             "555-0141"),
    # Eastside Neighbors
    _contact("Rosa Delgado", "Eastside Neighbors", "neighbourhood news",
             "rosa@eastsideneighbors.example", "555-0150", language="es"),
    _contact("Marty Kowalski", "Eastside Neighbors", "streets and transit",
             "marty@eastsideneighbors.example", None),
    # Port Alder Now
    _contact("Jess Whitcomb", "Port Alder Now", "editor", "jwhitcomb@portaldernow.example",
             "555-0160"),
    _contact("Andre Lewis", "Port Alder Now", "public safety", "alewis@portaldernow.example",
             "555-0161"),
    _contact("Kim Nakamura", "Port Alder Now", "data and budget", "knakamura@portaldernow.example",
             "555-0162"),
    # La Voz del Puerto
    _contact("Lucía Mendoza", "La Voz del Puerto", "comunidad y transporte",
             "lmendoza@lavozdelpuerto.example", "555-0170", language="es"),
    _contact("Rafael Ibarra", "La Voz del Puerto", "vivienda", "ribarra@lavozdelpuerto.example",
             "555-0171", language="es", notes="Prefers WhatsApp; same number."),
    _contact("Carmen Salgado", "La Voz del Puerto", "educación y seguridad pública",
             "csalgado@lavozdelpuerto.example", "555-0172", language="es"),
    # Báo Cảng Alder
    _contact("Lê Thị Mai", "Báo Cảng Alder", "editor", "mai.le@baocangalder.example",
             "555-0175", language="vi"),
    _contact("Hoàng Anh Vũ", "Báo Cảng Alder", "community", "vu.hoang@baocangalder.example",
             "555-0176", language="vi"),
    # Alder Chinese Weekly
    _contact("Chen Jiahui", "Alder Chinese Weekly", "editor",
             "jiahui.chen@alderchineseweekly.example", "555-0178", language="zh"),
    _contact("Lily Zhou", "Alder Chinese Weekly", "business and community",
             "lily.zhou@alderchineseweekly.example", "555-0179", language="zh",
             notes="Also writes in English for the weekly's website."),
    # Port Alder Business Journal
    _contact("Sandra Kowal", "Port Alder Business Journal", "editor", "skowal@pabj.example",
             "555-0180"),
    _contact("Victor Lam", "Port Alder Business Journal", "real estate", "vlam@pabj.example",
             "555-0181"),
    # Lakeshore Wire
    _contact("Paul Brenner", "Lakeshore Wire", "statehouse", "pbrenner@lakeshorewire.example",
             "555-0185"),
    _contact("Renee Castillo", "Lakeshore Wire", "regional", "rcastillo@lakeshorewire.example",
             "555-0186"),
    # government
    _contact("Grant Holloway", "City of Port Alder Press Office", "Port Alder Water PIO",
             "gholloway@portalder.example", "555-0190",
             notes="Department PIO; coordinate all water main messaging with him."),
    _contact("Irene Vasquez", "Port Alder City Council", "council communications",
             "ivasquez@portalder.example", "555-0191"),
)  # fmt: skip

# --- feeds --------------------------------------------------------------------------------

FEEDS: tuple[dict[str, Any], ...] = (
    {"file": "alder-daily-herald.xml", "name": "Herald: Local", "outlet": "Alder Daily Herald",
     "poll_minutes": 10},
    {"file": "kpac-news.xml", "name": "KPAC News", "outlet": "KPAC News", "poll_minutes": 5},
    {"file": "alder-public-radio.xml", "name": "APR Newsroom", "outlet": "Alder Public Radio",
     "poll_minutes": 10},
    {"file": "la-voz-del-puerto.xml", "name": "La Voz del Puerto", "outlet": "La Voz del Puerto",
     "poll_minutes": 30},
    {"file": "eastside-neighbors-blog.xml", "name": "Eastside Neighbors",
     "outlet": "Eastside Neighbors", "poll_minutes": 60},
    {"file": "city-press-releases.xml", "name": "City news releases",
     "outlet": "City of Port Alder Press Office", "poll_minutes": 15},
    {"file": "council-agenda.xml", "name": "Council agenda", "outlet": "Port Alder City Council",
     "poll_minutes": 60},
)  # fmt: skip

# --- requests -----------------------------------------------------------------------------


def _request(
    kind: str,
    requester: str,
    subject: str,
    *,
    outlet: str | None = None,
    email: str | None = None,
    phone: str | None = None,
    questions: str = "",
    channel: str = "email",
    received_minutes: int,
    deadline_minutes: int | None,
    status: str,
    assignee: str | None = None,
    response: str = "",
    priority: str = "normal",
    language: str = "en",
    departments: str = "",
    statutory_days: int | None = None,
) -> dict[str, Any]:
    return {
        "kind": kind,
        "requester": requester,
        "email": email,
        "phone": phone,
        "outlet": outlet,
        "subject": subject,
        "questions": questions,
        "channel": channel,
        "received_minutes": received_minutes,
        "deadline_minutes": deadline_minutes,
        "status": status,
        "assignee": assignee,
        "response": response,
        "priority": priority,
        "language": language,
        "departments": departments,
        "statutory_days": statutory_days,
    }


REQUESTS: tuple[dict[str, Any], ...] = (
    _request(
        "media", "Tasha Greene", "Water main break: when will service be restored?",
        outlet="KPAC News", phone="555-0110", channel="phone",
        questions="Is there a firm time for restoring water? How many households are affected? "
        "Will the city pay for flooded basements?",
        received_minutes=-95, deadline_minutes=25, status="drafting", assignee="JO",
        priority="urgent", departments="Port Alder Water",
    ),
    _request(
        "media", "Ana Ruiz", "Mayor's position on the state rent cap bill",
        outlet="Alder Daily Herald", email="aruiz@alderherald.example",
        questions="Does the mayor support the 5 percent cap? Will the city add local protections?",
        received_minutes=-140, deadline_minutes=5 * HOUR, status="in_review", assignee="MR",
        priority="high",
    ),
    _request(
        "media", "Felix Amador", "Oversight board subpoenas: what are the mayor's safeguards?",
        outlet="Alder Public Radio", email="famador@alderpublicradio.example",
        questions="The mayor supports subpoena power 'with safeguards'. Which ones? "
        "Would she veto the ordinance as written?",
        received_minutes=-20 * HOUR, deadline_minutes=-45, status="assigned", assignee="DK",
        priority="high", departments="Police; City Attorney",
    ),
    _request(
        "media", "Lucía Mendoza", "Interpretación en español en la audiencia de la ruta 12",
        outlet="La Voz del Puerto", email="lmendoza@lavozdelpuerto.example",
        questions="¿Habrá intérpretes en la audiencia del 20 de enero? ¿Se puede comentar en "
        "español por internet?",
        received_minutes=-50, deadline_minutes=5 * HOUR, status="new", language="es",
        departments="PATA liaison",
    ),
    _request(
        "media", "Miguel Arroyo", "911 dispatch staffing and answer times",
        outlet="KPAC News", email="marroyo@kpac.example",
        questions="How many call-taker positions are vacant? What were average answer times "
        "each month in 2025?",
        received_minutes=-18 * HOUR, deadline_minutes=2 * DAY, status="assigned", assignee="TN",
        departments="Emergency Communications",
    ),
    _request(
        "media", "Cara Lindqvist", "Are branch library hours on the cut list?",
        outlet="Alder Daily Herald", phone="555-0102", channel="phone",
        questions="Will the budget preview propose closing branches on Mondays?",
        received_minutes=-35, deadline_minutes=15, status="new", priority="high",
        departments="Budget Office; Library",
    ),
    _request(
        "media", "Hannah Osei", "Harborview Towers: will the city make the repairs itself?",
        outlet="Alder Public Radio", email="hosei@alderpublicradio.example",
        received_minutes=-15 * HOUR, deadline_minutes=-3 * HOUR, status="responded",
        assignee="LB", priority="high", departments="Housing and Community Development",
        response="If heat is not restored by 5 p.m. Tuesday, the city's contractor will repair "
        "the boiler and the cost will be billed to the owner. Tenants can call 311 for space "
        "heaters and hotel vouchers. — Maya Rodriguez, press secretary (on the record)",
    ),
    _request(
        "media", "Derek Simmons", "Sunday Close-Up: mayor interview on the budget",
        outlet="WPAL 12", email="dsimmons@wpal12.example",
        questions="Can the mayor tape a 20-minute interview Friday afternoon?",
        received_minutes=-26 * HOUR, deadline_minutes=3 * DAY, status="drafting", assignee="MR",
    ),
    _request(
        "media", "Grace Kim", "City reaction to Northgate light rail station delay",
        outlet="Alder Public Radio", email="gkim@alderpublicradio.example",
        received_minutes=-3 * HOUR, deadline_minutes=6 * HOUR, status="responded", assignee="JO",
        response="Statement from Deputy Mayor Marcus Bell: \"Northgate residents have waited "
        "long enough. We expect PATA to share a recovery schedule at its next board meeting.\"",
    ),
    _request(
        "media", "Lê Thị Mai", "Vietnamese-language information on warming centers",
        outlet="Báo Cảng Alder", email="mai.le@baocangalder.example",
        questions="Can the city send the warming-center list in Vietnamese for Friday's paper?",
        received_minutes=-22 * HOUR, deadline_minutes=None, status="assigned", assignee="TN",
        language="vi",
    ),
    _request(
        "media", "Chen Jiahui", "Lunar New Year Festival street closures and fee waiver",
        outlet="Alder Chinese Weekly", email="jiahui.chen@alderchineseweekly.example",
        received_minutes=-30 * HOUR, deadline_minutes=5 * DAY, status="closed", assignee="TN",
        response="Pell Street will close between 2nd and 5th streets on February 14-15 if the "
        "council approves Resolution 2026-09 tonight; permit fees are waived. Map attached.",
    ),
    _request(
        "media", "Paul Brenner", "Reaction to passage of the rent stabilization bill",
        outlet="Lakeshore Wire", email="pbrenner@lakeshorewire.example",
        received_minutes=-4 * HOUR, deadline_minutes=-2 * HOUR, status="responded",
        assignee="MR", priority="high",
        response="Sent the mayor's statement (released 8:30 a.m.) and offered a phone interview "
        "after 2 p.m.",
    ),
    _request(
        "media", "Bill Kavanagh", "Demand that the mayor come on air about the water main",
        outlet="NewsTalk 1340 WALD", phone="555-0140", channel="phone",
        received_minutes=-80, deadline_minutes=None, status="declined", assignee="DK",
        response="The mayor is at the repair site today. We offered Port Alder Water's director "
        "for a pre-recorded interview.",
    ),
    _request(
        "media", "Andre Lewis", "Old Town fire: inspection history of 31 Cordage Street",
        outlet="Port Alder Now", email="alewis@portaldernow.example",
        questions="When was the building last inspected? Were there open fire code violations?",
        received_minutes=-6 * HOUR, deadline_minutes=8 * HOUR, status="drafting", assignee="JO",
        departments="Fire Marshal; Code Enforcement",
    ),
    _request(
        "media", "Victor Lam", "Cedar Flats Commons financing",
        outlet="Port Alder Business Journal", email="vlam@pabj.example",
        questions="What share of the $46 million cost is city money? Who is the developer's "
        "lender?",
        received_minutes=-27 * HOUR, deadline_minutes=4 * DAY, status="in_review", assignee="JO",
        departments="Housing and Community Development",
    ),
    _request(
        "media", "Owen Hartley", "Port terminal expansion: truck route commitment",
        outlet="Alder Daily Herald", email="ohartley@alderherald.example",
        questions="Will the city require trucks to stay off Harborview residential streets?",
        received_minutes=-2 * HOUR, deadline_minutes=1 * DAY, status="new",
    ),
    _request(
        "media", "Jess Whitcomb", "Body camera video: why 22 days to release?",
        outlet="Port Alder Now", email="jwhitcomb@portaldernow.example",
        questions="The policy says 14 days. Follow-up: who approved the delay?",
        received_minutes=-2 * DAY, deadline_minutes=-1 * DAY, status="reopened", assignee="DK",
        priority="high", departments="Police",
        response="The video was released under the policy's exception for pending notification "
        "of the people involved.",
    ),
    _request(
        "media", "Rafael Ibarra", "Harborview Towers: ¿hay vales de hotel en español?",
        outlet="La Voz del Puerto", phone="555-0171", channel="phone",
        received_minutes=-14 * HOUR, deadline_minutes=-1 * HOUR, status="responded",
        assignee="LB", language="es",
        response="Sí. Llame al 311 y pida un intérprete; los vales se entregan en el vestíbulo "
        "del edificio de 9 a 17 horas.",
    ),
    _request(
        "constituent", "Gloria Peña", "No heat in Harborview Towers unit 8C",
        phone="555-0155", channel="phone",
        questions="Two children and a grandmother in the apartment; space heater tripped the "
        "breaker.",
        received_minutes=-25, deadline_minutes=2 * HOUR, status="new", priority="urgent",
        departments="Housing and Community Development",
    ),
    _request(
        "constituent", "Walter Brooks", "Basement flooded by the water main break: who pays?",
        email="wbrooks@mailbox.example",
        received_minutes=-5 * HOUR, deadline_minutes=2 * DAY, status="assigned", assignee="LB",
        departments="Port Alder Water; Risk Management",
    ),
    _request(
        "constituent", "Anh Nguyen", "Tire damaged by a Marsh Road pothole",
        email="anh.nguyen@mailbox.example", channel="web_form",
        received_minutes=-30 * HOUR, deadline_minutes=5 * DAY, status="closed", assignee="LB",
        response="Sent the claim form and the pothole's repair ticket number (PW-26-00418).",
    ),
    _request(
        "constituent", "Keisha Long", "Route 12 cuts: how do I speak at the hearing?",
        channel="social", received_minutes=-9 * HOUR, deadline_minutes=None,
        status="drafting", assignee="LB",
    ),
    _request(
        "constituent", "Maria Ostrowski", "Fenwick Elementary parents ask the mayor to attend "
        "Thursday's meeting", email="fenwickparents@mailbox.example", channel="in_person",
        received_minutes=-19 * HOUR, deadline_minutes=1 * DAY, status="in_review", assignee="MR",
    ),
    _request(
        "records", "Miguel Arroyo", "Records: 911 answer-time reports, 2023-2025",
        outlet="KPAC News", email="marroyo@kpac.example", channel="web_form",
        received_minutes=-6 * DAY, deadline_minutes=4 * DAY, status="drafting", assignee="TN",
        departments="Emergency Communications; City Attorney", statutory_days=10,
    ),
    _request(
        "records", "Frank Duval", "Records: e-mails between the mayor's office and the police "
        "union about the oversight ordinance",
        email="fduval@openalder.example", channel="email",
        received_minutes=-9 * DAY, deadline_minutes=1 * DAY, status="in_review", assignee="DK",
        priority="high", departments="City Attorney", statutory_days=10,
    ),
)  # fmt: skip

# Response templates (the response editor's ctrl+o): placeholders are filled per request.
RESPONSE_TEMPLATES: tuple[dict[str, Any], ...] = (
    {"name": "Acknowledgement", "kind": None, "body":
        "Thank you for contacting the City of Port Alder about {subject}. Your request is "
        "logged as {number} and {assignee} will get back to you by {deadline}."},
    {"name": "Statement from the press secretary", "kind": "media", "body":
        "Statement for {outlet}, {today}:\n\n\"...\"\n\n— Maya Rodriguez, press secretary "
        "(on the record)"},
    {"name": "Constituent reply", "kind": "constituent", "body":
        "Dear {requester},\n\nThank you for writing to the Mayor's Office about {subject}. "
        "We have shared your concern with the department, and {assignee} will follow up "
        "with you.\n\nReference: {number}"},
    {"name": "Records request: clock paused for clarification", "kind": "records", "body":
        "Your public-records request {number} ({subject}) needs clarification before we can "
        "search. The response clock is paused until we hear from you."},
)  # fmt: skip

# --- tasks --------------------------------------------------------------------------------

RELEASE_CHECKLIST = (
    ("Facts confirmed with the department", True),
    ("Mayor's quote approved", True),
    ("Legal review", False),
    ("Posted to portalder.example/news", True),
    ("Sent to press list", True),
)
SOCIAL_CHECKLIST = (
    ("Alt text on every image", True),
    ("Links tested", True),
    ("Spanish version", False),
)
ADVISORY_CHECKLIST = (
    ("Time and place confirmed", True),
    ("Accessibility and parking details", True),
    ("Sent to press list", True),
)
REMARKS_CHECKLIST = (
    ("Numbers checked with the Budget Office", True),
    ("Pronunciations marked", False),
    ("Large-print copy for the podium", True),
)
STATEMENT_CHECKLIST = (
    ("Approved by the press secretary", True),
    ("Attribution agreed", True),
)


def _task(
    title: str,
    kind: str,
    status: str,
    owner: str | None,
    reviewer: str | None,
    *,
    due_hours: int | None = None,
    publish_hours: int | None = None,
    channels: tuple[str, ...] = (),
    priority: str = "normal",
    language: str = "en",
    translations_owed: str = "",
    body: str = "",
    checklist: tuple[tuple[str, bool], ...] = (),
) -> dict[str, Any]:
    return {
        "title": title,
        "kind": kind,
        "status": status,
        "owner": owner,
        "reviewer": reviewer,
        "due_hours": due_hours,
        "publish_hours": publish_hours,
        "channels": channels,
        "priority": priority,
        "language": language,
        "translations_owed": translations_owed,
        "body": body,
        "checklist": checklist,
    }


TASKS: tuple[dict[str, Any], ...] = (
    # published
    _task("News release: emergency response to the Harborview water main break",
          "press_release", "published", "JO", "MR", due_hours=-5, publish_hours=-5,
          channels=("web", "press_list", "x", "facebook"), priority="urgent",
          translations_owed="es", checklist=RELEASE_CHECKLIST,
          body="Boil-water advisory north of 12th Street; bottled water at Harborview Park."),
    _task("Social: boil-water advisory graphic", "social_post", "published", "TN", "MR",
          due_hours=-4, publish_hours=-4, channels=("x", "facebook", "instagram", "nextdoor"),
          priority="urgent", checklist=SOCIAL_CHECKLIST),
    _task("Statement: state rent stabilization bill", "statement", "published", "MR", "DK",
          due_hours=-1, publish_hours=-1, channels=("web", "press_list"), priority="high",
          checklist=STATEMENT_CHECKLIST),
    _task("News release: cold weather emergency, warming centers open 24 hours",
          "press_release", "published", "LB", "MR", due_hours=-17, publish_hours=-17,
          channels=("web", "press_list", "facebook"), priority="high",
          checklist=RELEASE_CHECKLIST),
    _task("Media advisory: FY2027 budget preview", "media_advisory", "published", "JO", "DK",
          due_hours=-3, publish_hours=-2, channels=("press_list", "web"),
          checklist=ADVISORY_CHECKLIST),
    _task("Web update: Harborview Towers repair order and tenant resources", "web_update",
          "published", "LB", "MR", due_hours=-15, publish_hours=-15, channels=("web",),
          translations_owed="es,vi"),
    # approved
    _task("Talking points: FY2027 budget preview", "talking_points", "approved", "DK", "MR",
          due_hours=20, channels=("internal",), priority="high",
          body="$1.24 billion; $38 million gap; no cuts to police and fire staffing."),
    _task("Remarks: budget preview at the City Hall Rotunda", "remarks", "approved", "MR", "DK",
          due_hours=22, publish_hours=25, channels=("web",), checklist=REMARKS_CHECKLIST),
    _task("Social: warming center locations carousel", "social_post", "approved", "TN", "MR",
          due_hours=4, publish_hours=7, channels=("instagram", "facebook"),
          translations_owed="es", checklist=SOCIAL_CHECKLIST),
    _task("Newsletter: Mayor's Monthly, January", "newsletter", "approved", "LB", "DK",
          due_hours=48, publish_hours=72, channels=("email",)),
    _task("Social: Winter Lights extended through January 18", "social_post", "approved", "TN",
          "MR", due_hours=2, publish_hours=6, channels=("x", "instagram"),
          checklist=SOCIAL_CHECKLIST),
    # in review
    _task("Statement: oversight board subpoena ordinance", "statement", "in_review", "DK", "MR",
          due_hours=3, publish_hours=9, channels=("press_list", "web"), priority="high",
          checklist=STATEMENT_CHECKLIST, body="For release after tonight's council vote."),
    _task("News release: Cedar Flats Commons ribbon cutting", "press_release", "in_review", "JO",
          "MR", due_hours=30, publish_hours=9 * 24, channels=("web", "press_list"),
          translations_owed="es", checklist=RELEASE_CHECKLIST),
    _task("Op-ed: why Port Alder needs a right to counsel", "op_ed", "in_review", "MR", "DK",
          due_hours=48, channels=("print",), body="Offered to the Herald as an exclusive."),
    _task("Talking points: water main restoration and damage claims", "talking_points",
          "in_review", "JO", "DK", due_hours=1, channels=("internal",), priority="urgent"),
    _task("Video script: mayor's warming-center PSA", "video", "in_review", "TN", "MR",
          due_hours=6, publish_hours=24, channels=("youtube", "facebook", "instagram"),
          translations_owed="es"),
    _task("Web update: Route 12 hearing, how to comment", "web_update", "in_review", "LB", "DK",
          due_hours=24, publish_hours=30, channels=("web", "nextdoor"), translations_owed="es"),
    # drafting
    _task("Remarks: Cedar Flats Commons ribbon cutting", "remarks", "drafting", "MR", "DK",
          due_hours=8 * 24, checklist=REMARKS_CHECKLIST),
    _task("Media advisory: Harbor Street drawbridge grant", "media_advisory", "drafting", "JO",
          "MR", due_hours=26, channels=("press_list",), checklist=ADVISORY_CHECKLIST),
    _task("Social: fare-free student pass explainer", "social_post", "drafting", "TN", "MR",
          due_hours=10, publish_hours=30, channels=("instagram", "x"), translations_owed="es",
          checklist=SOCIAL_CHECKLIST),
    _task("Statement: eviction filing data", "statement", "drafting", "LB", "MR", due_hours=-2,
          channels=("press_list",), priority="high", checklist=STATEMENT_CHECKLIST),
    _task("Web page: boil-water advisory FAQ", "web_update", "drafting", "JO", "MR",
          due_hours=2, publish_hours=3, channels=("web",), priority="urgent",
          translations_owed="es,vi,zh"),
    _task("Talking points: The Mayor's Hour (Thursday)", "talking_points", "drafting", "DK",
          "MR", due_hours=40, channels=("internal",)),
    _task("News release: 311 hiring bilingual operators", "press_release", "drafting", "LB",
          "DK", due_hours=72, channels=("web", "press_list"), translations_owed="es",
          checklist=RELEASE_CHECKLIST),
    # backlog
    _task("Op-ed: port terminal jobs and neighbourhood protections", "op_ed", "backlog", "DK",
          "MR", due_hours=10 * 24),
    _task("Video: Winter Lights drone recap", "video", "backlog", "TN", None,
          channels=("youtube", "instagram"), priority="low"),
    _task("Newsletter: constituent services year in review", "newsletter", "backlog", "LB",
          "DK", due_hours=14 * 24, channels=("email",), priority="low"),
    _task("Social: Lunar New Year Festival save-the-date", "social_post", "backlog", "TN", "MR",
          due_hours=20 * 24, channels=("facebook", "instagram"), translations_owed="zh,vi"),
    _task("Media advisory: oversight board town hall", "media_advisory", "backlog", "JO", "DK",
          due_hours=6 * 24, checklist=ADVISORY_CHECKLIST),
    _task("Update the press list after WPAL staff changes", "other", "backlog", None, None,
          due_hours=3 * 24, priority="low"),
)  # fmt: skip

# --- events -------------------------------------------------------------------------------


def _event(
    title: str,
    kind: str,
    day: int,
    start: str,
    minutes: int,
    *,
    status: str = "confirmed",
    leaders: tuple[str, ...] = (),
    location: str = "",
    rrule: str | None = None,
    public: bool = True,
    owner: str | None = None,
    notes: str = "",
) -> dict[str, Any]:
    return {
        "title": title,
        "kind": kind,
        "status": status,
        "day": day,
        "start": start,
        "minutes": minutes,
        "timezone": TIMEZONE,
        "leaders": leaders,
        "location": location,
        "rrule": rrule,
        "public": public,
        "owner": owner,
        "notes": notes,
    }


EVENTS: tuple[dict[str, Any], ...] = (
    # recurring
    _event("The Mayor's Hour on Alder Public Radio", "radio", 2, "09:00", 60,
           leaders=(MAYOR,), location="APR Studio B, 400 Water Street",
           rrule="FREQ=WEEKLY;BYDAY=TH", owner="DK",
           notes="Topics to Ruth Abernathy by Tuesday noon."),
    _event("City Council regular meeting", "council_meeting", 0, "18:00", 180,
           leaders=(DEPUTY,), location="Council Chambers, City Hall",
           rrule="FREQ=WEEKLY;INTERVAL=2;BYDAY=TU", owner="JO"),
    _event("Communications team planning", "internal_meeting", 6, "09:00", 45,
           location="Mayor's conference room", rrule="FREQ=WEEKLY;BYDAY=MO", public=False,
           owner="DK"),
    # this week
    _event("Scheduled post: warming centers reminder", "scheduled_post", 0, "16:00", 0,
           public=False, owner="TN"),
    _event("Press conference: Harborview water main update", "press_conference", 0, "13:00", 30,
           leaders=(MAYOR,), location="Fenwick Avenue and 14th Street (staging area)",
           owner="JO"),
    _event("KPAC Morning Show: live interview", "tv", 1, "07:40", 10, leaders=(MAYOR,),
           location="KPAC Studio 1, 88 Broadcast Way", owner="MR"),
    _event("Press conference: FY2027 budget preview", "press_conference", 1, "10:30", 45,
           leaders=(MAYOR,), location="City Hall Rotunda", owner="MR",
           notes="Budget Director Hal Pruitt joins."),
    _event("Embargo lifts: Housing Needs Assessment 2026", "embargo_lift", 2, "06:00", 0,
           public=False, owner="JO", notes="Shared under embargo with the Herald and APR."),
    _event("Route 12 listening session", "public_appearance", 2, "18:30", 90,
           leaders=(DEPUTY,), location="Northgate Library community room", owner="LB"),
    _event("Fenwick and Marsh Road school-closure meeting", "community_event", 2, "18:30", 120,
           status="tentative", leaders=(MAYOR,),
           location="Eastside Rec Center, 1120 Marsh Road", owner="LB",
           notes="Parents asked the mayor to attend; conflicts with the listening session."),
    _event("Reading day at Millbrook Elementary", "public_appearance", 3, "09:15", 60,
           leaders=(MAYOR,), location="Millbrook Elementary School, 75 Orchard Lane",
           owner="TN"),
    _event("WPAL Sunday Close-Up taping", "tv", 3, "14:00", 30, leaders=(MAYOR,),
           location="WPAL 12 studios, 1200 Alder Boulevard", owner="MR"),
    _event("Eastside community safety walk", "community_event", 4, "10:00", 90,
           leaders=(DEPUTY,), location="Marsh Road and 5th Street", owner="LB"),
    _event("Harborview pop-up office hours", "public_appearance", 4, "11:00", 120,
           status="cancelled", leaders=(DEPUTY,), location="Harborview Branch Library",
           owner="LB", notes="Cancelled: wind chill advisory. To be rescheduled."),
    _event("Interview: Lakeshore Wire profile of the mayor", "interview", 5, "13:00", 45,
           leaders=(MAYOR,), location="Mayor's office", public=False, owner="MR"),
    _event("Records request deadline: 911 answer-time reports", "deadline", 5, "17:00", 0,
           public=False, owner="TN"),
    # later this month
    _event("Community Police Oversight Board town hall", "community_event", 7, "18:00", 120,
           leaders=(DEPUTY,), location="Old Town Community Center", owner="JO"),
    _event("Press conference: housing bond proposal", "press_conference", 8, "11:00", 45,
           leaders=(MAYOR, DEPUTY), location="City Hall Rotunda", owner="MR"),
    _event("Cedar Flats Commons ribbon cutting", "public_appearance", 9, "11:00", 60,
           leaders=(MAYOR,), location="Cedar Flats Commons, 2400 Cedar Flats Road",
           owner="JO"),
    _event("NewsTalk 1340: Deputy Mayor guest spot", "radio", 10, "16:00", 20,
           status="postponed", leaders=(DEPUTY,), location="By phone", owner="DK",
           notes="Postponed by the station."),
    _event("Winter Lights Festival closing night", "community_event", 12, "17:00", 120,
           leaders=(MAYOR,), location="Waterfront Promenade", owner="TN"),
    _event("PATA public hearing on Route 12", "community_event", 14, "18:00", 150,
           leaders=(DEPUTY,), location="PATA Board Room, 300 Transit Plaza", owner="LB"),
    _event("Chamber of Commerce breakfast", "public_appearance", 15, "07:30", 90,
           leaders=(DEPUTY,), location="Harbor Club, 10 Pier Road", owner="JO"),
    _event("Lunar New Year Festival planning with business associations", "internal_meeting",
           16, "15:00", 60, location="Pell Street Community Hall", public=False, owner="TN"),
    _event("Scheduled post: Lunar New Year Festival save-the-date", "scheduled_post", 21,
           "12:00", 0, public=False, owner="TN"),
    _event("State of the City address", "public_appearance", 23, "18:30", 60,
           leaders=(MAYOR,), location="Port Alder Civic Auditorium", owner="MR"),
)  # fmt: skip

# --- topics -------------------------------------------------------------------------------

TOPICS: tuple[dict[str, Any], ...] = (
    {
        "name": "Housing",
        "query": "housing OR rent* OR eviction* OR tenant* OR vivienda OR alquiler*",
        "priority": 1,
        "outlet_types": "",
        "languages": "",
    },
    {
        "name": "Budget",
        "query": 'budget OR levy OR "fiscal year" OR tax*',
        "priority": 1,
        "outlet_types": "",
        "languages": "",
    },
    {
        "name": "Public safety",
        "query": 'police OR "public safety" OR oversight OR 911 OR fire*',
        "priority": 1,
        "outlet_types": "",
        "languages": "",
    },
    {
        "name": "Transit",
        "query": 'transit OR bus* OR "Route 12" OR PATA OR "light rail" OR fare*',
        "priority": 2,
        "outlet_types": "",
        "languages": "",
    },
    {
        "name": "Water and infrastructure",
        "query": '"water main" OR "boil-water" OR bridge OR pothole*',
        "priority": 2,
        "outlet_types": "",
        "languages": "",
    },
    {
        "name": "Schools",
        "query": "school* OR student* OR escuela*",
        "priority": 3,
        "outlet_types": "",
        "languages": "",
    },
)
