"""The SMS channel's providers behind one small interface (``services.ports.Provider``)."""
