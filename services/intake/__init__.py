"""Intake: the single format, vendor adapters, validation and ownership checks, rate limits, dead letters."""
