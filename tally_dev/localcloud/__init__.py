"""Tally's Docker-free local cloud, driven by template.yaml (see docs/design.md, "The local cloud").

moto's server (in its own process) holds every table of the template; each function runs in its own
long-lived worker processes; aws-sam-cli's API Gateway emulator, corrected to answer like an HTTP
API (`sam_adapter`), routes HTTP requests to them, authorizer first, CORS applied.
"""

from tally_dev.localcloud.cloud import LocalCloud, PortInUse
from tally_dev.localcloud.runner import Invocation

__all__ = ["Invocation", "LocalCloud", "PortInUse"]
