"""Member accounts: sign-up, confirmation, login, reset, profile, addresses."""
