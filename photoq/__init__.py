"""photoq: a photo-processing service on a Celery + Redis job queue."""

__version__ = "0.1.0"
