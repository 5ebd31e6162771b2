"""Word-embedding benchmark: seqviz's skip-gram against gensim's Word2Vec, same corpus, same settings.

Run: .venv/bin/python bench/bench_embeddings.py [--tokens 200000] [--repeat 3] [--settings-only]   (part of `make bench`)

Both train skip-gram with negative sampling on the default built-in corpus with the same settings
(D = 50, window 5, k = 5 negatives, subsampling t = 1e-3, 5 epochs, linear learning-rate decay), on ONE
thread each: torch.set_num_threads(1) for seqviz, workers=1 for gensim. Words per second are corpus
tokens x epochs / training seconds (gensim's vocabulary scan excluded; seqviz's per-epoch example
generation included). Each side runs `repeat` times, alternating; the fastest run of each side
counts (the least disturbed by other load on the machine), and each pair of back-to-back runs gives
a ratio too (their median is printed: on a busy machine single runs vary 2-3x). Quality is measured on the vectors of that run: analogy
accuracy with inputs excluded and the share of grouped words whose 5 nearest neighbours share their
group. Target (issue #4): ratio >= 0.8 at equal quality. gensim is a benchmark dependency only
(requirements-dev.txt).

Then the corpus settings (issue #19): CBOW, skip-gram and GloVe with their shipped recipes on the plain
built-in corpus and on its paired setting (tasks.corpus.build_corpus(paired=True)), all in this process on
one thread: analogy accuracy, 5-NN purity and training seconds, GloVe with both its recipes ("glove", made
for the plain corpus, and "glove-paired") on both corpora, so the corpus and the settings are told apart.
`--settings-only` skips the gensim comparison.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402

from seqviz.models.word2vec import PRESETS, Word2VecTrainer  # noqa: E402
from seqviz.tasks.corpus import DEFAULT_TOKENS, build_corpus, encode  # noqa: E402
from seqviz.wordvectors import WordVectors, analogy_accuracy, group_purity  # noqa: E402

torch.set_num_threads(1)
torch.set_flush_denormal(True)


def quality(wv: WordVectors, analogies) -> tuple[float, float]:
    return analogy_accuracy(wv, analogies), group_purity(wv)


def run_seqviz(data, cfg):
    trainer = Word2VecTrainer(data, cfg)
    start = time.perf_counter()
    for _ in trainer.train():
        pass
    seconds = time.perf_counter() - start
    return seconds, trainer.vectors()


def run_gensim(sentences, groups, cfg, seed: int):
    from gensim.models import Word2Vec

    model = Word2Vec(vector_size=cfg.embed_size, window=cfg.window, negative=cfg.negatives, sample=cfg.sample, sg=1,
                     min_count=1, workers=1, epochs=cfg.epochs, seed=seed, alpha=0.025, min_alpha=cfg.min_lr)
    model.build_vocab(sentences)
    start = time.perf_counter()
    model.train(sentences, total_examples=len(sentences), epochs=cfg.epochs)
    seconds = time.perf_counter() - start
    wv = WordVectors(tuple(model.wv.index_to_key), model.wv.vectors.copy(), groups, "gensim skip-gram")
    return seconds, wv


def compare_settings(tokens: int) -> None:
    """Every shipped recipe on both corpus settings, same size and seed: one table."""
    import dataclasses

    from seqviz.labs.embeddings import RECIPES, train

    print(f"\ncorpus settings, {tokens:,} tokens, seed 0; the shipped recipes, one thread each")
    print(f"  {'method (recipe)':28s} {'corpus':8s} {'analogies':>9s} {'5-NN purity':>11s} {'train s':>8s}")
    for paired in (False, True):
        for key in ("cbow", "skipgram", "glove", "glove-paired"):
            recipe = dataclasses.replace(RECIPES[key], corpus_tokens=tokens, paired=paired)
            trainer = train(key, lambda _: None, recipe)
            wv = trainer.vectors()
            acc, pur = quality(wv, trainer.data.analogies)
            label = {"cbow": "CBOW", "skipgram": "skip-gram"}.get(key, f"GloVe ({key})")
            print(f"  {label:28s} {'paired' if paired else 'plain':8s} {acc:9.1%} {pur:11.1%} {trainer.seconds:8.2f}",
                  flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=DEFAULT_TOKENS)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--settings-only", action="store_true", help="only the corpus settings' table")
    args = parser.parse_args()
    if args.settings_only:
        compare_settings(args.tokens)
        return
    corpus = build_corpus(args.tokens, seed=0)
    data = encode(corpus)
    sentences = [list(s) for s in corpus.sentences]
    cfg = PRESETS["skipgram"]
    words = data.num_tokens * cfg.epochs
    print(f"skip-gram on the built-in corpus: {data.num_tokens:,} tokens, {len(data.words)} words, D={cfg.embed_size}, "
          f"window {cfg.window}, k={cfg.negatives}, t={cfg.sample:g}, {cfg.epochs} epochs; one thread each")
    print(f"  seqviz: {cfg.shared_negatives} negatives shared per batch of {cfg.batch_size}, weighted k/K; lr {cfg.lr}")
    ours, theirs = [], []
    for r in range(args.repeat):
        ours.append(run_seqviz(data, cfg))
        theirs.append(run_gensim(sentences, corpus.groups, cfg, seed=r + 1))
        print(f"  run {r + 1}: seqviz {ours[-1][0]:.2f} s, gensim {theirs[-1][0]:.2f} s")
    (s_ours, wv_ours), (s_gensim, wv_gensim) = min(ours, key=lambda t: t[0]), min(theirs, key=lambda t: t[0])
    q_ours, q_gensim = quality(wv_ours, corpus.analogies), quality(wv_gensim, corpus.analogies)
    print(f"seqviz skip-gram: {words / s_ours:10,.0f} words/s  analogies {q_ours[0]:.1%}  5-NN purity {q_ours[1]:.1%}")
    print(f"gensim Word2Vec:  {words / s_gensim:10,.0f} words/s  analogies {q_gensim[0]:.1%}  5-NN purity {q_gensim[1]:.1%}")
    paired = sorted(g[0] / o[0] for o, g in zip(ours, theirs))  # each run's ratio: the two jobs ran back to back
    print(f"speed ratio seqviz / gensim, fastest run of each: {s_gensim / s_ours:.2f}x; run by run: "
          f"{', '.join(f'{r:.2f}x' for r in paired)} (median {paired[len(paired) // 2]:.2f}x); target >= 0.8x "
          "at equal quality")
    compare_settings(args.tokens)


if __name__ == "__main__":
    main()
