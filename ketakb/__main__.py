"""`python -m ketakb` runs the command line."""

from ketakb.cli import main

main()
