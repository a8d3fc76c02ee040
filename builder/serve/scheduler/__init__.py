"""The parts of the server's scheduler (``builder.serve.models_loaded.LoadedModels``):
one loaded model (``loaded_model``), the memory a model needs and the machine has
(``memory``), which model makes room (``eviction``), and the refusals (``errors``: a
full queue, a model too large)."""

from builder.serve.scheduler.errors import BUSY, NotEnoughMemory, ServerBusy
from builder.serve.scheduler.eviction import victim
from builder.serve.scheduler.memory import available_bytes, model_bytes, stored_model_bytes

__all__ = ["BUSY", "NotEnoughMemory", "ServerBusy", "available_bytes", "model_bytes", "stored_model_bytes", "victim"]
