"""`python -m terskel` runs the command line."""

from terskel.cli import run

if __name__ == "__main__":
    run()
