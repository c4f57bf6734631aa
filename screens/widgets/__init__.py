"""Self-contained widgets of the station UI."""
