"""recon's version, recorded in the ledger by apply and repair."""

__version__ = "0.1.0"
