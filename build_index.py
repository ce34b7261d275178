"""Build the search index: a thin wrapper around `python -m panelsearch build`."""
import sys

from panelsearch.cli import main

if __name__ == "__main__":
    sys.exit(main(["build", *sys.argv[1:]]))
