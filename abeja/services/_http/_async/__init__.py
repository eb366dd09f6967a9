"""The async HTTP layer: the same policy on httpx, and the asyncio fast path."""
