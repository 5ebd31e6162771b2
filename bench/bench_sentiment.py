"""What the sentiment page costs, on one torch thread (the app's setting), as ratios against a plain
forward pass measured in the same run.

    .venv/bin/python bench/bench_sentiment.py

Prints: integrated gradients (m = 64) and gradient x input per model against one forward of the
same model on the same review; the page's whole attribution row (five shipped models); scoring the
2,000 test reviews; training steps per second (and how much of a step is generating the reviews).
"""

import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402

from seqviz.labs import sentiment as lab  # noqa: E402
from seqviz.attribution import gradient_x_input, integrated_gradients  # noqa: E402
from seqviz.tasks.sentiment import Review, SentimentTask, predict  # noqa: E402
from seqviz.training import TrainingRun  # noqa: E402


def best_ms(fn, repeat: int = 7, number: int = 3) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        times.append((time.perf_counter() - start) / number)
    return 1000 * min(times)


def main() -> None:
    torch.set_num_threads(1)
    torch.set_flush_denormal(True)
    task = SentimentTask()
    vocab = task.vocab()
    review = Review(tuple("i did not think the acting was good but the music was great".split()), 1, (), "bench")
    ids, tokens = vocab.encode(review.tokens), list(review.tokens)
    x = torch.tensor([ids])
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, review of {len(ids)} words")
    total_ig = 0.0
    for name in lab.NAMES:
        model = lab.load(name).model
        with torch.no_grad():
            fwd = best_ms(lambda: model(x))
        ig = best_ms(lambda: integrated_gradients(model, ids, tokens, steps=64))
        gxi = best_ms(lambda: gradient_x_input(model, ids, tokens))
        total_ig += ig
        print(f"{name:18s} forward {fwd:6.2f} ms | integrated gradients {ig:6.2f} ms ({ig / fwd:5.1f}x) | "
              f"gradient x input {gxi:6.2f} ms ({gxi / fwd:4.1f}x)")
    print(f"attribution row of the page (5 models, integrated gradients): {total_ig:.1f} ms")
    test = lab.RECIPES["sentiment-lstm"].test_reviews()
    for name in ("sentiment-bag", "sentiment-lstm"):
        model = lab.load(name).model
        print(f"{name:18s} scores {len(test):,} test reviews in {best_ms(lambda: predict(model, test, vocab), 3, 1):.0f} ms")
    rng = random.Random(0)
    gen = best_ms(lambda: task.tensors([task.sample(rng, 'train') for _ in range(64)], vocab), 5, 5)
    for arch in ("bag", "lstm"):
        model = lab.build_model(arch, 16 if arch == "bag" else 32, seed=0)
        run = TrainingRun.start(model, task.batches(1, 64, vocab), lr=1e-2)
        start = time.perf_counter()
        for _ in run.train(50):
            pass
        per_step = 1000 * (time.perf_counter() - start) / 50
        print(f"training {arch:4s}: {1000 / per_step:5.1f} steps/s at batch 64 ({gen / per_step:.0%} of a step is generating the batch)")


if __name__ == "__main__":
    main()
