"""The installed distribution's version, one source for the package, the crawler's User-Agent and the store."""

from importlib.metadata import version

__version__ = version("perspectives")
