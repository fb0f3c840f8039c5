"""The national population database (CSDL quốc gia về dân cư): a person's data by personal id, for prefilling."""
