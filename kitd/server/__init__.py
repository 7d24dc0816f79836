"""The daemon's process plumbing: listener, caller authentication, systemd notification, logging."""
