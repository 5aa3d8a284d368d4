"""The lab fleet: real systemd + sshd hosts in systemd-nspawn containers (see docs/lab.md)."""
