"""Entry point for python -m panelsearch."""
import sys

from .cli import main

sys.exit(main())
