"""Replay: the wall as it was at any moment, reconstructed from records and masked for training."""
