"""``python -m netops`` runs the CLI."""

from netops.cli import main

main()
