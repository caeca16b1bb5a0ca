"""lintas_client: a client of a Lintas node's HTTP API (docs/openapi.yaml), standard library only."""
from .client import DEFAULT_NODE, Client, LintasError

__all__ = ["Client", "LintasError", "DEFAULT_NODE"]
__version__ = "1.0.0"
