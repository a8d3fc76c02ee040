"""Go behaviour that Ollama's results depend on, reproduced in Python: one module per
Go concern, so that a reader sees where mfc imitates Go rather than decides.

* ``decoding``: bytes to text as Ollama's Modelfile reader decodes them
  (``golang.org/x/text`` BOM override, U+FFFD per ill-formed subpart).
* ``printable``: the characters Go's ``strconv.IsPrint`` keeps (Unicode 15 table in
  ``_unicode15``), which decides what Ollama's lexer silently drops.
* ``strconv``: ``ParseFloat``/``ParseInt``/``ParseBool`` and their error texts.
* ``semver``: ``golang.org/x/mod/semver`` validity, for REQUIRES.
* ``encoding_json``: ``encoding/json`` ``Marshal`` byte for byte (manifests, configs,
  template ``json``).
* ``value`` and ``fmt``: template values with Go types, and how ``fmt`` prints them.
"""
