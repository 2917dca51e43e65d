"""SMS providers behind one small interface (``base.SmsProvider``)."""
