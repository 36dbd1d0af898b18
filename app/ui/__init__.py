"""The web dashboard at /ui: server-rendered pages over the same services as the API, with its
stylesheet and script shipped in the package (no CDN: it works air-gapped)."""
