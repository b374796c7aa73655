"""Cameras: the registry operators fill, camera health, operator scorecards."""
