"""deskterm: the press desk of a city mayor's office, in a terminal."""

__version__ = "0.1.0"
