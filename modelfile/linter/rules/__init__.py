"""Lint rules, a module per code (the syntax codes share ``syntax.py``: the parser
reports them).  ``modelfile.linter.registry`` lists them all."""
