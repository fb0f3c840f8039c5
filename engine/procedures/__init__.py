"""A procedure as data: its package, legal facts, forms and sandboxed scripts, compiled into versions."""
