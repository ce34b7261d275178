"""panelsearch: search what a panel of experts said, passage by passage."""
import os

# Nothing here may reach for a model hub: users and CI machines are offline.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

__version__ = "0.1.0"
