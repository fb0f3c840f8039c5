"""The SMS gateway: texts to citizens (receipt, supplement, fee, result, a new PIN) through an HTTP SMS gateway."""
