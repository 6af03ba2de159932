"""The Telegram front-end (aiogram 3): thin handlers over bot.engine, no dialogue logic of its own."""
