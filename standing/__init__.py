"""standing: find the standing privilege of non-human identities and plan its replacement."""

from importlib.metadata import PackageNotFoundError, version

DISTRIBUTION = "standing-nhi"
"""The name on the package index ("standing" there is an unrelated project); the import name
and the command are ``standing``. The version lives in pyproject.toml only and is read back
from the installed distribution."""

try:
    __version__ = version(DISTRIBUTION)
except PackageNotFoundError:  # running from a checkout without installing
    __version__ = "0.0.0+local"
