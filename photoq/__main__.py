"""``python -m photoq`` is the ``photoq`` command."""

from photoq.cli import main

main()
