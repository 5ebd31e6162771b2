"""Benchmark: the explorer's projections. Target (issue #4): t-SNE of 1,000 words in under 3 s, cached, and a
rerun after a widget change that never recomputes a projection it already has.

Prints, measured in this run: seqviz's t-SNE (500 iterations, one OpenMP thread) of 1,000 clustered 50-d word
vectors and of the shipped CBOW vectors, in 2-D and 3-D, as wall and CPU seconds; scikit-learn's default TSNE
(1,000 iterations) on one thread and on its default threads, on the same rows, as references, with the ratio and both KL
divergences; PCA; and the cost of a cache hit through seqviz.ui.embeddings.projection (what a rerun pays).
The machine's load average is printed too: on a shared 2-core machine wall time follows the load.

    .venv/bin/python bench/bench_projection.py
"""

from __future__ import annotations

import logging
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
logging.getLogger("streamlit").setLevel(logging.ERROR)  # "no runtime" warnings: the cache works without one


def clustered(n=1000, d=50, clusters=20, seed=0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(clusters, d))
    return (centres[np.arange(n) % clusters] + 0.5 * rng.normal(size=(n, d))).astype(np.float32)


def timed(fn, *args, **kwargs):
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    from sklearn.manifold import TSNE

    from seqviz import projection as proj
    from seqviz.wordvectors import WordVectors, unit_rows

    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; seqviz t-SNE: 1 OpenMP thread, "
          f"{proj.TSNE_ITERATIONS} iterations")
    rows = clustered()
    proj.project(rows[:50], "tsne", 2)  # warm-up: imports and first-call costs
    from threadpoolctl import threadpool_limits

    unit = unit_rows(rows).astype(np.float64)
    p, wall, cpu = timed(proj.project, rows, "tsne", 2)
    print(f"t-SNE 2-D, 1,000 words: {wall:.2f} s wall / {cpu:.2f} s CPU (target < 3 s), KL {p.kl_divergence:.3f}")
    for threads in (1, None):  # references: scikit-learn's defaults (1,000 iterations) on one thread, then on all
        ref = TSNE(n_components=2, perplexity=30, init="pca", random_state=0, learning_rate="auto")
        with threadpool_limits(limits=threads):
            _, rwall, rcpu = timed(ref.fit_transform, unit)
        print(f"  reference, scikit-learn defaults on {'1 thread' if threads else 'all threads'}: {rwall:.2f} s wall / "
              f"{rcpu:.2f} s CPU, KL {ref.kl_divergence_:.3f}; ratio ours / reference: wall {wall / rwall:.2f}, "
              f"CPU {cpu / rcpu:.2f}")
    p, wall, cpu = timed(proj.project, rows, "tsne", 3)
    print(f"t-SNE 3-D, 1,000 words: {wall:.2f} s wall / {cpu:.2f} s CPU, KL {p.kl_divergence:.3f}")
    _, wall, cpu = timed(proj.project, rows, "pca", 2)
    print(f"PCA 2-D, 1,000 words: {wall * 1000:.1f} ms wall")

    try:
        from seqviz.labs.embeddings import shipped_vectors

        wv = shipped_vectors("cbow")
        words = list(wv.words[: proj.MAX_POINTS["tsne"]])
        p, wall, cpu = timed(proj.project, wv.vectors[[wv.index(w) for w in words]], "tsne", 2)
        print(f"t-SNE 2-D, shipped CBOW ({len(words)} words): {wall:.2f} s wall / {cpu:.2f} s CPU, KL {p.kl_divergence:.3f}")
    except Exception as err:  # noqa: BLE001 (the shipped vectors are optional here)
        print(f"shipped CBOW vectors not measured: {err}")
        wv = WordVectors(tuple(f"w{i}" for i in range(len(rows))), rows, None, "clustered")

    from seqviz.ui import embeddings as ex

    words = list(wv.words[:1000])
    ex._projection.clear()
    _, first, _ = timed(ex.projection, "bench", wv, words, "tsne", 2)
    hits = [timed(ex.projection, "bench", wv, words, "tsne", 2)[1] for _ in range(20)]
    print(f"explorer cache: first call {first:.2f} s, a rerun's hit {np.median(hits) * 1000:.2f} ms "
          f"(median of 20; key = source, fingerprint of the rows, words, method, dims) = "
          f"{np.median(hits) / first:.4f} of the fit")


if __name__ == "__main__":
    main()
