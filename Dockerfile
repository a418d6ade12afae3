# chartvault worker / CLI image for the scale-out deployment (docker-compose.yml).
FROM python:3.11-slim-bookworm
RUN apt-get update && apt-get install -y --no-install-recommends \
        tesseract-ocr tesseract-ocr-eng tesseract-ocr-osd poppler-utils fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY . /app
RUN python -m pip install --no-cache-dir -e . && python -m classifiers.build
ENV CHARTVAULT_DATA_DIR=/data PREFECT_SERVER_ANALYTICS_ENABLED=false
ENTRYPOINT ["chartvault"]
