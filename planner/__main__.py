"""``python -m planner`` runs the delight command line."""

from planner.cli import main

main()
