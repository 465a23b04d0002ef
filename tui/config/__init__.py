"""Settings: flags, environment, our config file and the `cfy` CLI's profiles.

Every effective value is taken from the first of these that gives it, and records
where it came from:

1. command-line flags (`--manager`, `--tenant`, ...);
2. the environment: `CLOUDIFY_USERNAME`, `CLOUDIFY_PASSWORD`, `CLOUDIFY_TENANT`,
   `CLOUDIFY_TOKEN` (as the `cfy` CLI reads them) and our own `CFY_TUI_MANAGER`,
   `CFY_TUI_PROFILE`, `CFY_TUI_CONFIG`, `CFY_TUI_READ_ONLY`;
3. a profile of our config file (`<user config dir>/cfy-tui/config.yaml`):

   ```yaml
   default_profile: prod
   profiles:
     prod:
       manager: https://cfy.example.com    # a cluster: a list of its managers' URLs
       tenant: default_tenant
       username: admin
       auth: password          # or: token
       password: "..."         # secrets are allowed here (chmod 600 the file)
       ca_cert: ~/certs/cfy-ca.pem
       read_only: true
       fast_interval: 1.0
       slow_interval: 5.0
       theme: nord
       ascii: false
       keys:
         main.start: ctrl+s
   ```

4. a profile of the `cfy` CLI (`$CFY_WORKDIR/.cloudify` or `~/.cloudify`): the
   active one, or the one `--profile` names when our config has none of that name.
   Those files are only ever read. A profile of a cluster (`cfy cluster
   update-profile`) gives its `manager_ip` first, then its other managers;
5. defaults.

`manager` is one URL or, for a cluster (managers sharing one database), several:
`--manager` repeated, a YAML list in the config file, or commas in
`$CFY_TUI_MANAGER`. The first is tried first; the others when it cannot be reached
(`tui/api/hosts.py`). Credentials, tenant and TLS settings are the same for all.

The auth method is the profile's `auth:` when it says one, else token when a token
is given anywhere (as the `cfy` CLI does), else password. Stored credentials belong
to their manager: when a profile (ours or the CLI's) names a manager and the
effective manager is another one, none of that profile's connection settings
(tenant, auth, user, secrets, TLS) are used. Top-level keys starting with `x-` are
ignored (a place for YAML anchors: `<<: *base`).

Each setting is declared once, in `settings.py`: its flag, environment variable,
file key, `cfy` profile key, default, kind (bounds, secrecy) all derive from that.
The other modules each do one job: `kinds.py` (checking and showing a kind of
value), `file.py` (our config file), `cfy_profiles.py`, `layers.py` (flags and
environment), `precedence.py` (`resolve`), `resolved.py` (provenance and the
settings view's rows), `profiles.py` (the profiles to switch to).

This package never imports Textual: the command line uses it before any UI exists.
"""

from tui.config.errors import ConfigError
from tui.config.file import default_config_path, load_config
from tui.config.kinds import MASK, NOT_SET, masked
from tui.config.precedence import DEMO_SOURCE, resolve
from tui.config.profiles import ProfileInfo, list_profiles
from tui.config.resolved import Resolved
from tui.config.settings import (
    CONFIG,
    DECLARED,
    DEFAULTS,
    ENVIRONMENT,
    PROFILE,
    SETTINGS,
    Setting,
    Settings,
    shown,
)

__all__ = [
    "CONFIG",
    "DECLARED",
    "DEFAULTS",
    "DEMO_SOURCE",
    "ENVIRONMENT",
    "MASK",
    "NOT_SET",
    "PROFILE",
    "SETTINGS",
    "ConfigError",
    "ProfileInfo",
    "Resolved",
    "Setting",
    "Settings",
    "default_config_path",
    "list_profiles",
    "load_config",
    "masked",
    "resolve",
    "shown",
]
