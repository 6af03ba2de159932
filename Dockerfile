# The image deploy/compose.yaml builds: kefu installed with its compiled catalogs.
FROM python:3.11-slim
WORKDIR /opt/kefu
COPY . .
RUN pip install --no-cache-dir . babel && python -c "from bot.engine.i18n import compile_catalogs; from pathlib import Path; compile_catalogs(Path('locales'))"
ENV KEFU_DATA_DIR=/opt/kefu/catalog_data KEFU_LOCALES_DIR=/opt/kefu/locales
CMD ["kefu", "webhook"]
