//! loom models of the asyncio runtime: see `tests/` and `README.md`.
