"""Developer tooling: the Pulumi engine runner and the demo."""
