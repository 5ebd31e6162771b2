"""A room under a class: one teacher and N students answering a poll at the same instant (issue #18).

    .venv/bin/python bench/bench_room.py [--students 30] [--ticks 10] [--port 0]

One real server on 127.0.0.1 (streamlit run app.py); the teacher and every student are
bench/_protocol.StudentClient sessions (streamlit's own websocket messages, no browser):
1. the teacher opens the bidirectional lesson, presses "Open a room" and "Ask room CODE" on its first
   question;
2. N students open the room's link (/?room=CODE) at once; each must see the question;
3. all N answer in the same instant (asyncio.gather of N radio changes), then all N change their
   answer in the same instant again; after each wave the teacher's page must count exactly N answers
   with the right spread (lost answers: expected minus counted);
4. --ticks rounds of the poll's own refresh: every student's st.fragment(run_every=2 s) rerun, all at
   once (what the browsers send while the class waits), and the teacher's;
5. the teacher reveals; every student's next refresh must show the model's answer.
Per action: latency from the BackMsg sent to the run's end (p50 / p95 / max), errors, exceptions shown;
server RSS and CPU sampled every 0.5 s. Bounded: every action times out after --timeout s. Loopback only.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from _protocol import FRAGMENT_DONE, ProtocolError, StudentClient  # noqa: E402
from _sessions import MiB, ServerSampler  # noqa: E402
from browser_server import free_port, streamlit_server  # noqa: E402

LESSON = "bidirectional"
COUNT = re.compile(r"(\d+) answers \((.*)\)\.")


def pct(values: list[float], q: float) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def line(name: str, seconds: list[float], errors: int = 0, extra: str = "") -> str:
    ms = [s * 1e3 for s in seconds]
    return (f"{name:<26} n={len(ms):>3}  p50 {pct(ms, 50):7.0f} ms  p95 {pct(ms, 95):7.0f} ms  "
            f"max {max(ms, default=float('nan')):7.0f} ms  errors {errors}{extra}")


def counted(texts: list[str]) -> Counter | None:
    """The teacher's count from its caption: '3 answers (a: 1, b: 2).' -> Counter."""
    for text in texts:
        m = COUNT.search(text)
        if m:
            return Counter({k: int(v) for k, v in (part.rsplit(": ", 1) for part in m.group(2).split(", "))})
    return None


async def wave(students, radios, choose) -> tuple[list[float], int, int, Counter]:
    """Every student sets their answer at once -> (latencies, errors, exceptions, the answers sent)."""
    sent = Counter()
    fragment_runs = [0]

    async def one(i, s):
        option = choose(i, radios[i])
        sent[option] += 1
        run = await s.set_value(radios[i], "string_value", option, action="answer")
        fragment_runs[0] += run.statuses.count(FRAGMENT_DONE)
        return run

    results = await asyncio.gather(*(one(i, s) for i, s in enumerate(students)), return_exceptions=True)
    runs = [r for r in results if not isinstance(r, Exception)]
    assert fragment_runs[0] == len(runs), "an answer reran the whole page, not the poll's fragment"
    return ([r.elapsed_s for r in runs], len(results) - len(runs), sum(len(r.exceptions) for r in runs), sent)


async def teacher_count(teacher) -> Counter | None:
    await teacher.rerun()
    return counted(teacher.texts)


async def main(args) -> int:
    port = args.port or free_port()
    with streamlit_server(port) as url:
        teacher = StudentClient(url, timeout_s=args.timeout, name="teacher")
        await teacher.connect()
        await teacher.open(LESSON)
        with ServerSampler(url.process.pid) as sampler:
            await teacher.press(teacher.find("button", "Open a room", main_only=False))
            code = next(m.group(1) for t in teacher.texts if (m := re.search(r"Room ([A-Z2-9]{5})", t)))
            await teacher.press(teacher.find("button", f"Ask room {code}"))
            print(f"room {code}: {args.students} students, lesson /{LESSON}")

            students = [StudentClient(url, timeout_s=args.timeout, name=f"s{i}") for i in range(args.students)]
            await asyncio.gather(*(s.connect() for s in students))
            cpu0 = sampler.cpu_time()
            opens = await asyncio.gather(*(s.open("", f"room={code}") for s in students), return_exceptions=True)
            ok = [r for r in opens if not isinstance(r, Exception)]
            radios = [s.find("radio", "Your answer") for s in students]
            missing = sum(r is None for r in radios)
            print(line("join by link (all at once)", [r.elapsed_s for r in ok], len(opens) - len(ok),
                       f"  question not shown: {missing}"))
            if missing or len(ok) < len(students):
                return 1
            options = [o for o in radios[0].proto.options]
            failures = 0
            for name, choose in (("answer (all at once)", lambda i, w: options[i % len(options)]),
                                 ("change answer (at once)", lambda i, w: options[(i + 1) % len(options)])):
                latencies, errors, exceptions, sent = await wave(students, radios, choose)
                got = await teacher_count(teacher)
                lost = sum(sent.values()) - sum((got or Counter()).values())
                right = got == sent
                failures += errors + exceptions + (not right)
                print(line(name, latencies, errors, f"  exceptions {exceptions}  counted {dict(got or {})} "
                                                    f"sent {dict(sent)}  lost {lost}  {'OK' if right else 'WRONG'}"))
            tick_ms, tick_err = [], 0
            for _ in range(args.ticks):
                runs = await asyncio.gather(*(s.tick(next(iter(s.auto_reruns))) for s in students),
                                            teacher.rerun(), return_exceptions=True)
                tick_ms += [r.elapsed_s for r in runs if not isinstance(r, Exception)]
                tick_err += sum(isinstance(r, Exception) for r in runs)
            print(line("poll refresh (all at once)", tick_ms, tick_err))
            await teacher.press(teacher.find("button", "Reveal the answer"))
            after = await asyncio.gather(*(s.tick(next(iter(s.auto_reruns))) for s in students), return_exceptions=True)
            shown = sum(1 for s, r in zip(students, after) if not isinstance(r, Exception)
                        and any("The model's answer" in t for t in s.texts))
            print(line("refresh after the reveal", [r.elapsed_s for r in after if not isinstance(r, Exception)],
                       sum(isinstance(r, Exception) for r in after), f"  reveal shown {shown} / {len(students)}"))
            failures += len(students) - shown + missing
            cpu = sampler.cpu_time() - cpu0
            print(f"server: peak RSS {sampler.peak_rss / MiB:.0f} MiB, CPU {cpu:.1f} s for the room's part "
                  f"({cpu / (args.students * (3 + args.ticks + 1)) * 1e3:.1f} ms per student action)")
            for s in (teacher, *students):
                await s.close()
        return 1 if failures else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--ticks", type=int, default=10)
    parser.add_argument("--timeout", type=float, default=120.0)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    try:
        sys.exit(asyncio.run(main(args)))
    except ProtocolError as err:
        print(f"error: {err}")
        sys.exit(1)
