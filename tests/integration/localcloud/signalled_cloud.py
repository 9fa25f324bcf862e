"""A local cloud of the sample template run in the foreground as `tally dev` runs one, for the signal tests.

    python -m tests.integration.localcloud.signalled_cloud TEMPLATE LOG BUSY

prints `starting`, starts the cloud, warms the gate, keeps BUSY invocations hanging in the echo
function's workers (each times out after 2 s and is started again: a cloud under load), prints
`working`, and serves until SIGINT or SIGTERM (`run_until_signalled`); then prints `stopped`.
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path

from tally_dev.localcloud import LocalCloud
from tally_dev.localcloud.runner import RunnerStopped
from tally_dev.localcloud.session import run_until_signalled


def keep_hanging(cloud: LocalCloud) -> None:
    try:
        while True:
            cloud.invoke("EchoFunction", {"what": "hang"})
    except (RunnerStopped, RuntimeError):  # the cloud stopped
        return


def main(argv: list[str]) -> int:
    template, log_path, busy = Path(argv[1]), Path(argv[2]), int(argv[3])

    def work(cloud: LocalCloud) -> None:
        cloud.invoke("GateFunction", {"headers": {"authorization": "a"}})  # an idle warm worker
        for _ in range(busy):
            threading.Thread(target=keep_hanging, args=(cloud,), daemon=True).start()
        print("working", flush=True)

    with log_path.open("w") as log:
        run_until_signalled(LocalCloud(port=0, template_path=template, log=log), work,
                            starting=lambda: print("starting", flush=True))
    print("stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
