"""Broker adapters: plain Python, no Django. One interface in `brokers.base`."""
