"""One blueprint per part of the site: account, portal (citizens), officer, designer, dashboard (leaders)."""
