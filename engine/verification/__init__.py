"""The citizen's electronic result outside the office: anyone verifies a signed document (an uploaded PDF, or the
issued result of a dossier given its code and PIN), the applicant downloads it, and the national portal links
to it by a capability URL. The signatures themselves are checked by engine/signing/validate.py."""
