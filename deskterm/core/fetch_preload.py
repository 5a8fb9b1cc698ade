"""What the fetch children's forkserver loads once (see ``fetcher._child_context``).

The fetch pipeline, and the ORM's mappers configured: a child forked from the server then
starts its run warm. Configured in each child instead, the mappers cost ~50 ms of every
fetch's first query (``ingest.load_plans``): an all-304 fetch of 200 feeds from a desk
took 0.21-0.29 s in the child against 0.18-0.21 s with them configured here.
"""

from sqlalchemy.orm import configure_mappers

import deskterm.core.fetcher  # noqa: F401 - the pipeline itself

configure_mappers()
