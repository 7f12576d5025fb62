"""``python -m modelyard`` runs the command line."""

from modelyard.cli import run

if __name__ == "__main__":
    run()
