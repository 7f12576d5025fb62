"""The run's CPU time counts the work done in worker processes once they have ended.

Checked with CPU time on both sides (a child that burns a known amount of CPU time), so the test
holds however loaded the machine is; wall-clock time would not.
"""

from __future__ import annotations

import subprocess
import sys

from modelyard.model.fit import cpu_clock

BURN = """
import time
end = time.process_time() + {seconds}
while time.process_time() < end:
    pass
"""


def test_cpu_clock_counts_the_cpu_time_of_finished_child_processes():
    seconds = 0.6
    before = cpu_clock()
    subprocess.run([sys.executable, "-c", BURN.format(seconds=seconds)], check=True)
    assert cpu_clock() - before >= seconds * 0.95  # clock ticks are 10 ms; the child used more
