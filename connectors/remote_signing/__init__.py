"""Remote signing (SmartCA-style, ../shared/integrations.md): the signer's certificate, a hash sent to be signed,
the signer's confirmation on a phone, read by polling or told by a webhook. Field names and paths are data
(`mapping/protocol.toml`)."""
