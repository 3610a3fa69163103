"""Loaded by every Python process of the suite's faketime pass (PYTHONPATH=.ci/faketime).

libfaketime 0.9.10 (Debian) mishandles absolute waits on the monotonic clock: with monotonic time
faked, a timed wait on a lock or condition lasts the whole offset (a year); with it left real
(FAKETIME_DONT_FAKE_MONOTONIC=1, as .ci/run sets), clock_nanosleep(TIMER_ABSTIME), which
time.sleep() uses, fails with EINVAL. Sleeping through select()'s relative timeout avoids the
broken call; nothing else changes.
"""

import select
import time


def _sleep(seconds: float) -> None:
    if seconds > 0:
        select.select([], [], [], seconds)


time.sleep = _sleep
