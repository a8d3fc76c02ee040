"""``mfc serve``: Ollama's REST API over mfc's store."""
