"""Use cases of otpgate. They talk to adapters only through the ports in ``ports.py``."""
