"""The OpenAI compatibility layer of ``mfc serve`` (ollama-api.md §10), as Ollama builds
it: an OpenAI request becomes the body of an Ollama request (``requests``), which runs
through the very code of ``/api/chat``, ``/api/generate`` and ``/api/embed``; their
answer becomes OpenAI's JSON (``responses``) or its server-sent events (``chunks``
makes the chunks, ``sse`` sends them).  ``errors`` gives Ollama's texts OpenAI's error
object; ``ids`` makes the ids and timestamps; ``floats`` the base64 of an embedding.
The routes are in ``builder.serve.routes.openai``."""
