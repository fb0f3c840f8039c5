"""The issued result outside the office: public verification, the citizen's download, the portal's link."""
