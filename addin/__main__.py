"""`python -m addin` is `wishxl`."""

from addin.cli import app

if __name__ == "__main__":
    app()
