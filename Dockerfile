# The image deploy/compose.yaml builds: kefu installed with its compiled catalogs.
FROM python:3.11-slim
WORKDIR /opt/kefu
COPY . .
RUN pip install --no-cache-dir . babel && python -c "from bot.engine.i18n import compile_catalogs; from pathlib import Path; compile_catalogs(Path('locales'))"
ENV KEFU_DATA_DIR=/opt/kefu/catalog_data KEFU_LOCALES_DIR=/opt/kefu/locales
# `docker stop` sends this; kefu then stops taking updates, finishes the ones in hand and sends what its
# outbox holds (give it the grace of deploy/compose.yaml: docker stop's default 10 s can be short).
STOPSIGNAL SIGTERM
CMD ["kefu", "webhook"]
