"""otpgate: password + SMS one-time passwords for sign-in and every high-risk change."""

__version__ = "0.1.0"
