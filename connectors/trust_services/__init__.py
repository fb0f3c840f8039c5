"""Trust services: the unit certificate, time stamps (RFC 3161), OCSP/CRL; the demo PKI and its stand-in."""
