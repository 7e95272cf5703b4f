"""Telling people: the outbox, the e-mail channel, in-app notifications."""
