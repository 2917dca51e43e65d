"""Pure rules of otpgate: no web framework, no ORM, no network client."""
