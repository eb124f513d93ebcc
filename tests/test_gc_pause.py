"""The cycle collector around a scan: paused while records are built, back on afterwards in a
process that goes on (a library caller, the tests), left off in the installed command, which
ends without teardown and would only pay for one more walk over every record."""

from __future__ import annotations

import gc
import subprocess
import sys

from standing.core.gc_pause import paused_gc


def test_a_pause_turns_the_collector_back_on_in_a_process_that_goes_on():
    assert gc.isenabled()
    with paused_gc():
        assert not gc.isenabled()
        with paused_gc():  # nested: the outermost decides
            pass
        assert not gc.isenabled()
    assert gc.isenabled()


def test_in_the_installed_command_the_collector_stays_off_after_the_pause():
    program = (
        "import gc\n"
        "from standing.core.gc_pause import paused_gc, process_ends_after_command\n"
        "process_ends_after_command()\n"
        "with paused_gc():\n"
        "    pass\n"
        "print(gc.isenabled())\n"
    )
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "False", done.stderr
