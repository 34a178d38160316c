"""Vendor IDE project exporters."""
