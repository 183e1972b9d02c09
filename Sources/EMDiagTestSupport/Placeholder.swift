// placeholder: see docs/architecture.md
