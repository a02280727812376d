"""Browser pages: server-rendered shells (Chinese by default, English on request) whose small
scripts call the same JSON API as every other client. No build step."""
