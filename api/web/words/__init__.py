"""Each page's words: a module per page with WORDS = {key: (Chinese, English)}."""
