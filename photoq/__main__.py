"""``python -m photoq`` is the ``photoq`` command."""

from photoq.cli.app import main

main()
