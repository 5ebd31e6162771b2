"""Units: the server's training line (seqviz.trainqueue) serves requests in arrival order, never more at
once than it has slots, frees a slot when a request ends or its session goes quiet, and lets each browser
session hold one request at a time."""

import threading

import pytest

from seqviz.trainqueue import QueueError, TrainingQueue


def test_first_come_first_served_with_one_slot():
    q = TrainingQueue(workers=1)
    a, b, c = (q.join(s, s, 10) for s in "abc")
    assert a.wait(0) and not b.wait(0) and not c.wait(0)
    assert (a.ahead(), b.ahead(), c.ahead()) == (0, 1, 2)
    a.release()
    assert not c.wait(0), "c arrived after b"
    assert b.wait(0) and c.ahead() == 1
    b.release()
    assert c.wait(0)
    assert [n for n, _ in q.served] == [a.number, b.number, c.number]


def test_never_more_running_than_slots_under_threads():
    q = TrainingQueue(workers=2)
    running, peak, order, lock = [0], [0], [], threading.Lock()

    def student(i, ready):
        t = q.join(f"s{i}", f"m{i}", 5)
        ready.set()
        assert t.wait(10)
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
            order.append(t.number)
        threading.Event().wait(0.01)
        with lock:
            running[0] -= 1
        t.release()

    threads = []
    for i in range(12):  # joined one after another, so arrival order is known
        ready = threading.Event()
        th = threading.Thread(target=student, args=(i, ready))
        th.start()
        ready.wait(5)
        threads.append(th)
    for th in threads:
        th.join(20)
    assert peak[0] <= 2
    assert len(order) == 12
    assert [n for n, _ in q.served] == sorted(n for n, _ in q.served), "slots given in arrival order"


def test_one_request_per_session():
    q = TrainingQueue(workers=1)
    q.join("tab", "LSTM", 10)
    with pytest.raises(QueueError, match="already has a training request"):
        q.join("tab", "GRU", 10)
    q.join("other-tab", "GRU", 10)  # another session is fine


def test_a_released_or_silent_request_frees_its_place():
    q = TrainingQueue(workers=1, stale_s=0.05)
    a = q.join("a", "a", 1)
    b = q.join("b", "b", 1)
    assert a.wait(0)
    threading.Event().wait(0.1)  # a's session stops touching its ticket (tab closed)
    assert b.wait(1), "a stale slot is given to the next in line"
    with pytest.raises(QueueError, match="dropped"):
        a.wait(0)
    b.release()
    assert q.status() == (0, 0)


def test_leaving_the_line_before_the_turn():
    q = TrainingQueue(workers=1)
    a, b, c = (q.join(s, s, 1) for s in "abc")
    b.release()  # b left the page while waiting
    assert c.ahead() == 1
    a.release()
    assert c.wait(0)
