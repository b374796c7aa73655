"""The supervisor's shift: shift patterns, response-time statistics against targets, the shift report."""
