"""Our config file: where it is, and its profiles read and checked, every problem a
ConfigError naming the file, the line and the key.

```yaml
default_profile: prod
profiles:
  prod:
    manager: https://cfy.example.com   # a key for each setting: tui/config/settings.py
x-anything: ...                        # free, e.g. for YAML anchors (`<<: *base`)
```
"""

from __future__ import annotations

from pathlib import Path

import platformdirs

from tui.config.file_types import ConfigFile, ConfigProfile

__all__ = ["ConfigFile", "ConfigProfile", "default_config_path", "load_config"]

APP_NAME = "cfy-tui"
CONFIG_FILE = "config.yaml"


def default_config_path() -> Path:
    return platformdirs.user_config_path(APP_NAME) / CONFIG_FILE


def load_config(path: Path) -> ConfigFile:
    """Parse and check our config file; every problem is a ConfigError naming the
    file, the line and the key."""
    from tui.config.yaml_reader import read_config

    return read_config(path)
