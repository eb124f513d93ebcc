"""standing: find the standing privilege of non-human identities and plan its replacement."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("standing")
except PackageNotFoundError:  # running from a checkout without installing
    __version__ = "0.0.0+local"
