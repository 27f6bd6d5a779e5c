# The app image for docker-compose.yml (CPU only).
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md constraints.txt ./
COPY indexer ./indexer
COPY embeddings ./embeddings
COPY search_api ./search_api
COPY ui ./ui
# Pass e.g. --build-arg TORCH_PIP_ARGS="--index-url <your CPU wheel index>" to avoid the CUDA build.
ARG TORCH_PIP_ARGS=""
RUN pip install --no-cache-dir $TORCH_PIP_ARGS torch==2.14.1 torchvision==0.29.1 \
 && pip install --no-cache-dir -c constraints.txt '.[all]' \
 && pip install --no-cache-dir --no-deps facenet-pytorch==2.6.0
ENV TRACKCHILD_DATA_DIR=/data
VOLUME ["/data"]
ENTRYPOINT []
