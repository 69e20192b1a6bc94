"""Use cases shared by the CLI and the API: ingest, run, and the runtime they need."""
