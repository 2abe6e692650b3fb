"""Throughput and latency benchmark of the wallet API (``make bench``)."""
