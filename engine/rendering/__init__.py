"""Official documents as PDF/A: rendering (bounded), storage with their hash, and the result document."""
