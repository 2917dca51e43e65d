"""In-memory fakes of otpgate's ports, held to the real adapters by contract tests."""
