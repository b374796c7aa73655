"""Video in one format, through the centre: live views, evidence, conformance probes."""
