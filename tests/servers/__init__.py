"""Real servers on loopback that tests talk to (no mocked HTTP layer)."""
