# seqviz in a container: CPU-only torch, non-root, health-checked.
#   docker build -t seqviz .
#   docker run --rm -p 8501:8501 seqviz        # then open http://localhost:8501
# Memory: plan ~1 GiB for the server with every lesson visited plus ~15 MiB a session (see
# deploy/kubernetes.yaml for the figures and the limits derived from them).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    OMP_NUM_THREADS=1 \
    STREAMLIT_SERVER_HEADLESS=true \
    STREAMLIT_SERVER_FILE_WATCHER_TYPE=none \
    STREAMLIT_SERVER_SCRIPT_HEALTH_CHECK_ENABLED=true \
    STREAMLIT_BROWSER_GATHER_USAGE_STATS=false

WORKDIR /app

# The CPU build of torch first, from PyTorch's CPU index (only here: local installs never need that
# index). requirements.txt pins torch==2.13.0, which 2.13.0+cpu satisfies, so pip keeps it instead of
# pulling the multi-GB CUDA build from PyPI.
COPY requirements.txt .
RUN pip install --index-url https://download.pytorch.org/whl/cpu torch==2.13.0 \
 && pip install -r requirements.txt \
 && python -c "import torch; assert not torch.version.cuda, torch.version.cuda"

RUN useradd --create-home --uid 10001 seqviz
COPY --chown=seqviz:seqviz . .
USER seqviz

EXPOSE 8501
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD python -c "import urllib.request, sys; r = urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=4); sys.exit(0 if r.status == 200 else 1)"

# What every host runs; app.py is an st.App whose start-up hook gives the first visitor the real
# navigation and starts the heavy imports in the background (seqviz/ui/startup.py).
CMD ["python", "-m", "streamlit", "run", "app.py", "--server.address", "0.0.0.0", "--server.port", "8501", \
     "--server.headless", "true", "--server.fileWatcherType", "none"]
