"""Pure photo work: bytes and arrays in, values out (no Celery, SQLAlchemy or FastAPI here).

The packages follow a photo's way through photoq, and each imports only packages before it in
this order (``tests/pipeline/test_layout.py`` checks it): ``metadata`` (EXIF, XMP) → ``decode``
(pixels) → ``quality`` (the score) → ``hashes`` → ``analysis`` (all of those from one decode) →
``culling`` (groups, picks, context) → ``presets`` → ``develop`` (rendering) → ``export`` (files
and sidecars). ``formats`` (what kind of file), ``files`` (opening only regular files),
``safe_yaml`` (YAML without aliases) and ``bands`` (row bands on every core) are shared modules
below them all.
"""
