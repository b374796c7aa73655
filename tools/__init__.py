"""Tools around the product, not its rules: the simulator, demo seeding, the published API documents."""
