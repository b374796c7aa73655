"""Geography: distances, jurisdiction routing, boundary imports, coverage."""
