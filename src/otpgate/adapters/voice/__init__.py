"""Voice providers: a call that reads a code out (the ``voice`` channel)."""
