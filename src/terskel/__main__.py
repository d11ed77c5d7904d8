"""`python -m terskel` runs the command line."""

from terskel.cli import main

if __name__ == "__main__":
    main()
