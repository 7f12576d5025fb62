"""Probes of hostile, malformed and edge-case input, one module per area; ``test_bad_input``
runs them all through the real CLI (and the real HTTP server) with the same assertions."""
