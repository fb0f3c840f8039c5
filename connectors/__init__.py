"""Motcua's connectors to external systems, one sub-package per system (`sms/`; later the national portal, VNeID,
payment, signature), each in the same layout, after open-formulieren's `registrations/contrib/<plugin>/`:

- `config.py`: its settings, read from `MOTCUA_<SYSTEM>_*` variables;
- `client.py`: the small interface the rest of Motcua calls, and its HTTP implementation;
- `checks.py`: a health check (is it configured, does it answer);
- `standin.py`: a stand-in server speaking the same protocol, for development and the tests;
- `plugin.py`: the `Connector` that ties them together, listed in `registry.py`.

Connectors import nothing of Motcua (`engine/`, `api/`): the entry points hand a connector's functions to the
engine (the SMS client's `send` to the outbox's delivery), so the domain never depends on a far system.
"""
