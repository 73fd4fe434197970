"""The HTML side of the build: page contexts, formatting, grid cells, charts, feeds and sitemaps.

`builder.render_pages` is the stage; the modules here are its parts.
"""
