"""What the fetch children's forkserver loads once (see ``fetcher._child_context``): the
fetch pipeline, so that a child forked from the server starts its run warm. The pipeline
imports no SQLAlchemy (``db.connection.DeskFile``), so neither does the server.
"""

import db.schema_state  # noqa: F401 - the child's schema check
import deskterm.core.fetcher  # noqa: F401 - the pipeline itself
