"""The server-rendered web: the public complaint pages, the parties' pages and the staff
workspace. Views here are thin: they parse a form, call the same domain functions the
API calls (intake, engine, actions, mediation) and render a template."""
