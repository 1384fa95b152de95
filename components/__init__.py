"""Pulumi components for platform teams."""
