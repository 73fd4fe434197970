"""The static REST API: /api/v4/ and /api/v3/ answered from precomputed files.

`render.render` is the build stage; `rules` turns the file layout into netlify.toml;
`resolver` applies netlify.toml to a request the way Netlify does (for tests and `serve`).
"""
