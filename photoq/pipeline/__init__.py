"""Pure photo work: bytes and arrays in, values out (no Celery, SQLAlchemy or FastAPI here)."""
