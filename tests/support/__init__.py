"""Helpers the tests share that are not tests themselves (the fake Telegram Bot API)."""
