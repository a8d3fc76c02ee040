"""The ``mfc`` command: a click group (``main.py``) and a module per command."""
