"""mfc's builder: the ``mfc`` command line, and (to come) the Ollama-compatible
store, conversion, quantization and running."""
