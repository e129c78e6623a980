"""What runs only on a developer's machine and in the tests, never in Lambda: the `parley`
command (cli/) and the local stack (local/: resources, demo data, event pump, static server).
It imports chalicelib; chalicelib never imports it, and the Lambda package (Chalice packages
app.py and chalicelib/) does not contain it."""
