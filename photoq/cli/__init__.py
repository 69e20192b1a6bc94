"""The ``photoq`` command line: thin wrappers over services. The tree is assembled in
:mod:`photoq.cli.app`; each ``*_cmd`` module holds one group of commands."""
