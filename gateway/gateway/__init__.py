"""gateway — one JSON HTTP API over the suite's services."""
