"""Electronic signatures: the unit seal and leader signatures (PAdES), validation of signed files, manifests."""
