"""conviction: long-horizon, concentrated, founder-centric investing."""

__version__ = "0.1.0"
