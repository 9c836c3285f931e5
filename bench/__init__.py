"""Benchmarks: AWS requests, capacity units and @connections posts per message; cold import cost (`make bench`)."""
