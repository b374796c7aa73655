"""Paying the operators: contracts, fines from the fines system, the ledger, monthly statements."""
