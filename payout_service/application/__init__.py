"""Use cases: one module each, driving the domain through the ports in ports.py."""
