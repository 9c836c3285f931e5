"""`python -m chalicelib.cli`: the same as the `guichet` console script."""

from chalicelib.cli import run

run()
