# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Ansible's collection loader goes in before any test imports the collection, so that the plugin
loaders (action plugins, lookups) can find fleet2fa.nas as ansible-playbook would."""
from __future__ import annotations

from ansible.plugins.loader import init_plugin_loader

init_plugin_loader()
